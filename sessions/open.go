package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// maxCandidates bounds how many cookies of our name one request may make
// the Manager try to open.
const maxCandidates = 4

// loadWith returns the session of the first of the request's cookies that
// passes every check, or a new session; bound says whether a device-bound
// session needs its bound cookie (the DBSC endpoint is where it gets one).
// It puts the session in no context; Load does.
func (m *Manager) loadWith(r *http.Request, bound bool) *Session {
	s := &Session{m: m}
	m.loadInto(r, s, bound)
	return s
}

// loadInto is loadWith into s, a zero Session of m's.
func (m *Manager) loadInto(r *http.Request, s *Session, bound bool) {
	var c requestCookies
	c.read(r.Header, m.cfg.CookieName, m.cfg.MaxCookies)
	switch {
	case c.present:
		s.origin = originRefused
	case c.orphans(): // chunk cookies without their first: refused and deleted
		s.origin, s.dropRefused = originRefused, true
		m.refused(r, reasonChunks, "", 0)
	}
	if c.n > 0 && m.openFirst(r, s, &c, bound) {
		return
	}
	m.st.created.Add(1)
	s.p = payload{created: m.stamp()}
	rand.Read(s.p.id[:])
	s.status = statusBlank
}

// openFirst opens into s the first of the request's cookies of the name
// (with its chunks) that passes every check, and reports whether one did.
// A refused cookie is to be deleted, unless one was left untried or the
// revocation list failed: it may be a valid session (fail closed refuses it
// now but must not throw it away).
func (m *Manager) openFirst(r *http.Request, s *Session, c *requestCookies, bound bool) bool {
	now := m.now().UnixNano()
	kr := m.cfg.Keys.Keyring()
	s.dropRefused = c.n < len(c.first)
	var buf []byte
	for _, v := range c.first[:c.n] {
		sealed, why := c.assemble(&buf, v, m.cfg.MaxCookies, m.maxSealed())
		var opened keyring.Opened
		if why == reasonOK {
			why, opened = m.open(kr, sealed, now, &s.p)
		}
		if why == reasonOK && bound {
			why = m.boundCheck(r.Header, kr, &s.p, now)
		}
		if why == reasonOK {
			m.st.opened.Add(1)
			m.keyOpens.add(opened.KeyID)
			s.origin, s.status, s.keyID = originOpened, statusUnmodified, opened.KeyID
			s.dropRefused = false
			if bound {
				s.proved = s.p.device // boundCheck passed: the key is proved
			}
			if !opened.Primary {
				s.origin = originOldKey
			}
			return true
		}
		switch why {
		case reasonRevokerError, reasonUnbound, reasonRevoked:
			// Kept: a revoker error may hide a valid session; an unbound
			// one needs its cookie for the DBSC refresh; and a revoked ID
			// is often one a concurrent response has just replaced (a
			// login, CycleID, a DBSC registration), whose new cookie a
			// deletion arriving last would throw away.
			s.dropRefused = false
		}
		s.unbound = s.unbound || why == reasonUnbound
		if sealed == "" {
			sealed = v
		}
		m.refused(r, why, claimedKeyID(sealed), len(sealed))
	}
	return false
}

// maxLoggedKeyID bounds the key ID a refused cookie names in the log: an
// attacker chooses it.
const maxLoggedKeyID = 32

// claimedKeyID returns the key ID a sealed value names (the text before its
// first dot), cut to maxLoggedKeyID bytes. It is not the value: the value's
// sealed part never reaches the log.
func claimedKeyID(v string) string {
	id, _, ok := strings.Cut(v, ".")
	if !ok {
		return ""
	}
	if len(id) > maxLoggedKeyID {
		id = id[:maxLoggedKeyID]
	}
	return id
}

// open checks one cookie value completely: what the value alone decides
// (unseal), then what changes with time and the revocation list (check).
func (m *Manager) open(kr *keyring.Keyring, v string, now int64, p *payload) (reason, keyring.Opened) {
	why, opened := m.unseal(kr, v, p)
	if why == reasonOK {
		why = m.check(p, now)
	}
	return why, opened
}

// unseal verifies and decrypts a cookie value and decodes its payload into
// p. Its answer depends on the value and the keyring only, so a value
// verified before under the same keyring is taken from the cache (the
// keyring's max age is still checked).
func (m *Manager) unseal(kr *keyring.Keyring, v string, p *payload) (reason, keyring.Opened) {
	if kr == nil { // a broken keyring.Source: nothing can open
		return reasonUnknownKey, keyring.Opened{}
	}
	if _, ok := m.fit(len(v)); !ok || len(v) > m.maxSealed() {
		return reasonOversize, keyring.Opened{}
	}
	if m.cache != nil {
		if opened, ok := m.cache.get(kr, v, p); ok {
			if !kr.Fresh(opened.Sealed) {
				return reasonExpired, opened
			}
			return reasonOK, opened
		}
	}
	opened, err := kr.OpenMax(m.cfg.CookieName, v, m.maxSealed())
	if err != nil {
		return keyringReason(err), opened
	}
	if decodePayload(opened.Plaintext, p) != nil {
		return reasonMalformed, opened
	}
	if m.cache != nil {
		m.cache.put(kr, v, opened, p)
	}
	return reasonOK, opened
}

// keyringReasons classify the keyring's errors; any other is malformed.
var keyringReasons = [...]struct {
	err error
	why reason
}{
	{keyring.ErrTampered, reasonTampered},
	{keyring.ErrUnknownKey, reasonUnknownKey},
	{keyring.ErrWrongName, reasonWrongName},
	{keyring.ErrExpired, reasonExpired},
	{keyring.ErrTooLong, reasonOversize},
}

func keyringReason(err error) reason {
	for _, k := range keyringReasons {
		if errors.Is(err, k.err) {
			return k.why
		}
	}
	return reasonMalformed
}

// check decides what an unsealed payload's time and the revocation list
// say: expired, revoked, or fine.
func (m *Manager) check(p *payload, now int64) reason {
	if now >= m.expiresAt(p, p.saved) {
		return reasonExpired
	}
	if m.cfg.Revoker == nil {
		return reasonOK
	}
	revoked, err := m.cfg.Revoker.Revoked(p.id, p.userID, time.Unix(0, p.created))
	switch {
	case err != nil:
		m.st.revokerErrors.Add(1)
		m.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "sessions: revocation list did not answer",
			slog.Bool("fail_open", m.cfg.InsecureFailOpen), slog.Any("error", err))
		if !m.cfg.InsecureFailOpen {
			return reasonRevokerError
		}
	case revoked:
		return reasonRevoked
	}
	return reasonOK
}
