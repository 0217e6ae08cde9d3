package main

import (
	"net/http"
	"strings"

	"github.com/sealedsessions/sealed/sessions"
)

// Theme, language and "remember me": GET and POST /preferences.

type prefsData struct {
	Theme, Lang string
	Remember    bool
	Languages   any
	Themes      []string
	Error       string
}

func (s *Server) preferencesForm(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	s.render(w, r, http.StatusOK, "preferences", "Preferences", prefsData{
		Theme:     sessions.Get(sess, keyTheme, "light"),
		Lang:      sessions.Get(sess, keyLang, "en"),
		Remember:  sessions.Get(sess, keyRemember, false),
		Languages: languages,
		Themes:    themes,
	})
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	theme, lang := r.PostFormValue("theme"), r.PostFormValue("language")
	remember := r.PostFormValue("remember") == "on"
	var errs []string
	if !validTheme(theme) {
		errs = append(errs, tr(sess, "The theme must be light or dark, not %q.", truncate(theme, 20)))
	}
	if !validLanguage(lang) {
		errs = append(errs, tr(sess, "The language must be English, Français or Deutsch, not %q.", truncate(lang, 20)))
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusBadRequest, "preferences", "Preferences", prefsData{
			Theme: theme, Lang: lang, Remember: remember, Languages: languages, Themes: themes,
			Error: strings.Join(errs, " "),
		})
		return
	}
	if err := sess.Update(map[string]any{keyTheme: theme, keyLang: lang, keyRemember: remember}); err != nil {
		s.serverError(w, r, "save preferences", err)
		return
	}
	// "Remember me" keeps the cookie for the configured age; otherwise it
	// lasts until the browser closes.
	switch {
	case remember && s.cfg.ExpireAtBrowserClose:
		// The site-wide default is browser-close; remembering needs an
		// explicit idle expiry.
		age := s.cfg.CookieAge
		if age == 0 {
			age = sessions.DefaultCookieAge
		}
		sess.SetExpiry(age)
	case remember:
		sess.ResetExpiry()
	default:
		sess.SetExpireAtBrowserClose()
	}
	s.saveThen(w, r, sess, tr(sess, "Preferences saved."), "/preferences") // in the language just chosen
}
