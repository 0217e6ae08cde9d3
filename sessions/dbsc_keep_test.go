package sessions_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
	"github.com/sealedsessions/sealed/sessions/sessiontest"
)

// keepEnv is a DBSC env with a login registry, and its app.
func keepEnv(t *testing.T) (*env, *sessiontest.MemRegistry) {
	reg := sessiontest.NewMemRegistry()
	e := newEnv(t, func(c *sessions.Config) {
		c.Registry = reg
		c.DeviceBound = &sessions.DeviceBound{Path: "/dbsc"}
	})
	return e, reg
}

// setNames returns the names of the cookies the last response set.
func (b *browser) setNames() map[string]bool {
	names := map[string]bool{}
	for _, c := range b.last.Cookies() {
		names[c.Name] = true
	}
	return names
}

// TestDBSCEndOtherSessionsKeepsBinding: "sign out all other devices" from
// a bound session gives it a new ID that stays bound to the device key:
// the response sets the session cookie, a bound cookie naming the new ID
// and the next refresh challenge; the registry records the new ID as
// bound; the cookies from before open nothing, alone or mixed with the
// new ones; the device's next refresh works; the other sessions are gone.
func TestDBSCEndOtherSessionsKeepsBinding(t *testing.T) {
	e, reg := keepEnv(t)
	srv := dbscApp(t, e)
	b := boundBrowser(t, srv, newECDevice(t))
	other := boundBrowser(t, srv, newECDevice(t))
	plain := newBrowser(t, srv, nil)
	plain.do(http.MethodPost, "/login", nil)
	before, chal := b.clone(b.dev), b.chal
	e.clock.Advance(time.Second)

	if res := b.do(http.MethodPost, "/revoke-others", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke-others: %d %s", res.StatusCode, b.lastBody)
	}
	if set := b.setNames(); !set["session"] || !set["session_bound"] {
		t.Fatalf("revoke-others set cookies %v, want the session and its bound cookie", set)
	}
	if b.chal == chal || b.last.Header.Get(sessions.HeaderSessionChallenge) == "" {
		t.Error("revoke-others set no new refresh challenge")
	}
	if b.last.Header.Get(sessions.HeaderSessionRegistration) != "" {
		t.Error("revoke-others offered registration to a session that stays bound")
	}
	if u := b.user(); u != "alice" || b.last.Header.Get("X-Bound") != "1" {
		t.Fatalf("after revoke-others: user %q, bound %q", u, b.last.Header.Get("X-Bound"))
	}
	if list := listSessions(t, e, b); len(list) != 1 || !list[0].Current || !list[0].Bound || list[0].ID == "" {
		t.Errorf("Sessions = %+v, want the current session only, bound", list)
	}
	if got := recordedLogins(reg, "alice"); len(got) == 0 || !got[0].bound {
		t.Errorf("the registry's newest login %+v, want the new ID bound", got)
	}

	oldBound := before.clone(nil)
	oldBound.cookies["session"] = b.cookies["session"] // the new session cookie, the old bound cookie
	for name, c := range map[string]*browser{"the cookies from before": before, "the old bound cookie": oldBound, "another device": other, "an unbound session": plain} {
		if u := c.user(); u != "" {
			t.Errorf("%s: served %q", name, u)
		}
	}
	if res := before.refreshAsBrowser(); !strings.Contains(before.lastBody, `"continue":false`) {
		t.Errorf("a refresh with the session cookie from before: %d %s", res.StatusCode, before.lastBody)
	}

	e.clock.Advance(30 * time.Second) // the challenge revoke-others set is live
	if res := b.refresh(b.dev.refreshProof(t, b.chal)); res.StatusCode != http.StatusOK {
		t.Fatalf("refresh with the challenge revoke-others set: %d %s", res.StatusCode, b.lastBody)
	}
	e.clock.Advance(sessions.DefaultBoundCookieAge + time.Second)
	if u := b.user(); u != "" {
		t.Fatalf("served after the bound cookie's expiry: %q", u)
	}
	if res := b.refreshAsBrowser(); res.StatusCode != http.StatusOK || b.user() != "alice" {
		t.Errorf("refresh after expiry: %d %s", res.StatusCode, b.lastBody)
	}
}

// TestDBSCEndOtherSessionsNeedsProof: only a request that brought a live
// bound cookie keeps the key. A bound session whose bound cookie expired
// is not served, so it can't end the other sessions; a thief's copy
// within the bound cookie's life keeps the victim's key, which it can't
// sign with, so its new session dies with the bound cookie instead of
// living on unbound.
func TestDBSCEndOtherSessionsNeedsProof(t *testing.T) {
	e, _ := keepEnv(t)
	srv := dbscApp(t, e)
	victim := boundBrowser(t, srv, newECDevice(t))
	other := boundBrowser(t, srv, newECDevice(t))
	stale := victim.clone(victim.dev)
	e.clock.Advance(sessions.DefaultBoundCookieAge + time.Second)
	if res := stale.do(http.MethodPost, "/revoke-others", nil); res.StatusCode != http.StatusForbidden || len(stale.setNames()) != 0 {
		t.Fatalf("revoke-others without a live bound cookie: %d, set %v", res.StatusCode, stale.setNames())
	}
	if res := other.refreshAsBrowser(); res.StatusCode != http.StatusOK || other.user() != "alice" {
		t.Fatalf("the other session after a refused revoke-others: %d %q", res.StatusCode, other.lastBody)
	}

	if res := victim.refreshAsBrowser(); res.StatusCode != http.StatusOK {
		t.Fatalf("victim refresh: %d", res.StatusCode)
	}
	thief := victim.clone(newECDevice(t))
	if res := thief.do(http.MethodPost, "/revoke-others", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the thief's revoke-others: %d %s", res.StatusCode, thief.lastBody)
	}
	if u := thief.user(); u != "alice" || thief.last.Header.Get("X-Bound") != "1" {
		t.Fatalf("the thief's new session: %q, bound %q", u, thief.last.Header.Get("X-Bound"))
	}
	e.clock.Advance(sessions.DefaultBoundCookieAge + time.Second)
	if u := thief.user(); u != "" {
		t.Errorf("the thief's new session after the bound cookie's life: %q", u)
	}
	if res := thief.refresh(thief.dev.refreshProof(t, thief.chal)); res.StatusCode != http.StatusBadRequest {
		t.Errorf("the thief's refresh with its own key: %d", res.StatusCode)
	}
}

// TestDBSCEndOtherSessionsUnbound: a session that never registered ends
// the others as before: a new unbound ID, no bound cookie, registration
// offered again.
func TestDBSCEndOtherSessionsUnbound(t *testing.T) {
	e, _ := keepEnv(t)
	srv := dbscApp(t, e)
	other := boundBrowser(t, srv, newECDevice(t))
	b := newBrowser(t, srv, nil)
	b.do(http.MethodPost, "/login", nil)
	regChal := b.regChal
	e.clock.Advance(time.Second)
	if res := b.do(http.MethodPost, "/revoke-others", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke-others: %d %s", res.StatusCode, b.lastBody)
	}
	if set := b.setNames(); !set["session"] || set["session_bound"] || b.last.Header.Get(sessions.HeaderSessionChallenge) != "" {
		t.Errorf("revoke-others of an unbound session set %v, challenge %q", set, b.last.Header.Get(sessions.HeaderSessionChallenge))
	}
	if b.regChal == regChal {
		t.Error("revoke-others did not offer registration again")
	}
	e.clock.Advance(time.Hour)
	if u := b.user(); u != "alice" || b.last.Header.Get("X-Bound") != "" {
		t.Errorf("after revoke-others: %q, bound %q", u, b.last.Header.Get("X-Bound"))
	}
	if res := other.refreshAsBrowser(); !strings.Contains(other.lastBody, `"continue":false`) || other.user() != "" {
		t.Errorf("the other, bound session: %d %s", res.StatusCode, other.lastBody)
	}
}

// TestDBSCNarrowedExpiryKeepsBinding: a shorter expiry gives a bound
// session a new ID and keeps its key; the response carries the bound
// cookie for the new ID, so the session stays served and bound, and the
// cookies from before stop opening.
func TestDBSCNarrowedExpiryKeepsBinding(t *testing.T) {
	e, reg := keepEnv(t)
	srv := dbscApp(t, e)
	b := boundBrowser(t, srv, newECDevice(t))
	before := b.clone(nil)
	e.clock.Advance(time.Second)
	b.do(http.MethodPost, "/narrow", nil)
	if set := b.setNames(); !set["session"] || !set["session_bound"] {
		t.Fatalf("narrow set %v, want the session and its bound cookie", set)
	}
	if u := b.user(); u != "alice" || b.last.Header.Get("X-Bound") != "1" {
		t.Fatalf("after narrow: %q, bound %q", u, b.last.Header.Get("X-Bound"))
	}
	if u := before.user(); u != "" {
		t.Errorf("the cookies from before the narrowing: %q", u)
	}
	if got := recordedLogins(reg, "alice"); len(got) == 0 || !got[0].bound {
		t.Errorf("the registry's newest login %+v, want the new ID bound", got)
	}
	if res := b.refreshAsBrowser(); res.StatusCode != http.StatusOK || b.user() != "alice" {
		t.Errorf("refresh after narrow: %d %s", res.StatusCode, b.lastBody)
	}
}
