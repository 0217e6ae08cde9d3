package sessiontest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemRegistry is an in-memory [sessions.Registry]: every login recorded,
// per user, newest first, unbounded and never dropped (the Manager leaves
// out revoked and expired ones, as it does with revocation.Store's). Safe
// for concurrent use.
type MemRegistry struct {
	mu     sync.Mutex
	byUser map[string][]memLogin
}

type memLogin struct {
	session [16]byte
	created time.Time
	device  string
	bound   bool
}

// NewMemRegistry returns an empty registry.
func NewMemRegistry() *MemRegistry {
	return &MemRegistry{byUser: map[string][]memLogin{}}
}

// RecordLogin records a login, replacing an entry of the same session.
func (g *MemRegistry) RecordLogin(_ context.Context, session [16]byte, user string, created time.Time, device string, bound bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := memLogin{session: session, created: created, device: device, bound: bound}
	list := slices.DeleteFunc(g.byUser[user], func(o memLogin) bool { return o.session == session })
	i, _ := slices.BinarySearchFunc(list, l, func(o, l memLogin) int { return l.created.Compare(o.created) })
	g.byUser[user] = slices.Insert(list, i, l)
	return nil
}

// EachLogin calls fn with user's logins, newest first, until it returns
// false.
func (g *MemRegistry) EachLogin(user string, fn func(session [16]byte, created time.Time, device string, bound bool) bool) {
	g.mu.Lock()
	list := slices.Clone(g.byUser[user])
	g.mu.Unlock()
	for _, l := range list {
		if !fn(l.session, l.created, l.device, l.bound) {
			return
		}
	}
}

// Len returns how many logins of user it holds.
func (g *MemRegistry) Len(user string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byUser[user])
}
