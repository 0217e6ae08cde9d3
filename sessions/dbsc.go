package sessions

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// Device Bound Session Credentials (W3C webappsec-dbsc, the editor's draft
// of 2026-02-17, commit d34681127abc): a logged-in session is bound to a
// key pair the browser keeps in the device's secure hardware, and from then
// on every request of the session must also carry a short-lived "bound"
// cookie that only a holder of the private key can renew.
//
// The design is stateless, as the rest of the package: the device's public
// key travels sealed in the session cookie (payload version 2), challenges
// and bound cookies are sealed, time-limited values under the keyring, so
// no instance keeps a table of keys or challenges and any instance answers
// a refresh. See SECURITY.md for what it protects against.

// DeviceBound turns on Device Bound Session Credentials for a Manager
// (Config.DeviceBound). Mount Manager.DBSCHandler at Path.
type DeviceBound struct {
	// Path is the registration and refresh endpoint, where the app mounts
	// Manager.DBSCHandler, outside Manager.Handler. Required; an absolute
	// path such as "/dbsc".
	Path string

	// CookieName names the short-lived bound cookie. Default CookieName
	// followed by "_bound". It gets the session cookie's attributes.
	CookieName string

	// CookieAge is the bound cookie's lifetime: how long a copied cookie
	// keeps working away from the device. Default 10 minutes. Chromium
	// refreshes when less than about 2 minutes are left and allows about
	// 6 signatures a site in 9 minutes; a refresh with ChallengeAge below
	// CookieAge signs twice (see ChallengeAge). At 5 minutes a refresh
	// comes every 3 and can need 8 signatures in 9 minutes; under about 2
	// minutes it refreshes on every request. Past the quota Chromium stops
	// refreshing (Secure-Session-Skipped: quota_exceeded) and the session
	// goes unserved.
	CookieAge time.Duration

	// ChallengeAge is how long a challenge may be signed and answered: the
	// window in which a captured proof can be replayed. Default 1 minute.
	// A browser signs the challenge of its last refresh at its next one;
	// shorter than CookieAge, that challenge has expired by then and the
	// refresh takes a 403 and a second signed request with a new one (the
	// draft's flow). Set it above CookieAge to save that round trip, at
	// the price of a longer replay window.
	ChallengeAge time.Duration
}

// Defaults of DeviceBound.
const (
	DefaultBoundCookieAge = 10 * time.Minute
	DefaultChallengeAge   = time.Minute
)

// HTTP header names of the protocol.
const (
	HeaderSessionRegistration = "Secure-Session-Registration"
	HeaderSessionResponse     = "Secure-Session-Response"
	HeaderSessionChallenge    = "Secure-Session-Challenge"
	HeaderSessionID           = "Sec-Secure-Session-Id"
)

// deviceBoundDefaults checks and fills in c.DeviceBound, a copy of the
// caller's.
func (c *Config) deviceBoundDefaults() error {
	if c.DeviceBound == nil {
		return nil
	}
	d := *c.DeviceBound
	c.DeviceBound = &d
	if c.InsecureNoRevocation {
		// Registration gives the session a new ID and revokes the old one:
		// without a revocation list the unbound cookie would live on.
		return invalid("DeviceBound needs a Revoker: the unbound cookie a registration replaces must be revoked")
	}
	if c.Partitioned {
		return invalid("DeviceBound can't be used with Partitioned: the DBSC draft refuses partitioned bound cookies")
	}
	if !strings.HasPrefix(d.Path, "/") || !validAttr(d.Path) || strings.ContainsAny(d.Path, "\"\\") {
		return invalid("DeviceBound.Path %q must be an absolute path", d.Path)
	}
	if d.CookieName == "" {
		d.CookieName = c.CookieName + "_bound"
	}
	if !validCookieName(d.CookieName) || d.CookieName == c.CookieName {
		return invalid("DeviceBound.CookieName %q is not a valid cookie name of its own", d.CookieName)
	}
	if d.CookieAge < 0 || d.ChallengeAge < 0 {
		return invalid("DeviceBound ages must not be negative")
	}
	if d.CookieAge == 0 {
		d.CookieAge = DefaultBoundCookieAge
	}
	if d.ChallengeAge == 0 {
		d.ChallengeAge = DefaultChallengeAge
	}
	return nil
}

// DeviceBound reports whether the session is bound to a device key
// (registered through DBSC and not since ended by CycleID, Login, Flush or
// Logout).
func (s *Session) DeviceBound() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.device != ""
}

// MissingDeviceProof reports whether the request brought the cookie of a
// device-bound session without a live bound cookie, so the session was
// not served: it is a fresh one. A DBSC browser refreshes the bound cookie
// before sending such a request, so it comes from a client without the
// device key (a copied cookie) or from a browser whose refresh failed. An
// app that prefers to refuse it answers 401 or 403; it must not log the
// client in on this fresh session without a new authentication.
func (s *Session) MissingDeviceProof() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unbound
}

// Challenge purposes: a registration challenge names the unbound session;
// a refresh challenge also names the key it was issued to.
const (
	purposeRegister byte = 1
	purposeRefresh  byte = 2
)

// tokenVersion is the first byte of a challenge's and a bound cookie's
// plaintext.
const tokenVersion = 1

// challengeName is the keyring name challenges are sealed under, so a
// challenge never opens as a cookie and a cookie never as a challenge.
func (m *Manager) challengeName() string { return m.cfg.CookieName + ".dbsc-challenge" }

// token is the plaintext of a challenge or a bound cookie.
type token struct {
	purpose byte
	id      [16]byte
	thumb   [32]byte // zero in a registration challenge
	issued  int64    // unix nanoseconds
	expires int64    // unix nanoseconds
}

// tokenHead is the fixed part of an encoded token.
const tokenHead = 2 + 16 + 32

// appendTo appends the token's encoding: version, purpose, session ID,
// thumbprint, issued, expires.
func (k *token) appendTo(b []byte) []byte {
	b = append(b, tokenVersion, k.purpose)
	b = append(b, k.id[:]...)
	b = append(b, k.thumb[:]...)
	b = binary.AppendVarint(b, k.issued)
	return binary.AppendVarint(b, k.expires)
}

// openToken returns the token v seals under name, if it is one of
// purpose for id and thumb, unexpired at now.
func openToken(kr *keyring.Keyring, name, v string, want *token, now int64) (token, bool) {
	o, err := kr.Open(name, v)
	if err != nil {
		return token{}, false
	}
	b := o.Plaintext
	if len(b) <= tokenHead || b[0] != tokenVersion || b[1] != want.purpose ||
		!bytes.Equal(b[2:18], want.id[:]) || !bytes.Equal(b[18:tokenHead], want.thumb[:]) {
		return token{}, false
	}
	t := *want
	var n1, n2 int
	t.issued, n1 = binary.Varint(b[tokenHead:])
	if n1 > 0 {
		t.expires, n2 = binary.Varint(b[tokenHead+n1:])
	}
	if n1 <= 0 || n2 <= 0 || tokenHead+n1+n2 != len(b) || now >= t.expires {
		return token{}, false
	}
	return t, true
}

// sealChallenge returns a challenge for the session id (and, for a
// refresh, the key with thumbprint thumb; zero for a registration).
// now is its issue time.
func (m *Manager) sealChallenge(kr *keyring.Keyring, now time.Time, purpose byte, id [16]byte, thumb [32]byte) (string, error) {
	t := token{purpose: purpose, id: id, thumb: thumb, issued: now.UnixNano(), expires: now.Add(m.cfg.DeviceBound.ChallengeAge).UnixNano()}
	v, err := kr.Seal(m.challengeName(), t.appendTo(nil))
	if err != nil {
		return "", fmt.Errorf("sessions: dbsc: seal challenge: %w", err)
	}
	return v, nil
}

// openChallenge returns the live challenge v of purpose for id and thumb.
func (m *Manager) openChallenge(kr *keyring.Keyring, v string, purpose byte, id [16]byte, thumb [32]byte) (token, bool) {
	return openToken(kr, m.challengeName(), v, &token{purpose: purpose, id: id, thumb: thumb}, m.now().UnixNano())
}

// purposeBound marks a bound cookie's plaintext.
const purposeBound byte = 3

// setBoundCookie puts a bound cookie for session id and key thumb, issued
// at now, in the response.
func (m *Manager) setBoundCookie(h http.Header, kr *keyring.Keyring, now time.Time, id [16]byte, thumb [32]byte) error {
	d := m.cfg.DeviceBound
	t := token{purpose: purposeBound, id: id, thumb: thumb, issued: now.UnixNano(), expires: now.Add(d.CookieAge).UnixNano()}
	v, err := kr.Seal(d.CookieName, t.appendTo(nil))
	if err != nil {
		return fmt.Errorf("sessions: dbsc: seal bound cookie: %w", err)
	}
	b := make([]byte, 0, len(d.CookieName)+len(v)+160)
	b = append(b, d.CookieName+"="+v+"; Max-Age="...)
	b = fmt.Appendf(b, "%d", int64(d.CookieAge/time.Second))
	b = m.appendAttrs(b)
	h.Add("Set-Cookie", string(b))
	return nil
}

// boundCheck decides whether a request may use the bound session p: it
// must bring a live bound cookie naming p's ID and device key.
func (m *Manager) boundCheck(h http.Header, kr *keyring.Keyring, p *payload, now int64) reason {
	if p.device == "" {
		return reasonOK
	}
	if m.cfg.DeviceBound == nil {
		return reasonUnbound // bound under a config that had DBSC on: fail closed
	}
	if _, ok := m.newestBound(h, kr, p.id, thumbprint(p.device), now); !ok {
		return reasonUnbound
	}
	return reasonOK
}

// newestBound returns the latest issue time of the live bound cookies the
// request brings for session id and key thumb, if there is one.
func (m *Manager) newestBound(h http.Header, kr *keyring.Keyring, id [16]byte, thumb [32]byte, now int64) (int64, bool) {
	var c requestCookies
	name := m.cfg.DeviceBound.CookieName
	c.read(h, name, 1)
	want := token{purpose: purposeBound, id: id, thumb: thumb}
	newest, found := int64(0), false
	for _, v := range c.first[:c.n] {
		if t, ok := openToken(kr, name, v, &want, now); ok && (!found || t.issued > newest) {
			newest, found = t.issued, true
		}
	}
	return newest, found
}

// bindingHeaders adds DBSC's headers to a response that wrote the session
// cookie, when DBSC is on: after Login, the offer to bind the unbound
// session (Secure-Session-Registration); after an ID change that kept the
// device key this request proved (EndOtherSessions, a narrowed expiry),
// the bound cookie for the new ID and the next refresh challenge, as a
// refresh would set them, so the session stays bound.
func (m *Manager) bindingHeaders(h http.Header, s *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	saved := s.status == statusSaved && m.cfg.DeviceBound != nil
	offer := s.offer && saved && s.p.userID != "" && s.p.device == ""
	s.offer = false
	if s.rebind && saved {
		s.rebind = false
		if s.p.device != "" && s.p.device == s.proved {
			m.keepBound(h, s)
		}
	}
	if !offer {
		return
	}
	c, err := m.sealChallenge(m.cfg.Keys.Keyring(), m.now(), purposeRegister, s.p.id, [32]byte{})
	if err != nil {
		return // no offer this time; the session works unbound
	}
	h.Set(HeaderSessionRegistration, `(ES256 RS256);path="`+m.cfg.DeviceBound.Path+`";challenge="`+c+`"`)
}

// keepBound sets the bound cookie and refresh challenge for s's new ID.
// If they can't be sealed the session is saved bound without them: it is
// not served until the browser refreshes (failing closed). Callers hold
// s.mu.
func (m *Manager) keepBound(h http.Header, s *Session) {
	if err := m.setBound(h, m.cfg.Keys.Keyring(), s.p.id, thumbprint(s.p.device)); err != nil {
		m.cfg.Logger.LogAttrs(context.Background(), slog.LevelError, "sessions: dbsc: bound cookie for the new ID not issued", slog.Any("error", err))
	}
}

// setBound sets the next bound cookie for session id and key thumb and the
// refresh challenge, with one issue time: the challenge refreshes from
// this bound cookie.
func (m *Manager) setBound(h http.Header, kr *keyring.Keyring, id [16]byte, thumb [32]byte) error {
	now := m.now()
	c, err := m.sealChallenge(kr, now, purposeRefresh, id, thumb)
	if err != nil {
		return err
	}
	if err := m.setBoundCookie(h, kr, now, id, thumb); err != nil {
		return err
	}
	h.Set(HeaderSessionChallenge, `"`+c+`";id="`+dbscID(thumb)+`"`)
	return nil
}

// keepProvedBinding binds s again to the device key its request proved,
// after Login cleared it (EndOtherSessions); the response then sets the
// bound cookie for the new ID (bindingHeaders). A session whose request
// proved no key stays unbound: only a proof keeps a binding.
func (s *Session) keepProvedBinding() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proved != "" {
		s.p.device = s.proved
		s.rebind = true
	}
}

// dbscID is the DBSC session identifier of a binding: the key's
// thumbprint, which stays while the session ID changes.
func dbscID(thumb [32]byte) string { return base64.RawURLEncoding.EncodeToString(thumb[:]) }
