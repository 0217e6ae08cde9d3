package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
)

// site is the example app opened with the binary's Open, served by
// httptest, with a fake clock.
type site struct {
	*Server
	t     *testing.T
	http  *httptest.Server
	clock *fake.Clock
}

// newSite opens the site with its data in a temp dir. edit, if not nil,
// changes the Config first.
func newSite(t *testing.T, edit func(*Config)) *site {
	t.Helper()
	clock := fake.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	cfg := Config{
		DataDir:             filepath.Join(t.TempDir(), "data"),
		InsecureCookies:     true, // httptest speaks plain HTTP
		Now:                 clock.Now,
		Logger:              slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		KeyringPollInterval: -1, // tests reload explicitly
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &site{Server: srv, t: t, http: hs, clock: clock}
}

func (s *site) client() *testutil.Client {
	return testutil.NewClient(s.t, s.http.URL, nil)
}

// login logs c in and checks the redirect.
func login(t *testing.T, c *testutil.Client, user, password string) {
	t.Helper()
	resp := c.PostForm("/login", url.Values{"username": {user}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login %s: got %d Location %q, want 303 to /", user, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// greeting returns the home page's <h1> text.
var greetingRE = regexp.MustCompile(`<h1 id="greeting">([^<]*)</h1>`)

func greeting(t *testing.T, c *testutil.Client) string {
	t.Helper()
	resp := c.Get("/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d", resp.StatusCode)
	}
	m := greetingRE.FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("GET /: no greeting in %s", resp.Body)
	}
	return m[1]
}

// apiSession decodes GET /api/session.
func apiSession(t *testing.T, c *testutil.Client) sessionView {
	t.Helper()
	resp := c.Get("/api/session")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/session: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /api/session: Content-Type %q", ct)
	}
	var v sessionView
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("GET /api/session: %v in %s", err, resp.Body)
	}
	return v
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func wantStatus(t *testing.T, what string, resp *testutil.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, resp.StatusCode, want, resp.Body)
	}
}

func wantRedirect(t *testing.T, what string, resp *testutil.Response, to string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
		t.Fatalf("%s: got %d Location %q, want 303 to %q; body:\n%s", what, resp.StatusCode, resp.Header.Get("Location"), to, resp.Body)
	}
}

func wantBody(t *testing.T, what string, resp *testutil.Response, substrs ...string) {
	t.Helper()
	for _, s := range substrs {
		if !strings.Contains(resp.Body, s) {
			t.Errorf("%s: body lacks %q:\n%s", what, s, resp.Body)
		}
	}
}

func TestHomeGuest(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	resp := c.Get("/")
	wantStatus(t, "GET /", resp, http.StatusOK)
	wantBody(t, "GET /", resp, "Hello, Guest", `id="cart-count">0<`, `href="/cart"`, `href="/signup/1"`,
		`href="/search"`, `href="/preferences"`, `href="/session"`, `href="/login"`, `data-theme="light"`)
	if got := resp.Header.Get("Set-Cookie"); got != "" {
		t.Errorf("GET / as a new guest set a cookie %q; an untouched session should set none", got)
	}
	css := c.Get("/static/style.css")
	wantStatus(t, "GET /static/style.css", css, http.StatusOK)
	wantBody(t, "style.css", css, `[data-theme="dark"]`)
}

func TestNotFoundAndMethod(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantStatus(t, "GET /nope", c.Get("/nope"), http.StatusNotFound)
	wantStatus(t, "GET /logout", c.Get("/logout"), http.StatusMethodNotAllowed)
	wantStatus(t, "GET /signup/4", c.Get("/signup/4"), http.StatusNotFound)
	long := c.Get("/" + strings.Repeat("p", 5000))
	wantStatus(t, "long path", long, http.StatusNotFound)
	wantBody(t, "long path", long, "There is no page at /"+strings.Repeat("p", 99)+"….")
	if strings.Contains(long.Body, strings.Repeat("p", 100)) {
		t.Error("the 404 page echoes a long path in full")
	}
}

// send sends method path through c with the given headers and, when form
// is not nil, a urlencoded form body: for the requests Client.Do can't
// make, such as a browser's from another site.
func send(t *testing.T, c *testutil.Client, method, path string, form url.Values, headers map[string]string) *testutil.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &testutil.Response{Response: resp, Body: string(b)}
}
