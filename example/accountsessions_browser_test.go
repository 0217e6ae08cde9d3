package main

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sealedsessions/sealed/example/internal/browsertest"
)

// TestBrowserAccountSessions walks issue 13's devices page in Chromium:
// alice logs in from two browser profiles, the second one claiming to be
// Safari on an iPhone; the first sees both on /account/sessions, its own
// row marked "This device", and signs the second out with that row's
// button, which makes the second a guest on its next request. Then a third
// profile logs in, and "Sign out all other devices" ends it while the
// first stays logged in.
func TestBrowserAccountSessions(t *testing.T) {
	ctx := browsertest.Start(t, 3*time.Minute)
	// The browser's own clock decides cookie expiry: the site runs on the
	// real one.
	srv := newSite(t, func(c *Config) { c.Now = nil })
	shots := newShooter(t)
	first := &browserWalk{t: t, ctx: ctx, base: srv.http.URL, shots: shots}
	second := &browserWalk{t: t, ctx: browsertest.Profile(t, ctx), base: srv.http.URL, shots: shots}
	if _, err := chromedp.Call(second.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: uaSafariIOS}); err != nil {
		t.Fatalf("set the second profile's User-Agent: %v", err)
	}
	first.logIn("alice", "alice-password")
	second.logIn("alice", "alice-password")

	rows := first.devices()
	if len(rows) != 2 {
		t.Fatalf("alice's devices page lists %d sessions, want 2: %+v", len(rows), rows)
	}
	// Newest first: the second profile's login, then this one.
	other, mine := rows[0], rows[1]
	if other.Device != "Safari on iOS" || other.ThisDevice || !other.SignOut {
		t.Errorf("the second profile's row %+v, want Safari on iOS with a sign-out button", other)
	}
	// Headless Chromium says HeadlessChrome/…, which reads as Chrome.
	if mine.Device != "Chrome on Linux" || !mine.ThisDevice || mine.SignOut {
		t.Errorf("the first profile's own row %+v, want Chrome on Linux, marked this device, no sign-out button", mine)
	}
	shots.take(first.ctx, "10-devices-two")

	revoked := srv.mgr.Stats().Invalid.Revoked
	row := `#account-sessions tr[data-id="` + other.ID + `"]`
	first.step("sign the second profile out",
		chromedp.Click(chromedp.CSS(row+" button")),
		chromedp.WaitNotPresent(chromedp.CSS(row)),
	)
	if rows := first.devices(); len(rows) != 1 || !rows[0].ThisDevice {
		t.Errorf("after signing the second profile out the page lists %+v, want only this device", rows)
	}
	second.step("second profile's next request", chromedp.Navigate(second.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	second.wantText("#greeting", "Hello, Guest")
	if got := srv.mgr.Stats().Invalid.Revoked; got <= revoked {
		t.Errorf("the signed-out profile's cookie was not refused as revoked (Stats.Invalid.Revoked %d, was %d)", got, revoked)
	}

	third := &browserWalk{t: t, ctx: browsertest.Profile(t, ctx), base: srv.http.URL, shots: shots}
	third.logIn("alice", "alice-password")
	if rows := first.devices(); len(rows) != 2 || rows[1].ID != mine.ID {
		t.Fatalf("after the third login the page lists %+v, want the third profile and this one", rows)
	}
	first.step("sign out all other devices",
		chromedp.Click(chromedp.CSS("#revoke-others")),
		chromedp.WaitNotPresent(chromedp.CSS("#account-sessions tbody tr:not(.current)")),
	)
	// The current session carries on under a new ID (EndOtherSessions
	// logs it in again).
	if rows := first.devices(); len(rows) != 1 || !rows[0].ThisDevice || rows[0].Device != mine.Device {
		t.Errorf("after signing out all other devices the page lists %+v, want only this device", rows)
	}
	shots.take(first.ctx, "11-devices-one")
	third.step("third profile's next request", chromedp.Navigate(third.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	third.wantText("#greeting", "Hello, Guest")
	first.step("first profile's next request", chromedp.Navigate(first.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	first.wantText("#greeting", "Hello, alice")
}

// logIn logs in with the login form and checks the greeting.
func (b *browserWalk) logIn(user, password string) {
	b.t.Helper()
	b.step("log in as "+user,
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
	b.wantText("#greeting", "Hello, "+user)
}

// deviceRow is one row of /account/sessions as the browser shows it.
type deviceRow struct {
	ID         string `json:"id"`
	Device     string `json:"device"`
	ThisDevice bool   `json:"thisDevice"` // marked "This device"
	SignOut    bool   `json:"signOut"`    // has a sign-out button
}

// devices opens /account/sessions through the navigation's link and reads
// its rows.
func (b *browserWalk) devices() []deviceRow {
	b.t.Helper()
	b.step("devices page",
		chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/account/sessions"]`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/account/sessions"]`)),
		chromedp.WaitVisible(chromedp.CSS("#account-sessions")),
	)
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]deviceRow](`[...document.querySelectorAll('#account-sessions tbody tr')].map(tr => ({
		id: tr.dataset.id,
		device: tr.querySelector('td.device').textContent.trim(),
		thisDevice: tr.querySelector('.this-device')?.textContent.trim() === 'This device',
		signOut: tr.querySelector('form[action="/account/sessions/revoke"] button') !== null,
	}))`))
	if err != nil {
		b.shots.take(b.ctx, "failed-devices")
		b.t.Fatalf("read the devices page: %v", err)
	}
	return rows
}
