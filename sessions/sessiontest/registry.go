package sessiontest

import (
	"context"
	"slices"
	"sync"

	"github.com/sealedsessions/sealed/sessions"
)

// MemRegistry is an in-memory [sessions.Registry]: every login recorded,
// per user, newest first, unbounded and never dropped (the Manager leaves
// out revoked and expired ones, as it does with revocation.Store's). Safe
// for concurrent use.
type MemRegistry struct {
	mu     sync.Mutex
	byUser map[string][]sessions.Login
}

// NewMemRegistry returns an empty registry.
func NewMemRegistry() *MemRegistry {
	return &MemRegistry{byUser: map[string][]sessions.Login{}}
}

// RecordLogin adds l, replacing an entry of the same session.
func (g *MemRegistry) RecordLogin(_ context.Context, l sessions.Login) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	list := slices.DeleteFunc(g.byUser[l.User], func(o sessions.Login) bool { return o.Session == l.Session })
	i, _ := slices.BinarySearchFunc(list, l, func(o, l sessions.Login) int { return l.Created.Compare(o.Created) })
	g.byUser[l.User] = slices.Insert(list, i, l)
	return nil
}

// Logins returns a copy of user's logins, newest first.
func (g *MemRegistry) Logins(user string) []sessions.Login {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.byUser[user])
}
