package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
)

const (
	uaFirefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaSafariIOS    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaChromeWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// loginAs logs c in as alice from a browser with User-Agent ua.
func loginAs(t *testing.T, c *testutil.Client, ua string) {
	t.Helper()
	resp := send(t, c, http.MethodPost, "/login", url.Values{"username": {"alice"}, "password": {"alice-password"}}, map[string]string{"User-Agent": ua})
	wantStatus(t, "login", resp, http.StatusSeeOther)
}

func apiAccountSessions(t *testing.T, c *testutil.Client) []accountSession {
	t.Helper()
	resp := c.Get("/api/account/sessions")
	wantStatus(t, "GET /api/account/sessions", resp, http.StatusOK)
	var v struct {
		Sessions []accountSession `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("GET /api/account/sessions: %v in %s", err, resp.Body)
	}
	return v.Sessions
}

func TestAccountSessions(t *testing.T) {
	s := newSite(t, nil)
	first, second, third, bob := s.client(), s.client(), s.client(), s.client()
	loginAs(t, first, uaFirefoxLinux)
	loginAs(t, second, uaSafariIOS)
	login(t, bob, "bob", "bob-password")

	list := apiAccountSessions(t, first)
	if len(list) != 2 || list[0].Device != "Safari on iOS" || list[0].Current ||
		list[1].Device != "Firefox on Linux" || !list[1].Current || list[0].Created.Before(list[1].Created) {
		t.Fatalf("alice's sessions %+v: want Safari on iOS, then Firefox on Linux (current)", list)
	}
	page := first.Get("/account/sessions")
	wantBody(t, "GET /account/sessions", page, "Safari on iOS", "Firefox on Linux", "This device",
		`value="`+list[0].ID+`"`, `action="/account/sessions/revoke-others"`)
	if strings.Contains(page.Body, `value="`+list[1].ID+`"`) {
		t.Errorf("the current session has a sign-out button")
	}

	// Bob can't end alice's session: 404, and it keeps working.
	resp := bob.PostForm("/account/sessions/revoke", url.Values{"id": {list[0].ID}})
	wantStatus(t, "bob revoking alice's session", resp, http.StatusNotFound)
	if got := greeting(t, second); got != "Hello, alice" {
		t.Fatalf("second client greeted %q after bob's try, want alice", got)
	}

	resp = first.PostForm("/account/sessions/revoke", url.Values{"id": {list[0].ID}})
	wantRedirect(t, "revoke", resp, "/account/sessions")
	if got := greeting(t, second); got != "Hello, Guest" {
		t.Fatalf("second client greeted %q after being signed out, want a guest", got)
	}

	loginAs(t, third, uaChromeWin)
	if n := len(apiAccountSessions(t, first)); n != 2 {
		t.Fatalf("%d sessions after the third login, want 2", n)
	}
	resp = first.PostForm("/account/sessions/revoke-others", nil)
	wantRedirect(t, "revoke-others", resp, "/account/sessions")
	if got := greeting(t, third); got != "Hello, Guest" {
		t.Fatalf("third client greeted %q after revoke-others, want a guest", got)
	}
	if got := greeting(t, first); got != "Hello, alice" {
		t.Fatalf("first client greeted %q after revoke-others, want alice still", got)
	}
	if list := apiAccountSessions(t, first); len(list) != 1 || !list[0].Current {
		t.Fatalf("after revoke-others %+v, want only the current session", list)
	}
	if got := greeting(t, bob); got != "Hello, bob" {
		t.Fatalf("bob greeted %q, want untouched", got)
	}
}

func TestAccountSessionsGuest(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	for _, p := range []string{"/account/sessions", "/api/account/sessions"} {
		wantRedirect(t, "guest GET "+p, c.Get(p), "/login")
	}
	for _, p := range []string{"/account/sessions/revoke", "/account/sessions/revoke-others"} {
		wantRedirect(t, "guest POST "+p, c.PostForm(p, url.Values{"id": {"00"}}), "/login")
	}
	// Cross-origin POSTs are refused like every other form.
	resp := send(t, c, http.MethodPost, "/account/sessions/revoke-others", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	wantStatus(t, "cross-origin revoke-others", resp, http.StatusForbidden)
}

// TestAccountSessionsDeviceBound: a device-bound session (DBSC) carries a
// badge on /account/sessions, translated, and "device_bound" in the JSON.
// The registry entry is recorded as the Manager records it after a DBSC
// registration (sessions' TestDBSCRegistrationRecordsBoundLogin drives
// that protocol).
func TestAccountSessionsDeviceBound(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	loginAs(t, c, uaFirefoxLinux)
	s.clock.Advance(time.Second)
	var bound [16]byte
	if _, err := rand.Read(bound[:]); err != nil {
		t.Fatal(err)
	}
	if err := s.store.RecordLogin(context.Background(), bound, "alice", s.clock.Now(), "Chrome on Windows", true); err != nil {
		t.Fatal(err)
	}
	list := apiAccountSessions(t, c)
	if len(list) != 2 || list[0].ID != hex.EncodeToString(bound[:]) || !list[0].Bound || list[1].Bound {
		t.Fatalf("sessions %+v: want the bound Chrome session, then the unbound current one", list)
	}
	raw := c.Get("/api/account/sessions").Body
	if strings.Count(raw, `"device_bound": true`) != 1 || strings.Count(raw, `"device_bound": false`) != 1 {
		t.Errorf("JSON %s: want one device_bound true and one false", raw)
	}
	page := c.Get("/account/sessions").Body
	if n := strings.Count(page, `class="device-bound"`); n != 1 {
		t.Fatalf("%d device-bound badges on the page, want 1", n)
	}
	if i, j := strings.Index(page, `class="device-bound"`), strings.Index(page, "Chrome on Windows"); j < 0 || i < j || !strings.Contains(page[j:i], "Chrome on Windows") {
		t.Errorf("the badge is not on the bound session's row")
	}
	for lang, want := range map[string]string{"fr": "lié à l’appareil", "de": "gerätegebunden"} {
		c.PostForm("/preferences", url.Values{"theme": {"light"}, "language": {lang}})
		wantBody(t, lang+" /account/sessions", c.Get("/account/sessions"), want)
	}
}
