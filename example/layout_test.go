package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sealedsessions/sealed/example/internal/browsertest"
)

// layoutPages are the site's pages with content in them, each with an
// element that shows it has rendered.
var layoutPages = []struct{ name, path, wait string }{
	{"home", "/", "#greeting"},
	{"login", "/login", "#username"},
	{"cart", "/cart", "#cart-table"},
	{"search", "/search?q=tea", "#results"},
	{"signup-1", "/signup/1", "#name"},
	{"signup-2", "/signup/2", "#plan-pro"},
	{"signup-3", "/signup/3", "#confirm"},
	{"signup-done", "/signup/done", "#signup-done"},
	{"preferences", "/preferences", "#save-prefs"},
	{"session", "/session", "#sess-user"},
	{"admin", "/admin", "#revoke"},
	{"not-found", "/nope", "#error-message"},
}

// TestLayout looks at every page at desktop (1280 px) and phone (390 px)
// widths, in English and at 390 px in German (the longest words): no page
// scrolls sideways, each gets a screenshot, the phone's navigation is a
// compact menu that opens, a short page keeps its footer at the bottom,
// and the search field is wide with its button beside it.
func TestLayout(t *testing.T) {
	ctx := browsertest.Start(t, 3*time.Minute)
	srv := newSite(t, func(c *Config) { c.Now = nil })
	b := &browserWalk{t: t, ctx: ctx, base: srv.http.URL, shots: newShooter(t)}
	b.setSession(fillSession(t, srv))

	for _, pass := range []struct {
		width, height int64
		lang          string
	}{{1280, 900, "en"}, {390, 844, "en"}, {390, 844, "de"}} {
		b.step("viewport", chromedp.EmulateViewport(pass.width, pass.height))
		if pass.lang != "en" {
			b.step("language", chromedp.Navigate(b.base+"/preferences"), chromedp.WaitVisible(chromedp.CSS("#language")),
				chromedp.SetValue(chromedp.CSS("#language"), pass.lang), chromedp.Click(chromedp.CSS("#save-prefs")),
				chromedp.WaitVisible(chromedp.CSS(".flash")))
		}
		for _, p := range layoutPages {
			name := fmt.Sprintf("layout-%d-%s-%s", pass.width, pass.lang, p.name)
			b.step(name, chromedp.Navigate(b.base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
			var m struct{ ScrollWidth, ClientWidth int }
			b.measure(`({ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth})`, &m)
			if m.ScrollWidth > m.ClientWidth {
				t.Errorf("%s: the page is %d px wide in a %d px window: it scrolls sideways", name, m.ScrollWidth, m.ClientWidth)
			}
			b.shots.take(ctx, name)
		}
		b.footerAtBottom(pass.width)
		b.searchFieldWide(pass.width)
		if pass.width < 760 && pass.lang == "en" {
			b.compactMenu()
		}
	}
}

// fillSession gives alice a cart, searches and sign-up answers through the
// HTTP client, and returns her session cookie.
func fillSession(t *testing.T, srv *site) string {
	t.Helper()
	c := srv.client()
	login(t, c, "alice", "alice-password")
	for _, p := range []string{"tea", "kettle", "grinder"} {
		wantRedirect(t, "add "+p, c.PostForm("/cart/add", url.Values{"product": {p}, "qty": {"2"}}), "/cart")
	}
	c.Get("/search?q=tea")
	wantRedirect(t, "signup 1", c.PostForm("/signup/1", url.Values{"name": {"Ada Lovelace"}, "email": {"ada.lovelace@example.com"}}), "/signup/2")
	wantRedirect(t, "signup 2", c.PostForm("/signup/2", url.Values{"plan": {"team"}}), "/signup/3")
	wantRedirect(t, "signup 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	c.Get("/cart") // reads the flashes
	return c.Cookie("session").Value
}

// setSession puts a session cookie into the browser.
func (b *browserWalk) setSession(value string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: "session", Value: value, URL: b.base + "/", HTTPOnly: ptr(true), SameSite: network.CookieSameSiteLax,
	}); err != nil {
		b.t.Fatalf("set cookie: %v", err)
	}
}

// measure evaluates a JavaScript expression whose value is an object and
// decodes it into v.
func (b *browserWalk) measure(expr string, v any) {
	b.t.Helper()
	if err := json.Unmarshal([]byte(b.eval("JSON.stringify("+expr+")")), v); err != nil {
		b.t.Fatalf("measure %s: %v", expr, err)
	}
}

type box struct{ Left, Right, Top, Bottom, Width float64 }

// rect is the JavaScript for the bounding box of the element sel.
func rect(sel string) string {
	return fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom, Width: r.width}; })()`, sel)
}

// footerAtBottom: on a short page the footer ends at the window's bottom
// edge instead of floating mid-screen.
func (b *browserWalk) footerAtBottom(width int64) {
	b.t.Helper()
	b.step("login page", chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")))
	var m struct {
		Footer      box
		Height, Doc float64
	}
	b.measure(`({Footer: `+rect(".site-footer")+`, Height: window.innerHeight, Doc: document.documentElement.scrollHeight})`, &m)
	if m.Doc > m.Height {
		b.t.Fatalf("at %d px the login page (%v px) is taller than the window (%v px): pick a shorter page", width, m.Doc, m.Height)
	}
	if m.Footer.Bottom < m.Height-1 {
		b.t.Errorf("at %d px the footer ends at %v px in a %v px window: it floats", width, m.Footer.Bottom, m.Height)
	}
}

// searchFieldWide: the search field takes the room and its button sits
// right beside it, on the same line.
func (b *browserWalk) searchFieldWide(width int64) {
	b.t.Helper()
	b.step("search page", chromedp.Navigate(b.base+"/search"), chromedp.WaitVisible(chromedp.CSS("#q")))
	var m struct{ Input, Button, Main box }
	b.measure(`({Input: `+rect("#q")+`, Button: `+rect("#search-submit")+`, Main: `+rect("main")+`})`, &m)
	if gap := m.Button.Left - m.Input.Right; gap < 0 || gap > 16 || m.Button.Top > m.Input.Bottom {
		b.t.Errorf("at %d px the search button is not beside the field: field %+v, button %+v", width, m.Input, m.Button)
	}
	if min := 0.5 * min(m.Main.Width, 720); m.Input.Width < min {
		b.t.Errorf("at %d px the search field is %v px wide, want at least %v", width, m.Input.Width, min)
	}
}

// compactMenu: on a phone the navigation is folded behind a Menu button,
// so the page starts right under a one-line header; the button opens it.
func (b *browserWalk) compactMenu() {
	b.t.Helper()
	b.step("home", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#greeting")))
	var m struct {
		Main    box
		NavShow bool
	}
	b.measure(`({Main: `+rect("main")+`, NavShow: document.querySelector('.nav').offsetParent !== null})`, &m)
	if m.NavShow || m.Main.Top > 80 {
		b.t.Errorf("at 390 px the navigation shows (%v) or pushes the page down to %v px", m.NavShow, m.Main.Top)
	}
	b.step("open the menu", chromedp.Click(chromedp.CSS("#menu-button")), chromedp.WaitVisible(chromedp.CSS(`.nav a[href="/search"]`)))
	b.shots.take(b.ctx, "layout-390-en-menu-open")
	b.step("follow a menu link", chromedp.Click(chromedp.CSS(`.nav a[href="/search"]`)), chromedp.WaitVisible(chromedp.CSS("#q")))
}
