package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

func TestSessionPages(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	v := apiSession(t, c)
	if v.Authenticated || v.Username != "" || len(v.Cart) != 0 || v.KeyID != "" || v.SessionID != nil {
		t.Errorf("new guest session: %+v", v)
	}
	// Unsaved, the guest's session has no ID to show: null, not a new one
	// on every request.
	wantBody(t, "GET /api/session as a guest", c.Get("/api/session"), `"session_id": null`)
	wantBody(t, "GET /session as a guest", c.Get("/session"), `<span id="sess-id">(none yet`)
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
	if id := deref(v.SessionID); !strings.HasSuffix(id, "…") || len([]rune(id)) != 9 {
		t.Errorf("session ID %q is not shortened", id)
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
	wantBody(t, "GET /session", page, `id="sess-user">bob<`, `id="sess-key">`+primary+`<`, "scale × 2", `id="sess-id">`+deref(v.SessionID)+`<`)
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

// rotateKeys does what `sealctl keys rotate` does to the keyring file, and
// has the watcher reload it.
func (s *site) rotateKeys() {
	s.t.Helper()
	k, _, err := s.keys.Keyring().Rotate(s.clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	if err := keyring.WriteFile(s.cfg.KeyringFile, k); err != nil {
		s.t.Fatal(err)
	}
	if err := s.keys.Reload(); err != nil {
		s.t.Fatal(err)
	}
}

func TestKeyRotationPickedUp(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "bob", "bob-password")
	old := s.keys.Keyring().Primary().ID

	s.rotateKeys()
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
