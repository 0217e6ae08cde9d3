package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/crypto/bcrypt"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
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

func TestLogin(t *testing.T) {
	s := newSite(t, nil)
	tests := []struct {
		name, user, password string
		wantStatus           int
		wantGreeting         string
	}{
		{"alice", "alice", "alice-password", http.StatusSeeOther, "Hello, alice"},
		{"bob", "bob", "bob-password", http.StatusSeeOther, "Hello, bob"},
		{"wrong password", "alice", "bob-password", http.StatusUnauthorized, "Hello, Guest"},
		{"unknown user", "mallory", "alice-password", http.StatusUnauthorized, "Hello, Guest"},
		{"empty", "", "", http.StatusUnauthorized, "Hello, Guest"},
		{"case matters", "Alice", "alice-password", http.StatusUnauthorized, "Hello, Guest"},
		{"password too long for bcrypt", "alice", "alice-password" + strings.Repeat("x", 80), http.StatusUnauthorized, "Hello, Guest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // bcrypt is slow under -race; each case has its own client
			c := s.client()
			resp := c.PostForm("/login", url.Values{"username": {tt.user}, "password": {tt.password}})
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST /login: status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				wantBody(t, "failed login", resp, "Wrong username or password.", `action="/login"`)
				if tt.user != "" {
					wantBody(t, "failed login keeps the username", resp, `value="`+tt.user+`"`)
				}
				if tt.password != "" && strings.Contains(resp.Body, `value="`+tt.password+`"`) {
					t.Errorf("failed login echoes the password")
				}
			} else if loc := resp.Header.Get("Location"); loc != "/" {
				t.Errorf("Location %q, want /", loc)
			}
			if got := greeting(t, c); got != tt.wantGreeting {
				t.Errorf("greeting %q, want %q", got, tt.wantGreeting)
			}
		})
	}
}

func TestLoginCyclesSessionID(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantRedirect(t, "add", c.PostForm("/cart/add", url.Values{"product": {"mug"}, "qty": {"2"}}), "/cart")
	before := apiSession(t, c)
	login(t, c, "bob", "bob-password")
	after := apiSession(t, c)
	if before.SessionID == after.SessionID {
		t.Errorf("session ID %s unchanged by login", after.SessionID)
	}
	if !after.Authenticated || after.Username != "bob" {
		t.Errorf("after login: authenticated %v username %q", after.Authenticated, after.Username)
	}
	if after.Cart["mug"] != 2 {
		t.Errorf("cart after login %v, want mug:2 kept", after.Cart)
	}
}

// TestLogoutReplay is the point of sealed: a cookie copied before logout
// does not work after it.
func TestLogoutReplay(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	if got := greeting(t, c); got != "Hello, alice" {
		t.Fatalf("greeting %q after login", got)
	}
	stolen := c.Cookie("session")
	if stolen == nil {
		t.Fatal("no session cookie after login")
	}

	resp := c.PostForm("/logout", nil)
	wantRedirect(t, "POST /logout", resp, "/")
	if !strings.Contains(resp.Header.Get("Set-Cookie"), "session=;") && !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout did not delete the cookie: Set-Cookie %q", resp.Header.Get("Set-Cookie"))
	}
	if got := greeting(t, c); got != "Hello, Guest" {
		t.Errorf("greeting after logout %q, want Hello, Guest", got)
	}

	// Replay the copied cookie from another client.
	thief := s.client()
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value, Path: "/"})
	if got := greeting(t, thief); got != "Hello, Guest" {
		t.Errorf("replayed cookie after logout: greeting %q, want Hello, Guest", got)
	}
}

func TestLogoutEverywhere(t *testing.T) {
	s := newSite(t, nil)
	laptop, phone, other := s.client(), s.client(), s.client()
	login(t, laptop, "bob", "bob-password")
	login(t, phone, "bob", "bob-password")
	login(t, other, "alice", "alice-password")

	wantRedirect(t, "POST /logout-everywhere", phone.PostForm("/logout-everywhere", nil), "/")
	for name, c := range map[string]*testutil.Client{"laptop": laptop, "phone": phone} {
		if got := greeting(t, c); got != "Hello, Guest" {
			t.Errorf("%s after logout everywhere: %q, want Hello, Guest", name, got)
		}
	}
	if got := greeting(t, other); got != "Hello, alice" {
		t.Errorf("alice after bob logged out everywhere: %q", got)
	}
	// A new login works again.
	login(t, laptop, "bob", "bob-password")
	if got := greeting(t, laptop); got != "Hello, bob" {
		t.Errorf("bob after logging in again: %q", got)
	}
	// A guest is sent to the login page.
	wantRedirect(t, "guest POST /logout-everywhere", s.client().PostForm("/logout-everywhere", nil), "/login")
}

func TestCart(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantRedirect(t, "add tea", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"3"}}), "/cart")
	wantRedirect(t, "add mug", c.PostForm("/cart/add", url.Values{"product": {"mug"}, "qty": {"1"}}), "/cart")
	wantRedirect(t, "add tea again", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"2"}}), "/cart")
	page := c.Get("/cart")
	wantStatus(t, "GET /cart", page, http.StatusOK)
	wantBody(t, "GET /cart", page, "Added 2 × Green tea to your cart.", "Green tea", "Stoneware mug",
		`id="cart-total">€57.00<`, `id="cart-count">6<`)
	if got := apiSession(t, c).Cart; got["tea"] != 5 || got["mug"] != 1 || len(got) != 2 {
		t.Errorf("cart %v, want tea:5 mug:1", got)
	}
	if got := greeting(t, c); got != "Hello, Guest" {
		t.Errorf("greeting %q", got)
	}
	wantBody(t, "home", c.Get("/"), `id="home-cart-count">6<`)

	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"zero", url.Values{"product": {"tea"}, "qty": {"0"}}, "Quantity must be a whole number from 1 to 99"},
		{"negative", url.Values{"product": {"tea"}, "qty": {"-2"}}, "Quantity must be a whole number"},
		{"not a number", url.Values{"product": {"tea"}, "qty": {"lots"}}, "Quantity must be a whole number"},
		{"fraction", url.Values{"product": {"tea"}, "qty": {"1.5"}}, "Quantity must be a whole number"},
		{"too many", url.Values{"product": {"tea"}, "qty": {"100"}}, "Quantity must be a whole number"},
		{"over the cap in total", url.Values{"product": {"tea"}, "qty": {"95"}}, "at most 99 of Green tea"},
		{"huge", url.Values{"product": {"tea"}, "qty": {"99999999999999999999999"}}, "Quantity must be a whole number"},
		{"unknown product", url.Values{"product": {"caviar"}, "qty": {"1"}}, "Unknown product &#34;caviar&#34;."},
		{"no product", url.Values{"qty": {"1"}}, "Unknown product"},
		{"markup", url.Values{"product": {"<script>"}, "qty": {"1"}}, "Unknown product &#34;&lt;script&gt;&#34;."},
	}
	for _, tt := range bad {
		t.Run("add "+tt.name, func(t *testing.T) {
			resp := c.PostForm("/cart/add", tt.form)
			wantStatus(t, "POST /cart/add", resp, http.StatusBadRequest)
			wantBody(t, "POST /cart/add", resp, tt.want)
		})
	}
	if got := apiSession(t, c).Cart; got["tea"] != 5 || got["mug"] != 1 {
		t.Errorf("cart changed by refused adds: %v", got)
	}

	resp := c.PostForm("/cart/remove", url.Values{"product": {"kettle"}})
	wantStatus(t, "remove what is not in the cart", resp, http.StatusBadRequest)
	wantBody(t, "remove kettle", resp, "Gooseneck kettle is not in your cart.")
	wantStatus(t, "remove unknown", c.PostForm("/cart/remove", url.Values{"product": {"caviar"}}), http.StatusBadRequest)
	wantRedirect(t, "remove mug", c.PostForm("/cart/remove", url.Values{"product": {"mug"}}), "/cart")
	if got := apiSession(t, c).Cart; got["mug"] != 0 || got["tea"] != 5 {
		t.Errorf("cart after removing mug: %v", got)
	}

	wantRedirect(t, "checkout", c.PostForm("/cart/checkout", nil), "/cart")
	page = c.Get("/cart")
	if !regexp.MustCompile(`Thank you! Order [A-Z0-9]{8} is confirmed: 5 items, €45.00.`).MatchString(page.Body) {
		t.Errorf("no order confirmation after checkout:\n%s", page.Body)
	}
	wantBody(t, "cart after checkout", page, `id="cart-empty"`)
	// The flash is shown once.
	if strings.Contains(c.Get("/cart").Body, "Thank you!") {
		t.Error("order confirmation shown twice")
	}
	if got := apiSession(t, c); len(got.Cart) != 0 || got.Orders != 1 {
		t.Errorf("after checkout cart %v orders %d, want empty and 1", got.Cart, got.Orders)
	}
	resp = c.PostForm("/cart/checkout", nil)
	wantStatus(t, "checkout an empty cart", resp, http.StatusBadRequest)
	wantBody(t, "empty checkout", resp, "Your cart is empty")
}

func TestCartSurvivesLogin(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantRedirect(t, "add", c.PostForm("/cart/add", url.Values{"product": {"beans"}}), "/cart")
	login(t, c, "alice", "alice-password")
	if got := apiSession(t, c).Cart; got["beans"] != 1 {
		t.Errorf("cart after login %v, want beans:1 (qty defaults to 1)", got)
	}
}

func TestSignup(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()

	// Later steps send you back to the first missing one.
	wantRedirect(t, "GET /signup/2 first", c.Get("/signup/2"), "/signup/1")
	wantRedirect(t, "GET /signup/3 first", c.Get("/signup/3"), "/signup/1")
	wantRedirect(t, "GET /signup/done first", c.Get("/signup/done"), "/signup/1")
	wantRedirect(t, "POST /signup/2 first", c.PostForm("/signup/2", url.Values{"plan": {"pro"}}), "/signup/1")

	// A validation error keeps what was typed.
	resp := c.PostForm("/signup/1", url.Values{"name": {"Ada Lovelace"}, "email": {"not-an-address"}})
	wantStatus(t, "bad email", resp, http.StatusUnprocessableEntity)
	wantBody(t, "bad email", resp, `value="Ada Lovelace"`, `value="not-an-address"`, `id="email-error"`)
	resp = c.PostForm("/signup/1", url.Values{"name": {"  "}, "email": {"ada@example.com"}})
	wantStatus(t, "no name", resp, http.StatusUnprocessableEntity)
	wantBody(t, "no name", resp, `value="ada@example.com"`, `id="name-error"`)

	wantRedirect(t, "step 1", c.PostForm("/signup/1", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}}), "/signup/2")
	wantRedirect(t, "step 3 before 2", c.Get("/signup/3"), "/signup/2")

	resp = c.PostForm("/signup/2", url.Values{"plan": {"platinum"}})
	wantStatus(t, "bad plan", resp, http.StatusUnprocessableEntity)
	wantBody(t, "bad plan", resp, `id="plan-error"`)
	wantRedirect(t, "step 2", c.PostForm("/signup/2", url.Values{"plan": {"pro"}}), "/signup/3")

	// Going back shows the earlier answers.
	wantBody(t, "back to step 1", c.Get("/signup/1"), `value="Ada Lovelace"`, `value="ada@example.com"`)
	wantBody(t, "back to step 2", c.Get("/signup/2"), `value="pro" checked`)
	wantBody(t, "step 3 summary", c.Get("/signup/3"), `id="sum-name">Ada Lovelace<`, `id="sum-plan">Pro<`)

	resp = c.PostForm("/signup/3", url.Values{})
	wantStatus(t, "no confirm", resp, http.StatusUnprocessableEntity)
	wantBody(t, "no confirm", resp, `id="confirm-error"`)
	wantRedirect(t, "done not yet", c.Get("/signup/done"), "/signup/3")

	wantRedirect(t, "step 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	done := c.Get("/signup/done")
	wantStatus(t, "done", done, http.StatusOK)
	wantBody(t, "done", done, "Welcome aboard, Ada Lovelace!", "<strong>Pro</strong>", "ada@example.com")

	v := apiSession(t, c).Signup
	if v["name"] != "Ada Lovelace" || v["email"] != "ada@example.com" || v["plan"] != "pro" || v["confirm"] != "yes" {
		t.Errorf("signup in the session: %v", v)
	}

	// Changing an earlier answer re-opens the form.
	wantRedirect(t, "change plan", c.PostForm("/signup/2", url.Values{"plan": {"team"}}), "/signup/3")
	wantRedirect(t, "done after change", c.Get("/signup/done"), "/signup/3")
	wantRedirect(t, "reset", c.PostForm("/signup/reset", nil), "/signup/1")
	if v := apiSession(t, c).Signup; len(v) != 0 {
		t.Errorf("signup after reset: %v", v)
	}
}

func TestSearch(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	resp := c.Get("/search?q=TEA")
	wantStatus(t, "search", resp, http.StatusOK)
	wantBody(t, "search tea", resp, "Green tea", `Results for “TEA”`)
	if strings.Contains(resp.Body, "Hand grinder") {
		t.Error("search for tea lists the grinder")
	}
	wantBody(t, "search caviar", c.Get("/search?q=caviar"), `id="no-results"`)

	for _, q := range []string{"mug", "kettle", "tea", "scale", "beans"} {
		wantStatus(t, "search "+q, c.Get("/search?q="+q), http.StatusOK)
	}
	want := []string{"beans", "scale", "tea", "kettle", "mug"} // newest first, "tea" moved up, TEA and caviar pushed out
	got := apiSession(t, c).Searches
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recent searches %q, want %q", got, want)
	}
	page := c.Get("/search")
	wantBody(t, "search page", page, `href="/search?q=beans"`)

	resp = c.Get("/search?q=" + strings.Repeat("x", 101))
	wantStatus(t, "long query", resp, http.StatusBadRequest)
	wantBody(t, "long query", resp, "limited to 100 characters")
	if got := apiSession(t, c).Searches; len(got) != 5 || got[0] != "beans" {
		t.Errorf("refused search changed the history: %q", got)
	}
	resp = c.Get("/search?q=%3Cb%3Ebold%3C%2Fb%3E")
	if strings.Contains(resp.Body, "<b>bold</b>") {
		t.Error("search echoes markup unescaped")
	}
}

func TestPreferences(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantStatus(t, "GET /preferences", c.Get("/preferences"), http.StatusOK)

	resp := c.PostForm("/preferences", url.Values{"theme": {"dark"}, "language": {"fr"}})
	wantRedirect(t, "dark fr", resp, "/preferences")
	ck := resp.Header.Get("Set-Cookie")
	if strings.Contains(ck, "Expires=") || strings.Contains(ck, "Max-Age=") {
		t.Errorf("without remember the cookie should end with the browser: %q", ck)
	}
	home := c.Get("/")
	wantBody(t, "home in French, dark", home, `data-theme="dark"`, `lang="fr"`, "Bonjour, invité", ">Panier ")
	v := apiSession(t, c)
	if v.Preferences != (preferencesView{Theme: "dark", Language: "fr"}) || !v.ExpireAtBrowserClose {
		t.Errorf("preferences %+v expire at browser close %v", v.Preferences, v.ExpireAtBrowserClose)
	}

	resp = c.PostForm("/preferences", url.Values{"theme": {"light"}, "language": {"de"}, "remember": {"on"}})
	wantRedirect(t, "light de remember", resp, "/preferences")
	ck = resp.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "Expires=") && !strings.Contains(ck, "Max-Age=") {
		t.Errorf("remember should make the cookie persistent: %q", ck)
	}
	wantBody(t, "home in German", c.Get("/"), `data-theme="light"`, "Hallo, Gast")
	v = apiSession(t, c)
	if !v.Preferences.Remember || v.ExpireAtBrowserClose {
		t.Errorf("after remember: %+v expire at browser close %v", v.Preferences, v.ExpireAtBrowserClose)
	}
	if want := s.clock.Now().Add(14 * 24 * time.Hour); !v.ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want %v (two weeks)", v.ExpiresAt, want)
	}

	for _, form := range []url.Values{
		{"theme": {"purple"}, "language": {"en"}},
		{"theme": {"dark"}, "language": {"xx"}},
		{},
	} {
		resp := c.PostForm("/preferences", form)
		wantStatus(t, "bad preferences "+form.Encode(), resp, http.StatusBadRequest)
		wantBody(t, "bad preferences", resp, "Theme must be light or dark")
	}
	if v := apiSession(t, c).Preferences; v.Language != "de" {
		t.Errorf("refused preferences changed the session: %+v", v)
	}
}

func TestRememberWithExpireAtBrowserClose(t *testing.T) {
	s := newSite(t, func(c *Config) { c.ExpireAtBrowserClose = true; c.CookieAge = 2 * time.Hour })
	c := s.client()
	resp := c.PostForm("/cart/add", url.Values{"product": {"mug"}})
	if ck := resp.Header.Get("Set-Cookie"); strings.Contains(ck, "Expires=") || strings.Contains(ck, "Max-Age=") {
		t.Errorf("with --expire-at-browser-close a new cookie is persistent: %q", ck)
	}
	resp = c.PostForm("/preferences", url.Values{"theme": {"light"}, "language": {"en"}, "remember": {"on"}})
	wantRedirect(t, "remember", resp, "/preferences")
	if ck := resp.Header.Get("Set-Cookie"); !strings.Contains(ck, "Max-Age=7200") {
		t.Errorf("remember me with --expire-at-browser-close: cookie %q, want Max-Age=7200", ck)
	}
	if v := apiSession(t, c); v.ExpireAtBrowserClose || !v.ExpiresAt.Equal(s.clock.Now().Add(2*time.Hour)) {
		t.Errorf("remembered session: browser close %v, expires %v", v.ExpireAtBrowserClose, v.ExpiresAt)
	}
}

func TestSessionPages(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	v := apiSession(t, c)
	if v.Authenticated || v.Username != "" || len(v.Cart) != 0 || v.KeyID != "" {
		t.Errorf("new guest session: %+v", v)
	}
	login(t, c, "bob", "bob-password")
	wantRedirect(t, "add", c.PostForm("/cart/add", url.Values{"product": {"scale"}, "qty": {"2"}}), "/cart")
	v = apiSession(t, c)
	primary := s.keys.Keyring().Primary().ID
	if !v.Authenticated || v.Username != "bob" || v.Cart["scale"] != 2 || v.KeyID != primary {
		t.Errorf("session %+v, want bob, scale:2, key %s", v, primary)
	}
	// The Manager makes creation times unique by adding nanoseconds.
	if d := v.Created.Sub(s.clock.Now()); d < 0 || d > time.Microsecond || !v.ExpiresAt.Equal(s.clock.Now().Add(14*24*time.Hour)) {
		t.Errorf("created %v expires %v, clock %v", v.Created, v.ExpiresAt, s.clock.Now())
	}
	if !strings.HasSuffix(v.SessionID, "…") || len([]rune(v.SessionID)) != 9 {
		t.Errorf("session ID %q is not shortened", v.SessionID)
	}

	// Every documented field is in the JSON.
	raw := c.Get("/api/session").Body
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"authenticated", "username", "cart", "preferences", "signup", "searches", "expires_at", "expire_at_browser_close"} {
		if _, ok := m[k]; !ok {
			t.Errorf("/api/session lacks %q: %s", k, raw)
		}
	}

	page := c.Get("/session")
	wantStatus(t, "GET /session", page, http.StatusOK)
	wantBody(t, "GET /session", page, `id="sess-user">bob<`, `id="sess-key">`+primary+`<`, "scale × 2", v.SessionID)
}

func TestAdminRevokeUser(t *testing.T) {
	s := newSite(t, nil)
	admin, bob, guest := s.client(), s.client(), s.client()
	login(t, admin, "alice", "alice-password")
	login(t, bob, "bob", "bob-password")

	wantRedirect(t, "guest", guest.PostForm("/admin/revoke-user", url.Values{"username": {"bob"}}), "/login")
	wantRedirect(t, "guest GET /admin", guest.Get("/admin"), "/login")
	resp := bob.PostForm("/admin/revoke-user", url.Values{"username": {"alice"}})
	wantStatus(t, "non-admin", resp, http.StatusForbidden)
	wantBody(t, "non-admin", resp, "Only administrators")
	wantStatus(t, "non-admin GET /admin", bob.Get("/admin"), http.StatusForbidden)
	if got := greeting(t, admin); got != "Hello, alice" {
		t.Fatalf("bob's refused attempt affected alice: %q", got)
	}

	wantStatus(t, "GET /admin", admin.Get("/admin"), http.StatusOK)
	resp = admin.PostForm("/admin/revoke-user", url.Values{"username": {"nobody"}})
	wantStatus(t, "unknown user", resp, http.StatusBadRequest)
	wantBody(t, "unknown user", resp, "There is no user &#34;nobody&#34;.")

	wantRedirect(t, "revoke bob", admin.PostForm("/admin/revoke-user", url.Values{"username": {"bob"}}), "/admin")
	wantBody(t, "admin flash", admin.Get("/admin"), "Every session of bob has been logged out.")
	if got := greeting(t, bob); got != "Hello, Guest" {
		t.Errorf("bob after admin revoke: %q, want Hello, Guest", got)
	}
	if got := greeting(t, admin); got != "Hello, alice" {
		t.Errorf("alice after revoking bob: %q", got)
	}
}

func TestCrossOriginPOSTRefused(t *testing.T) {
	s := newSite(t, nil)
	form := url.Values{"username": {"alice"}, "password": {"alice-password"}}.Encode()
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		want    int
	}{
		{"sec-fetch-site cross-site", "/login", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"sec-fetch-site same-site", "/cart/add", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign origin", "/login", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"foreign origin on logout", "/logout", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"foreign origin on admin", "/admin/revoke-user", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"same origin", "/login", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"matching origin", "/login", map[string]string{"Origin": s.http.URL}, http.StatusSeeOther},
		{"no headers (not a browser)", "/login", nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.http.URL+tt.path, strings.NewReader(form))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			c := s.client()
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusForbidden && c.Cookie("session") != nil {
				t.Error("a refused cross-origin POST set a session cookie")
			}
		})
	}
}

func TestIdleExpiry(t *testing.T) {
	s := newSite(t, func(c *Config) { c.CookieAge = time.Hour })
	c := s.client()
	login(t, c, "bob", "bob-password")
	greeting(t, c) // reads the welcome flash: the last save
	s.clock.Advance(59 * time.Minute)
	if got := greeting(t, c); got != "Hello, bob" {
		t.Fatalf("after 59 minutes: %q", got)
	}
	s.clock.Advance(2 * time.Minute)
	if got := greeting(t, c); got != "Hello, Guest" {
		t.Errorf("after 61 minutes idle with a 1h cookie age: %q, want Hello, Guest", got)
	}
}

func TestSaveEveryRequestSlides(t *testing.T) {
	s := newSite(t, func(c *Config) { c.CookieAge = time.Hour; c.SaveEveryRequest = true })
	c := s.client()
	login(t, c, "bob", "bob-password")
	for range 3 {
		s.clock.Advance(45 * time.Minute)
		if got := greeting(t, c); got != "Hello, bob" {
			t.Fatalf("with save-every-request, 45 minutes after the last request: %q", got)
		}
	}
}

func TestAbsoluteLifetime(t *testing.T) {
	s := newSite(t, func(c *Config) {
		c.CookieAge = time.Hour
		c.AbsoluteLifetime = 2 * time.Hour
		c.SaveEveryRequest = true
	})
	c := s.client()
	login(t, c, "bob", "bob-password")
	for range 3 {
		s.clock.Advance(41 * time.Minute) // past 2h at the third step
		greeting(t, c)
	}
	if got := greeting(t, c); got != "Hello, Guest" {
		t.Errorf("past the absolute lifetime despite activity: %q, want Hello, Guest", got)
	}
}

func TestKeyRotationPickedUp(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "bob", "bob-password")
	old := s.keys.Keyring().Primary().ID

	// What `sealctl keys rotate` does to the file.
	k, _, err := s.keys.Keyring().Rotate(s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteFile(s.cfg.KeyringFile, k); err != nil {
		t.Fatal(err)
	}
	if err := s.keys.Reload(); err != nil {
		t.Fatal(err)
	}
	nu := s.keys.Keyring().Primary().ID
	if nu == old {
		t.Fatal("rotation kept the primary")
	}
	if v := apiSession(t, c); v.KeyID != old || v.Username != "bob" {
		t.Errorf("first request after rotation: key %q user %q, want old key %q and bob", v.KeyID, v.Username, old)
	}
	if v := apiSession(t, c); v.KeyID != nu {
		t.Errorf("second request after rotation: key %q, want the new primary %q (re-sealed)", v.KeyID, nu)
	}
}

func TestHealthz(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	resp := c.Get("/healthz")
	wantStatus(t, "GET /healthz", resp, http.StatusOK)
	var h healthReport
	if err := json.Unmarshal([]byte(resp.Body), &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || !h.Revocation.OK || h.Keyring.Keys != 1 || h.Replication != nil {
		t.Errorf("health %+v", h)
	}

	login(t, c, "bob", "bob-password")
	wantRedirect(t, "logout", c.PostForm("/logout", nil), "/")
	json.Unmarshal([]byte(c.Get("/healthz").Body), &h)
	// Login cycled one ID, logout revoked another.
	if h.Revocation.Stats.Sessions < 1 {
		t.Errorf("revocation stats after logout: %+v", h.Revocation.Stats)
	}

	// A store that can't answer makes the site unhealthy.
	if err := s.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp = c.Get("/healthz")
	wantStatus(t, "GET /healthz with the store closed", resp, http.StatusServiceUnavailable)
	wantBody(t, "unhealthy", resp, `"status": "unhealthy"`, `"error": "revocation: store closed"`)
	if strings.Contains(resp.Body, s.cfg.DataDir) {
		t.Errorf("/healthz names the data directory:\n%s", resp.Body)
	}
}

func TestMetrics(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	stolen := c.Cookie("session")
	wantRedirect(t, "logout", c.PostForm("/logout", nil), "/")
	thief := s.client()
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value, Path: "/"})
	greeting(t, thief)
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value[:len(stolen.Value)-4] + "AAAA", Path: "/"})
	greeting(t, thief)

	resp := c.Get("/metrics")
	wantStatus(t, "GET /metrics", resp, http.StatusOK)
	wantBody(t, "metrics", resp,
		`sealed_keyring_keys{state="primary"} 1`,
		`sealed_keyring_keys{state="enabled"} 0`,
		`sealed_revocation_entries{scope="session"} 1`,
		`sealed_revocation_entries{scope="user"} 0`,
		`sealed_sessions_invalid_total{reason="revoked"} 1`,
		`sealed_sessions_invalid_total{reason="tampered"} 1`,
		"sealed_sessions_opened_total ",
		"go_goroutines ",
	)
}

// TestSecurityHeaders checks that every kind of response carries the
// security headers, including the ones mux answers without running r.Use
// middleware (404, 405, clean-path redirects) and the cross-origin 403.
func TestSecurityHeaders(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	crossSite := func() *testutil.Response {
		req, err := http.NewRequest(http.MethodPost, s.http.URL+"/logout", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return &testutil.Response{Response: resp}
	}
	tests := []struct {
		name       string
		do         func() *testutil.Response
		wantStatus int
		wantCache  string
	}{
		{"home", func() *testutil.Response { return c.Get("/") }, http.StatusOK, "no-store"},
		{"api session", func() *testutil.Response { return c.Get("/api/session") }, http.StatusOK, "no-store"},
		{"healthz", func() *testutil.Response { return c.Get("/healthz") }, http.StatusOK, "no-store"},
		{"metrics", func() *testutil.Response { return c.Get("/metrics") }, http.StatusOK, "no-store"},
		{"stylesheet", func() *testutil.Response { return c.Get("/static/style.css") }, http.StatusOK, "public, max-age=3600"},
		{"static directory", func() *testutil.Response { return c.Get("/static/") }, http.StatusNotFound, ""},
		{"not found", func() *testutil.Response { return c.Get("/nope?<b>") }, http.StatusNotFound, "no-store"},
		{"method not allowed", func() *testutil.Response { return c.Get("/logout") }, http.StatusMethodNotAllowed, "no-store"},
		{"clean-path redirect", func() *testutil.Response { return c.Get("//evil.example/") }, http.StatusMovedPermanently, "no-store"},
		{"cross-origin refused", crossSite, http.StatusForbidden, "no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.do()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options":       "nosniff",
				"X-Frame-Options":              "DENY",
				"Referrer-Policy":              "same-origin",
				"Content-Security-Policy":      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Resource-Policy": "same-origin",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if tt.wantCache != "" {
				if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
					t.Errorf("Cache-Control: %q, want %q", got, tt.wantCache)
				}
			}
			if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.Contains(loc, "://") {
				t.Errorf("redirect off the site: Location %q", loc)
			}
			if strings.Contains(resp.Body, "<b>") || strings.Contains(resp.Body, "style.css</a>") {
				t.Errorf("body echoes markup or lists a directory:\n%s", resp.Body)
			}
		})
	}
	// A response that writes the cookie keeps no-store (the session
	// middleware does not weaken it to no-cache="Set-Cookie").
	resp := c.PostForm("/cart/add", url.Values{"product": {"tea"}})
	if resp.Header.Get("Set-Cookie") == "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("cart add: Set-Cookie %q Cache-Control %q, want a cookie and no-store",
			resp.Header.Get("Set-Cookie"), resp.Header.Get("Cache-Control"))
	}
}

// TestSearchFromAnotherSite: a link from another site shows the results
// but does not write into the visitor's session; the site's own form and
// a typed URL do.
func TestSearchFromAnotherSite(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	get := func(q, fetchSite string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.http.URL+"/search?q="+url.QueryEscape(q), nil)
		if err != nil {
			t.Fatal(err)
		}
		if fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", fetchSite)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Results for") {
			t.Fatalf("search %q from %q: status %d", q, fetchSite, resp.StatusCode)
		}
	}
	tests := []struct {
		fetchSite string
		recorded  bool
	}{
		{"same-origin", true},
		{"none", true}, // typed or bookmarked
		{"", true},     // no Fetch Metadata: can't tell
		{"cross-site", false},
		{"same-site", false},
	}
	for _, tt := range tests {
		q := "q-" + tt.fetchSite
		get(q, tt.fetchSite)
		recorded := slices.Contains(apiSession(t, c).Searches, q)
		if recorded != tt.recorded {
			t.Errorf("Sec-Fetch-Site %q: recorded %v, want %v", tt.fetchSite, recorded, tt.recorded)
		}
	}
}

func TestAddSearch(t *testing.T) {
	long := func(r rune) string { return strings.Repeat(string(r), 100) }
	tests := []struct {
		name   string
		recent []string
		q      string
		want   []string
	}{
		{"first", nil, "tea", []string{"tea"}},
		{"newest first", []string{"mug"}, "tea", []string{"tea", "mug"}},
		{"no duplicates", []string{"mug", "tea", "kettle"}, "tea", []string{"tea", "mug", "kettle"}},
		{"five at most", []string{"a", "b", "c", "d", "e"}, "f", []string{"f", "a", "b", "c", "d"}},
		{"five long ASCII fit", []string{long('b'), long('c'), long('d'), long('e')}, long('a'),
			[]string{long('a'), long('b'), long('c'), long('d'), long('e')}},
		{"bytes bound", []string{long('é'), long('è'), long('ê')}, long('ë'), []string{long('ë'), long('é')}},
		{"newest always kept", []string{long('é'), "tea"}, long('𝄞'), []string{long('𝄞')}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := addSearch(slices.Clone(tt.recent), tt.q)
			if !slices.Equal(got, tt.want) {
				t.Errorf("addSearch(%q, %q) = %q, want %q", tt.recent, tt.q, got, tt.want)
			}
		})
	}
}

// TestLargestSessionFits fills every part of the session to the most the
// forms accept, with four-byte characters where text is free, and checks
// the cookie is still written: no input can make a session too large to
// save.
func TestLargestSessionFits(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	wide := strings.Repeat("𝄞", 100)
	email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	if len(email) != 254 {
		t.Fatalf("test e-mail is %d bytes", len(email))
	}
	wantRedirect(t, "signup 1", c.PostForm("/signup/1", url.Values{"name": {wide}, "email": {email}}), "/signup/2")
	wantRedirect(t, "signup 2", c.PostForm("/signup/2", url.Values{"plan": {"team"}}), "/signup/3")
	wantRedirect(t, "signup 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	for _, p := range catalogue {
		wantRedirect(t, "add "+p.ID, c.PostForm("/cart/add", url.Values{"product": {p.ID}, "qty": {"99"}}), "/cart")
	}
	wantRedirect(t, "prefs", c.PostForm("/preferences", url.Values{"theme": {"dark"}, "language": {"de"}, "remember": {"on"}}), "/preferences")
	for i := range 6 {
		q := strings.Repeat(string(rune('𝄞'+i)), 100)
		resp := c.Get("/search?q=" + url.QueryEscape(q))
		wantStatus(t, "search", resp, http.StatusOK)
		if resp.Header.Get("Set-Cookie") == "" {
			t.Fatalf("search %d: no cookie written; the session outgrew the cookie", i)
		}
	}
	// A pending flash on top of it all.
	wantRedirect(t, "add after", c.PostForm("/cart/remove", url.Values{"product": {"tea"}}), "/cart")
	v := apiSession(t, c)
	if v.Signup["name"] != wide || v.Signup["email"] != email || len(v.Cart) != len(catalogue)-1 || len(v.Searches) == 0 || !v.Preferences.Remember {
		t.Errorf("the largest session lost data: %+v", v)
	}
	if got := s.mgr.Stats().TooLarge; got != 0 {
		t.Errorf("%d saves refused as too large", got)
	}
}

// TestLongSearchNotEchoed: a refused query is echoed no longer than the
// form accepts.
func TestLongSearchNotEchoed(t *testing.T) {
	s := newSite(t, nil)
	resp := s.client().Get("/search?q=" + strings.Repeat("x", 5000))
	wantStatus(t, "long query", resp, http.StatusBadRequest)
	if strings.Contains(resp.Body, strings.Repeat("x", 101)) {
		t.Error("the refused query is echoed in full")
	}
	wantBody(t, "long query", resp, `value="`+strings.Repeat("x", 100)+`…"`)
}

// TestFailedLoginLog: a failed login logs a known user's name but never
// what was typed as an unknown one (often the password, one field early).
func TestFailedLoginLog(t *testing.T) {
	logs := &fake.Buffer{}
	s := newSite(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	c := s.client()
	wantStatus(t, "unknown", c.PostForm("/login", url.Values{"username": {"Tr0ub4dor&3"}, "password": {"x"}}), http.StatusUnauthorized)
	wantStatus(t, "wrong password", c.PostForm("/login", url.Values{"username": {"bob"}, "password": {"Tr0ub4dor&4"}}), http.StatusUnauthorized)
	got := logs.String()
	if strings.Contains(got, "Tr0ub4dor") {
		t.Errorf("the log holds what was typed:\n%s", got)
	}
	for _, want := range []string{`msg="login failed" username="(unknown user)"`, `msg="login failed" username=bob`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s:\n%s", want, got)
		}
	}
}

// TestEveryRouteCrossSite walks the router: every POST route refuses a
// cross-site request, and no GET route writes the session when another
// site sends the visitor there (a GET is not behind CrossOriginProtection).
func TestEveryRouteCrossSite(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	wantRedirect(t, "add", c.PostForm("/cart/add", url.Values{"product": {"tea"}}), "/cart")
	c.Get("/cart") // read the flash, so no GET has one to consume
	before := apiSession(t, c)

	var posts, gets int
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil // a prefix-only route such as a subrouter
		}
		methods, err := route.GetMethods()
		if err != nil {
			methods = []string{http.MethodGet} // /static/
		}
		path := strings.NewReplacer("{step:[123]}", "1").Replace(tmpl)
		if strings.HasSuffix(path, "/static/") {
			path += "style.css"
		}
		if path == "/search" {
			path += "?q=mug"
		}
		for _, m := range methods {
			if m == http.MethodHead {
				continue
			}
			req, err := http.NewRequest(m, s.http.URL+path, strings.NewReader("username=bob&product=tea&qty=1&theme=dark&language=fr&name=X&email=x@example.com&plan=pro&confirm=on"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch m {
			case http.MethodPost:
				posts++
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("cross-site POST %s: status %d, want 403", path, resp.StatusCode)
				}
			case http.MethodGet:
				gets++
			default:
				t.Errorf("%s %s: a route with a method this test does not know", m, path)
			}
			if ck := resp.Header.Get("Set-Cookie"); ck != "" {
				t.Errorf("cross-site %s %s wrote the session: %.60s…", m, path, ck)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if posts < 10 || gets < 13 {
		t.Errorf("walked %d POST and %d GET routes; the router has more", posts, gets)
	}
	after := apiSession(t, c)
	if after.SessionID != before.SessionID || len(after.Searches) != 0 || after.Cart["tea"] != 1 || after.Preferences.Theme != "light" || !after.Authenticated {
		t.Errorf("cross-site requests changed the session:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestNoMarkupEchoed sends markup through every field the site echoes
// back (in text, attribute and URL contexts) and checks it comes back
// escaped everywhere it shows.
func TestNoMarkupEchoed(t *testing.T) {
	const payload = `x"'><script>alert(1)</script><img src=x onerror=alert(2)>`
	s := newSite(t, nil)
	c := s.client()
	check := func(what string, resp *testutil.Response) {
		t.Helper()
		for _, bad := range []string{"<script>", "<img", `"'>`} {
			if strings.Contains(resp.Body, bad) {
				t.Errorf("%s: body holds %q unescaped", what, bad)
			}
		}
	}
	check("login username", c.PostForm("/login", url.Values{"username": {payload}, "password": {"x"}}))
	check("cart product", c.PostForm("/cart/add", url.Values{"product": {payload}}))
	check("cart qty", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {payload}}))
	check("cart remove", c.PostForm("/cart/remove", url.Values{"product": {payload}}))
	check("signup bad email", c.PostForm("/signup/1", url.Values{"name": {payload}, "email": {payload}}))
	wantRedirect(t, "signup", c.PostForm("/signup/1", url.Values{"name": {payload}, "email": {"ada@example.com"}}), "/signup/2")
	wantRedirect(t, "signup 2", c.PostForm("/signup/2", url.Values{"plan": {"pro"}}), "/signup/3")
	check("signup summary", c.Get("/signup/3"))
	check("signup plan", c.PostForm("/signup/2", url.Values{"plan": {payload}}))
	wantRedirect(t, "signup 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	check("signup done", c.Get("/signup/done"))
	resp := c.Get("/search?q=" + url.QueryEscape(payload))
	check("search", resp)
	wantBody(t, "search history link", c.Get("/search"), `href="/search?q=x%22%27%3e%3cscript%3ealert%281%29%3c%2fscript%3e`)
	check("preferences", c.PostForm("/preferences", url.Values{"theme": {payload}, "language": {payload}}))
	check("not found", c.Get("/"+url.PathEscape(payload)))
	check("session page", c.Get("/session"))
	api := c.Get("/api/session")
	if strings.Contains(api.Body, "<") {
		t.Errorf("/api/session holds a raw '<':\n%s", api.Body)
	}
	login(t, c, "alice", "alice-password")
	check("admin unknown user", c.PostForm("/admin/revoke-user", url.Values{"username": {payload}}))
}

// TestPublicStoreError: /healthz names what is wrong with the store, never
// the data directory or Badger's error.
func TestPublicStoreError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{revocation.ErrClosed, "revocation: store closed"},
		{fmt.Errorf("%w: %s: %v", revocation.ErrFailed, "/srv/secret-data/revocations", errors.New("sync: disk full")), "revocation: store failed"},
		{errors.New("open /srv/secret-data: permission denied"), "revocation: store unavailable"},
	}
	for _, tt := range tests {
		if got := publicStoreError(tt.err); got != tt.want {
			t.Errorf("publicStoreError(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestUnknownUserCostsABcrypt guards the login's timing: the hash compared
// for an unknown name must be a well-formed bcrypt hash of the same cost
// as the users' (a malformed one fails at once, and a fast answer would
// tell which names exist) and must match no demo password.
func TestUnknownUserCostsABcrypt(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash)
	if err != nil {
		t.Fatalf("dummy hash: %v", err)
	}
	for name, u := range users {
		uc, err := bcrypt.Cost(u.hash)
		if err != nil || uc != cost {
			t.Errorf("%s: cost %d (%v), dummy's %d", name, uc, err, cost)
		}
	}
	for _, pw := range []string{"alice-password", "bob-password", "x"} {
		if err := bcrypt.CompareHashAndPassword(dummyHash, []byte(pw)); !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			t.Errorf("dummy hash against %q: %v, want a mismatch", pw, err)
		}
	}
}
