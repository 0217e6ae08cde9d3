package sessions_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// The test browser: a Go client that plays a DBSC browser. It keeps its
// cookies (without expiring them: the server must refuse what is stale),
// the registration and refresh challenges the server sent, and a device
// key it signs proofs with, as the spec's DBSC proof describes.

var b64url = base64.RawURLEncoding

// device is a browser's device key.
type device struct {
	ec  *ecdsa.PrivateKey
	rsa *rsa.PrivateKey
}

func newECDevice(t testing.TB) *device {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &device{ec: k}
}

func newRSADevice(t testing.TB) *device {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &device{rsa: k}
}

func (d *device) alg() string {
	if d.ec != nil {
		return "ES256"
	}
	return "RS256"
}

// jwk returns the public key as a JWK.
func (d *device) jwk() map[string]string {
	if d.ec != nil {
		pt, _ := d.ec.PublicKey.Bytes() // 0x04 || X || Y
		return map[string]string{"kty": "EC", "crv": "P-256", "x": b64url.EncodeToString(pt[1:33]), "y": b64url.EncodeToString(pt[33:])}
	}
	e := []byte{byte(d.rsa.E >> 16), byte(d.rsa.E >> 8), byte(d.rsa.E)}
	for len(e) > 1 && e[0] == 0 {
		e = e[1:]
	}
	return map[string]string{"kty": "RSA", "n": b64url.EncodeToString(d.rsa.N.Bytes()), "e": b64url.EncodeToString(e)}
}

// thumbprint is the RFC 7638 thumbprint, base64url: the DBSC session
// identifier the server must answer with.
func (d *device) thumbprint() string {
	j := d.jwk()
	var canon string
	if d.ec != nil {
		canon = `{"crv":"P-256","kty":"EC","x":"` + j["x"] + `","y":"` + j["y"] + `"}`
	} else {
		canon = `{"e":"` + j["e"] + `","kty":"RSA","n":"` + j["n"] + `"}`
	}
	sum := sha256.Sum256([]byte(canon))
	return b64url.EncodeToString(sum[:])
}

// sign returns a compact JWS of header and claims under d.
func (d *device) sign(t testing.TB, header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := b64url.EncodeToString(h) + "." + b64url.EncodeToString(c)
	sum := sha256.Sum256([]byte(in))
	var sig []byte
	if d.ec != nil {
		r, s, err := ecdsa.Sign(rand.Reader, d.ec, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	} else {
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, d.rsa, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	}
	return in + "." + b64url.EncodeToString(sig)
}

// registrationProof is the proof a browser sends to register.
func (d *device) registrationProof(t testing.TB, challenge string) string {
	return d.sign(t, map[string]any{"alg": d.alg(), "typ": "dbsc+jwt", "jwk": d.jwk()}, map[string]any{"jti": challenge})
}

// refreshProof is the proof a browser sends to refresh (no jwk).
func (d *device) refreshProof(t testing.TB, challenge string) string {
	return d.sign(t, map[string]any{"alg": d.alg(), "typ": "dbsc+jwt"}, map[string]any{"jti": challenge})
}

// browser is a cookie store and a DBSC client against one server.
type browser struct {
	t         testing.TB
	srv       *httptest.Server
	dev       *device
	cookies   map[string]string
	regPath   string // from Secure-Session-Registration
	regChal   string
	chal      string // the cached refresh challenge
	sessionID string // the DBSC session identifier
	last      *http.Response
	lastBody  string
	bare      bool // send DBSC header values unquoted, as Chromium 148 does
}

// quote returns v as the browser sends it: a structured-field string, or
// bare.
func (b *browser) quote(v string) string {
	if b.bare {
		return v
	}
	return `"` + v + `"`
}

func newBrowser(t testing.TB, srv *httptest.Server, dev *device) *browser {
	return &browser{t: t, srv: srv, dev: dev, cookies: map[string]string{}}
}

// clone is a second browser holding copies of b's cookies and no key: the
// thief after an infostealer copied the cookie store.
func (b *browser) clone(dev *device) *browser {
	c := newBrowser(b.t, b.srv, dev)
	for k, v := range b.cookies {
		c.cookies[k] = v
	}
	c.sessionID, c.chal, c.regPath, c.regChal = b.sessionID, b.chal, b.regPath, b.regChal
	return c
}

var (
	regHeader  = regexp.MustCompile(`^\(([A-Z0-9 ]+)\);path="([^"]+)";challenge="([^"]+)"$`)
	chalHeader = regexp.MustCompile(`^"([^"]+)";id="([^"]+)"$`)
)

// do sends a request with the browser's cookies and the given headers, and
// takes in what the response sets.
func (b *browser) do(method, path string, hdr map[string]string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.srv.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	if m := regHeader.FindStringSubmatch(res.Header.Get(sessions.HeaderSessionRegistration)); m != nil {
		if m[1] != "ES256 RS256" {
			b.t.Errorf("registration offers %q, want ES256 RS256", m[1])
		}
		b.regPath, b.regChal = m[2], m[3]
	}
	if m := chalHeader.FindStringSubmatch(res.Header.Get(sessions.HeaderSessionChallenge)); m != nil {
		b.chal = m[1]
		if b.sessionID != "" && m[2] != b.sessionID {
			b.t.Errorf("challenge for session %q, want %q", m[2], b.sessionID)
		}
	}
	b.last, b.lastBody = res, string(body)
	return res
}

// register answers the registration offer with a proof over challenge.
func (b *browser) register(proof string) *http.Response {
	b.t.Helper()
	if b.regPath == "" {
		b.t.Fatal("no registration was offered")
	}
	res := b.do(http.MethodPost, b.regPath, map[string]string{sessions.HeaderSessionResponse: b.quote(proof)})
	if res.StatusCode == http.StatusOK {
		var cfg struct {
			SessionIdentifier string `json:"session_identifier"`
		}
		if err := json.Unmarshal([]byte(b.lastBody), &cfg); err != nil {
			b.t.Fatalf("session configuration: %v in %q", err, b.lastBody)
		}
		b.sessionID = cfg.SessionIdentifier
	}
	return res
}

// refresh sends a refresh with proof ("" for none).
func (b *browser) refresh(proof string) *http.Response {
	b.t.Helper()
	h := map[string]string{sessions.HeaderSessionID: b.quote(b.sessionID)}
	if proof != "" {
		h[sessions.HeaderSessionResponse] = b.quote(proof)
	}
	return b.do(http.MethodPost, "/dbsc", h)
}

// refreshAsBrowser refreshes as the spec's browser does: with the cached
// challenge, and once more with the new one after a 403.
func (b *browser) refreshAsBrowser() *http.Response {
	b.t.Helper()
	res := b.refresh(b.dev.refreshProof(b.t, b.chal))
	if res.StatusCode == http.StatusForbidden {
		res = b.refresh(b.dev.refreshProof(b.t, b.chal))
	}
	return res
}

// user asks the app who is logged in ("" for nobody).
func (b *browser) user() string {
	b.t.Helper()
	b.do(http.MethodGet, "/me", nil)
	return b.lastBody
}

// dbscApp is the app under test: login, logout, cycle, revoke-others
// (EndOtherSessions), narrow (SetExpiry of an hour) and me behind the
// Manager's Handler; the DBSC endpoint beside it.
func dbscApp(t testing.TB, e *env) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		must(t, s.Login(r.Context(), "alice"))
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		must(t, s.Logout(r.Context()))
	})
	mux.HandleFunc("/cycle", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		must(t, s.CycleID(r.Context()))
	})
	mux.HandleFunc("/revoke-others", func(w http.ResponseWriter, r *http.Request) {
		if err := e.m.EndOtherSessions(r.Context(), r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	})
	mux.HandleFunc("/narrow", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		s.SetExpiry(time.Hour)
	})
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		if s.DeviceBound() {
			w.Header().Set("X-Bound", "1")
		}
		if s.MissingDeviceProof() {
			w.Header().Set("X-Missing-Proof", "1")
		}
		_, _ = io.WriteString(w, s.UserID())
	})
	root := http.NewServeMux()
	root.Handle("/dbsc", e.m.DBSCHandler())
	root.Handle("/", e.m.Handler(mux))
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	return srv
}

// dbscEnv is an env with DBSC on at /dbsc, and its app.
func dbscEnv(t testing.TB) (*env, *httptest.Server) {
	e := newEnv(t, func(c *sessions.Config) {
		c.DeviceBound = &sessions.DeviceBound{Path: "/dbsc"}
	})
	return e, dbscApp(t, e)
}

// boundBrowser logs in and registers a browser with dev.
func boundBrowser(t testing.TB, srv *httptest.Server, dev *device) *browser {
	t.Helper()
	b := newBrowser(t, srv, dev)
	b.do(http.MethodPost, "/login", nil)
	if res := b.register(dev.registrationProof(t, b.regChal)); res.StatusCode != http.StatusOK {
		t.Fatalf("registration: %d %s", res.StatusCode, b.lastBody)
	}
	return b
}
