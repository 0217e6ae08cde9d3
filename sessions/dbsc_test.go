package sessions_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// TestDBSCRegistration: Login's response offers registration; a proof
// signed by the browser's key binds the session, answers the session
// configuration JSON, and sets the first bound cookie and challenge.
func TestDBSCRegistration(t *testing.T) {
	for _, tc := range []struct {
		name string
		dev  func(testing.TB) *device
	}{{"ES256", newECDevice}, {"RS256", newRSADevice}} {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := dbscEnv(t)
			dev := tc.dev(t)
			b := newBrowser(t, srv, dev)
			b.do(http.MethodPost, "/login", nil)
			unbound := b.cookies["session"]
			res := b.register(dev.registrationProof(t, b.regChal))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("registration: %d %s", res.StatusCode, b.lastBody)
			}
			var cfg struct {
				SessionIdentifier string `json:"session_identifier"`
				RefreshURL        string `json:"refresh_url"`
				Scope             struct {
					IncludeSite *bool `json:"include_site"`
				} `json:"scope"`
				Credentials []struct{ Type, Name, Attributes string } `json:"credentials"`
			}
			if err := json.Unmarshal([]byte(b.lastBody), &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.SessionIdentifier != dev.thumbprint() || cfg.RefreshURL != "/dbsc" || cfg.Scope.IncludeSite == nil ||
				len(cfg.Credentials) != 1 || cfg.Credentials[0].Type != "cookie" || cfg.Credentials[0].Name != "session_bound" ||
				cfg.Credentials[0].Attributes != "Path=/; HttpOnly; Secure; SameSite=Lax" {
				t.Errorf("session configuration %s", b.lastBody)
			}
			if b.cookies["session_bound"] == "" || b.chal == "" || b.cookies["session"] == unbound {
				t.Fatalf("registration set bound %q, challenge %q, session changed %v", b.cookies["session_bound"], b.chal, b.cookies["session"] != unbound)
			}
			if u := b.user(); u != "alice" || b.last.Header.Get("X-Bound") != "1" {
				t.Errorf("bound session serves %q, bound %q", u, b.last.Header.Get("X-Bound"))
			}
			if st := e.m.Stats().DBSC; st.Registered != 1 {
				t.Errorf("Stats.DBSC = %+v", st)
			}
		})
	}
}

// TestDBSCBareHeaders: Chromium 148 sends Secure-Session-Response (and
// Sec-Secure-Session-Id) without the quotes of a structured-field string;
// both forms register and refresh.
func TestDBSCBareHeaders(t *testing.T) {
	e, srv := dbscEnv(t)
	dev := newECDevice(t)
	b := newBrowser(t, srv, dev)
	b.bare = true
	b.do(http.MethodPost, "/login", nil)
	if res := b.register(dev.registrationProof(t, b.regChal)); res.StatusCode != http.StatusOK {
		t.Fatalf("registration with a bare proof: %d %s", res.StatusCode, b.lastBody)
	}
	e.clock.Advance(time.Second)
	if res := b.refresh(dev.refreshProof(t, b.chal)); res.StatusCode != http.StatusOK {
		t.Fatalf("refresh with bare headers: %d %s", res.StatusCode, b.lastBody)
	}
	if res := b.refresh(`"` + dev.refreshProof(t, b.chal)); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unterminated string: %d", res.StatusCode)
	}
}

// TestDBSCRefresh: the bound cookie expires after DeviceBound.CookieAge;
// the session is then not served, and its cookie is kept, until the
// browser signs a refresh; a stale cached challenge gets a 403 with a new
// one, as the spec's browser expects.
func TestDBSCRefresh(t *testing.T) {
	e, srv := dbscEnv(t)
	b := boundBrowser(t, srv, newECDevice(t))
	e.clock.Advance(sessions.DefaultBoundCookieAge - time.Second)
	if u := b.user(); u != "alice" {
		t.Fatalf("before expiry: %q", u)
	}
	e.clock.Advance(2 * time.Second)
	if u := b.user(); u != "" || b.last.Header.Get("X-Missing-Proof") != "1" {
		t.Fatalf("after the bound cookie's expiry the session is served: %q, missing proof %q", u, b.last.Header.Get("X-Missing-Proof"))
	}
	if b.cookies["session"] == "" {
		t.Fatal("the session cookie was deleted; the refresh needs it")
	}
	if st := e.m.Stats().Invalid; st.Unbound != 1 {
		t.Errorf("Invalid.Unbound = %d, want 1", st.Unbound)
	}
	stale := b.chal
	if res := b.refresh(b.dev.refreshProof(t, stale)); res.StatusCode != http.StatusForbidden || b.chal == stale {
		t.Fatalf("a stale challenge: %d, new challenge %v", res.StatusCode, b.chal != stale)
	}
	if res := b.refresh(b.dev.refreshProof(t, b.chal)); res.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", res.StatusCode, b.lastBody)
	}
	if u := b.user(); u != "alice" || b.last.Header.Get("X-Missing-Proof") != "" {
		t.Errorf("after refresh: %q, missing proof %q", u, b.last.Header.Get("X-Missing-Proof"))
	}
	e.clock.Advance(30 * time.Second)
	if res := b.refreshAsBrowser(); res.StatusCode != http.StatusOK { // the cached challenge, still live
		t.Fatalf("refresh with the cached challenge: %d", res.StatusCode)
	}
	if st := e.m.Stats().DBSC; st.Refreshed != 2 {
		t.Errorf("Stats.DBSC = %+v", st)
	}
}

// TestDBSCTickingClock: with a clock that moves between every reading, as
// a real one does, a browser refreshes again and again: the challenge and
// the bound cookie of one response share their issue time.
func TestDBSCTickingClock(t *testing.T) {
	var e *env
	e = newEnv(t, func(c *sessions.Config) {
		c.DeviceBound = &sessions.DeviceBound{Path: "/dbsc"}
		c.Now = func() time.Time { e.clock.Advance(time.Millisecond); return e.clock.Now() }
	})
	b := boundBrowser(t, dbscApp(t, e), newECDevice(t))
	for i := range 3 {
		if res := b.refresh(b.dev.refreshProof(t, b.chal)); res.StatusCode != http.StatusOK {
			t.Fatalf("refresh %d: %d %s", i, res.StatusCode, b.lastBody)
		}
	}
}

// TestDBSCStolenCookies: an infostealer's copy of the session and bound
// cookies works until the bound cookie expires, and can't be refreshed
// without the device key: no proof gets a challenge, a proof by another
// key is refused. The victim's browser keeps working.
func TestDBSCStolenCookies(t *testing.T) {
	e, srv := dbscEnv(t)
	victim := boundBrowser(t, srv, newECDevice(t))
	thief := victim.clone(newECDevice(t))
	if u := thief.user(); u != "alice" {
		t.Fatalf("the copy within the bound cookie's life: %q", u)
	}
	e.clock.Advance(sessions.DefaultBoundCookieAge + time.Second)
	if u := thief.user(); u != "" {
		t.Fatalf("the copy after expiry is served: %q", u)
	}
	if res := thief.refresh(""); res.StatusCode != http.StatusForbidden || thief.chal == "" {
		t.Fatalf("refresh without a proof: %d", res.StatusCode)
	}
	if res := thief.refresh(thief.dev.refreshProof(t, thief.chal)); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a proof by another key: %d", res.StatusCode)
	}
	rsaThief := victim.clone(newRSADevice(t))
	if res := rsaThief.refresh(rsaThief.dev.refreshProof(t, thief.chal)); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("an RS256 proof for an ES256 binding: %d", res.StatusCode)
	}
	if u := thief.user(); u != "" {
		t.Fatalf("the thief is served after refused refreshes: %q", u)
	}
	if st := e.m.Stats().DBSC; st.Refused != 2 || st.Refreshed != 0 {
		t.Errorf("Stats.DBSC = %+v", st)
	}
	if res := victim.refreshAsBrowser(); res.StatusCode != http.StatusOK || victim.user() != "alice" {
		t.Errorf("the victim's refresh: %d", res.StatusCode)
	}
}

// TestDBSCReplay: a refresh proof replayed after its challenge's life is
// refused, even with the session and bound cookies; one replayed within it
// is what remains (SECURITY.md). A registration proof replayed with the
// cookie it was made for is refused (that ID was revoked), and with the
// bound cookie too (the session is bound already).
func TestDBSCReplay(t *testing.T) {
	e, srv := dbscEnv(t)
	dev := newECDevice(t)
	b := newBrowser(t, srv, dev)
	b.do(http.MethodPost, "/login", nil)
	regProof := dev.registrationProof(t, b.regChal)
	preReg := b.clone(nil)
	if res := b.register(regProof); res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	if res := preReg.register(regProof); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("registration replayed with the unbound cookie: %d", res.StatusCode)
	}
	if res := b.register(regProof); res.StatusCode != http.StatusConflict {
		t.Errorf("registration replayed on the bound session: %d", res.StatusCode)
	}
	refresh := dev.refreshProof(t, b.chal)
	copyB := b.clone(nil)
	e.clock.Advance(time.Second)
	if res := b.refresh(refresh); res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	if res := b.refresh(refresh); res.StatusCode != http.StatusForbidden {
		t.Errorf("refresh proof replayed beside the bound cookie it earned: %d", res.StatusCode)
	}
	e.clock.Advance(sessions.DefaultChallengeAge)
	if res := copyB.refresh(refresh); res.StatusCode != http.StatusForbidden {
		t.Errorf("refresh proof replayed after the challenge's life: %d", res.StatusCode)
	}
	if st := e.m.Stats().DBSC; st.Refused != 3 { // 409, beside the newer cookie, after the life
		t.Errorf("Stats.DBSC = %+v", st)
	}
}

// TestDBSCEnds: logout ends the binding (the refresh answers continue
// false, the old cookies open nothing); CycleID ends it too, leaving an
// unbound session that is served without a bound cookie.
func TestDBSCEnds(t *testing.T) {
	e, srv := dbscEnv(t)
	b := boundBrowser(t, srv, newECDevice(t))
	stolen := b.clone(b.dev)
	b.do(http.MethodPost, "/logout", nil)
	if res := stolen.refreshAsBrowser(); res.StatusCode != http.StatusOK || !strings.Contains(stolen.lastBody, `"continue":false`) {
		t.Errorf("refresh after logout: %d %s", res.StatusCode, stolen.lastBody)
	}
	if u := stolen.user(); u != "" {
		t.Errorf("cookies from before logout: %q", u)
	}

	c := boundBrowser(t, srv, newECDevice(t))
	c.do(http.MethodPost, "/cycle", nil)
	e.clock.Advance(time.Hour)
	if u := c.user(); u != "alice" || c.last.Header.Get("X-Bound") != "" {
		t.Errorf("after CycleID: user %q, bound %q", u, c.last.Header.Get("X-Bound"))
	}
}

// TestDBSCUnregistered: a browser without DBSC, or a Manager without it,
// works as before: no bound cookie is ever needed.
func TestDBSCUnregistered(t *testing.T) {
	e, srv := dbscEnv(t)
	b := newBrowser(t, srv, nil)
	b.do(http.MethodPost, "/login", nil)
	if b.regChal == "" {
		t.Fatal("Login's response offers no registration")
	}
	e.clock.Advance(time.Hour)
	if u := b.user(); u != "alice" {
		t.Errorf("an unregistered session: %q", u)
	}
	if res := b.do(http.MethodGet, "/me", nil); res.Header.Get(sessions.HeaderSessionRegistration) != "" {
		t.Error("registration offered on a response that did not log in")
	}

	// Load and Save without Handler offer it too.
	r, s := e.m.Load(httptest.NewRequest(http.MethodGet, "/", nil))
	must(t, s.Login(r.Context(), "bob"))
	w := newHeaderWriter()
	must(t, e.m.Save(w, r, s))
	if !strings.HasPrefix(w.Header().Get(sessions.HeaderSessionRegistration), `(ES256 RS256);path="/dbsc";challenge="`) {
		t.Errorf("Save after Login offers %q", w.Header().Get(sessions.HeaderSessionRegistration))
	}

	off := newEnv(t)
	b = newBrowser(t, dbscApp(t, off), nil)
	if b.do(http.MethodPost, "/login", nil); b.regPath != "" {
		t.Error("registration offered without Config.DeviceBound")
	}
	if res := b.do(http.MethodPost, "/dbsc", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("the endpoint without Config.DeviceBound: %d", res.StatusCode)
	}
}

// TestDBSCBadRequests: the endpoint answers clear 4xx statuses, never 500,
// for what a client can send.
func TestDBSCBadRequests(t *testing.T) {
	_, srv := dbscEnv(t)
	dev := newECDevice(t)
	b := newBrowser(t, srv, dev)
	if res := b.do(http.MethodGet, "/dbsc", nil); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d", res.StatusCode)
	}
	b.regPath = "/dbsc"
	if res := b.register("x"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("registration without a session: %d", res.StatusCode)
	}
	b.do(http.MethodPost, "/login", nil)
	for name, proof := range map[string]string{
		"garbage":        "a.b.c",
		"no jwk":         dev.refreshProof(t, b.regChal),
		"alg none":       dev.sign(t, map[string]any{"alg": "none", "typ": "dbsc+jwt", "jwk": dev.jwk()}, map[string]any{"jti": b.regChal}),
		"other typ":      dev.sign(t, map[string]any{"alg": "ES256", "typ": "JWT", "jwk": dev.jwk()}, map[string]any{"jti": b.regChal}),
		"other jti":      dev.registrationProof(t, "not-a-challenge"),
		"jwk of another": dev.sign(t, map[string]any{"alg": "ES256", "typ": "dbsc+jwt", "jwk": newECDevice(t).jwk()}, map[string]any{"jti": b.regChal}),
	} {
		if res := b.register(proof); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
	if res := b.refresh(""); res.StatusCode != http.StatusOK || !strings.Contains(b.lastBody, `"continue":false`) {
		t.Errorf("refresh of an unbound session: %d %s", res.StatusCode, b.lastBody)
	}
}

// TestDBSCConfig: New refuses a DeviceBound it can't serve.
func TestDBSCConfig(t *testing.T) {
	for name, d := range map[string]sessions.DeviceBound{
		"no path":       {},
		"relative path": {Path: "dbsc"},
		"quote in path": {Path: `/a"b`},
		"same cookie":   {Path: "/dbsc", CookieName: "session"},
		"bad cookie":    {Path: "/dbsc", CookieName: "a b"},
		"negative age":  {Path: "/dbsc", CookieAge: -1},
	} {
		cfg := newEnv(t).cfg
		cfg.DeviceBound = &d
		if _, err := sessions.New(cfg); !errors.Is(err, sessions.ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg := newEnv(t).cfg
	cfg.Partitioned = true
	cfg.DeviceBound = &sessions.DeviceBound{Path: "/dbsc"}
	if _, err := sessions.New(cfg); !errors.Is(err, sessions.ErrInvalidConfig) {
		t.Errorf("DeviceBound with Partitioned: %v", err)
	}
	cfg = newEnv(t).cfg
	cfg.Revoker, cfg.InsecureNoRevocation = nil, true
	cfg.DeviceBound = &sessions.DeviceBound{Path: "/dbsc"}
	if _, err := sessions.New(cfg); !errors.Is(err, sessions.ErrInvalidConfig) {
		t.Errorf("DeviceBound without revocation: %v", err)
	}
}
