package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/sealedsessions/sealed/example/internal/browsertest"
)

// dbscFeatures turns on DBSC in Debian's Chromium, with software keys
// (Linux has no hardware key store it uses).
const dbscFeatures = "DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting"

// dbscDisabledFeatures keeps chromedp's default --disable-features and
// turns off DBSC's proactive refresh. Chromium refreshes a bound cookie in
// two ways: proactively, in the background, when a request goes out with
// less than two minutes of the cookie left (one attempt, which, if it
// fails or is skipped, is not retried before the cookie is gone); and by
// deferring a request while the cookie is missing, refreshing first. With
// a bound cookie of a few seconds every request would start a proactive
// refresh and spend Chromium's signing quota (6 signatures in 9 minutes per
// site); without it, Chromium refreshes exactly when the test lets the
// cookie expire and then navigates.
const dbscDisabledFeatures = "Translate,BlinkGenPropertyTrees,DeviceBoundSessionProactiveRefresh"

// boundAge is the bound cookie's lifetime in TestBrowserDBSC: long enough
// for the steps between the registration and the copy of the cookies on a
// loaded machine, short enough to wait for it.
const boundAge = 10 * time.Second

// boundCookie is the bound cookie's name: the sessions package's default,
// the session cookie's name followed by "_bound".
const boundCookie = "session_bound"

// TestBrowserDBSC: with --dbsc, Chromium binds alice's session to a key of
// its own after login (registration through /dbsc) and the session page
// says so. Her session cookie copied out of the browser alone opens
// nothing. All her cookies copied into a second browser profile (without
// the key, their expiry dropped so that profile keeps sending them) open
// her session until the bound cookie's lifetime ends, and then a guest's;
// meanwhile the first browser, whose bound cookie expired too, refreshes it
// by signing the server's challenge before its next request and stays
// logged in, twice.
func TestBrowserDBSC(t *testing.T) {
	ctx := browsertest.Start(t, 3*time.Minute,
		chromedp.Flag("enable-features", dbscFeatures),
		chromedp.Flag("disable-features", dbscDisabledFeatures))
	// Real clocks: the browser expires the bound cookie on its own.
	srv := newSite(t, func(c *Config) { c.Now = nil; c.DBSC = true; c.DBSCCookieAge = boundAge })
	b := &browserWalk{t: t, ctx: ctx, base: srv.http.URL, shots: newShooter(t)}
	b.registerDevice(srv)
	copied := b.siteCookies()
	sessionCookieAlone(t, srv, copied)

	thief := &browserWalk{t: t, ctx: browsertest.Profile(t, ctx), base: srv.http.URL, shots: b.shots}
	thief.putCookies(copied)
	// Within the bound cookie's lifetime the copy works: that window is
	// what DBSC bounds.
	thief.step("copy, bound cookie live", chromedp.Navigate(thief.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	thief.wantText("#greeting", "Hello, alice")

	b.waitCookieGone(boundCookie, boundAge+30*time.Second)
	unbound := srv.mgr.Stats().Invalid.Unbound
	thief.step("copy, bound cookie expired", chromedp.Navigate(thief.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	thief.wantText("#greeting", "Hello, Guest")
	if got := srv.mgr.Stats().Invalid.Unbound; got <= unbound {
		t.Errorf("the copied cookies past the bound cookie's lifetime were not refused as unbound (Stats.Invalid.Unbound %d, was %d)", got, unbound)
	}

	// The first browser has no bound cookie either: it must refresh before
	// it sends the request; and again when the refreshed cookie expires,
	// signing the challenge the first refresh sent.
	b.refreshOnNextRequest(srv)
	b.waitCookieGone(boundCookie, boundAge+30*time.Second)
	b.refreshOnNextRequest(srv)
	if st := srv.mgr.Stats().DBSC; st.Registered != 1 || st.Refreshed != 2 || st.Refused != 0 {
		t.Errorf("DBSC stats %+v, want 1 registration, 2 refreshes, no proof refused", st)
	}
}

// refreshOnNextRequest opens the home page while the browser holds no
// bound cookie, and checks that Chromium refreshed it first.
func (b *browserWalk) refreshOnNextRequest(srv *site) {
	b.t.Helper()
	refreshed := srv.mgr.Stats().DBSC.Refreshed
	b.step("home after the bound cookie expired", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	if got := srv.mgr.Stats().DBSC.Refreshed; got <= refreshed {
		b.t.Errorf("Chromium did not refresh the expired bound cookie (stats %+v)", srv.mgr.Stats().DBSC)
	}
	b.wantText("#greeting", "Hello, alice")
	if !b.hasCookie(boundCookie) {
		b.t.Error("after the refresh the browser holds no bound cookie")
	}
}

// registerDevice logs in as alice and waits until Chromium has bound the
// session to its key; the session page then says so.
//
// The login is a fetch from the login page that does not follow the
// login's redirect: following it, the browser loads the next page with the
// cookie of before registration while the registration (which replaces
// the session's ID and revokes the old one) runs. That page is then a
// guest's, and its response deletes the refused cookie; when it reaches
// the browser after the registration's response, it deletes the new
// session cookie and alice is logged out (1 run in 20 on a quiet machine;
// see SECURITY.md, DBSC). Here no other request goes out until the
// registration is done. The site's Content-Security-Policy allows no
// fetch (default-src 'none'); this tab bypasses it.
func (b *browserWalk) registerDevice(srv *site) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		b.t.Fatalf("bypass the CSP: %v", err)
	}
	b.step("login page", chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	status, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch('/login', {
		method: 'POST', redirect: 'manual',
		body: new URLSearchParams({username: 'alice', password: 'alice-password'}),
	}).then(r => r.type + ' ' + r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != "opaqueredirect 0" {
		b.t.Fatalf("log in with fetch: %q, %v; want the login's redirect", status, err)
	}
	// Registration runs in the background after the login response.
	deadline := time.Now().Add(60 * time.Second)
	for srv.mgr.Stats().DBSC.Registered == 0 {
		if time.Now().After(deadline) {
			b.t.Fatalf("Chromium did not register a device key within 60 s (stats %+v)", srv.mgr.Stats().DBSC)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := srv.mgr.Stats().Invalid.Revoked; got != 0 {
		b.t.Errorf("%d requests brought the cookie of before registration", got)
	}
	b.step("session page", chromedp.Navigate(b.base+"/session"), chromedp.WaitVisible(chromedp.CSS("#sess-bound")))
	b.wantText("#sess-bound", "yes: only this device can renew it")
	b.wantText("#sess-user", "alice")
}

// siteCookies returns the browser's cookies for the site: what an
// infostealer copies out of its profile.
func (b *browserWalk) siteCookies() []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("get cookies: %v", err)
	}
	return res.Cookies
}

func (b *browserWalk) hasCookie(name string) bool {
	b.t.Helper()
	for _, c := range b.siteCookies() {
		if c.Name == name {
			return true
		}
	}
	return false
}

// waitCookieGone waits, at most within, until the browser no longer holds
// the cookie name: its lifetime has ended by the browser's clock.
func (b *browserWalk) waitCookieGone(name string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for b.hasCookie(name) {
		if time.Now().After(deadline) {
			b.t.Fatalf("the browser still holds %s after %v", name, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// putCookies stores copies of cookies in the browser, without their expiry
// (so the browser keeps sending them).
func (b *browserWalk) putCookies(cookies []*network.Cookie) {
	b.t.Helper()
	params := make([]*network.CookieParam, 0, len(cookies))
	for _, c := range cookies {
		params = append(params, &network.CookieParam{
			Name: c.Name, Value: c.Value, URL: b.base + "/", Path: c.Path,
			HTTPOnly: c.HTTPOnly, SameSite: c.SameSite,
		})
	}
	if _, err := chromedp.Call(b.ctx, network.SetCookies, network.SetCookiesParams{Cookies: params}); err != nil {
		b.t.Fatalf("set cookies: %v", err)
	}
	for _, name := range []string{"session", boundCookie} {
		if !b.hasCookie(name) {
			b.t.Fatalf("the copy lacks %s: copied %d cookies", name, len(cookies))
		}
	}
}

// sessionCookieAlone: the session cookie of a bound session, without the
// bound cookie only the device's key can renew, opens nothing elsewhere.
func sessionCookieAlone(t *testing.T, srv *site, cookies []*network.Cookie) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.http.URL)
	var stolen []*http.Cookie
	for _, c := range cookies {
		if c.Name == "session" {
			stolen = append(stolen, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	if len(stolen) == 0 {
		t.Fatal("no session cookie in the browser")
	}
	jar.SetCookies(u, stolen)
	unbound := srv.mgr.Stats().Invalid.Unbound
	resp, err := (&http.Client{Jar: jar}).Get(srv.http.URL + "/api/session")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v sessionView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if v.Username != "" {
		t.Errorf("the copied session cookie alone opened %q's session", v.Username)
	}
	if srv.mgr.Stats().Invalid.Unbound <= unbound {
		t.Error("the copied session cookie alone was not refused as unbound")
	}
}
