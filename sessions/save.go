package sessions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

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

// commit is Save without the nil check, and the middleware's save. The
// session's status (state.go) decides what the response gets.
func (m *Manager) commit(h http.Header, r *http.Request, s *Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accessed {
		addVary(h)
	}
	switch s.status {
	case statusBlank, statusSaved, statusExpired:
		return nil // nothing new to write
	case statusUnmodified: // written only to re-seal, or to slide the expiry
		if s.origin != originOldKey && !m.cfg.SaveEveryRequest {
			return nil
		}
	case statusModified: // written
	case statusCycled, statusFlushed: // a new ID: written unless nothing is left
		if s.empty() {
			m.discard(h, s)
			return nil
		}
	}
	now := m.now()
	if m.expiresAt(&s.p, now.UnixNano()) <= now.UnixNano() {
		return m.expire(h, r, s)
	}
	return m.save(h, s, now)
}

// discard leaves no cookie for a new ID with nothing worth one: after a
// flush the incoming cookie is deleted; otherwise a cookie an earlier Save
// put in this response goes. Callers hold s.mu.
func (m *Manager) discard(h http.Header, s *Session) {
	if s.status == statusFlushed && s.origin != originNone {
		m.deleteCookie(h, s)
	} else {
		s.sent.drop(h)
	}
	s.status = statusBlank
}

// expire ends a session committed with an expiry already past (a custom
// expiry in the past). Its ID is revoked, so an earlier copy of the
// cookie, which may carry a later expiry, dies too, and the cookie is
// deleted. Callers hold s.mu.
func (m *Manager) expire(h http.Header, r *http.Request, s *Session) error {
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
	}
	err := m.revokeID(ctx, "save", s.p.id, m.revokeUntil(&s.p), s.status.issued())
	if s.origin != originNone {
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
	vp := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(vp)
	v, err := m.seal((*vp)[:0], &s.p)
	*vp = v
	if err != nil {
		s.p.saved = prevSaved
		if errors.Is(err, ErrTooLarge) {
			m.st.tooLarge.Add(1)
		}
		return err
	}
	m.setCookie(h, s, v, now.UnixNano())
	m.st.saved.Add(1)
	if s.origin == originOldKey {
		m.st.resealed.Add(1)
		s.origin = originOpened
	}
	s.status = statusSaved
	return nil
}

// seal encodes and seals p, appending the sealed value to dst; it refuses
// a value whose cookie would not fit in the browser.
func (m *Manager) seal(dst []byte, p *payload) ([]byte, error) {
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
	if size, ok := m.fit(kr.SealedLen(name, len(buf))); !ok {
		return dst, tooLarge(p, size)
	}
	start := len(dst)
	dst, err := kr.AppendSeal(dst, name, buf)
	if err != nil {
		if errors.Is(err, keyring.ErrTooLong) {
			size, _ := m.fit(kr.SealedLen(name, len(buf)))
			return dst, tooLarge(p, size)
		}
		return dst, fmt.Errorf("sessions: save: %w", err)
	}
	if size, ok := m.fit(len(dst) - start); !ok {
		return dst[:start], tooLarge(p, size)
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
