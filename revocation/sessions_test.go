package revocation_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/sessions"
)

var (
	_ sessions.Revoker  = (*revocation.Store)(nil)
	_ sessions.Registry = (*revocation.Store)(nil)
)

// app is a small site using the sessions middleware over a real Store.
type app struct {
	t   *testing.T
	url string
}

func newApp(t *testing.T, kr *keyring.Keyring, store *revocation.Store) *app {
	t.Helper()
	m, err := sessions.New(sessions.Config{
		Keys: kr, Revoker: store, InsecureCookies: true,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	sess := func(r *http.Request) *sessions.Session {
		s, err := m.Session(r)
		if err != nil {
			t.Errorf("Session: %v", err)
		}
		return s
	}
	check := func(w http.ResponseWriter, err error) bool {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return false
		}
		return true
	}
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		check(w, sess(r).Set("cart", r.FormValue("v")))
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		s := sess(r)
		fmt.Fprintf(w, "user=%s cart=%s", s.UserID(), sessions.Get(s, "cart", ""))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		check(w, sess(r).Login(r.Context(), r.FormValue("user")))
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) { check(w, sess(r).Flush(r.Context())) })
	mux.HandleFunc("/cycle", func(w http.ResponseWriter, r *http.Request) { check(w, sess(r).CycleID(r.Context())) })
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) { check(w, sess(r).Logout(r.Context())) })
	mux.HandleFunc("/revoke-user", func(w http.ResponseWriter, r *http.Request) {
		check(w, m.RevokeUser(r.Context(), r.FormValue("user")))
	})
	mux.HandleFunc("/revoke-all", func(w http.ResponseWriter, r *http.Request) { check(w, m.RevokeAll(r.Context())) })
	srv := httptest.NewServer(m.Handler(mux))
	t.Cleanup(srv.Close)
	return &app{t: t, url: srv.URL}
}

// get requests path carrying cookie (the raw "name=value", or none) and
// returns the body and the session cookie set in reply ("" if none).
func (a *app) get(path, cookie string) (body, set string) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.url+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "session" && c.Value != "" {
			set = c.Name + "=" + c.Value
		}
	}
	return string(b), set
}

// TestReplayRefused replays cookies copied before Flush, CycleID, Logout,
// RevokeUser and RevokeAll through real HTTP: each is refused afterwards,
// and still refused after the store is closed and reopened.
func TestReplayRefused(t *testing.T) {
	kr := testutil.Keyring(t)
	store, dir := revocationtest.Open(t, revocation.Config{})
	a := newApp(t, kr, store)

	type replay struct {
		name, cookie, want string
	}
	var refused, accepted []replay

	// Flush.
	_, c := a.get("/set?v=apples", "")
	if body, _ := a.get("/get", c); body != "user= cart=apples" {
		t.Fatalf("before flush: %q", body)
	}
	a.get("/flush", c)
	refused = append(refused, replay{"flush", c, ""})

	// CycleID: the old cookie is refused, the new one carries the data.
	_, c = a.get("/set?v=pears", "")
	_, cycled := a.get("/cycle", c)
	if cycled == "" || cycled == c {
		t.Fatal("CycleID set no new cookie")
	}
	refused = append(refused, replay{"cycle (old ID)", c, ""})
	accepted = append(accepted, replay{"cycle (new ID)", cycled, "user= cart=pears"})

	// Logout.
	_, c = a.get("/login?user=carol", "")
	if body, _ := a.get("/get", c); body != "user=carol cart=" {
		t.Fatalf("after login: %q", body)
	}
	a.get("/logout", c)
	refused = append(refused, replay{"logout", c, ""})

	// RevokeUser: alice's sessions die, bob's don't; a login right after survives.
	_, alice1 := a.get("/login?user=alice", "")
	_, alice2 := a.get("/login?user=alice", "")
	_, bob := a.get("/login?user=bob", "")
	a.get("/revoke-user?user=alice", "")
	_, alice3 := a.get("/login?user=alice", "")
	refused = append(refused, replay{"revoke user (first)", alice1, ""}, replay{"revoke user (second)", alice2, ""})
	accepted = append(accepted, replay{"other user", bob, "user=bob cart="}, replay{"login after revoke user", alice3, "user=alice cart="})

	for _, r := range accepted {
		if body, _ := a.get("/get", r.cookie); body != r.want {
			t.Errorf("before revoke all, %s: got %q, want %q", r.name, body, r.want)
		}
	}

	// RevokeAll: everything before dies, a session after survives.
	_, anon := a.get("/set?v=plums", "")
	a.get("/revoke-all", "")
	_, after := a.get("/set?v=figs", "")
	refused = append(refused, replay{"revoke all (anonymous)", anon, ""}, replay{"revoke all (bob)", bob, ""},
		replay{"revoke all (alice after her revoke)", alice3, ""}, replay{"revoke all (cycled)", cycled, ""})
	accepted = []replay{{"session after revoke all", after, "user= cart=figs"}}

	check := func(a *app, when string) {
		t.Helper()
		for _, r := range refused {
			if r.cookie == "" {
				t.Fatalf("%s: no cookie was set", r.name)
			}
			if body, _ := a.get("/get", r.cookie); body != "user= cart=" {
				t.Errorf("%s, %s: replayed cookie opened a session: %q", when, r.name, body)
			}
		}
		for _, r := range accepted {
			if body, _ := a.get("/get", r.cookie); body != r.want {
				t.Errorf("%s, %s: got %q, want %q", when, r.name, body, r.want)
			}
		}
	}
	check(a, "live")
	store = revocationtest.Reopen(t, store, dir, revocation.Config{})
	check(newApp(t, kr, store), "after reopen")
	// Flush, cycle and logout each revoked one ID (the logins started from
	// no cookie, so they had none to revoke).
	if st := store.Stats(); st.Sessions != 3 || st.Users != 1 || st.All.IsZero() {
		t.Errorf("Stats after reopen = %+v, want 3 sessions, 1 user, an all cut-off", st)
	}
}

// A store that forgets entries before the sessions they match expire would
// let revoked sessions come back: sessions.New refuses the pairing.
func TestSessionsRefuseShorterStoreLifetime(t *testing.T) {
	kr := testutil.Keyring(t)
	const day = 24 * time.Hour
	tests := []struct {
		name            string
		store, sessions time.Duration
		wantErr         bool
	}{
		{"equal defaults", 0, 0, false},
		{"store longer", 90 * day, 30 * day, false},
		{"store shorter", 30 * day, 60 * day, true},
		{"store default, sessions longer", 0, 31 * day, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, _ := revocationtest.Open(t, revocation.Config{AbsoluteLifetime: tt.store})
			_, err := sessions.New(sessions.Config{Keys: kr, Revoker: store, AbsoluteLifetime: tt.sessions, CookieAge: day})
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New with store lifetime %v, sessions lifetime %v: err = %v, want error %v", store.AbsoluteLifetime(), tt.sessions, err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, sessions.ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestStoreRevokerContract(t *testing.T) {
	testutil.RevokerContract(t, func(t *testing.T, now func() time.Time) sessions.Revoker {
		store, _ := revocationtest.Open(t, revocation.Config{Now: now, GCInterval: -1})
		return store
	})
}
