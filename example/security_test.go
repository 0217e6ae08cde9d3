package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
)

func TestCrossOriginPOSTRefused(t *testing.T) {
	s := newSite(t, nil)
	form := url.Values{"username": {"alice"}, "password": {"alice-password"}}
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		want    int
	}{
		{"sec-fetch-site cross-site", "/login", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"sec-fetch-site same-site", "/cart/add", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign origin", "/login", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"foreign origin on logout", "/logout", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"foreign origin on admin", "/admin/revoke-user", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"same origin", "/login", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"matching origin", "/login", map[string]string{"Origin": s.http.URL}, http.StatusSeeOther},
		{"no headers (not a browser)", "/login", nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.client()
			resp := send(t, c, http.MethodPost, tt.path, form, tt.headers)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusForbidden && c.Cookie("session") != nil {
				t.Error("a refused cross-origin POST set a session cookie")
			}
		})
	}
}

// wantSecurityHeaders is what every response carries, whatever answered it.
var wantSecurityHeaders = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "same-origin",
	"Content-Security-Policy":      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
}

// TestSecurityHeaders checks that every kind of response carries the
// security headers, including the ones mux answers without running r.Use
// middleware (404, 405, clean-path redirects) and the cross-origin 403.
func TestSecurityHeaders(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	crossSite := func() *testutil.Response {
		return send(t, c, http.MethodPost, "/logout", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	}
	tests := []struct {
		name       string
		do         func() *testutil.Response
		wantStatus int
		wantCache  string
	}{
		{"home", func() *testutil.Response { return c.Get("/") }, http.StatusOK, "no-store"},
		{"api session", func() *testutil.Response { return c.Get("/api/session") }, http.StatusOK, "no-store"},
		{"healthz", func() *testutil.Response { return c.Get("/healthz") }, http.StatusOK, "no-store"},
		{"metrics", func() *testutil.Response { return c.Get("/metrics") }, http.StatusOK, "no-store"},
		{"stylesheet", func() *testutil.Response { return c.Get("/static/style.css") }, http.StatusOK, "public, max-age=3600"},
		{"static directory", func() *testutil.Response { return c.Get("/static/") }, http.StatusNotFound, ""},
		{"not found", func() *testutil.Response { return c.Get("/nope?<b>") }, http.StatusNotFound, "no-store"},
		{"method not allowed", func() *testutil.Response { return c.Get("/logout") }, http.StatusMethodNotAllowed, "no-store"},
		{"clean-path redirect", func() *testutil.Response { return c.Get("//evil.example/") }, http.StatusMovedPermanently, "no-store"},
		{"cross-origin refused", crossSite, http.StatusForbidden, "no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.do()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for k, want := range wantSecurityHeaders {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if tt.wantCache != "" {
				if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
					t.Errorf("Cache-Control: %q, want %q", got, tt.wantCache)
				}
			}
			if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.Contains(loc, "://") {
				t.Errorf("redirect off the site: Location %q", loc)
			}
			if strings.Contains(resp.Body, "<b>") || strings.Contains(resp.Body, "style.css</a>") {
				t.Errorf("body echoes markup or lists a directory:\n%s", resp.Body)
			}
		})
	}
	// A response that writes the cookie keeps no-store (the session
	// middleware does not weaken it to no-cache="Set-Cookie").
	resp := c.PostForm("/cart/add", url.Values{"product": {"tea"}})
	if resp.Header.Get("Set-Cookie") == "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("cart add: Set-Cookie %q Cache-Control %q, want a cookie and no-store",
			resp.Header.Get("Set-Cookie"), resp.Header.Get("Cache-Control"))
	}
}

// TestEveryRouteCrossSite walks the router: every POST route refuses a
// cross-site request, and no GET route writes the session when another
// site sends the visitor there (a GET is not behind CrossOriginProtection).
func TestEveryRouteCrossSite(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	wantRedirect(t, "add", c.PostForm("/cart/add", url.Values{"product": {"tea"}}), "/cart")
	c.Get("/cart") // read the flash, so no GET has one to consume
	before := apiSession(t, c)

	// Every field any form takes.
	form := url.Values{"username": {"bob"}, "product": {"tea"}, "qty": {"1"}, "theme": {"dark"}, "language": {"fr"},
		"name": {"X"}, "email": {"x@example.com"}, "plan": {"pro"}, "confirm": {"on"}}
	var posts, gets int
	for _, e := range s.endpoints() {
		path := endpointPath(e)
		if path == "/search" {
			path += "?q=mug"
		}
		for _, m := range allowed(e.handlers) {
			if m == http.MethodHead {
				continue
			}
			resp := send(t, c, m, path, form, map[string]string{"Sec-Fetch-Site": "cross-site"})
			switch m {
			case http.MethodPost:
				posts++
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("cross-site POST %s: status %d, want 403", path, resp.StatusCode)
				}
			case http.MethodGet:
				gets++
			default:
				t.Errorf("%s %s: a route with a method this test does not know", m, path)
			}
			if ck := resp.Header.Get("Set-Cookie"); ck != "" {
				t.Errorf("cross-site %s %s wrote the session: %.60s…", m, path, ck)
			}
		}
	}
	if posts < 10 || gets < 13 {
		t.Errorf("walked %d POST and %d GET routes; the router has more", posts, gets)
	}
	after := apiSession(t, c)
	if deref(after.SessionID) != deref(before.SessionID) || len(after.Searches) != 0 || after.Cart["tea"] != 1 || after.Preferences.Theme != "light" || !after.Authenticated {
		t.Errorf("cross-site requests changed the session:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestNoMarkupEchoed sends markup through every field the site echoes
// back (in text, attribute and URL contexts) and checks it comes back
// escaped everywhere it shows.
func TestNoMarkupEchoed(t *testing.T) {
	const payload = `x"'><script>alert(1)</script><img src=x onerror=alert(2)>`
	s := newSite(t, nil)
	c := s.client()
	check := func(what string, resp *testutil.Response) {
		t.Helper()
		for _, bad := range []string{"<script>", "<img", `"'>`} {
			if strings.Contains(resp.Body, bad) {
				t.Errorf("%s: body holds %q unescaped", what, bad)
			}
		}
	}
	check("login username", c.PostForm("/login", url.Values{"username": {payload}, "password": {"x"}}))
	check("cart product", c.PostForm("/cart/add", url.Values{"product": {payload}}))
	check("cart qty", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {payload}}))
	check("cart remove", c.PostForm("/cart/remove", url.Values{"product": {payload}}))
	check("signup bad email", c.PostForm("/signup/1", url.Values{"name": {payload}, "email": {payload}}))
	wantRedirect(t, "signup", c.PostForm("/signup/1", url.Values{"name": {payload}, "email": {"ada@example.com"}}), "/signup/2")
	wantRedirect(t, "signup 2", c.PostForm("/signup/2", url.Values{"plan": {"pro"}}), "/signup/3")
	check("signup summary", c.Get("/signup/3"))
	check("signup plan", c.PostForm("/signup/2", url.Values{"plan": {payload}}))
	wantRedirect(t, "signup 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	check("signup done", c.Get("/signup/done"))
	resp := c.Get("/search?q=" + url.QueryEscape(payload))
	check("search", resp)
	wantBody(t, "search history link", c.Get("/search"), `href="/search?q=x%22%27%3e%3cscript%3ealert%281%29%3c%2fscript%3e`)
	check("preferences", c.PostForm("/preferences", url.Values{"theme": {payload}, "language": {payload}}))
	check("not found", c.Get("/"+url.PathEscape(payload)))
	check("session page", c.Get("/session"))
	api := c.Get("/api/session")
	if strings.Contains(api.Body, "<") {
		t.Errorf("/api/session holds a raw '<':\n%s", api.Body)
	}
	login(t, c, "alice", "alice-password")
	check("admin unknown user", c.PostForm("/admin/revoke-user", url.Values{"username": {payload}}))
}

// TestLargestSessionFits fills every part of the session to the most the
// forms accept, with four-byte characters where text is free, and checks
// the cookie is still written: no input can make a session too large to
// save.
func TestLargestSessionFits(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	wide := strings.Repeat("𝄞", 100)
	email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	if len(email) != 254 {
		t.Fatalf("test e-mail is %d bytes", len(email))
	}
	wantRedirect(t, "signup 1", c.PostForm("/signup/1", url.Values{"name": {wide}, "email": {email}}), "/signup/2")
	wantRedirect(t, "signup 2", c.PostForm("/signup/2", url.Values{"plan": {"team"}}), "/signup/3")
	wantRedirect(t, "signup 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	for _, p := range catalogue {
		wantRedirect(t, "add "+p.ID, c.PostForm("/cart/add", url.Values{"product": {p.ID}, "qty": {"99"}}), "/cart")
	}
	wantRedirect(t, "prefs", c.PostForm("/preferences", url.Values{"theme": {"dark"}, "language": {"de"}, "remember": {"on"}}), "/preferences")
	for i := range 6 {
		q := strings.Repeat(string(rune('𝄞'+i)), 100)
		resp := c.Get("/search?q=" + url.QueryEscape(q))
		wantStatus(t, "search", resp, http.StatusOK)
		if resp.Header.Get("Set-Cookie") == "" {
			t.Fatalf("search %d: no cookie written; the session outgrew the cookie", i)
		}
	}
	// A pending flash on top of it all.
	wantRedirect(t, "add after", c.PostForm("/cart/remove", url.Values{"product": {"tea"}}), "/cart")
	v := apiSession(t, c)
	if v.Signup["name"] != wide || v.Signup["email"] != email || len(v.Cart) != len(catalogue)-1 || len(v.Searches) == 0 || !v.Preferences.Remember {
		t.Errorf("the largest session lost data: %+v", v)
	}
	if got := s.mgr.Stats().TooLarge; got != 0 {
		t.Errorf("%d saves refused as too large", got)
	}
}
