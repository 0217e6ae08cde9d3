package main

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
)

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
	if before.SessionID == nil || after.SessionID == nil || *before.SessionID == *after.SessionID {
		t.Errorf("session ID %v unchanged by login (before %v)", deref(after.SessionID), deref(before.SessionID))
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
