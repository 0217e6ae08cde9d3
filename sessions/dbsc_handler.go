package sessions

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sealedsessions/sealed/keyring"
)

// DBSCHandler returns the DBSC registration and refresh endpoint, to mount
// at Config.DeviceBound.Path outside Manager.Handler (it reads and writes
// the session cookie itself). Without Config.DeviceBound it answers 404.
//
// A POST without Sec-Secure-Session-Id is a registration: the browser's
// proof (Secure-Session-Response) must sign the challenge Login's response
// offered, with the key its "jwk" header carries. The session then gets a
// new ID (the unbound cookie it had stops opening), the key is sealed into
// it, and the response carries the session configuration JSON, the first
// bound cookie and the first refresh challenge.
//
// A POST with Sec-Secure-Session-Id is a refresh: without a proof, or with
// one over a challenge that has expired or is not this session's, it
// answers 403 with a new challenge, as the spec asks; a proof signed by
// the bound key over a live challenge gets the next bound cookie and
// challenge. A session that is gone or no longer bound answers
// {"continue": false}, ending the browser's binding.
func (m *Manager) DBSCHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.cfg.DeviceBound == nil {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		s := m.loadWith(r, false)
		if _, ok := r.Header[HeaderSessionID]; ok {
			m.refreshBinding(w, r, s)
		} else {
			m.registerBinding(w, r, s)
		}
	})
}

// sfString returns the string of a structured-field string item (RFC 9651)
// such as `"abc";param=1`, ignoring parameters. DBSC's strings (JWTs,
// sealed values, base64url) need no escapes, so one with a backslash is
// refused.
func sfString(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	end := strings.IndexByte(v[1:], '"')
	if end < 0 || strings.ContainsAny(v[1:1+end], "\\") {
		return "", false
	}
	return v[1 : 1+end], true
}

// headerString returns a DBSC request header's string: a structured-field
// string as the draft defines it, or the bare value, which Chromium 148
// sends (its Secure-Session-Response is the JWT without quotes).
func headerString(r *http.Request, name string) (string, bool) {
	v := strings.TrimSpace(r.Header.Get(name))
	if strings.HasPrefix(v, `"`) {
		return sfString(v)
	}
	v, _, _ = strings.Cut(v, ";")
	v = strings.TrimSpace(v)
	return v, v != "" && !strings.ContainsAny(v, "\" \t,")
}

// readProof parses the request's Secure-Session-Response.
func readProof(r *http.Request) (*proof, error) {
	tok, ok := headerString(r, HeaderSessionResponse)
	if !ok {
		return nil, proofErr("no %s", HeaderSessionResponse)
	}
	return parseProof(tok)
}

// registerBinding answers a registration.
func (m *Manager) registerBinding(w http.ResponseWriter, r *http.Request, s *Session) {
	if !s.origin.loaded() || s.UserID() == "" {
		http.Error(w, "no logged-in session", http.StatusUnauthorized)
		return
	}
	if s.DeviceBound() { // a replayed registration: the session moved on
		m.st.dbscRefused.Add(1)
		http.Error(w, "session already bound", http.StatusConflict)
		return
	}
	kr := m.cfg.Keys.Keyring()
	pr, err := readProof(r)
	var key *deviceKey
	if err == nil {
		key, err = parseJWK(pr.jwk)
	}
	if err == nil {
		err = pr.verify(key)
	}
	if err == nil {
		if _, ok := m.openChallenge(kr, pr.jti, purposeRegister, s.sessionID(), [32]byte{}); !ok {
			err = proofErr("not a live registration challenge of this session")
		}
	}
	if err != nil {
		m.st.dbscRefused.Add(1)
		http.Error(w, "registration proof refused", http.StatusBadRequest)
		return
	}
	if err := s.CycleID(r.Context()); err != nil {
		m.reportError(w, r, err)
		http.Error(w, "binding not recorded", http.StatusServiceUnavailable)
		return
	}
	s.bind(key.canonical)
	if err := m.commit(w.Header(), r, s); err != nil {
		m.reportError(w, r, err)
		http.Error(w, "binding not saved", http.StatusServiceUnavailable)
		return
	}
	thumb := thumbprint(key.canonical)
	if !m.issueBound(w, kr, s.sessionID(), thumb) {
		return
	}
	m.st.dbscRegistered.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m.instructions(thumb))
}

// refreshBinding answers a refresh.
func (m *Manager) refreshBinding(w http.ResponseWriter, r *http.Request, s *Session) {
	sid, _ := headerString(r, HeaderSessionID)
	key, err := keyFromCanonical(s.deviceKey())
	if !s.origin.loaded() || err != nil || sid != dbscID(thumbprint(key.canonical)) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"continue":false}` + "\n"))
		return
	}
	thumb, id, kr := thumbprint(key.canonical), s.sessionID(), m.cfg.Keys.Keyring()
	pr, err := readProof(r)
	if err == nil && pr.jwk != nil {
		err = proofErr("jwk in a refresh proof")
	}
	if err == nil {
		err = pr.verify(key)
	}
	if err != nil && r.Header.Get(HeaderSessionResponse) != "" {
		m.st.dbscRefused.Add(1)
		http.Error(w, "refresh proof refused", http.StatusBadRequest)
		return
	}
	if err != nil || !m.challengeFresh(r, kr, pr.jti, id, thumb) {
		if err == nil {
			m.st.dbscRefused.Add(1) // signed, but over a dead, foreign or used challenge
		}
		if c, cerr := m.sealChallenge(kr, m.now(), purposeRefresh, id, thumb); cerr == nil {
			w.Header().Set(HeaderSessionChallenge, `"`+c+`";id="`+sid+`"`)
		}
		http.Error(w, "sign the challenge", http.StatusForbidden)
		return
	}
	if m.issueBound(w, kr, id, thumb) {
		m.st.dbscRefreshed.Add(1)
		w.WriteHeader(http.StatusOK)
	}
}

// challengeFresh reports whether v is a live refresh challenge of the
// session id and key thumb that no later refresh has used: the request
// brings no bound cookie issued after it. A browser's cached challenge
// came with its newest bound cookie, in the same response, so it passes;
// a proof replayed beside a bound cookie that a refresh with it earned
// does not.
func (m *Manager) challengeFresh(r *http.Request, kr *keyring.Keyring, v string, id [16]byte, thumb [32]byte) bool {
	c, ok := m.openChallenge(kr, v, purposeRefresh, id, thumb)
	if !ok {
		return false
	}
	newest, found := m.newestBound(r.Header, kr, id, thumb, m.now().UnixNano())
	return !found || newest <= c.issued
}

// issueBound sets the next bound cookie and refresh challenge, or answers
// 500 if they can't be sealed.
func (m *Manager) issueBound(w http.ResponseWriter, kr *keyring.Keyring, id [16]byte, thumb [32]byte) bool {
	if err := m.setBound(w.Header(), kr, id, thumb); err != nil {
		m.cfg.Logger.LogAttrs(context.Background(), slog.LevelError, "sessions: dbsc: bound cookie not issued", slog.Any("error", err))
		http.Error(w, "bound cookie not issued", http.StatusInternalServerError)
		return false
	}
	return true
}

// sessionInstructions is the session configuration JSON of the spec.
type sessionInstructions struct {
	SessionIdentifier string              `json:"session_identifier"`
	RefreshURL        string              `json:"refresh_url"`
	Scope             sessionScope        `json:"scope"`
	Credentials       []sessionCredential `json:"credentials"`
}

type sessionScope struct {
	IncludeSite bool `json:"include_site"`
}

type sessionCredential struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Attributes string `json:"attributes"`
}

// instructions returns the session configuration for the binding of the
// key with thumbprint thumb: this origin, the bound cookie with the
// session cookie's attributes, refreshes at DeviceBound.Path.
func (m *Manager) instructions(thumb [32]byte) sessionInstructions {
	attrs := strings.TrimPrefix(string(m.appendAttrs(nil)), "; ")
	return sessionInstructions{
		SessionIdentifier: dbscID(thumb),
		RefreshURL:        m.cfg.DeviceBound.Path,
		Credentials:       []sessionCredential{{Type: "cookie", Name: m.cfg.DeviceBound.CookieName, Attributes: attrs}},
	}
}

// sessionID returns the session's ID.
func (s *Session) sessionID() [16]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.id
}

// deviceKey returns the canonical JWK the session is bound to, or "".
func (s *Session) deviceKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.device
}

// bind seals the device key into the session from its next save.
func (s *Session) bind(canonical string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.device = canonical
	s.markChanged()
}
