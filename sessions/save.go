package sessions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// ErrSessionInterrupted: the session was ended by another request (a
// logout, flush or "log out everywhere") while this one ran, so saving it
// would hand the browser a cookie of a dead session. Django:
// SessionInterrupted.
var ErrSessionInterrupted = errors.New("sessions: session ended by another request while this one ran")

// Save writes the session's cookie into w's headers if the session needs
// saving (modified, opened under an old key, or SaveEveryRequest), deletes
// it after a Flush (or a refused cookie the request brought), and adds
// "Vary: Cookie" if the session was accessed. Call it before writing the
// response body; Handler does. Saving again after a change (a handler's
// Save, then Handler's) replaces the cookie line the first save added, so
// a response carries one session cookie.
//
// Save writes nothing, and the browser keeps its previous cookie, when it
// returns an error: a *TooLargeError (matching ErrTooLarge) for a session
// too large for a cookie even without its flash messages (the oldest of
// which are dropped first); an error matching ErrSessionInterrupted when
// the revocation list says another request ended the session meanwhile
// (respond as Django does, 400 Bad Request, or start over: the next
// request brings a revoked cookie and gets a fresh session); an error from
// the revocation list, which could not confirm the session is alive, or
// could not record the ID that a shorter expiry retired.
func (m *Manager) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	if s == nil {
		return fmt.Errorf("sessions: save: %w (nil Session)", ErrNoSession)
	}
	if err := m.commit(w.Header(), r, s); err != nil {
		return err
	}
	m.bindingHeaders(w.Header(), s) // DBSC (dbsc.go)
	return nil
}

// commit is Save without the nil check, and the middleware's save. The
// session's status (state.go) decides what the response gets.
func (m *Manager) commit(h http.Header, r *http.Request, s *Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accessed {
		addVary(h, &s.sent.slots)
	}
	if !m.pending(s) {
		m.deleteRefused(h, s)
		return nil
	}
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
	}
	if err := m.interrupted(h, s); err != nil {
		return err
	}
	newID := !s.status.issued() || s.retire.set
	if err := m.retireOld(ctx, s); err != nil {
		return err
	}
	if !s.status.issued() && s.empty() { // a new ID and nothing left
		m.discard(h, s)
		return nil
	}
	now := m.now()
	if m.expiresAt(&s.p, now.UnixNano()) <= now.UnixNano() {
		return m.expire(ctx, h, s)
	}
	if newID {
		if err := m.recordLogin(ctx, r, s); err != nil {
			return err
		}
	}
	return m.save(h, s, now)
}

// pending reports whether the session's status asks the response for a
// cookie, or for a deletion. Callers hold s.mu.
func (m *Manager) pending(s *Session) bool {
	switch s.status {
	case statusBlank, statusSaved, statusExpired:
		return false // nothing new to write
	case statusUnmodified: // written only to re-seal, or to slide the expiry
		return s.origin == originOldKey || m.cfg.SaveEveryRequest
	}
	return true // modified; or a new ID, written unless nothing is left
}

// interrupted checks, before a cookie carrying the session's ID is
// written, that no other request ended the session since this one opened
// it: a revoked ID would otherwise go back to the browser, and the app
// would never know its change was lost. The ID is the one the request
// brought (or that a shorter expiry retired in this request); a session
// that Flush, Logout or Login gave a new ID is past that question. Callers
// hold s.mu.
func (m *Manager) interrupted(h http.Header, s *Session) error {
	id := s.p.id
	switch {
	case s.retire.set:
		id = s.retire.id
	case !s.status.issued() || m.cfg.Revoker == nil:
		return nil
	}
	revoked, err := m.cfg.Revoker.Revoked(id, s.p.userID, time.Unix(0, s.p.created))
	switch {
	case err != nil:
		m.st.revokerErrors.Add(1)
		if m.cfg.InsecureFailOpen {
			return nil
		}
		s.sent.drop(h)
		return fmt.Errorf("sessions: save: revocation list did not answer, session not saved: %w", err)
	case revoked:
		m.st.interrupted.Add(1)
		s.sent.drop(h)
		return fmt.Errorf("sessions: save: %w", ErrSessionInterrupted)
	}
	return nil
}

// retireOld revokes the ID that a shorter expiry replaced in this request
// (setExpiry). Until it is recorded nothing is written, so a retry
// retries it. Callers hold s.mu.
func (m *Manager) retireOld(ctx context.Context, s *Session) error {
	if !s.retire.set {
		return nil
	}
	if err := m.revokeID(ctx, "save", s.retire.id, s.retire.until, true); err != nil {
		return fmt.Errorf("%w (the expiry was shortened; the session is not saved)", err)
	}
	s.retire = retired{}
	return nil
}

// deleteRefused deletes the refused cookie the request brought, once, so
// the browser stops sending it. Callers hold s.mu.
func (m *Manager) deleteRefused(h http.Header, s *Session) {
	if s.dropRefused {
		s.dropRefused = false
		m.deleteCookie(h, s)
	}
}

// discard leaves no cookie for a new ID with nothing worth one: after a
// flush the incoming cookie is deleted, as is a refused one; otherwise a
// cookie an earlier Save put in this response goes. Callers hold s.mu.
func (m *Manager) discard(h http.Header, s *Session) {
	if s.status == statusFlushed && s.origin != originNone {
		s.dropRefused = false
		m.deleteCookie(h, s)
	} else {
		s.sent.drop(h)
		m.deleteRefused(h, s)
	}
	s.status = statusBlank
}

// expire ends a session committed with an expiry already past (a custom
// expiry in the past). Its ID is revoked, so an earlier copy of the
// cookie, which may carry a later expiry, dies too, and the cookie is
// deleted. Callers hold s.mu.
func (m *Manager) expire(ctx context.Context, h http.Header, s *Session) error {
	err := m.revokeID(ctx, "save", s.p.id, m.revokeUntil(&s.p), s.status.issued())
	if s.origin != originNone {
		s.dropRefused = false
		m.deleteCookie(h, s)
	} else {
		s.sent.drop(h)
	}
	if s.origin == originOldKey {
		s.origin = originOpened
	}
	if s.status.issued() {
		s.status = statusExpired
	} else {
		s.status = statusBlank
	}
	return err
}

// save seals the session into the response's cookie. Callers hold s.mu.
func (m *Manager) save(h http.Header, s *Session, now time.Time) error {
	prevSaved := s.p.saved
	s.p.saved = now.UnixNano()
	ap := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(ap)
	attrs := m.appendAttrs(m.appendExpiry((*ap)[:0], &s.p, now.UnixNano()))
	*ap = attrs
	line, err := m.sealFitting(&s.p, len(attrs))
	if err != nil {
		s.p.saved = prevSaved
		if errors.Is(err, ErrTooLarge) {
			m.st.tooLarge.Add(1)
		}
		return err
	}
	m.setCookie(h, s, line, attrs)
	s.dropRefused = false // the new cookie replaces it
	m.st.saved.Add(1)
	if s.origin == originOldKey {
		m.st.resealed.Add(1)
		s.origin = originOpened
	}
	s.status = statusSaved
	return nil
}

// sealFitting seals p, dropping its oldest flash messages while it does
// not fit, as Django's cookie message storage does: a pile of messages
// never read must not make every later save fail. The dropped ones are
// counted in Stats.FlashDropped. If p does not fit even without flashes,
// they are all kept and the error is the one for the whole session, which
// counts them among the largest keys. It returns what seal does.
func (m *Manager) sealFitting(p *payload, room int) ([]byte, error) {
	line, err := m.seal(p, room)
	if err == nil || len(p.flashes) == 0 {
		return line, err
	}
	return m.sealDroppingFlashes(p, room, err)
}

// sealDroppingFlashes is sealFitting once p did not seal with all its
// flashes, with err.
func (m *Manager) sealDroppingFlashes(p *payload, room int, err error) ([]byte, error) {
	all := p.flashes
	var first *TooLargeError
	if !errors.As(err, &first) {
		return nil, err
	}
	over := first.Size - first.Limit
	for drop := 0; drop < len(all); {
		drop = dropFlashes(all, drop, over)
		p.flashes = all[drop:]
		line, err := m.seal(p, room)
		var tl *TooLargeError
		if !errors.As(err, &tl) {
			if err == nil {
				m.st.flashDropped.Add(uint64(drop))
			} else {
				p.flashes = all
			}
			return line, err
		}
		over = tl.Size - tl.Limit
	}
	p.flashes = all
	return nil, first
}

// dropFlashes returns how many of the oldest flashes to drop, more than
// from, for the sealed value to lose about over bytes. A plaintext byte
// costs at least 16/9 sealed bytes (two base64 layers), so this drops no
// more than needed; seal says whether it was enough.
func dropFlashes(f []string, from, over int) int {
	need := over * 9 / 16
	i := from
	for i < len(f) && (i == from || need > 0) {
		need -= len(f[i]) + 1
		i++
	}
	return i
}

// putCleared zeroes the buffer bp holds and returns it to pool: the
// buffer held the plaintext payload, which must not outlive the save in
// pooled memory.
func putCleared(pool *sync.Pool, bp *[]byte) {
	clear((*bp)[:cap(*bp)])
	pool.Put(bp)
}

// seal encodes and seals p; it refuses a value whose cookie would not fit
// in the browser. It returns "NAME=" and the sealed value in a new buffer,
// the caller's alone, with room more bytes of capacity, so that the
// cookie's attributes can follow and the whole become the Set-Cookie line
// without a copy (setCookie).
func (m *Manager) seal(p *payload, room int) ([]byte, error) {
	kr := m.cfg.Keys.Keyring()
	if kr.Len() == 0 {
		return nil, errors.New("sessions: save: the keyring source returned no keyring, or one without keys")
	}
	name := m.cfg.CookieName
	bp := m.bufs.Get().(*[]byte)
	defer putCleared(&m.bufs, bp)
	buf := (*bp)[:0]
	if need := p.size(); cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	buf = appendPayload(buf, p)
	*bp = buf
	sealedLen := kr.SealedLen(name, len(buf))
	if size, ok := m.fit(sealedLen); !ok {
		return nil, m.tooLarge(p, size)
	}
	line := make([]byte, 0, len(name)+1+sealedLen+room)
	line = append(append(line, name...), '=')
	start := len(line)
	line, err := kr.AppendSealMax(line, name, buf, m.maxSealed())
	if err != nil {
		if errors.Is(err, keyring.ErrTooLong) {
			size, _ := m.fit(sealedLen)
			return nil, m.tooLarge(p, size)
		}
		return nil, fmt.Errorf("sessions: save: %w", err)
	}
	if size, ok := m.fit(len(line) - start); !ok {
		return nil, m.tooLarge(p, size)
	}
	return line, nil
}

// TooLargeError reports a session that does not fit in its cookie (or,
// with Config.MaxCookies above 1, its cookies). It matches ErrTooLarge.
type TooLargeError struct {
	// Size is the cookie's name plus sealed value, in bytes; with
	// MaxCookies above 1, what the session's cookies would take in a
	// Cookie header (names, '=', values, "; ").
	Size int
	// Limit is MaxCookieSize; with MaxCookies above 1, the smaller of
	// Config.MaxCookieHeader and what MaxCookies full cookies take.
	Limit int

	Keys  []string // the largest keys, largest first (at most five); FlashKey for the flash messages
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

// FlashKey names the flash messages, taken together, in a
// TooLargeError's Keys.
const FlashKey = "(flash messages)"

func tooLarge(p *payload, size int) *TooLargeError {
	type item struct {
		key  string
		size int
	}
	items := make([]item, 0, len(p.entries)+1)
	for _, e := range p.entries {
		items = append(items, item{e.key, len(e.key) + len(e.raw)})
	}
	if len(p.flashes) > 0 {
		n := 0
		for _, f := range p.flashes {
			n += len(f)
		}
		items = append(items, item{FlashKey, n})
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].size > items[b].size })
	e := &TooLargeError{Size: size, Limit: MaxCookieSize}
	for _, it := range items[:min(len(items), 5)] {
		e.Keys = append(e.Keys, it.key)
		e.Sizes = append(e.Sizes, it.size)
	}
	return e
}
