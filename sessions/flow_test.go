package sessions_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/sessions"
)

// TestBrowserFlow drives a real HTTPS server with a cookie-jar client:
// log in, use the session, log out, then replay the cookie copied before
// logout.
func TestBrowserFlow(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		if err := s.Login(r.Context(), r.FormValue("user")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.AddFlash("welcome")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		n := sessions.Get(s, "views", 0) + 1
		if err := s.Set("views", n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "user=%s views=%d flashes=%v", s.UserID(), n, s.Flashes())
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := e.m.Session(r)
		if err := s.Logout(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	srv := httptest.NewTLSServer(e.m.Handler(mux))
	t.Cleanup(srv.Close)
	c := testutil.NewClient(t, srv.URL, srv.Client().Transport)

	steps := []struct {
		method, path string
		form         url.Values
		wantStatus   int
		wantBody     string
	}{
		{"GET", "/", nil, 200, "user= views=1 flashes=[]"},
		{"POST", "/login", url.Values{"user": {"alice"}}, 303, ""},
		{"GET", "/", nil, 200, "user=alice views=2 flashes=[welcome]"},
		{"GET", "/", nil, 200, "user=alice views=3 flashes=[]"},
	}
	for _, st := range steps {
		res := c.Do(st.method, st.path, st.form)
		if res.StatusCode != st.wantStatus || (st.wantBody != "" && res.Body != st.wantBody) {
			t.Fatalf("%s %s: %d %q, want %d %q", st.method, st.path, res.StatusCode, res.Body, st.wantStatus, st.wantBody)
		}
	}
	copied := *c.Cookie("session")
	if res := c.PostForm("/logout", url.Values{}); res.StatusCode != 303 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if c.Cookie("session") != nil {
		t.Error("cookie still in the jar after logout")
	}
	if res := c.Get("/"); res.Body != "user= views=1 flashes=[]" {
		t.Errorf("after logout: %q", res.Body)
	}
	attacker := testutil.NewClient(t, srv.URL, srv.Client().Transport)
	attacker.SetCookie(&http.Cookie{Name: "session", Value: copied.Value, Path: "/", Secure: true})
	if res := attacker.Get("/"); res.Body != "user= views=1 flashes=[]" {
		t.Errorf("replayed cookie: %q", res.Body)
	}
}
