package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPreferences(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	wantStatus(t, "GET /preferences", c.Get("/preferences"), http.StatusOK)

	resp := c.PostForm("/preferences", url.Values{"theme": {"dark"}, "language": {"fr"}})
	wantRedirect(t, "dark fr", resp, "/preferences")
	ck := resp.Header.Get("Set-Cookie")
	if strings.Contains(ck, "Expires=") || strings.Contains(ck, "Max-Age=") {
		t.Errorf("without remember the cookie should end with the browser: %q", ck)
	}
	home := c.Get("/")
	wantBody(t, "home in French, dark", home, `data-theme="dark"`, `lang="fr"`, "Bonjour, invité", ">Panier ")
	v := apiSession(t, c)
	if v.Preferences != (preferencesView{Theme: "dark", Language: "fr"}) || !v.ExpireAtBrowserClose {
		t.Errorf("preferences %+v expire at browser close %v", v.Preferences, v.ExpireAtBrowserClose)
	}

	resp = c.PostForm("/preferences", url.Values{"theme": {"light"}, "language": {"de"}, "remember": {"on"}})
	wantRedirect(t, "light de remember", resp, "/preferences")
	ck = resp.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "Expires=") && !strings.Contains(ck, "Max-Age=") {
		t.Errorf("remember should make the cookie persistent: %q", ck)
	}
	wantBody(t, "home in German", c.Get("/"), `data-theme="light"`, "Hallo, Gast")
	v = apiSession(t, c)
	if !v.Preferences.Remember || v.ExpireAtBrowserClose {
		t.Errorf("after remember: %+v expire at browser close %v", v.Preferences, v.ExpireAtBrowserClose)
	}
	if want := s.clock.Now().Add(14 * 24 * time.Hour); !v.ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want %v (two weeks)", v.ExpiresAt, want)
	}

	// Each message blames the field that is wrong, and only that one, in
	// the session's language (still German).
	const badTheme, badLang = "Das Farbschema muss hell oder dunkel sein", "Die Sprache muss English, Français oder Deutsch sein"
	for _, tt := range []struct {
		form      url.Values
		want, not []string
	}{
		{url.Values{"theme": {"purple"}, "language": {"en"}}, []string{badTheme + `, nicht &#34;purple&#34;.`}, []string{badLang}},
		{url.Values{"theme": {"dark"}, "language": {"xx"}}, []string{badLang + `, nicht &#34;xx&#34;.`}, []string{badTheme}},
		{url.Values{}, []string{badTheme, badLang}, nil},
	} {
		what := "bad preferences " + tt.form.Encode()
		resp := c.PostForm("/preferences", tt.form)
		wantStatus(t, what, resp, http.StatusBadRequest)
		wantBody(t, what, resp, tt.want...)
		for _, n := range tt.not {
			if strings.Contains(resp.Body, n) {
				t.Errorf("%s: the message also blames a right field: %q", what, n)
			}
		}
	}
	if v := apiSession(t, c).Preferences; v.Language != "de" {
		t.Errorf("refused preferences changed the session: %+v", v)
	}
}

func TestRememberWithExpireAtBrowserClose(t *testing.T) {
	s := newSite(t, func(c *Config) { c.ExpireAtBrowserClose = true; c.CookieAge = 2 * time.Hour })
	c := s.client()
	resp := c.PostForm("/cart/add", url.Values{"product": {"mug"}})
	if ck := resp.Header.Get("Set-Cookie"); strings.Contains(ck, "Expires=") || strings.Contains(ck, "Max-Age=") {
		t.Errorf("with --expire-at-browser-close a new cookie is persistent: %q", ck)
	}
	resp = c.PostForm("/preferences", url.Values{"theme": {"light"}, "language": {"en"}, "remember": {"on"}})
	wantRedirect(t, "remember", resp, "/preferences")
	if ck := resp.Header.Get("Set-Cookie"); !strings.Contains(ck, "Max-Age=7200") {
		t.Errorf("remember me with --expire-at-browser-close: cookie %q, want Max-Age=7200", ck)
	}
	if v := apiSession(t, c); v.ExpireAtBrowserClose || !v.ExpiresAt.Equal(s.clock.Now().Add(2*time.Hour)) {
		t.Errorf("remembered session: browser close %v, expires %v", v.ExpireAtBrowserClose, v.ExpiresAt)
	}
}
