package sessions_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

func TestInspect(t *testing.T) {
	e := newEnv(t)
	var id string
	v := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Login(r.Context(), "alice"))
		must(t, s.Update(map[string]any{"n": 3, "name": "Ann"}))
		s.AddFlash("welcome")
		s.SetExpiry(time.Hour)
		id = s.ID()
	}).value()

	info, err := e.m.Inspect(v)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != id || info.UserID != "alice" || info.KeyID != e.keys.Keyring().Primary().ID || !info.Primary {
		t.Errorf("info %+v, want ID %s, user alice, primary key", info, id)
	}
	if info.Data["n"] != 3 || info.Data["name"] != "Ann" || len(info.Data) != 2 {
		t.Errorf("data %v, want n=3 name=Ann", info.Data)
	}
	if len(info.Flashes) != 1 || info.Flashes[0] != "welcome" {
		t.Errorf("flashes %q", info.Flashes)
	}
	if !info.Saved.Equal(t0) || !info.Expires.Equal(t0.Add(time.Hour)) || info.Expired || info.ExpireAtBrowserClose {
		t.Errorf("saved %v expires %v expired %v browser-close %v; want saved now, expiring in an hour",
			info.Saved, info.Expires, info.Expired, info.ExpireAtBrowserClose)
	}
	e.clock.Advance(time.Hour)
	if info, err := e.m.Inspect(v); err != nil || !info.Expired {
		t.Errorf("an hour later: expired %v, %v; want an expired session described", info.Expired, err)
	}

	bad := []struct {
		name, value string
		want        error
	}{
		{"tampered", v[:len(v)-6] + "AAAAAA", keyring.ErrTampered},
		{"garbage", "garbage", keyring.ErrMalformed},
	}
	for _, b := range bad {
		if _, err := e.m.Inspect(b.value); !errors.Is(err, b.want) {
			t.Errorf("%s: Inspect = %v, want %v", b.name, err, b.want)
		}
	}
	// A value sealed by the keyring but not a session payload.
	raw, err := e.keys.Keyring().Seal("session", []byte("not a payload"))
	must(t, err)
	if _, err := e.m.Inspect(raw); err == nil {
		t.Error("Inspect of a non-session value succeeded")
	}
}
