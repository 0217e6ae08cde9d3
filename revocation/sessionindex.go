package revocation

import (
	"crypto/rand"
	"encoding/binary"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// sessionIndex is the in-memory set of revoked session IDs with the time
// each entry may be dropped, kept compact for lists of tens of millions.
//
// An entry is 12 bytes: a keyed 64-bit fingerprint of the session ID and
// its until in whole Unix seconds, rounded up (an entry may outlive its
// until by less than a second, never the reverse). The table is 256
// shards of equal size, each a Robin Hood hash table with linear probing:
// a lookup stops as soon as it passes the place the fingerprint would have
// taken, so a miss reads about as many slots as a hit (one or two cache
// lines) even with the shard 92% full.
//
// Lookups take no lock and write no shared memory: a shard's writer holds
// its mutex and makes its sequence number odd while it changes slots; a
// reader reads the sequence, the slots (atomically, word by word) and the
// sequence again, and trusts what it read only if the sequence is even
// and unchanged, else looks again, at last under the read lock. So a
// lookup is a few plain loads, and consecutive lookups overlap their
// memory accesses instead of waiting for each other's lock instructions.
// A lookup allocates nothing. A Bloom filter in front of the table
// (filter.go) answers most misses without reading the table.
//
// The shards lie side by side in one slab (slab.go), on Linux a mapping
// with transparent huge pages once the table is large. When a shard would
// pass maxFill, the whole table moves to a larger slab, one shard at a
// time; writers wait for the whole move, readers never wait. A sweep
// deletes expired entries in place and moves the table to a smaller slab
// only when it has become mostly empty. A slab left behind gives its
// memory back at once, but stays mapped (reading zeros) until the index
// is unreachable, since a reader may still be looking into it; close does
// the same with the last one.
//
// The fingerprint is keyed with a random per-process seed, so an
// operator-supplied or replicated ID can't be chosen to pile up in one
// probe run. Two IDs share a fingerprint with probability 2^-64 per pair:
// with n revoked IDs, a live session is taken for revoked (its user is
// logged out, nothing is let in) with probability about n/2^64 per
// session, about 5e-13 at 10 million entries. A fingerprint never lets a
// revoked session in: the revoked ID's own fingerprint is always found.
type sessionIndex struct {
	seed0, seed1 uint64
	// resize is held for reading by puts and sweeps, for writing by a
	// move to another slab and by close; it guards table.
	resize sync.RWMutex
	table  *table
	filter atomic.Pointer[filter] // nil: no table yet; set or replaced under resize
	shards [numShards]shard
}

// table is the slab the shards lie in, the slabs they left, and the size
// of each shard. It is apart from sessionIndex so that the cleanup that
// unmaps the slabs once the index is unreachable does not keep the index
// alive.
type table struct {
	slab    *slab
	retired []*slab // released, still mapped: a reader may be in one
	size    int     // slots per shard
	closed  bool    // released for good: puts are dropped
	mapMin  int     // the smallest slab mapped, in bytes: hugeMin (tests lower it)
}

// retire releases the current slab's memory and, if it is a mapping,
// keeps it mapped until free. A slab on the Go heap is left to the garbage
// collector, which keeps it while a reader still uses it.
func (t *table) retire() {
	if s := t.slab; s != nil {
		s.release(0, len(s.slots))
		if s.mapped() {
			t.retired = append(t.retired, s)
		}
		t.slab = nil
	}
}

// free unmaps every slab; the index that used them is unreachable.
func (t *table) free() {
	t.retire()
	for _, s := range t.retired {
		s.free()
	}
	t.retired = nil
}

const numShards = 256

// slot is one entry: the fingerprint in two halves (so a slot is 12 bytes,
// not 16) and until in Unix seconds. fp 0 marks an empty slot. Slots a
// reader may see are written and read with atomic operations.
type slot struct {
	fpLo, fpHi uint32
	until      uint32
}

func (s *slot) fp() uint64 { return uint64(s.fpHi)<<32 | uint64(s.fpLo) }

// loadFP reads the fingerprint of a slot a writer may be changing.
func (s *slot) loadFP() uint64 {
	return uint64(atomic.LoadUint32(&s.fpHi))<<32 | uint64(atomic.LoadUint32(&s.fpLo))
}

func newSlot(fp uint64, until uint32) slot {
	return slot{fpLo: uint32(fp), fpHi: uint32(fp >> 32), until: until}
}

type shard struct {
	seq   atomic.Uint32          // odd while a writer changes the slots readers see
	view  atomic.Pointer[[]slot] // the slots readers see; nil: none
	mu    sync.RWMutex           // writers; readers when seq keeps changing
	slots []slot                 // this shard's part of the table's slab (what view points to)
	n     int
	_     [64]byte // 128 bytes a shard: neighbouring shards never share a cache line
}

// The table grows when a shard would pass maxFill percent full, so that
// the fullest shard is growFill percent full; reserve sizes it to
// growFill. A sweep that leaves the fullest shard under shrinkFill percent
// full shrinks it.
const (
	maxFill    = 92
	growFill   = 80
	shrinkFill = 30
)

func newSessionIndex() *sessionIndex {
	var seed [16]byte
	if _, err := rand.Read(seed[:]); err != nil {
		panic("revocation: crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails on supported platforms
	}
	return seededSessionIndex(binary.LittleEndian.Uint64(seed[:8])|1, binary.LittleEndian.Uint64(seed[8:]))
}

// seededSessionIndex returns an empty index with the given fingerprint
// seeds (a snapshot's).
func seededSessionIndex(seed0, seed1 uint64) *sessionIndex {
	x := &sessionIndex{seed0: seed0, seed1: seed1, table: &table{mapMin: hugeMin}}
	runtime.AddCleanup(x, (*table).free, x.table)
	return x
}

// fingerprint is the keyed 64-bit hash of id, never 0 (the empty mark).
func (x *sessionIndex) fingerprint(id *[16]byte) uint64 {
	a := binary.LittleEndian.Uint64(id[:8]) ^ x.seed0
	b := binary.LittleEndian.Uint64(id[8:]) ^ x.seed1
	hi, lo := bits.Mul64(a, b^0x9E3779B97F4A7C15)
	if fp := hi ^ lo; fp != 0 {
		return fp
	}
	return 1
}

// toSeconds rounds a Unix-nanosecond until up to whole seconds, clamped to
// what a slot holds (until the year 2106).
func toSeconds(until int64) uint32 {
	s := (until + 1e9 - 1) / 1e9
	return uint32(min(max(s, 1), math.MaxUint32))
}

// floorSeconds is now (Unix nanoseconds) in whole seconds, rounded down: a
// slot whose until is at or before it has expired.
func floorSeconds(now int64) uint32 {
	return uint32(min(max(now/1e9, 0), math.MaxUint32))
}

// home returns the place of fingerprint fp in a table of n slots. The
// shard was chosen by the fingerprint's low byte, so home uses the high
// bits.
func home(fp uint64, n int) int {
	hi, _ := bits.Mul64(fp, uint64(n))
	return int(hi)
}

// distance is how far slot i of a table of n slots lies past the home of
// fingerprint fp.
func distance(fp uint64, i, n int) int {
	d := i - home(fp, n)
	if d < 0 {
		d += n
	}
	return d
}

// shardSize is the table size that holds n entries growFill percent full.
func shardSize(n int) int {
	if n == 0 {
		return 0
	}
	return n*100/growFill + 8
}

// get returns the entry for id: until in Unix nanoseconds.
func (x *sessionIndex) get(id *[16]byte) (int64, bool) {
	fp := x.fingerprint(id)
	if f := x.filter.Load(); f != nil && !f.mayHave(fp) {
		return 0, false
	}
	sh := &x.shards[fp%numShards]
	for range 3 {
		seq := sh.seq.Load()
		if seq&1 != 0 {
			break // a writer is at work: wait for it below
		}
		var until uint32
		var ok bool
		if v := sh.view.Load(); v != nil {
			until, ok = lookup(*v, fp)
		}
		if sh.seq.Load() == seq {
			return int64(until) * 1e9, ok
		}
	}
	sh.mu.RLock()
	until, ok := lookup(sh.slots, fp)
	sh.mu.RUnlock()
	return int64(until) * 1e9, ok
}

// lookup finds fp in slots. A writer may be changing them: the caller
// checks the shard's sequence afterwards, and a torn read only ends the
// search early (every step moves one slot on, and dist passes any
// distance within len(slots) steps).
func lookup(slots []slot, fp uint64) (uint32, bool) {
	n := len(slots)
	if n == 0 {
		return 0, false
	}
	for i, dist := home(fp, n), 0; ; dist++ {
		s := &slots[i]
		f := s.loadFP()
		if f == fp {
			return atomic.LoadUint32(&s.until), true
		}
		// Robin Hood: an empty slot, or an entry nearer its home than fp
		// would be here, means fp is not in the table.
		if f == 0 || distance(f, i, n) < dist {
			return 0, false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// put records id until until (Unix nanoseconds), keeping the later time if
// id is present.
func (x *sessionIndex) put(id [16]byte, until int64) {
	if until <= 0 {
		return
	}
	x.putSlot(newSlot(x.fingerprint(&id), toSeconds(until)))
}

// putSlot records e, keeping the later until if its fingerprint is
// present. A shard with no room grows the whole table first.
func (x *sessionIndex) putSlot(e slot) {
	sh := &x.shards[e.fp()%numShards]
	for {
		x.resize.RLock()
		if x.table.closed {
			x.resize.RUnlock()
			return
		}
		sh.mu.Lock()
		size := len(sh.slots)
		room := (sh.n+1)*100 <= size*maxFill
		if room {
			x.filter.Load().add(e.fp()) // before the table: a reader must not rule it out once it is there
			sh.seq.Add(1)
			sh.insert(e, true)
			sh.seq.Add(1)
		}
		sh.mu.Unlock()
		x.resize.RUnlock()
		if room {
			return
		}
		x.grow(size)
	}
}

// loadSlot is putSlot for an index no one else can see yet (one being
// built from a snapshot): no locks, plain writes.
func (x *sessionIndex) loadSlot(e slot) {
	sh := &x.shards[e.fp()%numShards]
	if (sh.n+1)*100 > len(sh.slots)*maxFill {
		x.grow(len(sh.slots))
	}
	x.filter.Load().addPrivate(e.fp())
	sh.insert(e, false)
}

// set writes slot i; live means readers may be looking.
func (sh *shard) set(i int, e slot, live bool) {
	s := &sh.slots[i]
	if !live {
		*s = e
		return
	}
	atomic.StoreUint32(&s.fpLo, e.fpLo)
	atomic.StoreUint32(&s.fpHi, e.fpHi)
	atomic.StoreUint32(&s.until, e.until)
}

// insert places e by Robin Hood: it takes the place of the first entry
// nearer its home than e is, and carries that entry on. The caller holds
// the write lock, has made room and, if live, made the sequence odd.
func (sh *shard) insert(e slot, live bool) {
	n := len(sh.slots)
	fp := e.fp()
	for i, dist := home(fp, n), 0; ; dist++ {
		s := sh.slots[i]
		f := s.fp()
		switch {
		case f == 0:
			sh.set(i, e, live)
			sh.n++
			return
		case f == fp:
			if e.until > s.until {
				s.until = e.until
				sh.set(i, s, live)
			}
			return
		}
		if d := distance(f, i, n); d < dist {
			sh.set(i, e, live)
			e, fp, dist = s, f, d
		}
		if i++; i == n {
			i = 0
		}
	}
}

// removeAt deletes slot i by shifting the entries after it back one
// place, up to an empty slot or an entry at its home, so that no probe
// run is broken. The caller holds the write lock and has made the
// sequence odd.
func (sh *shard) removeAt(i int) {
	n := len(sh.slots)
	for {
		j := i + 1
		if j == n {
			j = 0
		}
		next := sh.slots[j]
		if f := next.fp(); f == 0 || distance(f, j, n) == 0 {
			sh.set(i, slot{}, true)
			sh.n--
			return
		}
		sh.set(i, next, true)
		i = j
	}
}

// dropExpired deletes, in place, the entries whose until is at or before
// cut (Unix seconds). The caller holds the write lock.
func (sh *shard) dropExpired(cut uint32) {
	for i := 0; i < len(sh.slots); {
		if s := &sh.slots[i]; s.fp() != 0 && s.until <= cut {
			if sh.seq.Load()&1 == 0 {
				sh.seq.Add(1)
			}
			sh.removeAt(i) // slot i now holds the entry that followed: look again
			continue
		}
		i++
	}
	if sh.seq.Load()&1 != 0 {
		sh.seq.Add(1)
	}
}
