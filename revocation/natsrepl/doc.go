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
//   - Authentication: every event on the stream carries, in its headers
//     ([HeaderKeyID], [HeaderMAC]), an HMAC-SHA256 over its subject and
//     exact bytes under a key derived from the keyring's primary
//     ([keyring.Keyring.SignEvent], its own HKDF label, never a cookie
//     key). The consumer applies only events that verify under a key of
//     the ring Config.Keys returns at the time (primary or enabled, so a
//     rotation done one instance at a time loses nothing); any other
//     message is dropped, counted in Health.RejectedEvents (once per
//     stream sequence) and logged at Warn with its subject and claimed
//     origin (never its bytes), at most one line per reason per second
//     (the next line says how many were suppressed), and the position
//     moves past it.
//   - Convergence after a lost stream: when the stream is found deleted
//     and recreated, shorter than the stored position, or purged (empty
//     while its last message had not aged out), at Start or while running,
//     the replica replays the new stream and re-publishes every live entry
//     of its own store through its outbox
//     ([revocation.Store.RepublishLive]: paced at 10,000 events a second,
//     idempotent, counted in Health.Republished), so an instance that was
//     away, or a new one, converges from the new stream. Instances that
//     were all down during the loss do it when they start.
//   - Joining from a snapshot: every Config.SnapshotEvery (default an
//     hour) an instance publishes a compact snapshot of its list (session
//     IDs with their untils, user and global cut-offs) with the stream
//     sequence it covers and the stream's creation time, signed like
//     events, to the object store bucket [SnapshotBucket] under its node
//     name ([Replicator.PublishSnapshot]). An instance with no position,
//     or one older than the stream's first sequence, applies the newest
//     snapshot that verifies under the keyring, was made for this stream
//     (same creation time) and covers no more than the stream holds, and
//     replays only the events after it. Any other snapshot is ignored,
//     logged and counted in Health.RejectedSnapshots.
//   - The login registry: with revocation.Config.LoginsPerUser set, each
//     login the store records (revocation.Store.AddLogin: a session ID,
//     its user, creation time, device string and whether it is device
//     bound) goes to the outbox as a [revocation.KindLogin] event on
//     PREFIX.login, signed and verified like the revocations; every
//     instance records it in its own registry (an instance with the
//     registry off applies it as a no-op), unless the session is already
//     revoked there. Snapshots and the re-publishing after a lost stream
//     carry the live logins too when the instance that makes them has
//     its registry on; one joining from a snapshot made with the registry
//     off lists only the logins published since (Config.ReplayWholeStream
//     replays the stream instead). A missing row never keeps a session
//     alive, only off the list.
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
//	w, err := keyring.Watch(keyFile, keyring.WatchOptions{}) // the keyring sessions use
//	...
//	auth, err := natsrepl.NATSAuth{Creds: "web.creds", TLSCA: "ca.pem"}.Options()
//	...
//	repl, err := natsrepl.Start(ctx, store, natsrepl.Config{
//		URL:      "nats://n1:4222,nats://n2:4222,nats://n3:4222",
//		Options:  auth,
//		Keys:     w.Keyring, // signs and verifies events
//		Node:     "web-1",   // unique per instance
//		Replicas: 3,         // on a three-node cluster
//	})
//	...
//	defer store.Close()
//	defer repl.Close() // before the store
//	mgr, err := sessions.New(sessions.Config{Keys: ring, Revoker: repl})
//
// Hand the Replicator, not the Store, to sessions: its Revoke methods write
// to the store (which records the outbox entry) and its Revoked method
// fails closed until the first catch-up after Start (and, with
// FailClosedWhenStale, while the replica is stale). Serve
// [Replicator.Health] on a health endpoint ([Health.Serving]: 200 for
// [StateOK] and [StateDegraded], 503 otherwise); [Replicator.WaitCaughtUp]
// blocks until the replica has applied what the stream held (wait for it
// before listening, with a bound).
//
// `sealctl revoke session|user|all --nats URL --keyring FILE` publishes an
// event signed under the cluster's keyring to a running cluster with
// [Publish].
//
// # Security
//
// What the NATS credentials alone allow: reading the stream (which session
// IDs and user IDs were revoked, when, and by which instance; with the
// login registry on, also who logged in, when, with which session ID,
// from which kind of device, and whether it is device bound: events are
// signed, not encrypted), and deleting or purging it (the instances
// re-publish what they hold, see above). Not revoking, nor adding a
// login to anyone's list: an event without a valid MAC changes nothing. A
// valid event replayed changes nothing either (applying is idempotent,
// and cut-offs are bounded, see below). What the keyring allows, besides
// sealing cookies: signing events, so revoking any session, user or
// everyone (a denial of service, never an escalation: events only kill
// sessions). Keep both secret; restrict the stream with NATS accounts and
// permissions and use TLS ([NATSAuth]).
//
// Retire a key no earlier than the stream's max age after it was demoted
// (keyring.Keyring.Prune with the absolute lifetime does about that): an
// instance catching up rejects events signed under a key its ring no
// longer holds.
//
// An instance of a version without the login registry's events rejects
// them (counted in Health.RejectedEvents) and applies the rest: upgrade
// every instance before turning the registry on.
//
// Events written before events were signed are rejected as unsigned.
// Upgrade every instance, then delete the stream once (nats stream rm
// SEALED_REVOCATIONS): each instance finds it lost, recreates it and
// re-publishes its live entries, signed. There is deliberately no option
// to accept unsigned events: it would reopen what signing closes.
//
// Every cut-off, replicated or local, is lowered to the applying store's
// now plus revocation.Config.MaxClockSkew (default 2 minutes), so no
// event can lock out logins made after it.
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
// catch-up after Start completes, Revoked returns an error wrapping
// [ErrNotCaughtUp] for every session the local list does not already
// refuse (Config.InsecureServeBeforeCatchUp turns that off): a restarted
// instance never serves a cookie revoked elsewhere while it was down.
//
// A connection Start dials never gives up: a server down, or credentials
// refused (revoked, then fixed), is retried with a jittered backoff up to
// 5 s between rounds, and replication resumes without a restart. Meanwhile
// Health.NATS says "reconnecting", Health.NATSError why (such as "nats:
// authorization violation"), and the state is at best degraded, stale once
// Config.Staleness has passed. A Config.Conn keeps the caller's options.
//
// After a stream loss the instances converge once the others have
// re-published: an instance that starts alone after the loss serves from
// its own list (caught up with an empty stream) until the others are back.
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
// list it came from). Start runs four goroutines (publisher, consumer,
// stream probe, re-publisher); Close stops them and waits for them, stops the consumer and
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
