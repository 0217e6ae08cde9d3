package sessions

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Manager loads, checks and saves sessions. Create it with New; it is
// immutable afterwards, except the keyring its Config.Keys source returns,
// which it asks for on every request. Safe for concurrent use.
type Manager struct {
	cfg  Config
	key  *contextKey
	last atomic.Int64 // last stamp handed out, unix nanoseconds
	st   counters
	bufs sync.Pool
	// cache holds values already verified; nil when turned off.
	cache *verifiedCache

	keyOpens keyOpens // cookies opened per key ID (keyopens.go)
}

// contextKey is the type of a Manager's context key; each Manager has its
// own pointer, so two Managers never see each other's sessions.
type contextKey struct{ name string }

// New validates cfg, fills in its defaults and returns a Manager.
func New(cfg Config) (*Manager, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if c.Keys.Keyring().Len() == 0 {
		return nil, fmt.Errorf("%w: Keys returned no keyring, or one without keys (make it with keyring.New, Load or Watch)", ErrInvalidConfig)
	}
	m := &Manager{cfg: c, key: &contextKey{name: "sessions:" + c.CookieName}}
	m.bufs.New = func() any { b := make([]byte, 0, 2048); return &b }
	if c.VerifiedCacheEntries > 0 {
		m.cache = newVerifiedCache(c.VerifiedCacheEntries, c.VerifiedCacheBytes)
	}
	return m, nil
}

func (m *Manager) now() time.Time { return m.cfg.Now() }

// stamp returns a time for a creation or a revocation cut-off: the clock's
// reading, but strictly after every stamp this Manager gave before, so a
// session created after RevokeUser or RevokeAll on this Manager is
// never caught by it, whatever the clock's resolution.
func (m *Manager) stamp() int64 {
	now := m.now().UnixNano()
	for {
		last := m.last.Load()
		next := max(now, last+1)
		if m.last.CompareAndSwap(last, next) {
			return next
		}
	}
}

// revokeUntil returns how long a revocation of p's ID must last: until no
// cookie carrying that ID can still be alive. One ID is carried by every
// cookie saved between its creation and its next CycleID, Login or Flush,
// each with the expiry it had then: an earlier "remember me" cookie may
// outlive the current one by far, and its expiry is not known here. What
// bounds them all is the absolute lifetime: an ID never changes its
// creation time (Login and Flush give a new ID with a new one), so no
// cookie carrying it lives past created plus AbsoluteLifetime. Callers hold
// the session's lock.
func (m *Manager) revokeUntil(p *payload) time.Time {
	now := m.now().UnixNano()
	return time.Unix(0, max(addSat(p.created, int64(m.cfg.AbsoluteLifetime)), now))
}

// revokeID records a retired session ID, if it was ever issued.
func (m *Manager) revokeID(ctx context.Context, op string, id [16]byte, until time.Time, issued bool) error {
	if !issued || m.cfg.Revoker == nil {
		return nil
	}
	if err := m.cfg.Revoker.RevokeSession(ctx, id, until); err != nil {
		return fmt.Errorf("sessions: %s: revoke old session ID: %w", op, err)
	}
	return nil
}

// RevokeUser ends every session of userID created up to now (by this
// Manager's clock): "log out everywhere". Sessions this Manager creates or
// logs in afterwards are not affected, even within the same clock tick.
func (m *Manager) RevokeUser(ctx context.Context, userID string) error {
	if userID == "" {
		return fmt.Errorf("sessions: revoke user: %w", ErrEmptyUserID)
	}
	if m.cfg.Revoker == nil {
		return fmt.Errorf("sessions: revoke user: %w", ErrNoRevocation)
	}
	if err := m.cfg.Revoker.RevokeUser(ctx, userID, time.Unix(0, m.stamp())); err != nil {
		return fmt.Errorf("sessions: revoke user: %w", err)
	}
	return nil
}

// RevokeAll ends every session created up to now (by this Manager's
// clock), for incident response.
func (m *Manager) RevokeAll(ctx context.Context) error {
	if m.cfg.Revoker == nil {
		return fmt.Errorf("sessions: revoke all: %w", ErrNoRevocation)
	}
	if err := m.cfg.Revoker.RevokeAll(ctx, time.Unix(0, m.stamp())); err != nil {
		return fmt.Errorf("sessions: revoke all: %w", err)
	}
	return nil
}

// Session returns the request's session, put there by Handler or Load.
// Without one it returns ErrNoSession; it never panics.
func (m *Manager) Session(r *http.Request) (*Session, error) {
	if r != nil {
		if s, ok := r.Context().Value(m.key).(*Session); ok && s != nil {
			return s, nil
		}
	}
	return nil, ErrNoSession
}

// Load reads the request's session cookie and returns the request with the
// session in its context, and the session. It never fails: a missing or
// bad cookie (malformed, tampered, expired, revoked, unknown key, ...)
// gives a fresh empty session, and the reason is logged and counted.
// Code that can't use Handler calls Load, then Save before writing the
// response body.
func (m *Manager) Load(r *http.Request) (*http.Request, *Session) {
	if s, err := m.Session(r); err == nil {
		return r, s
	}
	r, c := m.loadRequest(r)
	return r, &c.s
}
