// Package natsrepl carries revocation events between the instances of an
// app over a NATS JetStream stream, so that a session revoked on one
// instance is refused by all of them.
//
// Each instance keeps its own [revocation.Store] (Badger) and runs one
// [Replicator], which reaches the store through [Store], the methods
// replication needs:
//
//   - Publisher: the store commits every local revocation together with an
//     outbox record in one Badger transaction (revocation.Config.Outbox).
//     The Replicator drains the outbox to the stream, with the event ID as
//     the JetStream message ID (Nats-Msg-Id, deduplicated by the server),
//     and deletes a record only once the stream has acknowledged it.
//     Failures retry with jittered backoff (up to 5 s), so a NATS outage or a
//     restart loses nothing: the revocation is in force locally at once and
//     reaches the others when NATS is back.
//   - Consumer: a self-managed ephemeral pull consumer (no acks, memory
//     storage, one replica, gone 30 s after its instance stops) delivering
//     from the stream sequence after the last one applied. That position is
//     stored in Badger in the same transaction as the events' effects,
//     together with the stream's creation time, so a crash loses or replays
//     both together, and a deleted and recreated stream (which restarts at
//     sequence 1) is noticed rather than silently skipped. A gap in the
//     consumer sequence, two missed heartbeats, a reconnect or a store error
//     restart the consumer from the stored position. Applying is idempotent:
//     an instance's own events, duplicates and redeliveries change nothing.
//
// The stream (default SEALED_REVOCATIONS, subjects sealed.revocations.>) is
// created when missing. An existing stream is verified, and any difference
// in subjects, max age, storage, replicas or retention is an error from
// [Start] naming each one ([ErrStreamMismatch]); natsrepl never edits a
// stream.
//
// # Usage
//
//	store, err := revocation.Open(dir, revocation.Config{Node: "web-1", Outbox: true})
//	...
//	repl, err := natsrepl.Start(ctx, store, natsrepl.Config{
//		URL:      "nats://n1:4222,nats://n2:4222,nats://n3:4222",
//		Node:     "web-1", // unique per instance
//		Replicas: 3,       // on a three-node cluster
//	})
//	...
//	defer store.Close()
//	defer repl.Close() // before the store
//	mgr, err := sessions.New(sessions.Config{Keys: ring, Revoker: repl})
//
// Hand the Replicator, not the Store, to sessions: its Revoke methods write
// to the store (which records the outbox entry) and its Revoked method can
// fail closed when the replica is stale. Serve [Replicator.Health] on a
// health endpoint; [Replicator.WaitCaughtUp] blocks until the replica has
// applied what the stream held (for readiness probes and tests).
//
// `sealctl revoke session|user|all --nats URL` publishes an event to a
// running cluster with [Publish].
//
// # Security
//
// Anyone who can publish to the stream's subjects can revoke any session
// (a denial of service, never an escalation: events only ever kill
// sessions). Anyone who can delete or purge the stream can make instances
// miss revocations made while they were away. Restrict both with NATS
// accounts and permissions, and use TLS and credentials through
// Config.Options. A message that does not decode as an event is logged and
// skipped.
//
// Propagation is not instant: between a revocation on one instance and its
// arrival on another (milliseconds when healthy; as long as an outage
// lasts otherwise) a revoked cookie still opens on the others. Health says
// when an instance is stale (for longer than Config.Staleness, no message
// or probe has shown it holding everything the stream held; after a
// reconnect, that needs what was missed meanwhile applied first) and,
// with Config.FailClosedWhenStale, Revoked then
// returns [ErrStale] so a sessions.Manager refuses sessions rather than
// serve from a list that may be missing revocations. Until the first
// catch-up after Start completes, the instance is not healthy and, with
// FailClosedWhenStale, fails closed too.
//
// The stream's max age (default 31 days) must be at least the store's
// absolute session lifetime: an instance away for longer misses events
// that aged out, which is harmless only if no cookie they could match is
// still alive. Such a gap is reported in Health.MissedEvents and the log.
//
// User and global revocations compare a cut-off taken on one instance's
// clock with a session's creation time taken on another's: instances must
// keep their clocks in agreement (NTP). A node whose clock runs ahead by d
// mints sessions that survive a "log out everywhere" issued within d on
// another node; one running behind kills sessions made within d after it.
// On the instance that issued it the comparison is exact to the
// nanosecond, so a login right after "log out everywhere" there survives.
//
// # Concurrency
//
// A Replicator is safe for concurrent use. Revoked reads memory only and
// allocates nothing (with FailClosedWhenStale it also reads the clock and
// three atomics, before the store, so an answer is never fresher than the
// list it came from). Start runs three goroutines (publisher, consumer, stream
// probe); Close stops them and waits for them, stops the consumer and
// closes the connection Start dialled (never Config.Conn). Close the
// Replicator before the Store.
//
// # Performance
//
// Healthy propagation between instances takes milliseconds; a new
// instance catches up with thousands of events in a fraction of a second;
// Revoked with FailClosedWhenStale allocates nothing. The benchmarks are in
// bench_test.go; the figures measured, and on what machine, are in the
// package's README.md.
package natsrepl
