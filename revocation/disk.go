package revocation

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrDiskFull matches the error of a write (RevokeSession, RevokeUser,
// RevokeAll, Apply, AckOutbox) refused because the filesystem holding the
// store has less free space than the store's reserve, and of Open on such
// a filesystem. The error names the directory, the free space and the
// reserve. Nothing was written; lookups keep answering from memory, and
// writes resume by themselves once space is freed: the caller may retry.
var ErrDiskFull = errors.New("revocation: disk full")

// Badger's sizes, chosen for a list of small entries (the defaults, 64 MiB
// memtables and 1 GiB value-log files, are sized for a database). The
// free-space reserve is worked out from them (see diskReserve).
const (
	memTableSize     = 512 << 10 // one memtable; its write-ahead log (.mem) is mapped at twice this
	numMemtables     = 2         // the one written and one waiting to be flushed: at most two logs on disk
	baseTableSize    = 512 << 10 // a table at level 1; Badger doubles it at each level below
	baseLevelSize    = 4 << 20   // level 1's target size; each level below is 10 times bigger
	numLevelZero     = 2         // level-0 tables that start a compaction
	valueLogFileSize = 1 << 20   // Badger's smallest; mapped at twice this, see valueThreshold
	// valueThreshold keeps every value in the LSM tree: values here are at
	// most an outbox record (under 5 KiB, with a MaxUserLen user ID), so
	// the value-log file is never written past its header page.
	valueThreshold = 64 << 10
	// maxBatch is the most one Badger transaction may write (Badger's
	// limit: 15% of the memtable size; a bigger one is ErrTxnTooBig).
	maxBatch = memTableSize * 15 / 100
	pageSize = 64 << 10 // the largest page size on the platforms Go supports, a file's first write
)

// diskReserve is the free space below which the store refuses writes: what
// Badger may write, or touch through a memory map, after the last write
// the store accepts. Badger writes its log and tables through sparse
// memory-mapped files; a page the filesystem can't back raises SIGBUS and
// kills the process, so the space must be there before Badger needs it:
//
//   - the write-ahead log of the next memtable (.mem), mapped whole at
//     2*memTableSize;
//   - the level-0 table the flush of a full memtable writes (.sst, at
//     most about memTableSize);
//   - a compaction of the level-0 tables into level 1, which writes its
//     output before removing its input: numLevelZero level-0 tables and
//     a level-1 table;
//   - a page each for the value log (.vlog), the discard file and the
//     manifest, which grow by small appends.
//
// The current memtable's log grows by at most maxBatch a transaction; the
// guard re-checks the free space before the writes it accepted could eat
// into the reserve (see diskGuard).
const diskReserve = 2*memTableSize + memTableSize + numLevelZero*memTableSize + baseTableSize + 3*pageSize

// diskRecheck is how long a measurement of the free space is trusted while
// writes are accepted.
const diskRecheck = 100 * time.Millisecond

// diskGuard refuses writes while the filesystem holding dir has less than
// reserve bytes free. It measures the free space (a statfs) at most every
// diskRecheck, and sooner once the transactions accepted since the last
// measurement, each counted at Badger's largest (maxBatch), could have
// used half the space above the reserve. While the disk is full it
// measures on every write, so writes resume as soon as space returns.
type diskGuard struct {
	dir     string
	reserve int64
	free    func(dir string) (int64, error) // freeSpace; -1 where unknown

	mu      sync.Mutex
	checked time.Time // monotonic; zero: never
	avail   int64     // free bytes at the last measurement
	spent   int64     // bytes counted against avail since
	err     error     // the ErrDiskFull of the last measurement, or nil
}

// unknownFree stands for the free space where it can't be measured.
const unknownFree = 1 << 62

func newDiskGuard(dir string) *diskGuard {
	return &diskGuard{dir: dir, reserve: diskReserve, free: freeSpace}
}

// admit returns an error wrapping ErrDiskFull if the filesystem is below
// the reserve, else counts one transaction against the free space.
func (g *diskGuard) admit() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil || time.Since(g.checked) >= diskRecheck || 2*(g.spent+maxBatch) > g.avail-g.reserve {
		g.measure()
	}
	if g.err == nil {
		g.spent += maxBatch
	}
	return g.err
}

// measure measures the free space. A failed statfs is logged by nobody and
// treated as plenty: the guard exists to avoid a crash, not to fail writes
// on a platform that can't tell.
func (g *diskGuard) measure() {
	g.checked, g.spent, g.err = time.Now(), 0, nil
	avail, err := g.free(g.dir)
	if err != nil || avail < 0 {
		g.avail = unknownFree
		return
	}
	g.avail = avail
	if avail < g.reserve {
		g.err = g.fullError(avail)
	}
}

func (g *diskGuard) fullError(avail int64) error {
	return fmt.Errorf("%w: %s: %s (%d bytes) free, below the reserve of %s (%d bytes) that Badger may need next",
		ErrDiskFull, g.dir, bytesIEC(avail), avail, bytesIEC(g.reserve), g.reserve)
}

// roomFor returns an error wrapping ErrDiskFull unless writing n more bytes
// (a file the store writes by itself, such as the index snapshot) would
// leave at least the reserve free. It measures now.
func (g *diskGuard) roomFor(n int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.measure()
	if g.err != nil || g.avail == unknownFree || g.avail-n >= g.reserve {
		return g.err
	}
	return fmt.Errorf("%w: %s: %s free; writing %s would leave less than the reserve of %s",
		ErrDiskFull, g.dir, bytesIEC(g.avail), bytesIEC(n), bytesIEC(g.reserve))
}

// DiskStatus says whether a Store accepts writes, and the free space on
// its directory's filesystem: for a health check and metrics.
type DiskStatus struct {
	// Free is the space free at the last measurement, at most 100 ms
	// old; -1 where it can't be measured (no statfs: writes are never
	// refused there).
	Free int64 `json:"free"`
	// Reserve is the free space below which writes are refused.
	Reserve int64 `json:"reserve"`
	// Refused is why writes are refused: an error wrapping ErrDiskFull,
	// naming the directory, the free space and the reserve. Nil while
	// writes are accepted.
	Refused error `json:"-"`
}

// Disk reports whether the store accepts writes. It measures the free
// space again if the last measurement is older than 100 ms, so a health
// check sees space return without waiting for a write. It works on a
// closed store too.
func (s *Store) Disk() DiskStatus {
	g := s.disk
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.checked) >= diskRecheck {
		g.measure()
	}
	if g.avail == unknownFree {
		return DiskStatus{Free: -1, Reserve: g.reserve}
	}
	return DiskStatus{Free: g.avail, Reserve: g.reserve, Refused: g.err}
}

// bytesIEC formats n bytes for a person: 1.5 MiB.
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.2f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
