package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sealedsessions/sealed/example/internal/browsertest"
)

// ScreenshotEnvVar names a directory that also receives the browser test's
// screenshots (they always go to the test's temp dir).
const ScreenshotEnvVar = "SEALED_SCREENSHOTS"

// TestBrowser drives Chromium through the site as a user would: log in, add
// to the cart, reload, walk the sign-up form back and forth, switch to the
// dark theme, log out; then it puts the cookie saved before logout back into
// the browser and checks that it no longer logs anyone in.
func TestBrowser(t *testing.T) {
	// A bound, not a pace: every step waits on a condition, and this whole
	// walk takes about 10 s on a quiet machine. CI runs it under -race on
	// two cores shared with other packages' tests.
	ctx := browsertest.Start(t, 3*time.Minute)

	// The browser's own clock decides cookie expiry: the site runs on the
	// real one.
	srv := newSite(t, func(c *Config) { c.Now = nil })
	b := &browserWalk{t: t, ctx: ctx, base: srv.http.URL, shots: newShooter(t)}
	b.guestLogsIn()
	b.fillCart()
	b.signUp()
	b.searchAndPreferences()
	b.logOutThenReplay()
	if got := srv.mgr.Stats().Invalid.Revoked; got < 1 {
		t.Errorf("the replayed cookie was not refused as revoked (Stats.Invalid.Revoked = %d)", got)
	}
}

// browserWalk is TestBrowser's browser on the site, and its steps.
type browserWalk struct {
	t     *testing.T
	ctx   context.Context
	base  string // the site's URL
	shots *shooter
}

// step runs actions; on failure it takes a screenshot and stops the test.
func (b *browserWalk) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shots.take(b.ctx, "failed-"+what)
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browserWalk) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.shots.take(b.ctx, "failed-text")
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *browserWalk) eval(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

func (b *browserWalk) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); got != want {
		b.shots.take(b.ctx, "failed-"+strings.Trim(sel, "#."))
		b.t.Fatalf("%s: %q, want %q", sel, got, want)
	}
}

// guestLogsIn: a guest arrives in the light theme and logs in as alice.
func (b *browserWalk) guestLogsIn() {
	// A guest arrives.
	b.step("open home", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	b.wantText("#greeting", "Hello, Guest")
	if got := b.eval(`document.documentElement.dataset.theme`); got != "light" {
		b.t.Errorf("theme %q, want light", got)
	}
	// The stylesheet applies under the Content-Security-Policy.
	if bg := b.eval(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(247, 245, 242)" {
		b.t.Errorf("light theme background %q, want rgb(247, 245, 242): is the stylesheet blocked?", bg)
	}
	b.shots.take(b.ctx, "01-home-guest-light")

	// Log in with the form.
	b.step("log in",
		chromedp.Click(chromedp.CSS("#login-link")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "alice-password"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
	b.wantText("#greeting", "Hello, alice")
	b.wantText(".flash", "Welcome back, alice.")
}

// fillCart adds to the cart and reloads it.
func (b *browserWalk) fillCart() {
	// Add two packs of tea from the home page.
	b.step("add to cart",
		chromedp.SetValue(chromedp.CSS("#qty-tea"), "2"),
		chromedp.Click(chromedp.CSS("#add-tea")),
		chromedp.WaitVisible(chromedp.CSS("#cart-table")),
	)
	b.wantText("#line-tea .qty-cell", "2")
	b.wantText("#cart-count", "2")
	b.shots.take(b.ctx, "02-cart")

	// A reload keeps the cart (and does not post again: the add answered 303).
	b.step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#cart-table")))
	b.wantText("#line-tea .qty-cell", "2")
	b.wantText("#cart-total", "€18.00")
}

// signUp walks the sign-up form forwards, backwards and forwards again.
func (b *browserWalk) signUp() {
	b.step("signup step 1",
		chromedp.Navigate(b.base+"/signup/1"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.CSS("#email"), "not an address"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#email-error")),
	)
	if got := b.eval(`document.querySelector('#name').value`); got != "Ada Lovelace" {
		b.t.Errorf("after a validation error the name field holds %q, want what was typed", got)
	}
	b.shots.take(b.ctx, "03-signup-error")
	b.step("signup step 1 again",
		chromedp.SetValue(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#plan-pro")),
		chromedp.Click(chromedp.CSS("#plan-pro")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#sum-name")),
	)
	b.wantText("#sum-name", "Ada Lovelace")
	b.wantText("#sum-plan", "Pro")
	b.step("back to step 2", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#plan-pro")))
	if got := b.eval(`String(document.querySelector('#plan-pro').checked)`); got != "true" {
		b.t.Errorf("back at step 2 the chosen plan is not checked")
	}
	b.step("back to step 1", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#name")))
	if got := b.eval(`document.querySelector('#name').value + ' / ' + document.querySelector('#email').value`); got != "Ada Lovelace / ada@example.com" {
		b.t.Errorf("back at step 1 the fields hold %q", got)
	}
	b.step("forward to the end",
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#plan-pro")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#signup-done")),
	)
	b.wantText("#signup-done", "Welcome aboard, Ada Lovelace!")
}

// searchAndPreferences searches twice, switches to the dark theme in French
// and looks at the session page.
func (b *browserWalk) searchAndPreferences() {
	// Search with the site's own form (Sec-Fetch-Site: same-origin) and by
	// typing the URL (none): both go into the history a real browser keeps
	// sending.
	b.step("search",
		chromedp.Navigate(b.base+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "tea"),
		chromedp.Click(chromedp.CSS("#search-submit")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
		chromedp.Navigate(b.base+"/search?q=mug"),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	)
	b.wantText("#recent", "mug\ntea")
	b.step("preferences",
		chromedp.Navigate(b.base+"/preferences"),
		chromedp.WaitVisible(chromedp.CSS("#theme-dark")),
		chromedp.Click(chromedp.CSS("#theme-dark")),
		chromedp.SetValue(chromedp.CSS("#language"), "fr"),
		chromedp.Click(chromedp.CSS("#remember")),
		chromedp.Click(chromedp.CSS("#save-prefs")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if got := b.eval(`document.documentElement.dataset.theme`); got != "dark" {
		b.t.Errorf("theme after switching %q, want dark", got)
	}
	b.step("home in the dark", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	b.wantText("#greeting", "Bonjour, alice")
	b.wantText("#cart-count", "2")
	if bg := b.eval(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(21, 19, 15)" {
		b.t.Errorf("dark theme background %q, want rgb(21, 19, 15)", bg)
	}
	b.shots.take(b.ctx, "04-home-alice-dark")
	b.step("session page", chromedp.Navigate(b.base+"/session"), chromedp.WaitVisible(chromedp.CSS("#sess-user")))
	b.wantText("#sess-user", "alice")
	b.shots.take(b.ctx, "05-session-dark")
}

// logOutThenReplay keeps a copy of the session cookie, logs out, puts the
// copy back and sees a guest.
func (b *browserWalk) logOutThenReplay() {
	// Keep a copy of the session cookie, as a thief (or a shared computer)
	// would, then log out.
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("get cookies: %v", err)
	}
	var saved *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == "session" {
			saved = c
		}
	}
	if saved == nil {
		b.t.Fatalf("no session cookie in the browser; cookies: %v", cookies.Cookies)
	}
	if !saved.HTTPOnly {
		b.t.Error("the session cookie is not HttpOnly")
	}
	if saved.SameSite != network.CookieSameSiteLax {
		b.t.Errorf("the session cookie has SameSite %q, want Lax", saved.SameSite)
	}
	b.step("log out",
		chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-link")),
	)
	b.wantText("#greeting", "Hello, Guest")
	b.wantText("#cart-count", "0")
	b.shots.take(b.ctx, "06-logged-out")

	// Put the old cookie back: the server has revoked it.
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: "session", Value: saved.Value, URL: b.base + "/", HTTPOnly: ptr(true),
		SameSite: network.CookieSameSiteLax,
	}); err != nil {
		b.t.Fatalf("set cookie: %v", err)
	}
	b.step("replay the old cookie", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	b.wantText("#greeting", "Hello, Guest")
	b.shots.take(b.ctx, "07-replayed-cookie")
}

func ptr[T any](v T) *T { return &v }

// shooter saves numbered screenshots to the test's temp dir and, if
// SEALED_SCREENSHOTS is set, to that directory too.
type shooter struct {
	t    *testing.T
	dirs []string
}

func newShooter(t *testing.T) *shooter {
	s := &shooter{t: t, dirs: []string{t.TempDir()}}
	if d := os.Getenv(ScreenshotEnvVar); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("%s: %v", ScreenshotEnvVar, err)
		}
		s.dirs = append(s.dirs, d)
	}
	return s
}

func (s *shooter) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	for _, d := range s.dirs {
		p := filepath.Join(d, fmt.Sprintf("%s.png", name))
		if err := os.WriteFile(p, png, 0o644); err != nil {
			s.t.Errorf("save screenshot: %v", err)
			continue
		}
		s.t.Logf("screenshot %s", p)
	}
}

// TestFindBrowser checks how the browser test finds Chromium: the
// SEALED_CHROMIUM variable first, then PATH, and "" (skip, or fail under
// CI=true) when there is none.
func TestFindBrowser(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(browsertest.EnvVar, "")
	t.Setenv("PATH", empty)
	if got := browsertest.Find(); got != "" {
		t.Errorf("with an empty PATH: %q, want none", got)
	}

	bin := t.TempDir()
	fake := filepath.Join(bin, "chromium")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if got := browsertest.Find(); got != fake {
		t.Errorf("with chromium on PATH: %q, want %q", got, fake)
	}

	t.Setenv(browsertest.EnvVar, "/opt/my/chrome")
	if got := browsertest.Find(); got != "/opt/my/chrome" {
		t.Errorf("with %s set: %q", browsertest.EnvVar, got)
	}
}
