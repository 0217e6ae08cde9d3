package revocation

import (
	"crypto/rand"
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// memIndex is the list in memory, what Revoked reads: revoked session IDs,
// users' cut-offs and the global cut-off. Updates keep the later value, so
// writers in any order converge.
type memIndex struct {
	sessions *sessionIndex
	users    *userIndex
	all      atomic.Int64 // global cut-off, Unix nanoseconds; 0 none
}

func newMemIndex() memIndex {
	return memIndex{sessions: newSessionIndex(), users: newUserIndex()}
}

// revoked reports whether the session is dead; created is in Unix
// nanoseconds.
func (x *memIndex) revoked(id *[16]byte, user string, created int64) bool {
	if a := x.all.Load(); a != 0 && a >= created {
		return true
	}
	if user != "" {
		if at, ok := x.users.get(user); ok && at >= created {
			return true
		}
	}
	_, ok := x.sessions.get(id)
	return ok
}

// apply adds e, once it is committed.
func (x *memIndex) apply(e entry) {
	switch e.kind {
	case KindSession:
		x.sessions.put([16]byte(e.key[1:]), e.val)
	case KindUser:
		x.users.put(string(e.key[1:]), e.val)
	case KindAll:
		for {
			old := x.all.Load()
			if old >= e.val || x.all.CompareAndSwap(old, e.val) {
				break
			}
		}
	}
}

// sweep drops the entries expired at now; user and all entries live life
// after their cut-off.
func (x *memIndex) sweep(now, life int64) {
	x.sessions.sweep(now)
	x.users.sweep(now, life)
	if a := x.all.Load(); a != 0 && a+life <= now {
		x.all.CompareAndSwap(a, 0)
	}
}

// sessionIndex is the in-memory set of revoked session IDs with the time
// each entry may be dropped, kept compact for lists of tens of millions.
//
// An entry is 12 bytes: a keyed 64-bit fingerprint of the session ID and
// its until in whole Unix seconds, rounded up (an entry may outlive its
// until by less than a second, never the reverse). The table is 256
// shards of equal size, each a Robin Hood hash table with linear probing:
// a lookup stops as soon as it passes the place the fingerprint would have
// taken, so a miss reads about as many slots as a hit (one or two cache
// lines) even with the shard 92% full. Each shard has its own RWMutex, so
// readers on different shards never touch the same lock. A lookup
// allocates nothing.
//
// The shards lie side by side in one slab (slab.go), on Linux a mapping
// with transparent huge pages once the table is large. When a shard would
// pass maxFill, the whole table moves to a larger slab, one shard at a
// time, each under its own lock (so readers wait for one shard's move, not
// the table's); writers wait for the whole move. A sweep deletes expired
// entries in place and moves the table to a smaller slab only when it has
// become mostly empty.
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
	shards [numShards]shard
}

// table is the slab the shards lie in and the size of each shard. It is
// apart from sessionIndex so that the cleanup that frees the slab of an
// index dropped without close does not keep the index alive.
type table struct {
	slab   *slab
	size   int  // slots per shard
	closed bool // freed for good: puts are dropped
	mapMin int  // the smallest slab mapped, in bytes: hugeMin (tests lower it)
}

func (t *table) free() {
	if t.slab != nil {
		t.slab.free()
		t.slab = nil
	}
}

const numShards = 256

// slot is one entry: the fingerprint in two halves (so a slot is 12 bytes,
// not 16) and until in Unix seconds. fp 0 marks an empty slot.
type slot struct {
	fpLo, fpHi uint32
	until      uint32
}

func (s *slot) fp() uint64 { return uint64(s.fpHi)<<32 | uint64(s.fpLo) }

func newSlot(fp uint64, until uint32) slot {
	return slot{fpLo: uint32(fp), fpHi: uint32(fp >> 32), until: until}
}

type shard struct {
	mu    sync.RWMutex
	slots []slot // this shard's part of the table's slab
	n     int
	_     [72]byte // 128 bytes a shard: neighbouring locks never share a cache line
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

// shardSize is the table size that holds n entries growFill percent full.
func shardSize(n int) int {
	if n == 0 {
		return 0
	}
	return n*100/growFill + 8
}

// reserve sizes every shard for n entries in all, spread evenly (IDs are
// random), so loading them doesn't grow the table step by step.
func (x *sessionIndex) reserve(n int) {
	x.resize.Lock()
	defer x.resize.Unlock()
	if size := shardSize(n/numShards + 1); !x.table.closed && x.table.size < size {
		x.moveTo(size)
	}
}

// moveTo moves every shard to a new slab with size slots a shard and
// frees the old one. The caller holds resize for writing; size holds every
// shard's entries.
func (x *sessionIndex) moveTo(size int) {
	t := x.table
	old, oldSize := t.slab, t.size
	next := newSlab(size*numShards, t.mapMin)
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		prev := sh.slots
		sh.slots, sh.n = next.slots[i*size:(i+1)*size:(i+1)*size], 0
		for j := range prev {
			if prev[j].fp() != 0 {
				sh.insert(prev[j])
			}
		}
		sh.mu.Unlock()
		if old != nil {
			old.release(i*oldSize, (i+1)*oldSize) // the old slab shrinks as the new one fills
		}
	}
	if old != nil {
		old.free()
	}
	t.slab, t.size = next, size
}

// close frees the table; the index is empty afterwards and drops puts.
func (x *sessionIndex) close() {
	x.resize.Lock()
	defer x.resize.Unlock()
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		sh.slots, sh.n = nil, 0
		sh.mu.Unlock()
	}
	x.table.free()
	x.table.size, x.table.closed = 0, true
}

// get returns the entry for id: until in Unix nanoseconds.
func (x *sessionIndex) get(id *[16]byte) (int64, bool) {
	fp := x.fingerprint(id)
	sh := &x.shards[fp%numShards]
	sh.mu.RLock()
	until, ok := sh.lookup(fp)
	sh.mu.RUnlock()
	return int64(until) * 1e9, ok
}

func (sh *shard) lookup(fp uint64) (uint32, bool) {
	n := len(sh.slots)
	if n == 0 {
		return 0, false
	}
	h := home(fp, n)
	for i, dist := h, 0; ; dist++ {
		s := &sh.slots[i]
		f := s.fp()
		if f == fp {
			return s.until, true
		}
		// Robin Hood: an empty slot, or an entry nearer its home than fp
		// would be here, means fp is not in the table.
		if f == 0 || sh.distance(f, i) < dist {
			return 0, false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// distance is how far slot i lies past the home of fingerprint fp.
func (sh *shard) distance(fp uint64, i int) int {
	d := i - home(fp, len(sh.slots))
	if d < 0 {
		d += len(sh.slots)
	}
	return d
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
			sh.insert(e)
		}
		sh.mu.Unlock()
		x.resize.RUnlock()
		if room {
			return
		}
		x.grow(size)
	}
}

// grow moves the table to one whose fullest shard is growFill percent
// full, unless another writer already did (its shards are no longer size
// slots).
func (x *sessionIndex) grow(size int) {
	x.resize.Lock()
	defer x.resize.Unlock()
	if x.table.closed || x.table.size != size {
		return
	}
	x.moveTo(shardSize(x.fullest() + 1))
}

// fullest is the count of the fullest shard.
func (x *sessionIndex) fullest() int {
	most := 0
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		most = max(most, sh.n)
		sh.mu.RUnlock()
	}
	return most
}

// insert places e by Robin Hood: it takes the place of the first entry
// nearer its home than e is, and carries that entry on. The caller holds
// the write lock and has made room.
func (sh *shard) insert(e slot) {
	n := len(sh.slots)
	fp := e.fp()
	for i, dist := home(fp, n), 0; ; dist++ {
		s := &sh.slots[i]
		f := s.fp()
		switch {
		case f == 0:
			*s = e
			sh.n++
			return
		case f == fp:
			s.until = max(s.until, e.until)
			return
		}
		if d := sh.distance(f, i); d < dist {
			*s, e = e, *s
			fp, dist = f, d
		}
		if i++; i == n {
			i = 0
		}
	}
}

// removeAt deletes slot i by shifting the entries after it back one
// place, up to an empty slot or an entry at its home, so that no probe
// run is broken. The caller holds the write lock.
func (sh *shard) removeAt(i int) {
	n := len(sh.slots)
	for {
		j := i + 1
		if j == n {
			j = 0
		}
		next := sh.slots[j]
		if f := next.fp(); f == 0 || sh.distance(f, j) == 0 {
			sh.slots[i] = slot{}
			sh.n--
			return
		}
		sh.slots[i] = next
		i = j
	}
}

// dropExpired deletes, in place, the entries whose until is at or before
// cut (Unix seconds). The caller holds the write lock.
func (sh *shard) dropExpired(cut uint32) {
	for i := 0; i < len(sh.slots); {
		if s := &sh.slots[i]; s.fp() != 0 && s.until <= cut {
			sh.removeAt(i) // slot i now holds the entry that followed: look again
			continue
		}
		i++
	}
}

// sweep drops entries whose until is at or before now (Unix nanoseconds)
// and returns how many remain. A table left mostly empty moves to a
// smaller slab.
func (x *sessionIndex) sweep(now int64) int {
	cut := floorSeconds(now)
	x.resize.RLock()
	total, most, size := 0, 0, x.table.size
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		sh.dropExpired(cut)
		total += sh.n
		most = max(most, sh.n)
		sh.mu.Unlock()
	}
	x.resize.RUnlock()
	if most*100 < size*shrinkFill {
		x.resize.Lock()
		if !x.table.closed && x.table.size == size {
			x.moveTo(shardSize(x.fullest()))
		}
		x.resize.Unlock()
	}
	return total
}

// len returns the number of entries.
func (x *sessionIndex) len() int {
	total := 0
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		total += sh.n
		sh.mu.RUnlock()
	}
	return total
}

// tableBytes is the memory the table holds, and whether it is a mapping
// outside the Go heap.
func (x *sessionIndex) tableBytes() (int, bool) {
	x.resize.RLock()
	defer x.resize.RUnlock()
	if x.table.slab == nil {
		return 0, false
	}
	return len(x.table.slab.slots) * slotBytes, x.table.slab.mapped()
}

// userIndex maps user IDs to their cut-offs (Unix nanoseconds), in 64
// shards keyed by a seeded hash so concurrent readers don't share a lock.
type userIndex struct {
	seed   maphash.Seed
	count  atomic.Int64 // entries; lets Revoked skip the lookup when none
	shards [userShards]userShard
}

const userShards = 64

type userShard struct {
	mu sync.RWMutex
	m  map[string]int64
	_  [96]byte // 128 bytes a shard
}

func newUserIndex() *userIndex {
	x := &userIndex{seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i].m = make(map[string]int64)
	}
	return x
}

func (x *userIndex) shard(user string) *userShard {
	return &x.shards[maphash.String(x.seed, user)%userShards]
}

// get returns user's cut-off.
func (x *userIndex) get(user string) (int64, bool) {
	if x.count.Load() == 0 {
		return 0, false
	}
	sh := x.shard(user)
	sh.mu.RLock()
	at, ok := sh.m[user]
	sh.mu.RUnlock()
	return at, ok
}

// put records user's cut-off at, keeping the later one.
func (x *userIndex) put(user string, at int64) {
	sh := x.shard(user)
	sh.mu.Lock()
	old, ok := sh.m[user]
	if !ok {
		x.count.Add(1)
	}
	if !ok || at > old {
		sh.m[user] = at
	}
	sh.mu.Unlock()
}

// sweep drops users whose entries expire at or before now (cut-off plus
// life).
func (x *userIndex) sweep(now, life int64) {
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		for u, at := range sh.m {
			if at+life <= now {
				delete(sh.m, u)
				x.count.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
}

func (x *userIndex) len() int { return int(x.count.Load()) }
