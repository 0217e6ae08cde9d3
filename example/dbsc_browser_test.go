package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sealedsessions/sealed/example/internal/browsertest"
)

// dbscFeatures turns on DBSC in Debian's Chromium, with software keys
// (Linux has no hardware key store it uses).
const dbscFeatures = "DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting"

// TestBrowserDBSC: with --dbsc, Chromium binds alice's session to a key of
// its own after login (registration through /dbsc), the session page says
// so, and her session cookie copied out of the browser, without the bound
// cookie only the browser's key can renew, opens nothing elsewhere.
func TestBrowserDBSC(t *testing.T) {
	ctx := browsertest.Start(t, 3*time.Minute, chromedp.Flag("enable-features", dbscFeatures))
	srv := newSite(t, func(c *Config) { c.Now = nil; c.DBSC = true })
	b := &browserWalk{t: t, ctx: ctx, base: srv.http.URL, shots: newShooter(t)}
	// Log in. The page after the login's redirect is not checked: the
	// browser may load it with the pre-registration cookie while the
	// registration (which replaces the session's ID) runs, and that page
	// is a guest's (see SECURITY.md, DBSC).
	b.step("log in",
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "alice-password"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)

	// Registration runs in the background after the login response.
	deadline := time.Now().Add(60 * time.Second)
	for srv.mgr.Stats().DBSC.Registered == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Chromium did not register a device key within 60 s (stats %+v)", srv.mgr.Stats().DBSC)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.step("session page", chromedp.Navigate(b.base+"/session"), chromedp.WaitVisible(chromedp.CSS("#sess-bound")))
	b.wantText("#sess-bound", "yes: only this device can renew it")
	b.step("home", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	b.wantText("#greeting", "Hello, alice")

	// What an infostealer copies: the session cookie. Without the
	// browser's bound cookie it opens no session.
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := res.Cookies
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(b.base)
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
	resp, err := (&http.Client{Jar: jar}).Get(b.base + "/api/session")
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
	if srv.mgr.Stats().Invalid.Unbound == 0 {
		t.Error("the copied cookie was not refused as unbound")
	}
}
