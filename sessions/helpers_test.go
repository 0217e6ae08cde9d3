package sessions_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ringSource is a keyring.Source whose keyring a test can swap, as a
// Watcher does after a rotation.
type ringSource struct {
	p atomic.Pointer[keyring.Keyring]
}

func (s *ringSource) Keyring() *keyring.Keyring    { return s.p.Load() }
func (s *ringSource) set(k *keyring.Keyring)       { s.p.Store(k) }
func newRingSource(k *keyring.Keyring) *ringSource { s := &ringSource{}; s.set(k); return s }

// env is a Manager with its parts: fake clock, swappable keyring, in-memory
// revoker, captured log.
type env struct {
	t     testing.TB
	m     *sessions.Manager
	clock *fake.Clock
	keys  *ringSource
	rev   *testutil.MemRevoker
	log   *fake.Buffer
	cfg   sessions.Config
}

func newEnv(t testing.TB, opts ...func(*sessions.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: fake.NewClock(t0), log: &fake.Buffer{}}
	e.keys = newRingSource(testutil.Keyring(t))
	e.rev = testutil.NewMemRevoker(e.clock.Now)
	e.cfg = sessions.Config{
		Keys:    e.keys,
		Revoker: e.rev,
		Logger:  slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     e.clock.Now,
	}
	for _, o := range opts {
		o(&e.cfg)
	}
	m, err := sessions.New(e.cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.m = m
	return e
}

// result is one request's outcome.
type result struct {
	rec    *httptest.ResponseRecorder
	cookie *http.Cookie // the Set-Cookie for the session cookie, or nil
	id     string       // the session's ID at the end of the handler
}

// value returns the cookie header value to send back ("" if none was set).
func (r result) value() string {
	if r.cookie == nil {
		return ""
	}
	return r.cookie.Value
}

// do runs one request through the middleware with the given Cookie header
// values and handler body.
func (e *env) do(cookieHeaders []string, fn func(w http.ResponseWriter, r *http.Request, s *sessions.Session)) result {
	e.t.Helper()
	var id string
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.m.Session(r)
		if err != nil {
			e.t.Fatalf("Session: %v", err)
		}
		if fn != nil {
			fn(w, r, s)
		}
		id = s.ID()
	}))
	req := httptest.NewRequest(http.MethodGet, "https://example.test/", nil)
	for _, c := range cookieHeaders {
		req.Header.Add("Cookie", c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{rec: rec, cookie: sessionCookie(e.t, rec.Result().Header, e.m), id: id}
}

// withCookie runs a request carrying the session cookie value v (none if "").
func (e *env) withCookie(v string, fn func(w http.ResponseWriter, r *http.Request, s *sessions.Session)) result {
	e.t.Helper()
	if v == "" {
		return e.do(nil, fn)
	}
	return e.do([]string{e.name() + "=" + v}, fn)
}

func (e *env) name() string {
	if e.cfg.CookieName != "" {
		return e.cfg.CookieName
	}
	return "session"
}

// sessionCookie returns the single Set-Cookie for the session, or nil; it
// fails the test if there are several.
func sessionCookie(t testing.TB, h http.Header, m *sessions.Manager) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("bad Set-Cookie %q: %v", line, err)
		}
		if found != nil {
			t.Fatalf("two Set-Cookie headers: %q", h.Values("Set-Cookie"))
		}
		found = c
	}
	return found
}

// login returns a cookie for a session bound to user with data k=v.
func (e *env) login(user string) result {
	e.t.Helper()
	res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if err := s.Login(r.Context(), user); err != nil {
			e.t.Fatalf("Login: %v", err)
		}
		must(e.t, s.Set("k", "v"))
	})
	if res.cookie == nil {
		e.t.Fatalf("login wrote no cookie")
	}
	return res
}

// load opens cookie v and reports the session's ID, user and value of k.
func (e *env) load(v string) (id, user, k string, isNew bool) {
	e.t.Helper()
	e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		id, user, k, isNew = s.ID(), s.UserID(), sessions.Get(s, "k", ""), s.IsNew()
	})
	return
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// quietManager returns a Manager over kr and rev that logs nothing.
func quietManager(t testing.TB, kr keyring.Source, rev sessions.Revoker) *sessions.Manager {
	t.Helper()
	m, err := sessions.New(sessions.Config{Keys: kr, Revoker: rev, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
