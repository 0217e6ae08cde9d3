package main

import (
	"net/http"
	"strings"

	"github.com/sealedsessions/sealed/sessions"
)

// Logging in and out: GET and POST /login, POST /logout and
// /logout-everywhere.

type loginData struct {
	Username string
	Error    string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "Log in", loginData{})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	u, ok := authenticate(name, r.PostFormValue("password"))
	if !ok {
		// A name that is no user's is often a password typed one field
		// too early: only known names reach the log.
		logged := "(unknown user)"
		if _, known := lookupUser(name); known {
			logged = name
		}
		s.logger.Info("login failed", "username", logged)
		s.render(w, r, http.StatusUnauthorized, "login", "Log in",
			loginData{Username: name, Error: tr(sess, "Wrong username or password.")})
		return
	}
	// Login cycles the session ID (the old one is revoked: fixation
	// defence) and binds the user, keeping the cart and preferences.
	if err := sess.Login(r.Context(), u.Name); err != nil {
		s.serverError(w, r, "login", err)
		return
	}
	s.logger.Info("login", "username", u.Name)
	sess.AddFlash(tr(sess, "Welcome back, %s.", u.Name))
	redirect(w, r, "/")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	user := sess.UserID()
	// Logout flushes: the data goes, the session ID is revoked server-side,
	// the cookie is deleted. A copy of the old cookie no longer opens.
	if err := sess.Logout(r.Context()); err != nil {
		s.serverError(w, r, "logout", err)
		return
	}
	if user != "" {
		s.logger.Info("logout", "username", user)
	}
	redirect(w, r, "/")
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	user := sess.UserID()
	if user == "" {
		redirect(w, r, "/login")
		return
	}
	if err := s.mgr.RevokeUser(r.Context(), user); err != nil {
		s.serverError(w, r, "revoke user", err)
		return
	}
	if err := sess.Logout(r.Context()); err != nil {
		s.serverError(w, r, "logout", err)
		return
	}
	s.logger.Info("logged out everywhere", "username", user)
	redirect(w, r, "/")
}
