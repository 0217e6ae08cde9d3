package main

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/sealedsessions/sealed/sessions"
)

// What every handler shares: the session keys, reading the request's
// session (withSession, withForm) and its form, saving a change before
// confirming it (saveThen).

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
		s.fail(w, r, http.StatusBadRequest, "/", "The form could not be read.")
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

// saveThen saves the session's change now, before answering, and then
// confirms it: it queues flash (unless empty) for the next page and
// redirects to to. The middleware would save only once the redirect was
// decided, so a change it could not save (a session too large, one that
// another request logged out meanwhile) would be confirmed all the same;
// here the user is told instead (notSaved). The middleware saves the flash
// with the change, replacing the cookie this Save wrote. It reports
// whether the change was saved.
func (s *Server) saveThen(w http.ResponseWriter, r *http.Request, sess *sessions.Session, flash, to string) bool {
	if err := s.mgr.Save(w, r, sess); err != nil {
		s.notSaved(w, r, err, to)
		return false
	}
	if flash != "" {
		sess.AddFlash(flash)
	}
	redirect(w, r, to)
	return true
}

// notSaved tells the user that their change was not saved, and why in
// their terms. A session another request logged out meanwhile gets
// Django's answer, 400 (the middleware's ErrorHandler logs it: see
// sessionError); anything else is a 500, which saves nothing.
func (s *Server) notSaved(w http.ResponseWriter, r *http.Request, err error, back string) {
	switch {
	case errors.Is(err, sessions.ErrSessionInterrupted):
		s.fail(w, r, http.StatusBadRequest, back, "Your session was ended in another window while this change was on its way, so it was not saved. Please try again.")
	case errors.Is(err, sessions.ErrTooLarge):
		s.logger.Error("change not saved", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, back, "Your session is full, so this change was not saved. Remove something (or check out) and try again.")
	default:
		s.logger.Error("change not saved", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, back, "Your change could not be saved. Please try again.")
	}
}

// sessionError is the Manager's ErrorHandler: a session another request
// ended while this one ran is a race users cause (two tabs), logged at
// Info; any other save error at Error.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	level := slog.LevelError
	if errors.Is(err, sessions.ErrSessionInterrupted) {
		level = slog.LevelInfo
	}
	s.logger.Log(r.Context(), level, "session not saved", "path", r.URL.Path, "err", err)
}
