package revocation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Errors callers can branch on with errors.Is.
var (
	// ErrLocked means the directory is held by another process (Badger
	// locks its directory), such as the running server that owns it.
	ErrLocked = errors.New("revocation: directory locked by another process")
	// ErrClosed is returned by every method of a closed Store.
	ErrClosed = errors.New("revocation: store closed")
	// ErrInvalid marks a malformed event or argument.
	ErrInvalid = errors.New("revocation: invalid")
	// ErrFailed means a write to Badger failed, so what is on disk is
	// unknown: the Store refuses to answer (Revoked returns an error) until
	// it is closed and opened again.
	ErrFailed = errors.New("revocation: store failed")
)

// Store is the revocation and flush list: Badger on disk, an in-memory
// index for the request path. It satisfies sessions.Revoker. Safe for
// concurrent use.
//
// Its work is spread over one file per concern: open.go (Open, recovery),
// write.go (local revocations), outbox.go (events waiting for a
// replicator), apply.go (events from other instances), gc.go
// (housekeeping), stats.go; entry.go holds the on-disk layout they share;
// disk.go the free-space reserve, highwater.go the detection of lost
// writes, perm.go the data directory's permissions.
type Store struct {
	db  *badger.DB
	dir string
	cfg Config // after defaults; immutable
	log *slog.Logger

	writes writeStats // counts of update (latency.go)

	lifecycle              // guards writes against Close; remembers a failure
	index     memIndex     // what Revoked reads
	logins    *loginSet    // the login registry in memory (logins.go)
	out       outbox       // local events not yet acknowledged by a replicator
	gc        housekeeping // the background GC run
	snap      snapshotState
	disk      *diskGuard // refuses writes while the disk is below the reserve
	hw        *highWater // the highest write version acknowledged
}

// snapshotState is what the store knows of its index snapshot.
type snapshotState struct {
	id    [16]byte      // the directory's store ID, bound into snapshots
	saved atomic.Uint64 // Badger version of the last snapshot written or loaded
}

// lifecycle guards writes against Close and holds the reason the store
// can't answer, if any.
type lifecycle struct {
	mu     sync.RWMutex // writers hold it for reading; Close for writing
	closed bool
	fail   atomic.Pointer[error] // non-nil: closed or broken; Revoked returns it
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
	if s.index.revoked(&id, userID, created.UnixNano()) {
		return true, nil
	}
	// Close stores ErrClosed before it gives the index's memory back, and a
	// slot read after that reads as empty: a miss that raced Close is
	// ErrClosed, never a "not revoked" read from released memory.
	if p := s.fail.Load(); p != nil {
		return false, *p
	}
	return false, nil
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

func (s *Store) now() int64 { return s.cfg.Now().UnixNano() }

// Close stops housekeeping and closes Badger. Methods called afterwards
// return ErrClosed; Revoked too. Close waits for writes in progress.
func (s *Store) Close() error {
	s.lifecycle.mu.Lock()
	if s.closed {
		s.lifecycle.mu.Unlock()
		return nil
	}
	s.closed = true
	err := ErrClosed
	s.fail.Store(&err)
	s.lifecycle.mu.Unlock()
	s.gc.stopAndWait()
	if err := s.saveSnapshot(); err != nil {
		s.log.Warn("revocation: index snapshot not written; the next Open reads every entry from Badger", "err", err)
	}
	s.index.sessions.close() // the table may be a mapping the GC does not free
	cerr := s.db.Close()
	if herr := s.hw.close(); cerr == nil {
		cerr = herr
	}
	if cerr != nil {
		return fmt.Errorf("revocation: close %s: %w", s.dir, cerr)
	}
	return nil
}

// begin guards an operation against Close: it fails if the store is
// closed or failed. Unless it returns an error, the caller must call end.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.lifecycle.mu.RLock()
	if s.closed {
		s.lifecycle.mu.RUnlock()
		return ErrClosed
	}
	if p := s.fail.Load(); p != nil {
		s.lifecycle.mu.RUnlock()
		return *p
	}
	return nil
}

// end ends what begin started.
func (s *Store) end() { s.lifecycle.mu.RUnlock() }

// update runs fn in a read-write transaction, retrying on conflicts with
// concurrent writers, then records the commit in the high-water file. A
// disk below the reserve refuses it (ErrDiskFull) before Badger is
// touched. Any other failure marks the store failed.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	if err := s.disk.admit(); err != nil {
		return err
	}
	var err error
	defer s.writes.done(time.Now(), &err)
	for range 20 {
		err = s.db.Update(func(txn *badger.Txn) error {
			if err := fn(txn); err != nil {
				return err
			}
			return txn.Set(metaWritten, nil)
		})
		if !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err == nil {
		err = s.hw.record(s.db)
	}
	if err != nil && !errors.Is(err, badger.ErrConflict) && !errors.Is(err, ErrInvalid) && !errors.Is(err, badger.ErrTxnTooBig) {
		s.markFailed(err)
	}
	return err
}

// broken reports whether a write failed (not merely a Close).
func (s *Store) broken() bool {
	p := s.fail.Load()
	return p != nil && errors.Is(*p, ErrFailed)
}

func (s *Store) markFailed(cause error) {
	err := fmt.Errorf("%w: %s: %v", ErrFailed, s.dir, cause)
	if s.fail.CompareAndSwap(nil, &err) {
		s.log.Error("revocation store failed; refusing to answer until reopened", "err", cause)
	}
}
