package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// endpointPath is a concrete path that reaches e.
func endpointPath(e endpoint) string {
	path := strings.NewReplacer("{step:[123]}", "1").Replace(e.path)
	if e.prefix {
		path += "style.css"
	}
	return path
}

// TestEveryRouteWrongMethod sends every route each method it does not take:
// 405, an Allow header naming the methods it does, and the site's own error
// page. The methods it takes are never answered 404 or 405.
func TestEveryRouteWrongMethod(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions}
	var refused int
	for _, e := range s.endpoints() {
		path := endpointPath(e)
		allow := allowed(e.handlers)
		for _, m := range methods {
			resp := c.Do(m, path, nil)
			if slices.Contains(allow, m) {
				if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
					t.Errorf("%s %s: status %d for a method the route takes", m, path, resp.StatusCode)
				}
				continue
			}
			refused++
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", m, path, resp.StatusCode)
				continue
			}
			if got, want := resp.Header.Get("Allow"), strings.Join(allow, ", "); got != want {
				t.Errorf("%s %s: Allow %q, want %q", m, path, got, want)
			}
			if m == http.MethodHead {
				continue // no body
			}
			wantBody(t, m+" "+path, resp, `<link rel="stylesheet" href="/static/style.css">`,
				`id="error-message">`+path+` does not take `+m+` requests, only `+strings.Join(allow, ", ")+`.<`)
		}
	}
	if n := len(s.endpoints()); n < 20 || refused < 5*n {
		t.Errorf("%d routes, %d wrong methods tried: the table lost routes", n, refused)
	}
}
