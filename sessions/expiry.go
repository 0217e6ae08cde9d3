package sessions

import (
	"crypto/rand"
	"math"
	"time"
)

// Every expiry is decided on the server from the payload: the idle age
// (Config.CookieAge, or a custom one), or a custom date, capped by the
// absolute lifetime from creation. The cookie's Max-Age only mirrors it.

// addSat adds without overflowing.
func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}

// expiresAt returns when p expires if it was (or is) saved at base: the
// idle expiry or custom date, capped by the absolute lifetime.
func (m *Manager) expiresAt(p *payload, base int64) int64 {
	var exp int64
	switch p.expKind {
	case expiryIdle:
		exp = addSat(base, p.expVal)
	case expiryAt:
		exp = p.expVal
	default: // default, browser close
		exp = addSat(base, int64(m.cfg.CookieAge))
	}
	return min(exp, addSat(p.created, int64(m.cfg.AbsoluteLifetime)))
}

// browserClose reports whether p's cookie is a browser-session cookie,
// written without Max-Age or Expires.
func (m *Manager) browserClose(p *payload) bool {
	switch p.expKind {
	case expiryBrowserClose:
		return true
	case expiryDefault:
		return m.cfg.ExpireAtBrowserClose
	}
	return false
}

// SetExpiry makes the session expire after idle time without a save (a
// request that modifies it, or any request with SaveEveryRequest),
// instead of Config.CookieAge. Zero means what Django's set_expiry(0)
// means: the cookie lasts until the browser closes, as
// SetExpireAtBrowserClose. Negative expires it now: the response deletes
// the cookie. Django: set_expiry(seconds).
//
// Like every expiry change that shortens the session's life, it gives the
// session a new ID and revokes the old one when the response is saved, so
// a copy of the cookie issued earlier, with its later expiry, stops
// opening. A device-bound session (DBSC) stays bound: the response also
// carries the bound cookie for the new ID and the next refresh challenge.
func (s *Session) SetExpiry(idle time.Duration) {
	if idle == 0 {
		s.setExpiry(expiryBrowserClose, 0)
		return
	}
	s.setExpiry(expiryIdle, int64(idle))
}

// SetExpiryAt makes the session expire at t. A time in the past (the zero
// time included) expires it now; a time past the absolute lifetime is
// capped by it, however far in the future. Django: set_expiry(datetime).
func (s *Session) SetExpiryAt(t time.Time) {
	s.setExpiry(expiryAt, unixNanoSat(t))
}

// Bounds of the times an int64 of Unix nanoseconds can hold.
var (
	minUnixNano = time.Unix(0, math.MinInt64)
	maxUnixNano = time.Unix(0, math.MaxInt64)
)

// unixNanoSat is t.UnixNano, saturated to the int64 range instead of
// wrapping around (UnixNano is undefined before 1678 and after 2262: the
// year 3000 would wrap into the past, the year 1500 into the future).
func unixNanoSat(t time.Time) int64 {
	switch {
	case t.Before(minUnixNano):
		return math.MinInt64
	case t.After(maxUnixNano):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// SetExpireAtBrowserClose makes the cookie a browser-session cookie (no
// Max-Age); on the server it still expires after Config.CookieAge idle.
// Django: set_expiry(0). Turning a lasting cookie into a browser-session
// one shortens the session's life: the ID changes, as for SetExpiry.
func (s *Session) SetExpireAtBrowserClose() {
	s.setExpiry(expiryBrowserClose, 0)
}

// ResetExpiry returns to the configured expiry. Django: set_expiry(None).
func (s *Session) ResetExpiry() {
	s.setExpiry(expiryDefault, 0)
}

// setExpiry sets the expiry. A change that shortens the session's life
// (an earlier expiry, or a browser-session cookie instead of a lasting
// one) must reach the copies of the cookie issued before it, which carry
// the longer one: an ID a cookie carries is replaced, and the old one is
// revoked when the session is committed (setExpiry has no context).
func (s *Session) setExpiry(kind byte, v int64) {
	now := s.m.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	before, wasClose := s.m.expiresAt(&s.p, now), s.m.browserClose(&s.p)
	s.p.expKind, s.p.expVal = kind, v
	s.markChanged()
	narrower := s.m.expiresAt(&s.p, now) < before || (s.m.browserClose(&s.p) && !wasClose)
	if narrower && s.status.issued() && !s.retire.set {
		s.retire = retired{id: s.p.id, until: s.m.revokeUntil(&s.p), set: true}
		rand.Read(s.p.id[:])
		s.status = s.status.withNewID()
		s.rebind = s.p.device != "" // the bound cookie names the old ID
	}
}

// ExpiryAge returns how long the session would live if saved now: the idle
// age (default or custom) or the time until a custom expiry date, capped by
// the absolute lifetime. Negative when already expired. Django:
// get_expiry_age().
func (s *Session) ExpiryAge() time.Duration {
	now := s.m.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(addSat(s.m.expiresAt(&s.p, now), -now))
}

// ExpiryDate returns when the session would expire if saved now. Django:
// get_expiry_date().
func (s *Session) ExpiryDate() time.Time {
	now := s.m.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(0, s.m.expiresAt(&s.p, now))
}

// ExpireAtBrowserClose reports whether the cookie is a browser-session
// cookie: SetExpireAtBrowserClose was called, or the expiry is the default
// and Config.ExpireAtBrowserClose is set. Django:
// get_expire_at_browser_close().
func (s *Session) ExpireAtBrowserClose() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.browserClose(&s.p)
}
