package main

import (
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
)

// verbRE matches a format verb in a message.
var verbRE = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestTranslations checks the catalogue: every message in every language,
// with the same verbs in the same order, each key once; and every message
// the templates and handlers use is in it.
func TestTranslations(t *testing.T) {
	keys := map[string]bool{}
	for _, tr := range translations {
		if keys[tr.en] {
			t.Errorf("%q is in the catalogue twice", tr.en)
		}
		keys[tr.en] = true
		for _, l := range languages {
			msg := tr.in(l.Code)
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%q has no %s", tr.en, l.Code)
			}
			if got, want := verbRE.FindAllString(msg, -1), verbRE.FindAllString(tr.en, -1); !slices.Equal(got, want) {
				t.Errorf("%q in %s has verbs %q, want %q", tr.en, l.Code, got, want)
			}
		}
	}
	for _, key := range usedKeys(t) {
		if !keys[key] {
			t.Errorf("%q is shown but not in the catalogue", key)
		}
	}
	for _, tt := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"fr", "Cart", nil, "Panier"},
		{"de", "Welcome back, %s.", []any{"alice"}, "Willkommen zurück, alice."},
		{"xx", "Cart", nil, "Cart"},
		{"fr", "not a key", nil, "not a key"},
	} {
		if got := translate(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("translate(%s, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	for _, tt := range []struct {
		lang  string
		cents int
		want  string
	}{
		{"en", 1805, "€18.05"},
		{"fr", 1805, "18,05 €"},
		{"de", 123400, "1.234,00 €"},
	} {
		if got := money(tt.lang, tt.cents); got != tt.want {
			t.Errorf("money(%s, %d) = %q, want %q", tt.lang, tt.cents, got, tt.want)
		}
	}
}

// usedKeys returns the literal message keys in the templates ({{.T "…"}})
// and in the handlers (tr, fail, the page titles, the sign-up form's
// errors).
func usedKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	tmplRE := regexp.MustCompile(`\.T "([^"]*)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		for _, m := range tmplRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goRE := regexp.MustCompile(`(?:tr\(sess, |fail\(w, r, [^,]+, "[^"]*",\s*|render\(w, r, [^,]+, "[a-z_]+", |errs\["[a-z]+"\] = )"([^"]*)"`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := len(keys)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	if n < 80 || len(keys)-n < 40 {
		t.Fatalf("found %d keys in templates and %d in Go: the patterns no longer match the code", n, len(keys)-n)
	}
	for _, p := range catalogue {
		keys = append(keys, p.Name, p.Description)
	}
	for _, p := range plans {
		keys = append(keys, p.Name, p.Blurb)
	}
	keys = append(keys, themes...)
	for _, code := range []int{400, 403, 404, 405, 500} {
		keys = append(keys, http.StatusText(code))
	}
	return keys
}

// TestNoEnglishLeftOnPages renders every page, error and message of the
// site in French and in German and fails on any English text from the
// catalogue left on it.
func TestNoEnglishLeftOnPages(t *testing.T) {
	for _, lang := range []string{"fr", "de"} {
		t.Run(lang, func(t *testing.T) {
			s := newSite(t, nil)
			pages := visitEveryPage(t, s, lang)
			if len(pages) < 35 {
				t.Errorf("visited %d pages; the walk lost some", len(pages))
			}
			english := englishPatterns(lang)
			for name, body := range pages {
				if !strings.Contains(body, `<html lang="`+lang+`"`) {
					t.Errorf("%s: not rendered in %s", name, lang)
				}
				text := visibleText(body)
				for _, e := range english {
					if loc := e.re.FindStringIndex(text); loc != nil {
						t.Errorf("%s in %s: English %q left: …%s…", name, lang, e.text,
							text[max(0, loc[0]-40):min(len(text), loc[1]+40)])
					}
				}
			}
		})
	}
}

// englishText is a piece of an English message that lang translates.
type englishText struct {
	text string
	re   *regexp.Regexp
}

// englishPatterns returns, for every message lang translates differently,
// its text between format verbs, matched as whole words (letters and
// digits).
func englishPatterns(lang string) []englishText {
	var out []englishText
	for _, tr := range translations {
		if tr.in(lang) == tr.en {
			continue // the same word in both ("Total", "Pro")
		}
		for _, frag := range verbRE.Split(tr.en, -1) {
			frag = strings.TrimSpace(frag)
			if !regexp.MustCompile(`\pL\pL`).MatchString(frag) {
				continue // "€", "."
			}
			// Letters and digits both make a word: a random key ID such as
			// "of7ohmpi" on the admin page is no English "of".
			re := regexp.MustCompile(`(?:^|[^\pL\pN])` + regexp.QuoteMeta(frag) + `(?:[^\pL\pN]|$)`)
			out = append(out, englishText{frag, re})
		}
	}
	return out
}

// visibleText is the text a visitor can see or hear on the page: the text
// between tags and the attributes shown or read out.
func visibleText(body string) string {
	var b strings.Builder
	attrRE := regexp.MustCompile(`(?:placeholder|aria-label|title|alt)="([^"]*)"`)
	for _, m := range attrRE.FindAllStringSubmatch(body, -1) {
		b.WriteString(m[1] + "\n")
	}
	b.WriteString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, "\n"))
	return html.UnescapeString(b.String())
}

// pageWalk collects the pages of one walk through the site.
type pageWalk struct {
	t     *testing.T
	pages map[string]string
}

// add keeps resp's body under name after checking its status.
func (w *pageWalk) add(name string, resp *testutil.Response, status int) {
	w.t.Helper()
	wantStatus(w.t, name, resp, status)
	w.pages[name] = resp.Body
}

// visitEveryPage walks a guest, bob and alice, each in lang, through every
// page, form error, flash message and error page.
func visitEveryPage(t *testing.T, s *site, lang string) map[string]string {
	t.Helper()
	w := &pageWalk{t: t, pages: map[string]string{}}
	inLang := func(c *testutil.Client) {
		wantRedirect(t, "preferences", c.PostForm("/preferences", url.Values{"theme": {"light"}, "language": {lang}}), "/preferences")
	}
	guest := s.client()
	inLang(guest)
	w.add("preferences saved", guest.Get("/preferences"), http.StatusOK)
	w.add("bad preferences", guest.PostForm("/preferences", url.Values{"theme": {"purple"}, "language": {"xx"}}), http.StatusBadRequest)
	w.add("home", guest.Get("/"), http.StatusOK)
	w.add("login", guest.Get("/login"), http.StatusOK)
	w.add("login failed", guest.PostForm("/login", url.Values{"username": {"alice"}, "password": {"wrong"}}), http.StatusUnauthorized)
	w.add("404", guest.Get("/nope"), http.StatusNotFound)
	w.add("405", guest.Get("/logout"), http.StatusMethodNotAllowed)
	w.add("unreadable form", guest.PostForm("/cart/add", url.Values{"product": {strings.Repeat("x", maxFormBytes)}}), http.StatusBadRequest)
	walkCart(w, guest)
	walkSearch(w, guest)
	walkSignup(w, guest)
	w.add("session", guest.Get("/session"), http.StatusOK)

	bob := s.client()
	inLang(bob)
	login(t, bob, "bob", "bob-password")
	w.add("welcome", bob.Get("/"), http.StatusOK)
	w.add("admin refused", bob.Get("/admin"), http.StatusForbidden)

	alice := s.client()
	inLang(alice)
	login(t, alice, "alice", "alice-password")
	w.add("admin", alice.Get("/admin"), http.StatusOK)
	w.add("admin, no user", alice.PostForm("/admin/revoke-user", url.Values{"username": {""}}), http.StatusBadRequest)
	w.add("admin, unknown user", alice.PostForm("/admin/revoke-user", url.Values{"username": {"carol"}}), http.StatusBadRequest)
	wantRedirect(t, "revoke bob", alice.PostForm("/admin/revoke-user", url.Values{"username": {"bob"}}), "/admin")
	w.add("admin, revoked", alice.Get("/admin"), http.StatusOK)
	return w.pages
}

func walkCart(w *pageWalk, c *testutil.Client) {
	w.add("cart, empty", c.Get("/cart"), http.StatusOK)
	w.add("cart, no product", c.PostForm("/cart/add", url.Values{"qty": {"1"}}), http.StatusBadRequest)
	w.add("cart, unknown product", c.PostForm("/cart/add", url.Values{"product": {"caviar"}}), http.StatusBadRequest)
	w.add("cart, bad quantity", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"0"}}), http.StatusBadRequest)
	w.add("cart, checkout empty", c.PostForm("/cart/checkout", nil), http.StatusBadRequest)
	w.add("cart, remove absent", c.PostForm("/cart/remove", url.Values{"product": {"tea"}}), http.StatusBadRequest)
	wantRedirect(w.t, "add", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"2"}}), "/cart")
	wantRedirect(w.t, "add", c.PostForm("/cart/add", url.Values{"product": {"kettle"}}), "/cart")
	w.add("cart, added", c.Get("/cart"), http.StatusOK)
	w.add("cart, too many", c.PostForm("/cart/add", url.Values{"product": {"tea"}, "qty": {"98"}}), http.StatusBadRequest)
	wantRedirect(w.t, "remove", c.PostForm("/cart/remove", url.Values{"product": {"kettle"}}), "/cart")
	w.add("cart, removed", c.Get("/cart"), http.StatusOK)
	wantRedirect(w.t, "checkout", c.PostForm("/cart/checkout", nil), "/cart")
	w.add("cart, checked out", c.Get("/cart"), http.StatusOK)
}

func walkSearch(w *pageWalk, c *testutil.Client) {
	w.add("search", c.Get("/search"), http.StatusOK)
	w.add("search, results", c.Get("/search?q=tea"), http.StatusOK)
	w.add("search, no results", c.Get("/search?q=zzz"), http.StatusOK)
	w.add("search, too long", c.Get("/search?q="+strings.Repeat("z", maxSearchLen+1)), http.StatusBadRequest)
}

func walkSignup(w *pageWalk, c *testutil.Client) {
	w.add("signup 1", c.Get("/signup/1"), http.StatusOK)
	w.add("signup 1, errors", c.PostForm("/signup/1", url.Values{"name": {strings.Repeat("n", 101)}}), http.StatusUnprocessableEntity)
	w.add("signup 1, no name", c.PostForm("/signup/1", url.Values{}), http.StatusUnprocessableEntity)
	wantRedirect(w.t, "step 1", c.PostForm("/signup/1", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}}), "/signup/2")
	w.add("signup 2", c.Get("/signup/2"), http.StatusOK)
	w.add("signup 2, error", c.PostForm("/signup/2", url.Values{}), http.StatusUnprocessableEntity)
	wantRedirect(w.t, "step 2", c.PostForm("/signup/2", url.Values{"plan": {"team"}}), "/signup/3")
	w.add("signup 3", c.Get("/signup/3"), http.StatusOK)
	w.add("signup 3, error", c.PostForm("/signup/3", url.Values{}), http.StatusUnprocessableEntity)
	wantRedirect(w.t, "step 3", c.PostForm("/signup/3", url.Values{"confirm": {"on"}}), "/signup/done")
	w.add("signup done", c.Get("/signup/done"), http.StatusOK)
}
