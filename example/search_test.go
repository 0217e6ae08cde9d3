package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	resp := c.Get("/search?q=TEA")
	wantStatus(t, "search", resp, http.StatusOK)
	wantBody(t, "search tea", resp, "Green tea", `Results for “TEA”`)
	if strings.Contains(resp.Body, "Hand grinder") {
		t.Error("search for tea lists the grinder")
	}
	wantBody(t, "search caviar", c.Get("/search?q=caviar"), `id="no-results"`)

	for _, q := range []string{"mug", "kettle", "tea", "scale", "beans"} {
		wantStatus(t, "search "+q, c.Get("/search?q="+q), http.StatusOK)
	}
	want := []string{"beans", "scale", "tea", "kettle", "mug"} // newest first, "tea" moved up, TEA and caviar pushed out
	got := apiSession(t, c).Searches
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recent searches %q, want %q", got, want)
	}
	page := c.Get("/search")
	wantBody(t, "search page", page, `href="/search?q=beans"`)

	resp = c.Get("/search?q=" + strings.Repeat("x", 101))
	wantStatus(t, "long query", resp, http.StatusBadRequest)
	wantBody(t, "long query", resp, "limited to 100 characters")
	if got := apiSession(t, c).Searches; len(got) != 5 || got[0] != "beans" {
		t.Errorf("refused search changed the history: %q", got)
	}
	resp = c.Get("/search?q=%3Cb%3Ebold%3C%2Fb%3E")
	if strings.Contains(resp.Body, "<b>bold</b>") {
		t.Error("search echoes markup unescaped")
	}
}

// TestSearchFromAnotherSite: a link from another site shows the results
// but does not write into the visitor's session; the site's own form and
// a typed URL do.
func TestSearchFromAnotherSite(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	get := func(q, fetchSite string) {
		t.Helper()
		headers := map[string]string{}
		if fetchSite != "" {
			headers["Sec-Fetch-Site"] = fetchSite
		}
		resp := send(t, c, http.MethodGet, "/search?q="+url.QueryEscape(q), nil, headers)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Results for") {
			t.Fatalf("search %q from %q: status %d", q, fetchSite, resp.StatusCode)
		}
	}
	tests := []struct {
		fetchSite string
		recorded  bool
	}{
		{"same-origin", true},
		{"none", true}, // typed or bookmarked
		{"", true},     // no Fetch Metadata: can't tell
		{"cross-site", false},
		{"same-site", false},
	}
	for _, tt := range tests {
		q := "q-" + tt.fetchSite
		get(q, tt.fetchSite)
		recorded := slices.Contains(apiSession(t, c).Searches, q)
		if recorded != tt.recorded {
			t.Errorf("Sec-Fetch-Site %q: recorded %v, want %v", tt.fetchSite, recorded, tt.recorded)
		}
	}
}

func TestAddSearch(t *testing.T) {
	long := func(r rune) string { return strings.Repeat(string(r), 100) }
	tests := []struct {
		name   string
		recent []string
		q      string
		want   []string
	}{
		{"first", nil, "tea", []string{"tea"}},
		{"newest first", []string{"mug"}, "tea", []string{"tea", "mug"}},
		{"no duplicates", []string{"mug", "tea", "kettle"}, "tea", []string{"tea", "mug", "kettle"}},
		{"five at most", []string{"a", "b", "c", "d", "e"}, "f", []string{"f", "a", "b", "c", "d"}},
		{"five long ASCII fit", []string{long('b'), long('c'), long('d'), long('e')}, long('a'),
			[]string{long('a'), long('b'), long('c'), long('d'), long('e')}},
		{"bytes bound", []string{long('é'), long('è'), long('ê')}, long('ë'), []string{long('ë'), long('é')}},
		{"newest always kept", []string{long('é'), "tea"}, long('𝄞'), []string{long('𝄞')}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := addSearch(slices.Clone(tt.recent), tt.q)
			if !slices.Equal(got, tt.want) {
				t.Errorf("addSearch(%q, %q) = %q, want %q", tt.recent, tt.q, got, tt.want)
			}
		})
	}
}

// TestLongSearchNotEchoed: a refused query is echoed no longer than the
// form accepts.
func TestLongSearchNotEchoed(t *testing.T) {
	s := newSite(t, nil)
	resp := s.client().Get("/search?q=" + strings.Repeat("x", 5000))
	wantStatus(t, "long query", resp, http.StatusBadRequest)
	if strings.Contains(resp.Body, strings.Repeat("x", 101)) {
		t.Error("the refused query is echoed in full")
	}
	wantBody(t, "long query", resp, `value="`+strings.Repeat("x", 100)+`…"`)
}
