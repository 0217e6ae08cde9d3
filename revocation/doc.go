// Package revocation is sealed's server-side revocation and flush list: the
// part that makes logout real for stateless cookie sessions. It records
// three scopes of revocation and answers, on every request, whether a
// session is dead:
//
//   - session: this session ID is dead (flush, cycle, logout);
//   - user: every session of user U created at or before T is dead
//     ("log out everywhere", a password change);
//   - all: every session created at or before T is dead (incident
//     response).
//
// [Store] keeps the list in Badger (github.com/dgraph-io/badger/v4) on disk,
// for durability and restarts, and in a compact in-memory index that the
// request path reads. It satisfies sessions.Revoker.
//
// # Usage
//
//	store, err := revocation.Open("data/revocations", revocation.Config{
//		AbsoluteLifetime: 30 * 24 * time.Hour, // the same as sessions.Config.AbsoluteLifetime
//	})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := sessions.New(sessions.Config{Keys: kr, Revoker: store})
//
// Each process needs a directory of its own: Badger locks it, and a second
// Open of a held directory fails with [ErrLocked]. The operator CLI works on
// a stopped instance's directory (sealctl revoke ... --data DIR) or, for a
// running cluster, through NATS (--nats URL).
//
// Entries expire by themselves, so the list's size is bounded by the
// revocation rate times the absolute lifetime, not by history: a session
// entry when that session would have expired anyway (clamped to at most
// now+[Config.AbsoluteLifetime]), user and all entries at their cut-off plus
// the absolute lifetime. On disk that is Badger's TTL, which uses the real
// clock; the index drops expired entries by [Config.Now] on Open and in
// housekeeping ([Store.RunGC], every [Config.GCInterval]). A user or all
// entry written twice keeps the later cut-off; a session entry the later
// until.
//
// Several instances each keep their own Store and exchange [Event]s: with
// [Config.Outbox] every local revocation also writes an outbox record in
// the same transaction, which a replicator (package
// revocation/natsrepl) drains with [Store.Outbox] and [Store.AckOutbox],
// and remote events arrive through [Store.Apply] with the consumer's
// [Cursor], stored in the same transaction as their effects.
//
// # Security
//
// A revocation is acknowledged only once it is synced to disk (Badger
// SyncWrites): one that returned nil survives a crash or power loss. The
// check fails closed: when the store is closed, or a Badger write has
// failed and what is on disk is unknown, [Store.Revoked] returns an error
// ([ErrClosed], [ErrFailed]) and sessions treats the cookie as revoked
// unless configured InsecureFailOpen. A failed store stays failed until it
// is reopened.
//
// A full disk is not a failure: below a free-space reserve worked out from
// Badger's options (what Badger may write or map next: the next memtable's
// log, a flush, a level-0 compaction), writes are refused with
// [ErrDiskFull] before Badger is touched, since Badger writes through
// memory maps and a page the filesystem can't back kills the process with
// SIGBUS. Lookups keep answering; [Store.Disk] says why writes are refused;
// they resume once space returns. Open below the reserve is ErrDiskFull.
//
// Lost writes are detected: every write records its commit version, synced,
// in a side file (SEALED-HIGHWATER), and Open refuses with [ErrCorrupt] a
// directory whose log ends before it (Badger truncates a damaged log at the
// first bad entry without a word) or whose tables fail their checksums. A
// directory rolled back whole, side file included, is not detected. Open
// refuses a directory that group or others may write ([ErrInsecureMode]).
//
// Times compare with nanosecond precision, so a login made right after
// RevokeUser or RevokeAll on the same clock survives, while every session
// created at or before the cut-off is dead. Across instances the cut-off
// of a user or all revocation is compared with creation times taken on
// other machines' clocks: the list assumes clocks synchronised (NTP); a
// node whose clock runs ahead by d can mint, during d after a revocation,
// a session that survives it. Badger's TTL also uses the local clock: a
// clock far ahead drops entries early (on disk only after restart; the
// index follows Config.Now).
//
// An until beyond now+AbsoluteLifetime is clamped, and a cut-off later
// than now+Config.MaxClockSkew (default 2 minutes) when the store applies
// it is lowered to that ([Event.Clamp]), local or replicated: a mistaken
// or forged event can't pin an entry forever or lock out the logins made
// after it. Malformed replicated events are logged and skipped.
// The index's hash is keyed with a random per-process seed.
//
// # Concurrency
//
// A Store is safe for concurrent use. Revoked reads the in-memory index
// only: a global cut-off in an atomic, users' cut-offs in 64 map shards
// with an RWMutex each, session IDs in a table of 256 shards, each an
// open-addressing hash table that readers read without a lock (a
// per-shard sequence number tells them to look again if a writer changed
// it meanwhile); it allocates nothing and does no I/O. The session table
// takes about 15 bytes an entry (150 MB at 10M); on Linux, once it is
// larger than 8 MiB, it is a memory mapping with transparent huge pages
// outside the Go heap, which GOMEMLIMIT and the Go heap metrics do not
// count (the process's resident size does). Writers take
// a Badger transaction each (retrying conflicts with each other) and
// update the index after the commit, keeping the maximum, so concurrent
// and out-of-order writes converge. Close waits for writes in progress;
// afterwards every method returns ErrClosed.
//
// # Login registry
//
// With [Config.LoginsPerUser] set, the store also keeps a registry of
// logins ([Store.RecordLogin], [Store.Logins]) for a "where you're signed
// in" page: session ID, user, creation time, a short device string and
// whether the session is device bound, under its own key prefix, in
// memory per user (the newest LoginsPerUser, at most [Config.MaxLogins]
// in all). An entry goes when its session, its user or everyone is
// revoked (at once for users and everyone, at the next housekeeping run
// for one session; Logins leaves it out meanwhile) and when its absolute
// lifetime ends (Badger's TTL). With [Config.Outbox], each login also
// goes to the outbox as a [KindLogin] event, and [Store.Apply] records
// the KindLogin events of other instances (none with the registry off,
// and none of a session already revoked here): replication (natsrepl)
// carries the registry between instances.
//
// # Performance
//
// The targets: Revoked answers a miss in at most 100 ns with no
// allocations with a million entries listed, far faster than a Badger
// lookup; a revocation costs one synced Badger transaction, outbox
// record included; a process holding a million entries stays within
// 128 MiB. The benchmarks are in bench_test.go; the figures measured, and
// on what machine, are in the package's README.md.
package revocation
