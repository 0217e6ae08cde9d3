package sessions_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
	"github.com/sealedsessions/sealed/sessions/sessiontest"
)

// recorded is one login a Registry holds.
type recorded struct {
	session [16]byte
	created time.Time
	bound   bool
}

func recordedLogins(reg sessions.Registry, user string) []recorded {
	var out []recorded
	reg.EachLogin(user, func(session [16]byte, created time.Time, _ string, bound bool) bool {
		out = append(out, recorded{session, created, bound})
		return true
	})
	return out
}

// TestDBSCRegistrationRecordsBoundLogin: a Go DBSC client logs in (the
// registry records an unbound login) and registers; registration cycles
// the session ID, and the Manager records the new ID as bound, which
// Manager.Sessions reports (the old ID is revoked, so left out).
func TestDBSCRegistrationRecordsBoundLogin(t *testing.T) {
	reg := sessiontest.NewMemRegistry()
	e := newEnv(t, func(c *sessions.Config) {
		c.Registry = reg
		c.DeviceBound = &sessions.DeviceBound{Path: "/dbsc"}
	})
	srv := dbscApp(t, e)
	b := newBrowser(t, srv, newECDevice(t))
	b.do(http.MethodPost, "/login", nil)
	before := recordedLogins(reg, "alice")
	if len(before) != 1 || before[0].bound {
		t.Fatalf("after login the registry holds %+v, want one unbound login", before)
	}
	if res := b.register(b.dev.registrationProof(t, b.regChal)); res.StatusCode != http.StatusOK {
		t.Fatalf("registration: %d %s", res.StatusCode, b.lastBody)
	}
	after := recordedLogins(reg, "alice")
	if len(after) != 2 || !after[0].bound || after[0].session == before[0].session || after[1] != before[0] {
		t.Fatalf("after registration the registry holds %+v, want a bound login under a new ID beside the first", after)
	}
	if !after[0].created.Equal(before[0].created) {
		t.Errorf("the bound login was created %v, want the session's creation %v", after[0].created, before[0].created)
	}

	if list := listSessions(t, e, b); len(list) != 1 || !list[0].Bound || !list[0].Current {
		t.Fatalf("Sessions = %+v, want the current session only, bound", list)
	}
}

// listSessions returns Manager.Sessions for a request with b's cookies.
func listSessions(t *testing.T, e *env, b *browser) []sessions.SessionInfo {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, b.srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	req, _ = e.m.Load(req)
	list, err := e.m.Sessions(req.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
