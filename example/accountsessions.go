package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// Where you're signed in: GET /account/sessions and its JSON twin GET
// /api/account/sessions list the user's live sessions (the login registry
// of the revocation store, sessions.Config.Registry); POST
// /account/sessions/revoke ends one, POST /account/sessions/revoke-others
// every one but this.

// loginsPerUser is how many logins the registry keeps per user.
const loginsPerUser = 20

// accountSession is one row of the list.
type accountSession struct {
	ID      string    `json:"id"`
	Current bool      `json:"current"`
	Created time.Time `json:"created"`
	Device  string    `json:"device"`
	Bound   bool      `json:"device_bound"` // DBSC: only its device can renew it
}

// accountSessions lists the user's sessions; ok is false (and the
// response written) for a guest or an error.
func (s *Server) accountSessions(w http.ResponseWriter, r *http.Request, sess *sessions.Session) ([]accountSession, bool) {
	if sess.UserID() == "" {
		redirect(w, r, "/login")
		return nil, false
	}
	list, err := s.mgr.Sessions(r.Context(), r)
	if err != nil {
		s.serverError(w, r, "list sessions", err)
		return nil, false
	}
	out := make([]accountSession, len(list))
	for i, si := range list {
		out[i] = accountSession{ID: si.ID, Current: si.Current, Created: si.Created.UTC(), Device: si.Device, Bound: si.Bound}
	}
	return out, true
}

func (s *Server) accountSessionsPage(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	if list, ok := s.accountSessions(w, r, sess); ok {
		s.render(w, r, http.StatusOK, "account_sessions", "Where you're signed in", list)
	}
}

func (s *Server) accountSessionsAPI(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	if list, ok := s.accountSessions(w, r, sess); ok {
		s.writeJSON(w, http.StatusOK, map[string][]accountSession{"sessions": list})
	}
}

func (s *Server) accountSessionRevoke(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	if sess.UserID() == "" {
		redirect(w, r, "/login")
		return
	}
	err := s.mgr.EndSession(r.Context(), r, r.PostFormValue("id"))
	switch {
	case errors.Is(err, sessions.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "/account/sessions", "That is not one of your sessions.")
	case err != nil:
		s.serverError(w, r, "end session", err)
	default:
		redirect(w, r, "/account/sessions")
	}
}

func (s *Server) accountSessionsRevokeOthers(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	if sess.UserID() == "" {
		redirect(w, r, "/login")
		return
	}
	if err := s.mgr.EndOtherSessions(r.Context(), r); err != nil {
		s.serverError(w, r, "end other sessions", err)
		return
	}
	redirect(w, r, "/account/sessions")
}
