package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// maxCandidates bounds how many cookies of our name one request may make
// the Manager try to open.
const maxCandidates = 4

// Manager loads, checks and saves sessions. Create it with New; it is
// immutable afterwards, except the keyring its Config.Keys source returns,
// which it asks for on every request. Safe for concurrent use.
type Manager struct {
	cfg  Config
	key  *contextKey
	last atomic.Int64 // last stamp handed out, unix nanoseconds
	st   counters
	bufs sync.Pool
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
		return nil, fmt.Errorf("sessions: new: %w: Keys returned no keyring, or one without keys (make it with keyring.New, Load or Watch)", ErrInvalidConfig)
	}
	m := &Manager{cfg: c, key: &contextKey{name: "sessions:" + c.CookieName}}
	m.bufs.New = func() any { b := make([]byte, 0, 2048); return &b }
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

func (m *Manager) browserClose(p *payload) bool {
	switch p.expKind {
	case expiryBrowserClose:
		return true
	case expiryDefault:
		return m.cfg.ExpireAtBrowserClose
	}
	return false
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
	s := m.load(r)
	return r.WithContext(context.WithValue(r.Context(), m.key, s)), s
}

func (m *Manager) load(r *http.Request) *Session {
	s := &Session{m: m}
	var (
		vals [maxCandidates]string
		n    int
	)
	n, s.incoming = cookieValues(r.Header, m.cfg.CookieName, vals[:])
	if n > 0 {
		now := m.now().UnixNano()
		kr := m.cfg.Keys.Keyring()
		for _, v := range vals[:n] {
			why, opened := m.open(kr, v, now, &s.p)
			if why == reasonOK {
				m.st.opened.Add(1)
				s.opened = true
				s.keyID = opened.KeyID
				if !opened.Primary {
					s.reseal = true
				}
				return s
			}
			m.refused(r, why, len(v))
		}
	}
	m.st.created.Add(1)
	s.p = payload{created: m.stamp()}
	rand.Read(s.p.id[:])
	s.fresh = true
	return s
}

// open checks one cookie value completely: keyring, payload, expiry,
// revocation.
func (m *Manager) open(kr *keyring.Keyring, v string, now int64, p *payload) (reason, keyring.Opened) {
	if kr == nil { // a broken keyring.Source: nothing can open
		return reasonUnknownKey, keyring.Opened{}
	}
	if len(m.cfg.CookieName)+len(v) > MaxCookieSize || len(v) > keyring.MaxValueLen {
		return reasonOversize, keyring.Opened{}
	}
	opened, err := kr.Open(m.cfg.CookieName, v)
	if err != nil {
		switch {
		case errors.Is(err, keyring.ErrTampered):
			return reasonTampered, opened
		case errors.Is(err, keyring.ErrUnknownKey):
			return reasonUnknownKey, opened
		case errors.Is(err, keyring.ErrWrongName):
			return reasonWrongName, opened
		case errors.Is(err, keyring.ErrExpired):
			return reasonExpired, opened
		case errors.Is(err, keyring.ErrTooLong):
			return reasonOversize, opened
		}
		return reasonMalformed, opened
	}
	if decodePayload(opened.Plaintext, p) != nil {
		return reasonMalformed, opened
	}
	if now >= m.expiresAt(p, p.saved) {
		return reasonExpired, opened
	}
	if m.cfg.Revoker != nil {
		revoked, err := m.cfg.Revoker.Revoked(p.id, p.userID, time.Unix(0, p.created))
		if err != nil {
			m.st.revokerErrors.Add(1)
			m.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "sessions: revocation list did not answer",
				slog.Bool("fail_open", m.cfg.InsecureFailOpen), slog.Any("error", err))
			if !m.cfg.InsecureFailOpen {
				return reasonRevokerError, opened
			}
		} else if revoked {
			return reasonRevoked, opened
		}
	}
	return reasonOK, opened
}

// cookieValues finds the values of the cookies named name in the Cookie
// headers, in order, up to len(dst). present reports whether any cookie of
// that name was sent (even past len(dst)).
func cookieValues(h http.Header, name string, dst []string) (n int, present bool) {
	for _, line := range h["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || strings.TrimSpace(k) != name {
				continue
			}
			present = true
			v = strings.TrimSpace(v)
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if n < len(dst) {
				dst[n] = v
				n++
			}
		}
	}
	return n, present
}

// Save writes the session's cookie into w's headers if the session needs
// saving (modified, opened under an old key, or SaveEveryRequest), deletes
// it after a Flush, and adds "Vary: Cookie" if the session was accessed.
// Call it before writing the response body; Handler does. A session too
// large for a cookie returns a *TooLargeError (matching ErrTooLarge) and
// writes nothing, so the browser keeps its previous cookie. Saving again
// after a change (a handler's Save, then Handler's) replaces the cookie
// line the first save added, so a response carries one session cookie.
func (m *Manager) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	if s == nil {
		return fmt.Errorf("sessions: save: %w (nil Session)", ErrNoSession)
	}
	return m.commit(w.Header(), r, s)
}

func (m *Manager) commit(h http.Header, r *http.Request, s *Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accessed {
		addVary(h)
	}
	nowT := m.now()
	now := nowT.UnixNano()
	if s.empty() && (s.fresh || s.flushed) {
		// Nothing worth a cookie: a new session left empty, or a flushed one.
		// A cookie an earlier Save put in this response goes, if the
		// session changed since (not the deletion that Save wrote).
		if s.flushed && s.incoming {
			m.deleteCookie(h, s)
		} else if s.modified {
			s.dropLine(h)
		}
		s.flushed = false
		s.modified = false
		return nil
	}
	if !s.modified && !s.reseal && !(m.cfg.SaveEveryRequest && !s.saved && !s.fresh) {
		return nil
	}
	if m.expiresAt(&s.p, now) <= now {
		// Saved already expired (a custom expiry in the past): the session
		// ends here. Revoke its ID so an earlier copy of the cookie, which
		// may carry a later expiry, dies too.
		var err error
		if !s.fresh {
			ctx := context.Background()
			if r != nil {
				ctx = r.Context()
			}
			err = m.revokeID(ctx, "save", s.p.id, m.revokeUntil(&s.p), true)
		}
		if s.incoming {
			m.deleteCookie(h, s)
		} else {
			s.dropLine(h)
		}
		s.modified, s.reseal, s.flushed = false, false, false
		return err
	}
	prevSaved := s.p.saved
	s.p.saved = now
	if err := m.setCookie(h, s, nowT); err != nil {
		s.p.saved = prevSaved
		if errors.Is(err, ErrTooLarge) {
			m.st.tooLarge.Add(1)
		}
		return err
	}
	m.st.saved.Add(1)
	if s.reseal {
		m.st.resealed.Add(1)
	}
	s.fresh, s.modified, s.reseal, s.flushed, s.saved = false, false, false, false, true
	return nil
}

// appendSealed encodes and seals p, appending the cookie value to dst; it
// refuses a cookie (name plus value) too big for the browser.
func (m *Manager) appendSealed(dst []byte, p *payload) ([]byte, error) {
	kr := m.cfg.Keys.Keyring()
	if kr.Len() == 0 {
		return dst, errors.New("sessions: save: the keyring source returned no keyring, or one without keys")
	}
	name := m.cfg.CookieName
	bp := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(bp)
	buf := (*bp)[:0]
	if need := p.size(); cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	buf = appendPayload(buf, p)
	*bp = buf
	if n := len(name) + kr.SealedLen(name, len(buf)); n > MaxCookieSize {
		return dst, tooLarge(p, n)
	}
	start := len(dst)
	dst, err := kr.AppendSeal(dst, name, buf)
	if err != nil {
		if errors.Is(err, keyring.ErrTooLong) {
			return dst, tooLarge(p, len(name)+kr.SealedLen(name, len(buf)))
		}
		return dst, fmt.Errorf("sessions: save: %w", err)
	}
	if n := len(name) + len(dst) - start; n > MaxCookieSize {
		return dst[:start], tooLarge(p, n)
	}
	return dst, nil
}

// TooLargeError reports a session that does not fit in one cookie. It
// matches ErrTooLarge.
type TooLargeError struct {
	Size  int      // cookie name plus sealed value, in bytes
	Limit int      // MaxCookieSize
	Keys  []string // the largest keys, largest first (at most five)
	Sizes []int    // their encoded sizes in bytes
}

func (e *TooLargeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sessions: save: session too large for a cookie: %d bytes, limit %d; the previous cookie is kept", e.Size, e.Limit)
	if len(e.Keys) > 0 {
		b.WriteString("; largest keys:")
		for i, k := range e.Keys {
			fmt.Fprintf(&b, " %q (%d B)", k, e.Sizes[i])
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

func tooLarge(p *payload, size int) *TooLargeError {
	idx := make([]int, len(p.entries))
	for i := range idx {
		idx[i] = i
	}
	sz := func(i int) int { return len(p.entries[i].key) + len(p.entries[i].raw) }
	sort.SliceStable(idx, func(a, b int) bool { return sz(idx[a]) > sz(idx[b]) })
	if len(idx) > 5 {
		idx = idx[:5]
	}
	e := &TooLargeError{Size: size, Limit: MaxCookieSize}
	for _, i := range idx {
		e.Keys = append(e.Keys, p.entries[i].key)
		e.Sizes = append(e.Sizes, sz(i))
	}
	return e
}

// appendAttrs appends the cookie attributes shared by set and delete.
func (m *Manager) appendAttrs(b []byte) []byte {
	b = append(b, "; Path="...)
	b = append(b, m.cfg.Path...)
	if m.cfg.Domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, m.cfg.Domain...)
	}
	if !m.cfg.InsecureScriptAccess {
		b = append(b, "; HttpOnly"...)
	}
	if !m.cfg.InsecureCookies {
		b = append(b, "; Secure"...)
	}
	switch m.cfg.SameSite {
	case http.SameSiteLaxMode:
		b = append(b, "; SameSite=Lax"...)
	case http.SameSiteStrictMode:
		b = append(b, "; SameSite=Strict"...)
	case http.SameSiteNoneMode:
		b = append(b, "; SameSite=None"...)
	}
	if m.cfg.Partitioned {
		b = append(b, "; Partitioned"...)
	}
	return b
}

// setCookie seals s's payload and adds its Set-Cookie header, built in one
// pooled buffer, in place of any this session added before. Callers hold
// s.mu.
func (m *Manager) setCookie(h http.Header, s *Session, now time.Time) error {
	p := &s.p
	lp := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(lp)
	b := append((*lp)[:0], m.cfg.CookieName...)
	b = append(b, '=')
	b, err := m.appendSealed(b, p)
	*lp = b
	if err != nil {
		return err
	}
	if !m.browserClose(p) {
		exp := m.expiresAt(p, now.UnixNano())
		secs := (exp - now.UnixNano() + int64(time.Second) - 1) / int64(time.Second)
		b = append(b, "; Expires="...)
		b = time.Unix(0, exp).UTC().AppendFormat(b, http.TimeFormat)
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, max(secs, 1), 10)
	}
	b = m.appendAttrs(b)
	*lp = b
	s.putLine(h, string(b))
	addNoCacheSetCookie(h)
	return nil
}

// deleteCookie adds a Set-Cookie header that deletes the cookie, in place
// of any this session added before. Callers hold s.mu.
func (m *Manager) deleteCookie(h http.Header, s *Session) {
	b := make([]byte, 0, len(m.cfg.CookieName)+160)
	b = append(b, m.cfg.CookieName...)
	b = append(b, "=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"...)
	b = m.appendAttrs(b)
	s.putLine(h, string(b))
	m.st.deleted.Add(1)
	addNoCacheSetCookie(h)
}

// putLine adds line to h's Set-Cookie headers, replacing the line this
// session added before (a Save by the handler, then the middleware's), so
// a response carries at most one session cookie. Callers hold s.mu.
func (s *Session) putLine(h http.Header, line string) {
	s.dropLine(h)
	h.Add("Set-Cookie", line)
	s.line = line
}

// dropLine removes the Set-Cookie line this session added to h, if it is
// still there. Callers hold s.mu.
func (s *Session) dropLine(h http.Header) {
	if s.line == "" {
		return
	}
	lines := h["Set-Cookie"]
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] == s.line {
			lines = slices.Delete(lines, i, i+1)
			if len(lines) == 0 {
				h.Del("Set-Cookie")
			} else {
				h["Set-Cookie"] = lines
			}
			break
		}
	}
	s.line = ""
}

// addVary adds "Cookie" to the Vary header unless it is there.
func addVary(h http.Header) {
	for _, v := range h["Vary"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, "Cookie") || f == "*" {
				return
			}
		}
	}
	h.Add("Vary", "Cookie")
}

// addNoCacheSetCookie keeps shared caches from storing the Set-Cookie
// header: Cache-Control: no-cache="Set-Cookie", merged into an existing
// Cache-Control.
func addNoCacheSetCookie(h http.Header) {
	const directive = `no-cache="Set-Cookie"`
	cc := h.Get("Cache-Control")
	switch {
	case cc == "":
		h.Set("Cache-Control", directive)
	case strings.Contains(strings.ToLower(cc), "no-cache") || strings.Contains(strings.ToLower(cc), "no-store") || strings.Contains(strings.ToLower(cc), "private"):
		// Already keeps shared caches from reusing the response.
	default:
		h.Set("Cache-Control", cc+", "+directive)
	}
}
