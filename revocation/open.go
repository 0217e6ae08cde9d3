package revocation

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/y"
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
	// MaxClockSkew bounds how far ahead of this store's clock a cut-off
	// may lie: a user or all revocation, local or replicated, whose
	// cut-off is later than now+MaxClockSkew when the store applies it is
	// lowered to now+MaxClockSkew (see [Event.Clamp]), so a mistaken or
	// forged future cut-off can't lock out logins made after it. Set it to
	// the clock skew instances may have (NTP keeps it far below the
	// default). Default 2 minutes; negative is refused.
	MaxClockSkew time.Duration
	// GCInterval is how often housekeeping (dropping expired entries from
	// the index, Badger value-log GC) runs. Default 10 minutes; negative
	// turns the background run off (RunGC still works).
	GCInterval time.Duration
	// LoginsPerUser turns the login registry on (see Store.RecordLogin):
	// it keeps each user's newest LoginsPerUser logins. Default 0: off,
	// costing nothing.
	LoginsPerUser int
	// MaxLogins bounds the registry's entries across users; past it the
	// oldest go. Default DefaultMaxLogins when the registry is on.
	MaxLogins int
}

// DefaultAbsoluteLifetime is Config.AbsoluteLifetime's default.
const DefaultAbsoluteLifetime = 30 * 24 * time.Hour

// DefaultMaxClockSkew is Config.MaxClockSkew's default.
const DefaultMaxClockSkew = 2 * time.Minute

// MaxAbsoluteLifetime is the longest Config.AbsoluteLifetime Open accepts
// (100 years): entries' expiry times must stay within Unix nanoseconds
// (year 2262), which longer lifetimes overflow.
const MaxAbsoluteLifetime = 100 * 365 * 24 * time.Hour

// withDefaults fills in cfg's defaults, except AbsoluteLifetime's: that
// one depends on what the directory recorded (see Store.settleLifetime).
func (cfg Config) withDefaults() Config {
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	cfg.Node = cutOrigin(cfg.Node)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxClockSkew == 0 {
		cfg.MaxClockSkew = DefaultMaxClockSkew
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = 10 * time.Minute
	}
	if cfg.LoginsPerUser > 0 && cfg.MaxLogins <= 0 {
		cfg.MaxLogins = DefaultMaxLogins
	}
	return cfg
}

// Open opens (creating if needed, parents included, with mode 0700) the
// revocation list in dir and loads it into memory. It refuses, with an
// error naming the directory:
//   - a directory held by another process: ErrLocked;
//   - a directory that group or others may write: ErrInsecureMode;
//   - a filesystem with less free space than the store's reserve:
//     ErrDiskFull (Badger, writing through memory maps, would be killed
//     by SIGBUS);
//   - a directory that lost writes the store acknowledged, or whose files
//     fail their checksums: ErrCorrupt.
func Open(dir string, cfg Config) (*Store, error) {
	lifeGiven := cfg.AbsoluteLifetime > 0
	if !lifeGiven {
		cfg.AbsoluteLifetime = DefaultAbsoluteLifetime
	}
	cfg = cfg.withDefaults()
	if dir == "" {
		return nil, fmt.Errorf("revocation: open: %w: empty directory name", ErrInvalid)
	}
	if cfg.AbsoluteLifetime > MaxAbsoluteLifetime {
		return nil, fmt.Errorf("revocation: open %s: %w: AbsoluteLifetime %v is longer than MaxAbsoluteLifetime (%v)", dir, ErrInvalid, cfg.AbsoluteLifetime, MaxAbsoluteLifetime)
	}
	if cfg.MaxClockSkew < 0 {
		return nil, fmt.Errorf("revocation: open %s: %w: MaxClockSkew %v is negative", dir, ErrInvalid, cfg.MaxClockSkew)
	}
	s := &Store{dir: dir, cfg: cfg, log: cfg.Logger.With("component", "revocation", "dir", dir),
		index: newMemIndex(), logins: newLoginSet(cfg.LoginsPerUser, cfg.MaxLogins), out: newOutbox(), gc: newHousekeeping(), disk: newDiskGuard(dir)}
	if err := s.openFiles(lifeGiven); err != nil {
		return nil, err
	}
	s.out.signalIfPending()
	s.gc.start(s, cfg.GCInterval)
	return s, nil
}

// openFiles checks dir, opens Badger and the high-water file, checks that
// no acknowledged write is missing, and loads the list.
func (s *Store) openFiles(lifeGiven bool) (err error) {
	dir := s.dir
	if err := ensureDir(dir); err != nil {
		return fmt.Errorf("revocation: open %s: %w", dir, err)
	}
	if err := checkDirMode(dir); err != nil {
		return err
	}
	if err := s.disk.admit(); err != nil {
		return fmt.Errorf("revocation: open: %w", err)
	}
	snap := preloadSnapshot(dir, s.now())
	defer func() {
		if snap != nil { // not handed to load
			(<-snap).discard()
		}
	}()
	hw, found, err := openHighWater(dir)
	if err != nil {
		return fmt.Errorf("revocation: open %s: %w", dir, err)
	}
	if s.db, err = openBadger(dir, s.log); err != nil {
		hw.close()
		return err
	}
	s.hw = hw
	defer func() {
		if err != nil {
			s.db.Close()
			hw.close()
		}
	}()
	if err := s.checkHighWater(found); err != nil {
		return err
	}
	if err := s.settleLifetime(lifeGiven); err != nil {
		return fmt.Errorf("revocation: open %s: %w", dir, err)
	}
	loaded := <-snap
	snap = nil
	if err := s.load(loaded); err != nil {
		return fmt.Errorf("revocation: open %s: load: %w", dir, err)
	}
	if err := s.loadLogins(); err != nil {
		return fmt.Errorf("revocation: open %s: load: %w", dir, err)
	}
	return nil
}

// checkHighWater fails with ErrCorrupt if Badger lost acknowledged writes.
// A missing high-water file (a new directory, or one from a version
// before it) can't tell; the first write records it.
func (s *Store) checkHighWater(found bool) error {
	if found {
		return s.hw.check(s.db, s.dir)
	}
	if v, err := writtenVersion(s.db); err == nil && v > 0 {
		s.log.Warn("revocation: the high-water file was missing from a directory with writes; lost writes can't be detected on this open", "file", highWaterFile)
	}
	return nil
}

// ensureDir creates dir (and its parents, mode 0700) if it is missing and
// checks it is a directory.
func ensureDir(dir string) error {
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create directory: %w", err)
		}
	case err != nil:
		return err
	case !fi.IsDir():
		return errors.New("not a directory")
	}
	return nil
}

// openBadger opens Badger in dir, telling a directory held by another
// process (ErrLocked) and files that fail their checksums (ErrCorrupt)
// from one Badger can't read.
func openBadger(dir string, log *slog.Logger) (*badger.DB, error) {
	db, err := badger.Open(badgerOptions(dir, log))
	if err == nil {
		return db, nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Cannot acquire directory lock"):
		// Badger formats its lock error without %w; its text is all there is.
		return nil, fmt.Errorf("%w: %s: %v", ErrLocked, dir, err)
	case errors.Is(err, y.ErrChecksumMismatch) || strings.Contains(msg, "checksum"):
		return nil, fmt.Errorf("%w: %s: badger: %v; restore it from a backup, or move it aside to start empty", ErrCorrupt, dir, err)
	}
	return nil, fmt.Errorf("revocation: open %s: badger: %v (is the directory damaged or not a revocation store? move it aside to start empty)", dir, err)
}

// badgerOptions shrinks Badger for a list of small entries: the defaults
// (64 MB memtables, 256 MB block cache, 1 GB value-log files) are sized for
// a database, not a list. The sizes are disk.go's constants, from which
// the free-space reserve is worked out.
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(slogBadger{log}).
		WithSyncWrites(true). // an acknowledged revocation survives a crash
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithNumLevelZeroTables(numLevelZero).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(baseTableSize).
		WithBaseLevelSize(baseLevelSize).
		WithBlockCacheSize(0). // no compression or encryption: blocks are read from the mmap
		WithIndexCacheSize(0).
		WithCompression(options.None).
		WithValueLogFileSize(valueLogFileSize).
		WithValueThreshold(valueThreshold).
		WithChecksumVerificationMode(options.OnTableRead). // a damaged table fails Open
		WithVerifyValueChecksum(true).
		WithCompactL0OnClose(false).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithMetricsEnabled(false).
		WithDetectConflicts(true)
}

// load rebuilds the in-memory index and outbox map: from the index
// snapshot (read while Badger opened) and what Badger wrote after it when
// the snapshot can be trusted, else from Badger entry by entry. It is the
// recovery after a restart or a crash. It takes snap's index or closes it.
func (s *Store) load(snap snapshotResult) error {
	id, err := s.storeID()
	if err != nil {
		snap.discard()
		return fmt.Errorf("store ID: %w", err)
	}
	s.snap.id = id
	now := s.now()
	if err = snap.err; err == nil {
		if err = snap.snap.check(id, s.db.MaxVersion()); err != nil {
			snap.discard()
		}
	}
	switch {
	case err == nil:
		s.index.sessions = snap.snap.x
		s.snap.saved.Store(snap.snap.version)
		return s.loadSince(now, snap.snap.version)
	case !errors.Is(err, fs.ErrNotExist):
		s.log.Warn("revocation: index snapshot not used; reading every entry", "dir", s.dir, "err", err)
		if err := os.Remove(filepath.Join(s.dir, snapshotFile)); err != nil {
			return fmt.Errorf("remove untrusted snapshot: %w", err)
		}
	}
	return s.loadAll(now)
}

// loadAll reads every entry and outbox record from Badger.
func (s *Store) loadAll(now int64) error {
	// Size the index from Badger's table key counts (an overestimate: it
	// counts every kind of key and stale versions).
	var keys int
	for _, t := range s.db.Tables() {
		keys += int(t.KeyCount)
	}
	if keys > 0 {
		s.index.sessions.reserve(keys)
	}
	return s.db.View(func(txn *badger.Txn) error {
		return s.scan(txn, s.loadEntry(now), s.out.loadRecord)
	})
}

// loadSince reads what the snapshot lacks: every key but sessions, and the
// session entries Badger wrote after version.
func (s *Store) loadSince(now int64, version uint64) error {
	return s.db.View(func(txn *badger.Txn) error {
		if err := s.scanOthers(txn, s.loadEntry(now), s.out.loadRecord); err != nil {
			return err
		}
		return s.scanSessionsSince(txn, version, s.loadEntry(now))
	})
}

// loadEntry returns the function that puts an entry read at load into the
// index, unless it expired by now.
func (s *Store) loadEntry(now int64) func(entry) error {
	return func(e entry) error {
		if e.exp > now {
			s.index.apply(e)
		}
		return nil
	}
}

// metaLifetime is where a store records its absolute lifetime, so that a
// tool opening the directory without being told (sealctl) keeps entries
// as long as the server that owns it.
var metaLifetime = []byte{prefixMeta, 'l', 'i', 'f', 'e'}

// settleLifetime settles the store's absolute lifetime: the one given in
// Config, else the one the directory recorded, else the default; and
// records it.
func (s *Store) settleLifetime(given bool) error {
	stored, err := s.recordedLifetime()
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
	err = s.update(func(txn *badger.Txn) error {
		return txn.Set(metaLifetime, binary.BigEndian.AppendUint64(nil, uint64(s.cfg.AbsoluteLifetime)))
	})
	if err != nil {
		return fmt.Errorf("record absolute lifetime: %w", err)
	}
	return nil
}

// recordedLifetime returns the lifetime the directory recorded, 0 if none.
func (s *Store) recordedLifetime() (time.Duration, error) {
	var stored time.Duration
	err := s.db.View(func(txn *badger.Txn) error {
		v, found, err := getValue(txn, metaLifetime)
		if !found || err != nil {
			return err
		}
		if len(v) != 8 {
			return fmt.Errorf("recorded absolute lifetime of %d bytes, want 8", len(v))
		}
		stored = time.Duration(binary.BigEndian.Uint64(v))
		return nil
	})
	return stored, err
}
