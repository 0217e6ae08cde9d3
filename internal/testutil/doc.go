// Package testutil holds the light test helpers: a fresh keyring or keyring
// file, a cookie-jar HTTP client for flow tests against an httptest server,
// an in-memory sessions.Revoker and the contract every Revoker must honour.
// Helpers take testing.TB, call t.Helper and clean up with t.Cleanup.
//
// The heavy helpers live in subpackages, so that a test links only what it
// starts: natstest (an in-process NATS server or cluster), revocationtest
// (a Badger store in a temporary directory) and tmpfs (a small tmpfs that
// really fills up, for the full-disk tests). The example's headless-Chromium
// helper is in the example's own module (example/internal/browsertest). The
// fake clock and the goroutine-safe buffer are in fake, which imports nothing
// from the project. TestLightDeps pins that the tests of keyring and sessions
// stay free of the heavy dependencies.
//
// Nothing here is a mock of a component the project depends on. The
// in-memory revoker is sessions/sessiontest's MemRevoker, the one users'
// tests get too (MemRevoker here is an alias); sessiontest runs
// RevokerContract against it, as revocation does against the Badger store.
package testutil
