package revocation

import (
	"hash/maphash"
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
