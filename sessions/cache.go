package sessions

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sealedsessions/sealed/keyring"
)

// verifiedCache maps exact cookie values this Manager has already opened to
// what they decoded to, so that a repeat request skips the MAC, the
// decryption and the decoding. It holds what the value alone decides; the
// caller still checks expiry and the revocation list on every request.
//
// An entry is bound to the *keyring.Keyring it was opened under: a reload
// of the keyring (a rotation, a retirement) makes every older entry miss,
// so a retired key's cookies stop opening at once. The keyring's max age is
// checked on every hit from the sealing time the entry kept.
//
// Lookups hash the whole value with the map's random per-process seed and
// compare it whole only on a hash match, so a request without an exact
// copy of a cached value takes the uncached path: nothing about the
// cache's contents can be learnt from timing without holding the value.
//
// It is split into shards, each a map with a FIFO ring for eviction, bounded
// in entries and bytes (value plus decoded payload).
type verifiedCache struct {
	shards [cacheShards]cacheShard
	hits   atomic.Uint64
	misses atomic.Uint64
}

const cacheShards = 16

type cacheShard struct {
	mu       sync.RWMutex
	m        map[string]*cached
	ring     []string // insertion order, for eviction; "" is a free place
	next     int      // where the next insertion goes in ring
	bytes    int
	maxBytes int
}

type cached struct {
	kr     *keyring.Keyring
	opened keyring.Opened // Plaintext nil: the payload below is what counts
	p      payload
	size   int
}

func newVerifiedCache(entries, bytes int) *verifiedCache {
	c := &verifiedCache{}
	per := max(entries/cacheShards, 1)
	for i := range c.shards {
		c.shards[i] = cacheShard{m: make(map[string]*cached, per), ring: make([]string, per), maxBytes: max(bytes/cacheShards, 1)}
	}
	return c
}

func (c *verifiedCache) shard(v string) *cacheShard {
	// The last bytes of a sealed value are its MAC's base64: spread evenly
	// and not chosen by anyone without the key.
	if v == "" {
		return &c.shards[0]
	}
	return &c.shards[int(v[len(v)-1])%cacheShards]
}

// get copies into p the payload v decoded to under kr and returns what Open
// found, or false.
func (c *verifiedCache) get(kr *keyring.Keyring, v string, p *payload) (keyring.Opened, bool) {
	sh := c.shard(v)
	sh.mu.RLock()
	e := sh.m[v]
	sh.mu.RUnlock()
	if e == nil || e.kr != kr {
		c.misses.Add(1)
		return keyring.Opened{}, false
	}
	c.hits.Add(1)
	e.p.copyTo(p)
	return e.opened, true
}

// put records that v opened under kr to p (copied).
func (c *verifiedCache) put(kr *keyring.Keyring, v string, opened keyring.Opened, p *payload) {
	e := &cached{kr: kr, opened: opened}
	e.opened.Plaintext = nil
	p.copyTo(&e.p)
	e.size = len(v) + p.size()
	sh := c.shard(v)
	if e.size > sh.maxBytes {
		return
	}
	v = string([]byte(v)) // don't pin the request's header buffer
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[v]; ok {
		return
	}
	// Make room: the oldest entries go first, until the bytes fit and the
	// place in the ring is free.
	for sh.bytes+e.size > sh.maxBytes {
		sh.drop(sh.next)
		sh.next = (sh.next + 1) % len(sh.ring)
	}
	sh.drop(sh.next)
	sh.m[v] = e
	sh.ring[sh.next] = v
	sh.next = (sh.next + 1) % len(sh.ring)
	sh.bytes += e.size
}

// drop removes the entry at place i of the ring, if any.
func (sh *cacheShard) drop(i int) {
	k := sh.ring[i]
	if k == "" {
		return
	}
	sh.bytes -= sh.m[k].size
	delete(sh.m, k)
	sh.ring[i] = ""
}

// copyTo copies p into dst, with slices of its own, since a session edits
// its payload's slices in place. The entries get room for one more, as
// decodePayload gives them, so a request that sets a new key does not
// copy them again.
func (p *payload) copyTo(dst *payload) {
	*dst = *p
	dst.flashes = slices.Clone(p.flashes)
	dst.entries = nil
	if p.entries != nil {
		dst.entries = append(make([]entry, 0, len(p.entries)+1), p.entries...)
	}
}
