package main

import (
	"net/http"

	"github.com/sealedsessions/sealed/sessions"
)

// What every handler shares: the session keys, reading the request's
// session (withSession, withForm) and its form.

// Session keys the site uses.
const (
	keyCart     = "cart"     // map[string]int: product ID to quantity
	keyTheme    = "theme"    // "light" or "dark"
	keyLang     = "lang"     // "en", "fr" or "de"
	keyRemember = "remember" // bool: persistent cookie
	keySignup   = "signup"   // map[string]string: name, email, plan, confirm, done
	keySearches = "searches" // []string, newest first, at most five
	keyOrders   = "orders"   // int: orders placed in this session
)

// session returns the request's session. The middleware always puts one
// there; without it (a wiring bug) the error reaches the log and the client
// gets a 500.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*sessions.Session, bool) {
	sess, err := s.mgr.Session(r)
	if err != nil {
		s.logger.Error("no session on request", "path", r.URL.Path, "err", err)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return nil, false
	}
	return sess, true
}

// maxFormBytes bounds every form body.
const maxFormBytes = 16 << 10

// parseForm reads a POST form with a size limit. A bad body is the
// client's fault: 400.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.", "/")
		return false
	}
	return true
}

// sessionHandler is a handler that works on the request's session.
type sessionHandler func(w http.ResponseWriter, r *http.Request, sess *sessions.Session)

// withSession adapts h to http.HandlerFunc: it reads the request's session
// first and answers 500 itself if there is none (see session).
func (s *Server) withSession(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sess, ok := s.session(w, r); ok {
			h(w, r, sess)
		}
	}
}

// withForm is withSession for a POSTed form: it parses the form first
// (400 if it can't be read), then reads the session.
func (s *Server) withForm(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.parseForm(w, r) {
			s.withSession(h)(w, r)
		}
	}
}
