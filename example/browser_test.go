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

	"github.com/sealedsessions/sealed/internal/testutil"
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
	ctx := testutil.Browser(t, 3*time.Minute)

	// The browser's own clock decides cookie expiry: the site runs on the
	// real one.
	srv := newSite(t, func(c *Config) { c.Now = nil })
	base := srv.http.URL
	shots := newShooter(t)

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shots.take(ctx, "failed-"+what)
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			shots.take(ctx, "failed-text")
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	eval := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return s
	}
	wantText := func(sel, want string) {
		t.Helper()
		if got := text(sel); got != want {
			shots.take(ctx, "failed-"+strings.Trim(sel, "#."))
			t.Fatalf("%s: %q, want %q", sel, got, want)
		}
	}

	// A guest arrives.
	step("open home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	wantText("#greeting", "Hello, Guest")
	if got := eval(`document.documentElement.dataset.theme`); got != "light" {
		t.Errorf("theme %q, want light", got)
	}
	// The stylesheet applies under the Content-Security-Policy.
	if bg := eval(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(247, 245, 242)" {
		t.Errorf("light theme background %q, want rgb(247, 245, 242): is the stylesheet blocked?", bg)
	}
	shots.take(ctx, "01-home-guest-light")

	// Log in with the form.
	step("log in",
		chromedp.Click(chromedp.CSS("#login-link")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "alice-password"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#greeting")),
	)
	wantText("#greeting", "Hello, alice")
	wantText(".flash", "Welcome back, alice.")

	// Add two packs of tea from the home page.
	step("add to cart",
		chromedp.SetValue(chromedp.CSS("#qty-tea"), "2"),
		chromedp.Click(chromedp.CSS("#add-tea")),
		chromedp.WaitVisible(chromedp.CSS("#cart-table")),
	)
	wantText("#line-tea .qty-cell", "2")
	wantText("#cart-count", "2")
	shots.take(ctx, "02-cart")

	// A reload keeps the cart (and does not post again: the add answered 303).
	step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#cart-table")))
	wantText("#line-tea .qty-cell", "2")
	wantText("#cart-total", "€18.00")

	// The sign-up form, forwards, backwards and forwards again.
	step("signup step 1",
		chromedp.Navigate(base+"/signup/1"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.CSS("#email"), "not an address"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#email-error")),
	)
	if got := eval(`document.querySelector('#name').value`); got != "Ada Lovelace" {
		t.Errorf("after a validation error the name field holds %q, want what was typed", got)
	}
	shots.take(ctx, "03-signup-error")
	step("signup step 1 again",
		chromedp.SetValue(chromedp.CSS("#email"), "ada@example.com"),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#plan-pro")),
		chromedp.Click(chromedp.CSS("#plan-pro")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#sum-name")),
	)
	wantText("#sum-name", "Ada Lovelace")
	wantText("#sum-plan", "Pro")
	step("back to step 2", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#plan-pro")))
	if got := eval(`String(document.querySelector('#plan-pro').checked)`); got != "true" {
		t.Errorf("back at step 2 the chosen plan is not checked")
	}
	step("back to step 1", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#name")))
	if got := eval(`document.querySelector('#name').value + ' / ' + document.querySelector('#email').value`); got != "Ada Lovelace / ada@example.com" {
		t.Errorf("back at step 1 the fields hold %q", got)
	}
	step("forward to the end",
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#plan-pro")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#confirm")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#signup-done")),
	)
	wantText("#signup-done", "Welcome aboard, Ada Lovelace!")

	// Search with the site's own form (Sec-Fetch-Site: same-origin) and by
	// typing the URL (none): both go into the history a real browser keeps
	// sending.
	step("search",
		chromedp.Navigate(base+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "tea"),
		chromedp.Click(chromedp.CSS("#search-submit")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
		chromedp.Navigate(base+"/search?q=mug"),
		chromedp.WaitVisible(chromedp.CSS("#results")),
	)
	wantText("#recent", "mug\ntea")
	step("preferences",
		chromedp.Navigate(base+"/preferences"),
		chromedp.WaitVisible(chromedp.CSS("#theme-dark")),
		chromedp.Click(chromedp.CSS("#theme-dark")),
		chromedp.SetValue(chromedp.CSS("#language"), "fr"),
		chromedp.Click(chromedp.CSS("#remember")),
		chromedp.Click(chromedp.CSS("#save-prefs")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if got := eval(`document.documentElement.dataset.theme`); got != "dark" {
		t.Errorf("theme after switching %q, want dark", got)
	}
	step("home in the dark", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	wantText("#greeting", "Bonjour, alice")
	wantText("#cart-count", "2")
	if bg := eval(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(21, 19, 15)" {
		t.Errorf("dark theme background %q, want rgb(21, 19, 15)", bg)
	}
	shots.take(ctx, "04-home-alice-dark")
	step("session page", chromedp.Navigate(base+"/session"), chromedp.WaitVisible(chromedp.CSS("#sess-user")))
	wantText("#sess-user", "alice")
	shots.take(ctx, "05-session-dark")

	// Keep a copy of the session cookie, as a thief (or a shared computer)
	// would, then log out.
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatalf("get cookies: %v", err)
	}
	var saved *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == "session" {
			saved = c
		}
	}
	if saved == nil {
		t.Fatalf("no session cookie in the browser; cookies: %v", cookies.Cookies)
	}
	if !saved.HTTPOnly {
		t.Error("the session cookie is not HttpOnly")
	}
	if saved.SameSite != network.CookieSameSiteLax {
		t.Errorf("the session cookie has SameSite %q, want Lax", saved.SameSite)
	}
	step("log out",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-link")),
	)
	wantText("#greeting", "Hello, Guest")
	wantText("#cart-count", "0")
	shots.take(ctx, "06-logged-out")

	// Put the old cookie back: the server has revoked it.
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: "session", Value: saved.Value, URL: base + "/", HTTPOnly: ptr(true),
		SameSite: network.CookieSameSiteLax,
	}); err != nil {
		t.Fatalf("set cookie: %v", err)
	}
	step("replay the old cookie", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	wantText("#greeting", "Hello, Guest")
	shots.take(ctx, "07-replayed-cookie")
	if got := srv.mgr.Stats().Invalid.Revoked; got < 1 {
		t.Errorf("the replayed cookie was not refused as revoked (Stats.Invalid.Revoked = %d)", got)
	}
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
	t.Setenv(testutil.BrowserEnvVar, "")
	t.Setenv("PATH", empty)
	if got := testutil.FindBrowser(); got != "" {
		t.Errorf("with an empty PATH: %q, want none", got)
	}

	bin := t.TempDir()
	fake := filepath.Join(bin, "chromium")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if got := testutil.FindBrowser(); got != fake {
		t.Errorf("with chromium on PATH: %q, want %q", got, fake)
	}

	t.Setenv(testutil.BrowserEnvVar, "/opt/my/chrome")
	if got := testutil.FindBrowser(); got != "/opt/my/chrome" {
		t.Errorf("with %s set: %q", testutil.BrowserEnvVar, got)
	}
}
