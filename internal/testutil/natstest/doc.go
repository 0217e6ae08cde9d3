// Package natstest starts real nats-server instances in-process for tests:
// a single JetStream server that can be stopped and restarted on the same
// port and store, a JetStream cluster, and a TCP proxy that cuts one
// client's connections while others still reach the server. Helpers take
// testing.TB, call t.Helper and clean up with t.Cleanup.
//
// It is a package of its own so that only the tests that need a NATS server
// link nats-server.
package natstest
