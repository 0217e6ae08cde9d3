package main

import (
	"net/http"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// What is in my session: GET /session and GET /api/session.

// sessionView is GET /api/session's body and the data of GET /session.
type sessionView struct {
	Authenticated        bool              `json:"authenticated"`
	Username             string            `json:"username"`
	Cart                 map[string]int    `json:"cart"`
	Preferences          preferencesView   `json:"preferences"`
	Signup               map[string]string `json:"signup"`
	Searches             []string          `json:"searches"`
	Orders               int               `json:"orders"`
	SessionID            *string           `json:"session_id"` // shortened; nil until the session is saved
	Created              time.Time         `json:"created"`
	ExpiresAt            time.Time         `json:"expires_at"`
	ExpireAtBrowserClose bool              `json:"expire_at_browser_close"`
	KeyID                string            `json:"key_id"`       // key that sealed the incoming cookie; "" for a new session
	Keys                 []string          `json:"keys"`         // every key in the session, sorted
	DeviceBound          bool              `json:"device_bound"` // bound to this device's key (DBSC, --dbsc)
}

type preferencesView struct {
	Theme    string `json:"theme"`
	Language string `json:"language"`
	Remember bool   `json:"remember"`
}

func (s *Server) sessionView(sess *sessions.Session) sessionView {
	v := sessionView{
		Authenticated: sess.UserID() != "",
		Username:      sess.UserID(),
		Cart:          cart(sess),
		Preferences: preferencesView{
			Theme:    sessions.Get(sess, keyTheme, "light"),
			Language: sessions.Get(sess, keyLang, "en"),
			Remember: sessions.Get(sess, keyRemember, false),
		},
		Signup:               signup(sess),
		Searches:             sessions.Get(sess, keySearches, []string{}),
		Orders:               sessions.Get(sess, keyOrders, 0),
		Created:              sess.Created().UTC(),
		ExpiresAt:            sess.ExpiryDate().UTC(),
		ExpireAtBrowserClose: sess.ExpireAtBrowserClose(),
		KeyID:                sess.KeyID(),
		Keys:                 sess.Keys(),
		DeviceBound:          sess.DeviceBound(),
	}
	// A session that came with no cookie and was not changed is not
	// saved: its ID would be a new one on every request.
	if !sess.IsNew() || sess.Modified() {
		id := shortID(sess.ID())
		v.SessionID = &id
	}
	if v.Searches == nil {
		v.Searches = []string{}
	}
	return v
}

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.render(w, r, http.StatusOK, "session", "My session", s.sessionView(sess))
}

func (s *Server) sessionAPI(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.writeJSON(w, http.StatusOK, s.sessionView(sess))
}
