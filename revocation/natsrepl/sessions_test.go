package natsrepl

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// app is one instance's session Manager over its Replicator.
type app struct {
	m *sessions.Manager
	h http.Handler
}

func newApp(t *testing.T, ring *keyring.Keyring, in *instance) *app {
	t.Helper()
	m, err := sessions.New(sessions.Config{Keys: ring, Revoker: in.repl, InsecureCookies: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		if err := s.Login(r.Context(), r.FormValue("user")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/everywhere", func(w http.ResponseWriter, r *http.Request) {
		if err := m.RevokeUser(r.Context(), r.FormValue("user")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		io.WriteString(w, s.UserID())
	})
	return &app{m: m, h: m.Handler(mux)}
}

// do sends one request with cookie (if any) and returns the body and the
// session cookie the response set (or the one sent).
func (a *app) do(t *testing.T, path string, cookie *http.Cookie) (string, *http.Cookie) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "session" {
			cookie = c
		}
	}
	return rec.Body.String(), cookie
}

// "Log out everywhere" on one instance followed at once by a login on the
// same instance: the new session survives there and everywhere else, and
// the old one dies everywhere. Real Managers, real replication.
func TestLogoutEverywhereThenLoginWithManagers(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, b, 5*time.Second)
	ring, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	appA, appB := newApp(t, ring, a), newApp(t, ring, b)

	_, oldCookie := appA.do(t, "/login?user=dave", nil)
	if who, _ := appB.do(t, "/whoami", oldCookie); who != "dave" {
		t.Fatalf("B: whoami with the first session = %q, want dave", who)
	}
	appA.do(t, "/everywhere?user=dave", oldCookie)
	_, newCookie := appA.do(t, "/login?user=dave", nil) // at once, same instance
	if newCookie == nil || newCookie.Value == oldCookie.Value {
		t.Fatal("the second login set no new cookie")
	}

	if who, _ := appA.do(t, "/whoami", newCookie); who != "dave" {
		t.Errorf("A: the login right after log-out-everywhere was killed (whoami %q)", who)
	}
	if who, _ := appA.do(t, "/whoami", oldCookie); who != "" {
		t.Errorf("A: the session from before log-out-everywhere survives (whoami %q)", who)
	}
	eventually(t, time.Second, "B still accepts the session from before log-out-everywhere", func() bool {
		who, _ := appB.do(t, "/whoami", oldCookie)
		return who == ""
	})
	if who, _ := appB.do(t, "/whoami", newCookie); who != "dave" {
		t.Errorf("B: the login right after log-out-everywhere was killed (whoami %q)", who)
	}
}
