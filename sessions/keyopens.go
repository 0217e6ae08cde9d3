package sessions

import (
	"slices"
	"sync"
	"sync/atomic"
)

// keyOpens counts the cookies that opened into a valid session, per key
// ID. The request path reads a copy-on-write list without locks and
// allocates nothing once a key has been seen; a keyring holds a handful of
// keys, so a linear search is the fast one.
type keyOpens struct {
	mu   sync.Mutex // serialises adding a key
	list atomic.Pointer[[]*keyCount]
}

type keyCount struct {
	id string
	n  atomic.Uint64
}

// find returns the counter of id, or nil.
func (k *keyOpens) find(id string) *keyCount {
	if p := k.list.Load(); p != nil {
		for _, c := range *p {
			if c.id == id {
				return c
			}
		}
	}
	return nil
}

// add counts one cookie opened under key id.
func (k *keyOpens) add(id string) {
	if c := k.find(id); c != nil {
		c.n.Add(1)
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.find(id)
	if c == nil {
		var next []*keyCount
		if p := k.list.Load(); p != nil {
			next = slices.Clone(*p)
		}
		c = &keyCount{id: id}
		next = append(next, c)
		k.list.Store(&next)
	}
	c.n.Add(1)
}

// KeyOpens returns how many cookies opened into a valid session under each
// key ID since New. A key absent from the map has opened none. A key whose
// count stays unchanged for the longest session lifetime is no longer in
// any live cookie (those sealed under it were re-sealed under the primary
// or have expired): retiring it logs nobody out.
func (m *Manager) KeyOpens() map[string]uint64 {
	out := map[string]uint64{}
	if p := m.keyOpens.list.Load(); p != nil {
		for _, c := range *p {
			out[c.id] = c.n.Load()
		}
	}
	return out
}
