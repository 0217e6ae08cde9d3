package main

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sealedsessions/sealed/sessions"
)

// GET /search and the search history it keeps in the session.

type searchData struct {
	Query    string
	Searched bool
	Results  []product
	Recent   []string
	Error    string
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	recent := sessions.Get(sess, keySearches, []string(nil))
	d := searchData{Query: q}
	if utf8.RuneCountInString(q) > maxSearchLen || !utf8.ValidString(q) {
		d.Query = truncate(q, maxSearchLen) // echo no more than the form takes
		d.Recent = recent
		d.Error = tr(sess, "Searches are limited to %d characters.", maxSearchLen)
		s.render(w, r, http.StatusBadRequest, "search", "Search", d)
		return
	}
	if q != "" {
		d.Searched = true
		d.Results = searchCatalogue(q)
	}
	if q != "" && sameSiteNavigation(r) {
		recent = addSearch(recent, q)
		if err := sess.Set(keySearches, recent); err != nil {
			s.serverError(w, r, "save searches", err)
			return
		}
	}
	d.Recent = recent
	s.render(w, r, http.StatusOK, "search", "Search", d)
}

// addSearch puts q at the front of the history: newest first, no
// duplicates, at most recentSearchN searches and recentSearchBytes bytes
// (the newest is always kept), so the history can't crowd the rest of the
// session out of its 4 KB cookie.
func addSearch(recent []string, q string) []string {
	recent = slices.DeleteFunc(recent, func(x string) bool { return x == q })
	recent = append([]string{q}, recent...)
	n := len(q)
	for i := 1; i < len(recent); i++ {
		n += len(recent[i])
		if i == recentSearchN || n > recentSearchBytes {
			return recent[:i]
		}
	}
	return recent
}

// sameSiteNavigation reports whether a GET came from this site or from the
// user (typed, bookmarked), going by Sec-Fetch-Site; a request without it
// (an old browser, curl) counts as the user's. A GET is not behind
// CrossOriginProtection and the SameSite=Lax cookie goes with a top-level
// navigation from anywhere, so without this check any site could link its
// visitors to /search?q=… and write into their session.
func sameSiteNavigation(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}
