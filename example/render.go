package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/sessions"
)

//go:embed templates/*.html
var templateFS embed.FS

// page is what every template gets: the layout's data plus the page's own.
type page struct {
	Title     string
	User      string
	Admin     bool
	CartCount int
	Theme     string
	Lang      string
	Flashes   []string
	Path      string
	Data      any
}

// T translates the message key (its English text) with args into the
// page's language.
func (p page) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// Money formats cents as euros in the page's language.
func (p page) Money(cents int) string { return money(p.Lang, cents) }

// parsePages parses each page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("example: templates: %w", err)
	}
	funcs := template.FuncMap{
		"short": shortID,
		"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	}
	pages := make(map[string]*template.Template)
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("example: template %s: %w", base, err)
		}
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages, nil
}

// shortID shortens a session ID for display: enough to tell sessions apart,
// not enough to be the ID.
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}

// newPage fills the layout data from the session. title is a message key.
func (s *Server) newPage(r *http.Request, sess *sessions.Session, title string, data any) page {
	p := page{
		Theme: sessions.Get(sess, keyTheme, "light"),
		Lang:  sessionLang(sess),
		Path:  r.URL.Path,
		Data:  data,
	}
	p.Title = p.T(title)
	if !validTheme(p.Theme) {
		p.Theme = "light"
	}
	if u := sess.UserID(); u != "" {
		p.User = u
		if acct, ok := lookupUser(u); ok {
			p.Admin = acct.Admin
		}
	}
	for _, n := range cart(sess) {
		p.CartCount += n
	}
	p.Flashes = sess.Flashes()
	return p
}

// render executes a page template into a buffer first, so a template error
// becomes a clean 500 and not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	sess, ok := s.session(w, r)
	if !ok {
		return
	}
	t, ok := s.pages[name]
	if !ok {
		s.logger.Error("missing template", "name", name)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", s.newPage(r, sess, title, data)); err != nil {
		s.logger.Error("render", "template", name, "err", err)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeJSON writes v as indented JSON.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		s.logger.Error("encode JSON", "err", err)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// redirect answers a POST with 303 See Other, so a reload does not post
// again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// errorData is the body of the error page.
type errorData struct {
	Status  int
	Message string
	Back    string
}

// fail renders the error page with a message meant for the user: the
// message key with args, in the session's language. back is the page the
// "Go back" link leads to.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, back, key string, args ...any) {
	sess, ok := s.session(w, r)
	if !ok {
		return
	}
	msg := tr(sess, key, args...)
	s.render(w, r, status, "error", http.StatusText(status), errorData{Status: status, Message: msg, Back: back})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, "/", "There is no page at %s.", truncate(r.URL.Path, 100))
}

// methodNotAllowed answers a method the path does not take; allow lists
// those it does.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	s.fail(w, r, http.StatusMethodNotAllowed, "/",
		"%s does not take %s requests, only %s.", truncate(r.URL.Path, 100), truncate(r.Method, 20), allow)
}

// crossOriginDenied is http.CrossOriginProtection's deny handler. It runs
// before the session middleware, so it does not use the layout.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.logger.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	http.Error(w, "403 forbidden: cross-origin request refused", http.StatusForbidden)
}

// serverError logs err and answers 500. Session changes are not saved on a
// 5xx response.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, op string, err error) {
	if errors.Is(err, revocation.ErrDiskFull) {
		// A state the store leaves by itself once space returns: nothing
		// was recorded (a 5xx saves no session change), the user retries.
		s.logger.Warn(op+" refused: the revocation store is short of disk space", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "30")
		s.fail(w, r, http.StatusServiceUnavailable, "/", "We could not record that just now: the server is short of disk space. Nothing was changed; please try again in a moment.")
		return
	}
	s.logger.Error(op, "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusInternalServerError, "/", "Something went wrong on our side. Please try again.")
}

// truncate shortens s for echoing it back in a message.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
