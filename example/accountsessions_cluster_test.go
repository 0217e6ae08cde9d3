package main

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
)

// waitFor polls cond until it holds, for 15 s at most: other processes,
// or another instance's replicator, act on their own.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %s", what)
		}
		time.Sleep(50 * time.Millisecond) // waiting on other goroutines or processes, not on a clock
	}
}

// byDevice returns the row of list whose device is device.
func byDevice(list []accountSession, device string) (accountSession, bool) {
	for _, a := range list {
		if a.Device == device {
			return a, true
		}
	}
	return accountSession{}, false
}

// TestAccountSessionsAcrossInstances: two instances replicate through
// NATS. Alice logs in on each (two clients, two browsers); the first sees
// both sessions with their devices, ends the second, which is a guest on
// its next request to the other instance; then "sign out all other
// devices" ends a third session made there, and the first stays in.
func TestAccountSessionsAcrossInstances(t *testing.T) {
	ns := natstest.Start(t)
	keys := filepath.Join(t.TempDir(), "keyring.json")
	one := openReplica(t, ns.URL(), "one", keys, nil)
	two := openReplica(t, ns.URL(), "two", keys, nil)
	first, second, third := one.client(), two.client(), two.client()
	waitHealthy(t, first)
	waitHealthy(t, second)
	tick := func() { // the instances' clocks agree, as NTP keeps them
		one.clock.Advance(time.Second)
		two.clock.Advance(time.Second)
	}

	loginAs(t, first, uaFirefoxLinux)
	tick()
	loginAs(t, second, uaSafariIOS)
	var list []accountSession
	waitFor(t, "instance one to list the login made on instance two", func() bool {
		list = apiAccountSessions(t, first)
		return len(list) == 2
	})
	mine, ok1 := byDevice(list, "Firefox on Linux")
	theirs, ok2 := byDevice(list, "Safari on iOS")
	if !ok1 || !ok2 || !mine.Current || theirs.Current || list[0] != theirs {
		t.Fatalf("instance one lists %+v: want Safari on iOS (newest), then Firefox on Linux (current)", list)
	}
	if l := apiAccountSessions(t, second); len(l) != 2 {
		t.Errorf("instance two lists %d sessions, want both", len(l))
	}

	resp := first.PostForm("/account/sessions/revoke", url.Values{"id": {theirs.ID}})
	wantRedirect(t, "revoke the session made on instance two", resp, "/account/sessions")
	var id [16]byte
	if _, err := hex.Decode(id[:], []byte(theirs.ID)); err != nil {
		t.Fatalf("session ID %q: %v", theirs.ID, err)
	}
	waitFor(t, "instance two to apply the revocation", func() bool {
		dead, err := two.repl.Revoked(id, "alice", theirs.Created)
		return err == nil && dead
	})
	if got := greeting(t, second); got != "Hello, Guest" {
		t.Fatalf("second client on instance two greeted %q after being signed out on instance one, want a guest", got)
	}
	if l := apiAccountSessions(t, first); len(l) != 1 || !l[0].Current {
		t.Fatalf("after ending it, instance one lists %+v, want only the current session", l)
	}

	tick()
	loginAs(t, third, uaChromeWin)
	waitFor(t, "instance one to list the third login", func() bool { return len(apiAccountSessions(t, first)) == 2 })
	tick()
	// The current session is logged in again under a new ID, recorded
	// with the device of this request.
	resp = send(t, first, http.MethodPost, "/account/sessions/revoke-others", url.Values{}, map[string]string{"User-Agent": uaFirefoxLinux})
	wantRedirect(t, "revoke-others", resp, "/account/sessions")
	waitFor(t, "instance two to end the third session", func() bool {
		r := third.Get("/")
		m := greetingRE.FindStringSubmatch(r.Body)
		return r.StatusCode == http.StatusOK && m != nil && m[1] == "Hello, Guest"
	})
	if got := greeting(t, first); got != "Hello, alice" {
		t.Fatalf("first client greeted %q after revoke-others, want alice still", got)
	}
	waitFor(t, "instance two to list only the first client's new session", func() bool {
		l := two.store.Logins("alice")
		return len(l) == 1 && l[0].Device == "Firefox on Linux"
	})
	if l := apiAccountSessions(t, first); len(l) != 1 || !l[0].Current || l[0].Device != "Firefox on Linux" {
		t.Fatalf("after revoke-others instance one lists %+v, want only the current session, re-recorded", l)
	}
}
