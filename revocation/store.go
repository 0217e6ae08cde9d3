package revocation

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Errors callers can branch on with errors.Is.
var (
	// ErrLocked means the directory is held by another process (Badger
	// locks its directory). A running server owns its directory: reach it
	// through the cluster (sealctl revoke --nats URL) instead.
	ErrLocked = errors.New("revocation: directory locked by another process (a running server? use --nats URL to revoke through the cluster)")
	// ErrClosed is returned by every method of a closed Store.
	ErrClosed = errors.New("revocation: store closed")
	// ErrInvalid marks a malformed event or argument.
	ErrInvalid = errors.New("revocation: invalid")
	// ErrFailed means a write to Badger failed, so what is on disk is
	// unknown: the Store refuses to answer (Revoked returns an error) until
	// it is closed and opened again.
	ErrFailed = errors.New("revocation: store failed")
)

// Config configures a Store. The zero value is usable: every field's
// default is written beside it. Open copies it.
type Config struct {
	// AbsoluteLifetime is the longest a session may live from its
	// creation (sessions.Config.AbsoluteLifetime; keep the two equal).
	// User and all entries live this long after their cut-off; session
	// entries are clamped to at most this long from now. Default: the
	// lifetime this directory recorded when it was last opened with one,
	// else 30*24h (so sealctl, opening a server's directory, keeps entries
	// as long as the server does); at most MaxAbsoluteLifetime. Open
	// records the lifetime it settles on.
	AbsoluteLifetime time.Duration
	// Node names this instance in the events it makes. Default: the
	// hostname, cut to MaxOriginLen bytes.
	Node string
	// Outbox records each local event in an outbox, in the same Badger
	// transaction as its effect, for a replicator to publish (see
	// Store.Outbox). Default off: a single instance needs none.
	Outbox bool
	// Logger receives the Store's and Badger's messages (Badger's Info
	// messages at Debug level). Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now. Badger's on-disk TTL always uses
	// the real clock; the in-memory index expires entries by this one.
	Now func() time.Time
	// GCInterval is how often housekeeping (dropping expired entries from
	// the index, Badger value-log GC) runs. Default 10 minutes; negative
	// turns the background run off (RunGC still works).
	GCInterval time.Duration
}

// DefaultAbsoluteLifetime is Config.AbsoluteLifetime's default.
const DefaultAbsoluteLifetime = 30 * 24 * time.Hour

// MaxAbsoluteLifetime is the longest Config.AbsoluteLifetime Open accepts
// (100 years): entries' expiry times must stay within Unix nanoseconds
// (year 2262), which longer lifetimes overflow.
const MaxAbsoluteLifetime = 100 * 365 * 24 * time.Hour

// Key layout in Badger. One-byte prefixes; values are big-endian.
const (
	prefixSession = 's' // 's' id(16) -> until(8); TTL until
	prefixUser    = 'u' // 'u' user -> at(8); TTL at+AbsoluteLifetime
	prefixAll     = 'a' // 'a' -> at(8); TTL at+AbsoluteLifetime
	prefixCursor  = 'c' // 'c' name -> value; no TTL
	prefixOutbox  = 'o' // 'o' seq(8) -> Event; no TTL
	prefixMeta    = 'm' // 'm' name -> value; no TTL
)

// Store is the revocation and flush list: Badger on disk, an in-memory
// index for the request path. It satisfies sessions.Revoker. Safe for
// concurrent use.
type Store struct {
	db  *badger.DB
	dir string
	cfg Config
	log *slog.Logger

	fail atomic.Pointer[error] // non-nil: closed or broken; Revoked returns it

	sessions *sessionIndex
	users    *userIndex
	all      atomic.Int64 // global cut-off, Unix nanoseconds; 0 none

	life   sync.RWMutex // writers hold it for reading; Close for writing
	closed bool

	outMu  sync.Mutex
	outbox map[[16]byte]uint64 // pending event ID -> outbox sequence
	outSeq uint64
	ready  chan struct{}

	gcStop chan struct{}
	gcDone chan struct{}
	gcMu   sync.Mutex   // one RunGC at a time
	lastGC atomic.Int64 // Unix nanoseconds
}

// Open opens (creating if needed) the revocation list in dir and loads it
// into memory. dir's parent must exist. A directory held by another process
// gives an error wrapping ErrLocked.
func Open(dir string, cfg Config) (*Store, error) {
	lifeGiven := cfg.AbsoluteLifetime > 0
	if !lifeGiven {
		cfg.AbsoluteLifetime = DefaultAbsoluteLifetime
	}
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	if len(cfg.Node) > MaxOriginLen {
		cfg.Node = cfg.Node[:MaxOriginLen]
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = 10 * time.Minute
	}
	if dir == "" {
		return nil, fmt.Errorf("revocation: open: %w: empty directory name", ErrInvalid)
	}
	if cfg.AbsoluteLifetime > MaxAbsoluteLifetime {
		return nil, fmt.Errorf("revocation: open %s: %w: AbsoluteLifetime %v is longer than MaxAbsoluteLifetime (%v)", dir, ErrInvalid, cfg.AbsoluteLifetime, MaxAbsoluteLifetime)
	}
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, fmt.Errorf("revocation: open %s: create directory: %w", dir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("revocation: open %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("revocation: open %s: not a directory (give --data a directory of its own)", dir)
	}

	log := cfg.Logger.With("component", "revocation", "dir", dir)
	db, err := badger.Open(badgerOptions(dir, log))
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			// Badger formats its lock error without %w; its text is all there is.
			return nil, fmt.Errorf("%w: %s: %v", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("revocation: open %s: badger: %v (is the directory damaged or not a revocation store? move it aside to start empty)", dir, err)
	}
	s := &Store{
		db:       db,
		dir:      dir,
		cfg:      cfg,
		log:      log,
		sessions: newSessionIndex(),
		users:    newUserIndex(),
		outbox:   make(map[[16]byte]uint64),
		ready:    make(chan struct{}, 1),
		gcStop:   make(chan struct{}),
		gcDone:   make(chan struct{}),
	}
	if err := s.lifetime(lifeGiven); err != nil {
		db.Close()
		return nil, fmt.Errorf("revocation: open %s: %w", dir, err)
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("revocation: open %s: load: %w", dir, err)
	}
	if len(s.outbox) > 0 {
		s.signalReady()
	}
	if cfg.GCInterval > 0 {
		go s.gcLoop(cfg.GCInterval)
	} else {
		close(s.gcDone)
	}
	return s, nil
}

// badgerOptions shrinks Badger for a list of small entries: the defaults
// (64 MB memtables, 256 MB block cache, 1 GB value-log files) are sized for
// a database, not a list.
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(slogBadger{log}).
		WithSyncWrites(true). // an acknowledged revocation survives a crash
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(2 << 20).
		WithBaseLevelSize(8 << 20).
		WithBlockCacheSize(0). // no compression or encryption: blocks are read from the mmap
		WithIndexCacheSize(0).
		WithCompression(options.None).
		WithValueLogFileSize(16 << 20).
		WithValueThreshold(1 << 10). // every value here is far smaller: kept in the LSM
		WithNumVersionsToKeep(1).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithMetricsEnabled(false).
		WithDetectConflicts(true)
}

// load rebuilds the in-memory index and outbox map from Badger.
func (s *Store) load() error {
	now := s.now()
	// Size the index from Badger's table key counts (an overestimate: it
	// counts every kind of key and stale versions).
	var keys int
	for _, t := range s.db.Tables() {
		keys += int(t.KeyCount)
	}
	if keys > 0 {
		s.sessions.reserve(keys)
	}
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			key := item.Key()
			if len(key) == 0 {
				continue
			}
			switch key[0] {
			case prefixSession, prefixUser, prefixAll:
				var v int64
				err := item.Value(func(val []byte) error {
					if len(val) != 8 {
						return fmt.Errorf("entry %q: value of %d bytes, want 8", key, len(val))
					}
					v = int64(binary.BigEndian.Uint64(val))
					return nil
				})
				if err != nil {
					return err
				}
				switch key[0] {
				case prefixSession:
					if len(key) != 17 {
						return fmt.Errorf("session entry key of %d bytes, want 17", len(key))
					}
					if v > now {
						s.sessions.put([16]byte(key[1:]), v)
					}
				case prefixUser:
					if v+int64(s.cfg.AbsoluteLifetime) > now {
						s.users.put(string(key[1:]), v)
					}
				case prefixAll:
					if v+int64(s.cfg.AbsoluteLifetime) > now {
						s.all.Store(v)
					}
				}
			case prefixOutbox:
				if len(key) != 9 {
					return fmt.Errorf("outbox key of %d bytes, want 9", len(key))
				}
				seq := binary.BigEndian.Uint64(key[1:])
				var ev Event
				if err := item.Value(ev.UnmarshalBinary); err != nil {
					return fmt.Errorf("outbox record %d: %w", seq, err)
				}
				s.outbox[ev.ID] = seq
				s.outSeq = max(s.outSeq, seq)
			}
		}
		return nil
	})
}

func (s *Store) now() int64 { return s.cfg.Now().UnixNano() }

// metaLifetime is where a store records its absolute lifetime, so that a
// tool opening the directory without being told (sealctl) keeps entries
// as long as the server that owns it.
var metaLifetime = []byte{prefixMeta, 'l', 'i', 'f', 'e'}

// lifetime settles the store's absolute lifetime: the one given in Config,
// else the one the directory recorded, else the default; and records it.
func (s *Store) lifetime(given bool) error {
	var stored time.Duration
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaLifetime)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("recorded absolute lifetime of %d bytes, want 8", len(v))
			}
			stored = time.Duration(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("read absolute lifetime: %w", err)
	}
	if !given && stored > 0 && stored <= MaxAbsoluteLifetime {
		s.cfg.AbsoluteLifetime = stored
	}
	if stored == s.cfg.AbsoluteLifetime {
		return nil
	}
	if stored != 0 {
		s.log.Info("revocation: absolute lifetime changed", "was", stored, "now", s.cfg.AbsoluteLifetime)
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(metaLifetime, binary.BigEndian.AppendUint64(nil, uint64(s.cfg.AbsoluteLifetime)))
	})
	if err != nil {
		return fmt.Errorf("record absolute lifetime: %w", err)
	}
	return nil
}

// AbsoluteLifetime returns how long user and global entries are kept, and
// the longest a session entry is kept: Config.AbsoluteLifetime after
// defaults. A sessions.Manager refuses a Revoker whose lifetime is shorter
// than its own, since entries would then expire while cookies they match
// are still alive.
func (s *Store) AbsoluteLifetime() time.Duration { return s.cfg.AbsoluteLifetime }

// OutboxEnabled reports whether local revocations are recorded in the
// outbox for replication (Config.Outbox).
func (s *Store) OutboxEnabled() bool { return s.cfg.Outbox }

// Close stops housekeeping and closes Badger. Methods called afterwards
// return ErrClosed; Revoked too. Close waits for writes in progress.
func (s *Store) Close() error {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return nil
	}
	s.closed = true
	err := ErrClosed
	s.fail.Store(&err)
	s.life.Unlock()
	close(s.gcStop)
	<-s.gcDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("revocation: close %s: %w", s.dir, err)
	}
	return nil
}

// Revoked reports whether a session with this ID, user (empty if
// anonymous) and creation time is dead: its ID is revoked, or its user or
// everyone was revoked at or after created (nanosecond precision). It reads
// memory only and allocates nothing. It returns an error (ErrClosed,
// ErrFailed) when the store can't answer; the caller should then fail
// closed.
func (s *Store) Revoked(id [16]byte, userID string, created time.Time) (bool, error) {
	if p := s.fail.Load(); p != nil {
		return false, *p
	}
	if s.db.IsClosed() {
		return false, ErrClosed
	}
	c := created.UnixNano()
	if a := s.all.Load(); a != 0 && a >= c {
		return true, nil
	}
	if userID != "" {
		if at, ok := s.users.get(userID); ok && at >= c {
			return true, nil
		}
	}
	_, ok := s.sessions.get(&id)
	return ok, nil
}

// RevokeSession records that session id is dead until until, when the
// session expires anyway. An until in the past is a no-op; one beyond
// now+AbsoluteLifetime is clamped to it; zero means now+AbsoluteLifetime.
// It returns once the entry is synced to disk.
func (s *Store) RevokeSession(ctx context.Context, id [16]byte, until time.Time) error {
	return s.local(ctx, Event{Kind: KindSession, Session: id, Until: until})
}

// RevokeUser kills every session of userID created at or before at. A
// later call with an earlier at changes nothing (the latest cut-off wins).
// The entry lives until at+AbsoluteLifetime.
func (s *Store) RevokeUser(ctx context.Context, userID string, at time.Time) error {
	if userID == "" {
		return fmt.Errorf("revocation: revoke user: %w: empty user ID", ErrInvalid)
	}
	return s.local(ctx, Event{Kind: KindUser, User: userID, At: at})
}

// RevokeAll kills every session created at or before at.
func (s *Store) RevokeAll(ctx context.Context, at time.Time) error {
	return s.local(ctx, Event{Kind: KindAll, At: at})
}

// effect is what an event does to the list: one key set to at least val,
// with a TTL.
type effect struct {
	kind Kind
	key  []byte
	val  int64 // session: until; user/all: cut-off; Unix nanoseconds
	exp  int64 // when the entry may go, Unix nanoseconds
}

// effectOf works out ev's effect at now. ok is false when the event changes
// nothing (its entry would already have expired).
func (s *Store) effectOf(ev *Event, now int64) (effect, bool, error) {
	life := int64(s.cfg.AbsoluteLifetime)
	at, _ := nanos(ev.At)
	until, _ := nanos(ev.Until)
	switch ev.Kind {
	case KindSession:
		if until == 0 || until > now+life {
			until = now + life
		}
		if until <= now {
			return effect{}, false, nil
		}
		return effect{kind: KindSession, key: append([]byte{prefixSession}, ev.Session[:]...), val: until, exp: until}, true, nil
	case KindUser, KindAll:
		if at > now+life {
			return effect{}, false, fmt.Errorf("%w: cut-off %v is more than the absolute lifetime ahead", ErrInvalid, ev.At)
		}
		exp := at + life
		if exp <= now {
			return effect{}, false, nil
		}
		key := []byte{prefixAll}
		if ev.Kind == KindUser {
			key = append([]byte{prefixUser}, ev.User...)
		}
		return effect{kind: ev.Kind, key: key, val: at, exp: exp}, true, nil
	}
	return effect{}, false, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint8(ev.Kind))
}

// write applies eff in txn, keeping the larger value if the key exists.
func writeEffect(txn *badger.Txn, eff effect) error {
	item, err := txn.Get(eff.key)
	switch {
	case err == nil:
		var old int64
		if err := item.Value(func(v []byte) error {
			if len(v) == 8 {
				old = int64(binary.BigEndian.Uint64(v))
			}
			return nil
		}); err != nil {
			return err
		}
		if old >= eff.val {
			return nil
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	val := binary.BigEndian.AppendUint64(nil, uint64(eff.val))
	// Badger's TTL has one-second granularity: round up, never drop early.
	expSec := (eff.exp + int64(time.Second) - 1) / int64(time.Second)
	return txn.SetEntry(&badger.Entry{Key: eff.key, Value: val, ExpiresAt: uint64(expSec)})
}

// index applies eff to memory. Called after the commit.
func (s *Store) index(eff effect) {
	switch eff.kind {
	case KindSession:
		s.sessions.put([16]byte(eff.key[1:]), eff.val)
	case KindUser:
		s.users.put(string(eff.key[1:]), eff.val)
	case KindAll:
		for {
			old := s.all.Load()
			if old >= eff.val || s.all.CompareAndSwap(old, eff.val) {
				break
			}
		}
	}
}

// begin guards a write against Close. The caller must call s.life.RUnlock.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	if p := s.fail.Load(); p != nil {
		s.life.RUnlock()
		return *p
	}
	return nil
}

// update runs fn in a read-write transaction, retrying on conflicts with
// concurrent writers. Any other failure marks the store failed.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	var err error
	for range 20 {
		err = s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err != nil && !errors.Is(err, badger.ErrConflict) && !errors.Is(err, ErrInvalid) && !errors.Is(err, badger.ErrTxnTooBig) {
		s.markFailed(err)
	}
	return err
}

func (s *Store) markFailed(cause error) {
	err := fmt.Errorf("%w: %s: %v", ErrFailed, s.dir, cause)
	if s.fail.CompareAndSwap(nil, &err) {
		s.log.Error("revocation store failed; refusing to answer until reopened", "err", cause)
	}
}

// local records a local revocation: its effect and (with Config.Outbox) an
// outbox record, in one synced transaction; then the index.
func (s *Store) local(ctx context.Context, ev Event) error {
	_, _, err := s.commitLocal(ctx, ev)
	return err
}

// commitLocal does local's work under the Close guard. changed is false for
// a no-op.
func (s *Store) commitLocal(ctx context.Context, ev Event) (_ Event, changed bool, _ error) {
	op := "revocation: revoke " + ev.Kind.String()
	if err := s.begin(ctx); err != nil {
		return ev, false, fmt.Errorf("%s: %w", op, err)
	}
	defer s.life.RUnlock()

	now := s.cfg.Now()
	latest := now.Add(s.cfg.AbsoluteLifetime)
	if ev.Kind == KindSession {
		ev.At = now
		if !ev.Until.IsZero() && !ev.Until.After(now) {
			return ev, false, nil // the session has expired anyway
		}
		if ev.Until.IsZero() || ev.Until.After(latest) {
			ev.Until = latest
		}
	} else if !ev.At.IsZero() {
		if !ev.At.Add(s.cfg.AbsoluteLifetime).After(now) {
			return ev, false, nil // every session it could match has expired
		}
		ev.Until = ev.At.Add(s.cfg.AbsoluteLifetime)
	}
	if _, err := rand.Read(ev.ID[:]); err != nil {
		return ev, false, fmt.Errorf("%s: event ID: %w", op, err)
	}
	ev.Origin = s.cfg.Node
	if err := ev.validate(); err != nil {
		return ev, false, fmt.Errorf("%s: %w", op, err)
	}
	eff, ok, err := s.effectOf(&ev, now.UnixNano())
	if err != nil {
		return ev, false, fmt.Errorf("%s: %w", op, err)
	}
	if !ok {
		return ev, false, nil // already past: nothing it could match is alive
	}
	var rec []byte
	var seq uint64
	if s.cfg.Outbox {
		if rec, err = ev.MarshalBinary(); err != nil {
			return ev, false, fmt.Errorf("%s: %w", op, err)
		}
		seq = s.nextSeq()
	}
	err = s.update(func(txn *badger.Txn) error {
		if err := writeEffect(txn, eff); err != nil {
			return err
		}
		if rec != nil {
			return txn.Set(outboxKey(seq), rec)
		}
		return nil
	})
	if err != nil {
		return ev, false, fmt.Errorf("%s: %w", op, err)
	}
	s.index(eff)
	if rec != nil {
		s.outMu.Lock()
		s.outbox[ev.ID] = seq
		s.outMu.Unlock()
		s.signalReady()
	}
	return ev, true, nil
}

func outboxKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixOutbox}, seq)
}

// nextSeq returns an outbox sequence number above every earlier one, taken
// from the real clock so it keeps rising across restarts.
func (s *Store) nextSeq() uint64 {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.outSeq = max(s.outSeq+1, uint64(time.Now().UnixNano()))
	return s.outSeq
}

func (s *Store) signalReady() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Cursor is a replication consumer's position, stored with Apply.
type Cursor struct {
	Name  string // which consumer; empty means don't store a cursor
	Value []byte // opaque to the Store
}

// Apply applies events from another instance and stores cur, in one synced
// transaction, so a crash loses or keeps both together. Applying is
// idempotent and order-insensitive (session entries keep the latest until,
// user and all entries the latest cut-off). Apply writes no outbox
// records. A malformed event is logged and skipped, so one bad message
// can't stop replication. A batch too big for one Badger
// transaction is split; the cursor goes with the last part.
func (s *Store) Apply(ctx context.Context, events []Event, cur Cursor) error {
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("revocation: apply: %w", err)
	}
	defer s.life.RUnlock()
	now := s.now()
	effs := make([]effect, 0, len(events))
	for i := range events {
		ev := &events[i]
		err := ev.validate()
		var eff effect
		var ok bool
		if err == nil {
			eff, ok, err = s.effectOf(ev, now)
		}
		if err != nil {
			s.log.Warn("skipping a malformed replicated event", "event", fmt.Sprintf("%x", ev.ID), "origin", ev.Origin, "err", err)
			continue
		}
		if ok {
			effs = append(effs, eff)
		}
	}
	if err := s.applyEffects(effs, cur); err != nil {
		return fmt.Errorf("revocation: apply: %w", err)
	}
	return nil
}

func (s *Store) applyEffects(effs []effect, cur Cursor) error {
	err := s.update(func(txn *badger.Txn) error {
		for _, eff := range effs {
			if err := writeEffect(txn, eff); err != nil {
				return err
			}
		}
		if cur.Name != "" {
			return txn.Set(append([]byte{prefixCursor}, cur.Name...), append([]byte(nil), cur.Value...))
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) && len(effs) > 1 {
		// Applying is idempotent: a crash between the halves replays both.
		half := len(effs) / 2
		if err := s.applyEffects(effs[:half], Cursor{}); err != nil {
			return err
		}
		return s.applyEffects(effs[half:], cur)
	}
	if err != nil {
		return err
	}
	for _, eff := range effs {
		s.index(eff)
	}
	return nil
}

// Cursor returns the value stored by Apply under name, or nil, nil if none.
func (s *Store) Cursor(name string) ([]byte, error) {
	if err := s.begin(context.Background()); err != nil {
		return nil, fmt.Errorf("revocation: cursor: %w", err)
	}
	defer s.life.RUnlock()
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(append([]byte{prefixCursor}, name...))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("revocation: cursor %q: %w", name, err)
	}
	return v, nil
}

// Outbox returns up to max pending local events, oldest first (max <= 0
// means 100). A record stays until AckOutbox removes it.
func (s *Store) Outbox(ctx context.Context, max int) ([]Event, error) {
	if err := s.begin(ctx); err != nil {
		return nil, fmt.Errorf("revocation: outbox: %w", err)
	}
	defer s.life.RUnlock()
	if max <= 0 {
		max = 100
	}
	var evs []Event
	err := s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixOutbox}
		opt.PrefetchValues = false
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid() && len(evs) < max; it.Next() {
			var ev Event
			if err := it.Item().Value(ev.UnmarshalBinary); err != nil {
				return fmt.Errorf("record %x: %w", it.Item().Key(), err)
			}
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("revocation: outbox: %w", err)
	}
	return evs, nil
}

// AckOutbox removes the outbox records of the events with these IDs, once
// they are published. Unknown IDs are ignored.
func (s *Store) AckOutbox(ctx context.Context, ids ...[16]byte) error {
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("revocation: ack outbox: %w", err)
	}
	defer s.life.RUnlock()
	s.outMu.Lock()
	seqs := make(map[[16]byte]uint64, len(ids))
	for _, id := range ids {
		if seq, ok := s.outbox[id]; ok {
			seqs[id] = seq
		}
	}
	s.outMu.Unlock()
	if len(seqs) == 0 {
		return nil
	}
	const chunk = 1000
	pending := make([][16]byte, 0, len(seqs))
	for id := range seqs {
		pending = append(pending, id)
	}
	for len(pending) > 0 {
		part := pending[:min(chunk, len(pending))]
		pending = pending[len(part):]
		err := s.update(func(txn *badger.Txn) error {
			for _, id := range part {
				if err := txn.Delete(outboxKey(seqs[id])); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("revocation: ack outbox: %w", err)
		}
		s.outMu.Lock()
		for _, id := range part {
			delete(s.outbox, id)
		}
		s.outMu.Unlock()
	}
	return nil
}

// OutboxReady receives (non-blocking, capacity 1) whenever an outbox record
// is added, and once after Open if records are pending.
func (s *Store) OutboxReady() <-chan struct{} { return s.ready }

// Stats describes the list.
type Stats struct {
	Sessions    int       `json:"sessions"`         // revoked session IDs in the index
	Users       int       `json:"users"`            // users with a cut-off
	All         time.Time `json:"all,omitzero"`     // global cut-off; zero (and left out of JSON) if none
	DiskBytes   int64     `json:"disk_bytes"`       // space used by Badger's LSM and value-log files
	LastGC      time.Time `json:"last_gc,omitzero"` // last housekeeping run; zero (and left out) if none yet
	OutboxDepth int       `json:"outbox_depth"`     // local events not yet acknowledged
}

// Stats reports the list's size. It works on a closed store too (with
// DiskBytes from the directory).
func (s *Store) Stats() Stats {
	st := Stats{Sessions: s.sessions.len(), All: fromNanos(s.all.Load()), LastGC: fromNanos(s.lastGC.Load())}
	st.Users = s.users.len()
	s.outMu.Lock()
	st.OutboxDepth = len(s.outbox)
	s.outMu.Unlock()
	st.DiskBytes = diskBytes(s.dir)
	return st
}

// diskBytes sums the space taken by Badger's table and value-log files in
// dir (blocks allocated, where the platform says: value-log files are
// preallocated sparsely).
func diskBytes(dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if ext != ".sst" && ext != ".vlog" {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n += allocated(fi)
		}
	}
	return n
}

func (s *Store) gcLoop(every time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.gcStop:
			return
		case <-t.C:
			if err := s.RunGC(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn("revocation housekeeping failed", "err", err)
			}
		}
	}
}

// RunGC runs housekeeping now: drops entries expired by Config.Now from
// the index and runs Badger's value-log GC (Badger drops expired entries on
// disk by itself, by the real clock, during compaction). It runs in the
// background every Config.GCInterval.
func (s *Store) RunGC(ctx context.Context) error {
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("revocation: gc: %w", err)
	}
	defer s.life.RUnlock()
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	now := s.now()
	life := int64(s.cfg.AbsoluteLifetime)
	s.sessions.sweep(now)
	s.users.sweep(now, life)
	if a := s.all.Load(); a != 0 && a+life <= now {
		s.all.CompareAndSwap(a, 0)
	}
	for ctx.Err() == nil {
		err := s.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			break
		}
		if err != nil {
			return fmt.Errorf("revocation: gc: %w", err)
		}
	}
	s.lastGC.Store(now)
	return ctx.Err()
}

// slogBadger routes Badger's logging through slog.
type slogBadger struct{ l *slog.Logger }

func (b slogBadger) msg(format string, args []any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...))
}

func (b slogBadger) Errorf(f string, a ...any) {
	b.l.Error(b.msg(f, a), "source", "badger")
}

func (b slogBadger) Warningf(f string, a ...any) {
	b.l.Warn(b.msg(f, a), "source", "badger")
}

func (b slogBadger) Infof(f string, a ...any) {
	if b.l.Enabled(context.Background(), slog.LevelDebug) {
		b.l.Debug(b.msg(f, a), "source", "badger")
	}
}

func (b slogBadger) Debugf(f string, a ...any) {
	if b.l.Enabled(context.Background(), slog.LevelDebug) {
		b.l.Debug(b.msg(f, a), "source", "badger")
	}
}
