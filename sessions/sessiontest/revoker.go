package sessiontest

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrRevokerDown is what a MemRevoker returns while failing.
var ErrRevokerDown = errors.New("sessiontest: revoker failing on purpose")

// MemRevoker is an in-memory [sessions.Revoker]: a mutex and maps,
// honouring the same contract as the Badger-backed revocation.Store
// (session entries until their expiry, user and global cut-offs kill
// sessions created at or before them), so revoked means revoked in a test
// as in production. The project runs one contract test against both.
// SetFailing makes every method return [ErrRevokerDown], for tests of what
// a handler does when the list can't answer. Safe for concurrent use.
type MemRevoker struct {
	mu       sync.Mutex
	now      func() time.Time
	sessions map[[16]byte]time.Time // until
	users    map[string]time.Time   // cut-off
	all      time.Time              // cut-off, zero if none
	failing  bool
	calls    int
}

// NewMemRevoker returns an empty list. now tells when session entries have
// expired (nil: time.Now).
func NewMemRevoker(now func() time.Time) *MemRevoker {
	if now == nil {
		now = time.Now
	}
	return &MemRevoker{now: now, sessions: map[[16]byte]time.Time{}, users: map[string]time.Time{}}
}

// SetFailing makes every method fail (true) or work again (false).
func (r *MemRevoker) SetFailing(fail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = fail
}

// Revoked reports whether the session is dead.
func (r *MemRevoker) Revoked(id [16]byte, userID string, created time.Time) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failing {
		return false, ErrRevokerDown
	}
	if until, ok := r.sessions[id]; ok && r.now().Before(until) {
		return true, nil
	}
	if !r.all.IsZero() && !created.After(r.all) {
		return true, nil
	}
	if userID != "" {
		if at, ok := r.users[userID]; ok && !created.After(at) {
			return true, nil
		}
	}
	return false, nil
}

// RevokeSession records id as dead until until.
func (r *MemRevoker) RevokeSession(ctx context.Context, id [16]byte, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return ErrRevokerDown
	}
	if cur, ok := r.sessions[id]; !ok || until.After(cur) {
		r.sessions[id] = until
	}
	return nil
}

// RevokeUser kills userID's sessions created at or before at.
func (r *MemRevoker) RevokeUser(ctx context.Context, userID string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return ErrRevokerDown
	}
	if cur, ok := r.users[userID]; !ok || at.After(cur) {
		r.users[userID] = at
	}
	return nil
}

// RevokeAll kills every session created at or before at.
func (r *MemRevoker) RevokeAll(ctx context.Context, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return ErrRevokerDown
	}
	if at.After(r.all) {
		r.all = at
	}
	return nil
}

// Sessions returns the revoked session IDs and their untils.
func (r *MemRevoker) Sessions() map[[16]byte]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[[16]byte]time.Time, len(r.sessions))
	for k, v := range r.sessions {
		out[k] = v
	}
	return out
}

// Checks returns how many times Revoked was called.
func (r *MemRevoker) Checks() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}
