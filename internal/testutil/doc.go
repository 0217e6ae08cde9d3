// Package testutil holds test helpers that start real parts: temporary
// keyrings, Badger in a temporary directory, an in-process NATS server or
// cluster and a cookie-jar client (the fake clock is in package fake). Helpers take testing.TB,
// call t.Helper and clean up with t.Cleanup. Nothing here is a mock of a
// component the project depends on; the in-memory revoker follows the
// sessions.Revoker contract and exists only for tests of package sessions.
package testutil
