package revocation

import (
	"crypto/rand"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
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
// each entry may be dropped. It is a table of 256 shards, each an
// open-addressing hash table with linear probing over 24-byte slots
// (16-byte ID, 8-byte until). Each shard has its own RWMutex, so readers on
// different shards never touch the same lock. A lookup allocates nothing.
//
// The hash is keyed with a random per-process seed, so an operator-supplied
// or replicated ID can't be chosen to pile up in one probe run.
type sessionIndex struct {
	seed0, seed1 uint64
	shards       [numShards]shard
}

const numShards = 256

type slot struct {
	id    [16]byte
	until int64 // Unix nanoseconds; 0 marks an empty slot
}

type shard struct {
	mu    sync.RWMutex
	slots []slot
	n     int
	_     [72]byte // 128 bytes a shard: neighbouring locks never share a cache line
}

func newSessionIndex() *sessionIndex {
	var seed [16]byte
	if _, err := rand.Read(seed[:]); err != nil {
		panic("revocation: crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails on supported platforms
	}
	return &sessionIndex{
		seed0: binary.LittleEndian.Uint64(seed[:8]) | 1,
		seed1: binary.LittleEndian.Uint64(seed[8:]),
	}
}

func (x *sessionIndex) hash(id *[16]byte) uint64 {
	a := binary.LittleEndian.Uint64(id[:8]) ^ x.seed0
	b := binary.LittleEndian.Uint64(id[8:]) ^ x.seed1
	hi, lo := bits.Mul64(a, b^0x9E3779B97F4A7C15)
	return hi ^ lo
}

// home returns the first slot to probe for hash h in a table of n slots.
func home(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// reserve sizes every shard for n entries in all, spread evenly (IDs are
// random), so loading them doesn't grow the tables step by step.
func (x *sessionIndex) reserve(n int) {
	per := n/numShards + 1
	size := per*10/7 + 8 // about 70% full once loaded
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		if len(sh.slots) < size {
			sh.resize(x, size)
		}
		sh.mu.Unlock()
	}
}

// get returns the entry for id.
func (x *sessionIndex) get(id *[16]byte) (int64, bool) {
	h := x.hash(id)
	sh := &x.shards[h%numShards]
	sh.mu.RLock()
	until, ok := sh.lookup(id, h)
	sh.mu.RUnlock()
	return until, ok
}

func (sh *shard) lookup(id *[16]byte, h uint64) (int64, bool) {
	n := len(sh.slots)
	if n == 0 {
		return 0, false
	}
	for i := home(h, n); ; {
		s := &sh.slots[i]
		if s.until == 0 {
			return 0, false
		}
		if s.id == *id {
			return s.until, true
		}
		if i++; i == n {
			i = 0
		}
	}
}

// put records id until until, keeping the later time if id is present.
func (x *sessionIndex) put(id [16]byte, until int64) {
	if until <= 0 {
		return
	}
	h := x.hash(&id)
	sh := &x.shards[h%numShards]
	sh.mu.Lock()
	// Grow at 80% full, by half: the table stays 53-80% full.
	if (sh.n+1)*5 > len(sh.slots)*4 {
		sh.resize(x, (sh.n+1)*3/2+8)
	}
	sh.insert(id, until, h)
	sh.mu.Unlock()
}

func (sh *shard) insert(id [16]byte, until int64, h uint64) {
	n := len(sh.slots)
	for i := home(h, n); ; {
		s := &sh.slots[i]
		if s.until == 0 {
			s.id, s.until = id, until
			sh.n++
			return
		}
		if s.id == id {
			s.until = max(s.until, until)
			return
		}
		if i++; i == n {
			i = 0
		}
	}
}

// resize rebuilds the shard with size slots. The caller holds the write
// lock.
func (sh *shard) resize(x *sessionIndex, size int) {
	sh.rebuild(x, size, nil)
}

// rebuild rebuilds the shard with size slots, dropping entries for which
// keep (if not nil) returns false. The caller holds the write lock.
func (sh *shard) rebuild(x *sessionIndex, size int, keep func(int64) bool) {
	old := sh.slots
	sh.slots = make([]slot, size)
	sh.n = 0
	for i := range old {
		s := &old[i]
		if s.until == 0 || (keep != nil && !keep(s.until)) {
			continue
		}
		sh.insert(s.id, s.until, x.hash(&s.id))
	}
}

// sweep drops entries whose until is at or before now and returns how many
// remain.
func (x *sessionIndex) sweep(now int64) int {
	total := 0
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		expired := 0
		for j := range sh.slots {
			if u := sh.slots[j].until; u != 0 && u <= now {
				expired++
			}
		}
		if expired > 0 {
			live := sh.n - expired
			size := 0
			if live > 0 {
				size = live*3/2 + 8
			}
			sh.rebuild(x, size, func(u int64) bool { return u > now })
		}
		total += sh.n
		sh.mu.Unlock()
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
