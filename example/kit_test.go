package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
	"github.com/sealedsessions/sealed/sessions/sessiontest"
)

// kitSite is the site's router on a sessiontest.Kit's Manager: the
// handlers with a keyring, revocation list and clock in memory, no data
// directory. For tests of what a handler does with the session; tests of
// the whole site (keyring file, Badger, NATS) use newSite.
func kitSite(t *testing.T) (*sessiontest.Kit, http.Handler) {
	t.Helper()
	k := sessiontest.New(t, sessions.Config{})
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{logger: slog.New(slog.DiscardHandler), now: k.Clock.Now, mgr: k.Manager, pages: pages, limits: newLimiter(Limits{})}
	s.routes()
	return k, s.Handler()
}

// serve runs req through h and returns the recorder.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// heading returns the greeting in a page's body.
func heading(t *testing.T, body string) string {
	t.Helper()
	m := greetingRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no greeting in %s", body)
	}
	return m[1]
}

// The home page greets the session's user while the session lives: not
// after its idle expiry, its absolute lifetime, or a revocation.
func TestKitGreeting(t *testing.T) {
	tests := []struct {
		name  string
		opts  []sessiontest.Option
		after func(k *sessiontest.Kit)
		want  string
	}{
		{"guest", nil, nil, "Hello, Guest"},
		{"logged in", []sessiontest.Option{sessiontest.User("bob")}, nil, "Hello, bob"},
		{"idle too long", []sessiontest.Option{sessiontest.User("bob")}, func(k *sessiontest.Kit) { k.AdvancePastIdle() }, "Hello, Guest"},
		{"past the lifetime", []sessiontest.Option{sessiontest.User("bob"), sessiontest.ExpiresIn(365 * 24 * time.Hour)}, func(k *sessiontest.Kit) { k.AdvancePastLifetime() }, "Hello, Guest"},
		{"logged out everywhere", []sessiontest.Option{sessiontest.User("bob")}, func(k *sessiontest.Kit) { k.RevokeUser("bob") }, "Hello, Guest"},
		{"someone else logged out everywhere", []sessiontest.Option{sessiontest.User("bob")}, func(k *sessiontest.Kit) { k.RevokeUser("alice") }, "Hello, bob"},
		{"everyone logged out", []sessiontest.Option{sessiontest.User("bob")}, func(k *sessiontest.Kit) { k.RevokeAll() }, "Hello, Guest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, h := kitSite(t)
			req := httptest.NewRequest("GET", "/", nil)
			if tt.opts != nil {
				req = k.Request("GET", "/", tt.opts...)
			}
			if tt.after != nil {
				tt.after(k)
			}
			if got := heading(t, serve(h, req).Body.String()); got != tt.want {
				t.Errorf("greeting %q, want %q", got, tt.want)
			}
		})
	}
}

// The cart page reads the cart and the pending flash message from the
// session it is given.
func TestKitCartPage(t *testing.T) {
	k, h := kitSite(t)
	req := k.Request("GET", "/cart",
		sessiontest.Values(map[string]any{keyCart: map[string]int{"tea": 2, "mug": 1}}),
		sessiontest.Flash("A message from the test."))
	rec := serve(h, req)
	body := rec.Body.String()
	for _, want := range []string{`id="cart-count">3<`, "Green tea", "Stoneware mug", "A message from the test."} {
		if !strings.Contains(body, want) {
			t.Errorf("cart page lacks %q", want)
		}
	}
	// The flash was shown, so the response saves the session without it.
	if w := k.Written(rec.Header()); w.Outcome != sessiontest.Saved || len(w.Session.Flashes) != 0 {
		t.Errorf("after showing the flash the response wrote %v with flashes %q, want saved without", w.Outcome, w.Session.Flashes)
	}
}

// "Remember me" decides whether the cookie outlives the browser.
func TestKitPreferencesExpiry(t *testing.T) {
	for _, remember := range []bool{true, false} {
		k, h := kitSite(t)
		form := url.Values{"theme": {"dark"}, "language": {"fr"}}
		if remember {
			form.Set("remember", "on")
		}
		req := k.RequestBody("POST", "/preferences", strings.NewReader(form.Encode()), sessiontest.User("alice"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := k.Written(serve(h, req).Header())
		if w.Outcome != sessiontest.Saved || w.Session.Data[keyTheme] != "dark" || w.Session.UserID != "alice" {
			t.Fatalf("remember %v: wrote %v, theme %v, user %q", remember, w.Outcome, w.Session.Data[keyTheme], w.Session.UserID)
		}
		if w.Session.ExpireAtBrowserClose == remember {
			t.Errorf("remember %v: cookie ends with the browser: %v", remember, w.Session.ExpireAtBrowserClose)
		}
		if persistent := w.Cookies[0].MaxAge > 0; persistent != remember {
			t.Errorf("remember %v: cookie Max-Age %d", remember, w.Cookies[0].MaxAge)
		}
	}
}

// Logging out deletes the cookie, and a copy taken before is a guest's.
func TestKitLogoutReplay(t *testing.T) {
	k, h := kitSite(t)
	c := k.Client(h)
	r := c.PostForm("/login", url.Values{"username": {"alice"}, "password": {"alice-password"}})
	if r.StatusCode != http.StatusSeeOther || r.Written.Session.UserID != "alice" {
		t.Fatalf("login: status %d, session of %q", r.StatusCode, r.Written.Session.UserID)
	}
	if got := heading(t, c.Get("/").Body); got != "Hello, alice" {
		t.Fatalf("after login: %q", got)
	}
	copied := c.Cookies()
	if r := c.PostForm("/logout", nil); r.Written.Outcome != sessiontest.Deleted {
		t.Fatalf("logout wrote %v, want deleted", r.Written.Outcome)
	}
	c.SetCookies(copied)
	if _, live := c.Session(); live {
		t.Error("the cookie copied before logout still opens a session")
	}
	if got := heading(t, c.Get("/").Body); got != "Hello, Guest" {
		t.Errorf("replay of the copied cookie: %q, want Hello, Guest", got)
	}
}
