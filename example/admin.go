package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sealedsessions/sealed/sessions"
)

// The admin pages: GET /admin and POST /admin/revoke-user.

type adminData struct {
	Users []string
	Error string
}

func userNames() []string {
	var names []string
	for n := range users {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// adminOnly lets admins through to h; guests go to the login page, other
// users get 403.
func (s *Server) adminOnly(h sessionHandler) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
		name := sess.UserID()
		if name == "" {
			redirect(w, r, "/login")
			return
		}
		if u, ok := lookupUser(name); !ok || !u.Admin {
			s.logger.Warn("admin route refused", "username", name, "path", r.URL.Path)
			s.fail(w, r, http.StatusForbidden, "/", "Only administrators can do that.")
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, _ *sessions.Session) {
	s.render(w, r, http.StatusOK, "admin", "Admin", adminData{Users: userNames()})
}

func (s *Server) adminRevokeUser(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	target := strings.TrimSpace(r.PostFormValue("username"))
	msg := ""
	if target == "" {
		msg = tr(sess, "Please choose a user to log out.")
	} else if _, ok := lookupUser(target); !ok {
		msg = tr(sess, "There is no user %q.", truncate(target, 40))
	}
	if msg != "" {
		s.render(w, r, http.StatusBadRequest, "admin", "Admin", adminData{Users: userNames(), Error: msg})
		return
	}
	if err := s.mgr.RevokeUser(r.Context(), target); err != nil {
		s.serverError(w, r, "revoke user", err)
		return
	}
	s.logger.Info("admin revoked user", "admin", sess.UserID(), "username", target)
	if target == sess.UserID() {
		// The admin's own session is among those just revoked.
		redirect(w, r, "/")
		return
	}
	sess.AddFlash(tr(sess, "Every session of %s has been logged out.", target))
	redirect(w, r, "/admin")
}
