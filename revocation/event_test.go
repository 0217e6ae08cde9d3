package revocation_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

var (
	t0     = time.Date(2026, 11, 26, 18, 0, 0, 123456789, time.UTC)
	evID   = [16]byte{0xe1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sessID = [16]byte{0x5e, 0x55, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
)

func validEvents() map[string]revocation.Event {
	return map[string]revocation.Event{
		"session":          {ID: evID, Kind: revocation.KindSession, Session: sessID, At: t0, Until: t0.Add(time.Hour), Origin: "node-a"},
		"session no until": {ID: evID, Kind: revocation.KindSession, Session: sessID, At: t0},
		"user":             {ID: evID, Kind: revocation.KindUser, User: "alice@example.com", At: t0, Until: t0.Add(720 * time.Hour), Origin: "n"},
		"user longest":     {ID: evID, Kind: revocation.KindUser, User: strings.Repeat("u", revocation.MaxUserLen), At: t0, Origin: strings.Repeat("o", revocation.MaxOriginLen)},
		"all":              {ID: evID, Kind: revocation.KindAll, At: t0, Until: t0.Add(time.Hour)},
		"login":            {ID: evID, Kind: revocation.KindLogin, Session: sessID, User: "alice", At: t0, Until: t0.Add(time.Hour), Origin: "n", Device: "Firefox on Linux"},
		"login bound":      {ID: evID, Kind: revocation.KindLogin, Session: sessID, User: "bob", At: t0, Device: strings.Repeat("d", revocation.MaxDeviceLen), Bound: true},
		"login no device":  {ID: evID, Kind: revocation.KindLogin, Session: sessID, User: "carol", At: t0},
	}
}

func TestEventRoundTrip(t *testing.T) {
	for name, ev := range validEvents() {
		t.Run(name, func(t *testing.T) {
			b, err := ev.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var got revocation.Event
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if got.ID != ev.ID || got.Kind != ev.Kind || got.Session != ev.Session || got.User != ev.User ||
				!got.At.Equal(ev.At) || !got.Until.Equal(ev.Until) || got.Origin != ev.Origin || got.Until.IsZero() != ev.Until.IsZero() ||
				got.Device != ev.Device || got.Bound != ev.Bound {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, ev)
			}
		})
	}
}

// The encoding is fixed: a change breaks replication between versions.
func TestEventGolden(t *testing.T) {
	ev := revocation.Event{ID: evID, Kind: revocation.KindUser, User: "al", At: time.Unix(0, 1), Until: time.Unix(0, 2), Origin: "n"}
	b, err := ev.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{1, 2}, evID[:]...)
	want = append(want, 0, 2, 'a', 'l', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 'n')
	if !bytes.Equal(b, want) {
		t.Errorf("MarshalBinary = %x, want %x", b, want)
	}
	login := revocation.Event{ID: evID, Kind: revocation.KindLogin, Session: sessID, User: "al", At: time.Unix(0, 1), Origin: "n", Device: "d", Bound: true}
	if b, err = login.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	want = append([]byte{1, 4}, evID[:]...)
	want = append(want, sessID[:]...)
	want = append(want, 0, 2, 'a', 'l', 1, 1, 'd', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'n')
	if !bytes.Equal(b, want) {
		t.Errorf("MarshalBinary(login) = %x, want %x", b, want)
	}
}

func TestEventInvalid(t *testing.T) {
	marshal := []struct {
		name string
		ev   revocation.Event
	}{
		{"no kind", revocation.Event{At: t0}},
		{"unknown kind", revocation.Event{Kind: 5, At: t0}},
		{"login without user", revocation.Event{Kind: revocation.KindLogin, Session: sessID, At: t0}},
		{"login device too long", revocation.Event{Kind: revocation.KindLogin, User: "u", At: t0, Device: strings.Repeat("d", revocation.MaxDeviceLen+1)}},
		{"session with device", revocation.Event{Kind: revocation.KindSession, Session: sessID, At: t0, Device: "d"}},
		{"user bound", revocation.Event{Kind: revocation.KindUser, User: "u", At: t0, Bound: true}},
		{"zero at", revocation.Event{Kind: revocation.KindAll}},
		{"at before 1970", revocation.Event{Kind: revocation.KindAll, At: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"at after 2262", revocation.Event{Kind: revocation.KindAll, At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"user without user", revocation.Event{Kind: revocation.KindUser, At: t0}},
		{"user too long", revocation.Event{Kind: revocation.KindUser, User: strings.Repeat("u", revocation.MaxUserLen+1), At: t0}},
		{"session with user", revocation.Event{Kind: revocation.KindSession, User: "x", At: t0}},
		{"all with session", revocation.Event{Kind: revocation.KindAll, Session: sessID, At: t0}},
		{"origin too long", revocation.Event{Kind: revocation.KindAll, At: t0, Origin: strings.Repeat("o", 256)}},
	}
	for _, tt := range marshal {
		if _, err := tt.ev.MarshalBinary(); !errors.Is(err, revocation.ErrInvalid) {
			t.Errorf("Marshal %s: err = %v, want ErrInvalid", tt.name, err)
		}
	}
	good, _ := validEvents()["session"].MarshalBinary()
	bad := map[string][]byte{
		"empty":          nil,
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte{}, good...), 0),
		"version 2":      append([]byte{2}, good[1:]...),
		"kind 0":         append([]byte{1, 0}, good[2:]...),
		"login flags":    loginWithFlags(t, 0x81),
		"login short":    loginWithFlags(t, 1)[:18+16+2+5+1],
	}
	for name, b := range bad {
		ev := revocation.Event{Origin: "unchanged"}
		if err := ev.UnmarshalBinary(b); !errors.Is(err, revocation.ErrInvalid) {
			t.Errorf("Unmarshal %s: err = %v, want ErrInvalid", name, err)
		}
		if ev.Origin != "unchanged" {
			t.Errorf("Unmarshal %s: a failed decode changed the event", name)
		}
	}
}

func FuzzEvent(f *testing.F) {
	for _, ev := range validEvents() {
		b, err := ev.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev revocation.Event
		if err := ev.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := ev.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded event %+v does not encode: %v", ev, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("round trip changed the bytes:\n in %x\nout %x", b, again)
		}
	})
}

func TestNewEvents(t *testing.T) {
	long := strings.Repeat("n", revocation.MaxOriginLen+10)
	tests := []struct {
		name    string
		make    func() (revocation.Event, error)
		want    revocation.Event // ID aside
		wantErr bool
	}{
		{"session", func() (revocation.Event, error) { return revocation.SessionEvent("a", sessID, t0, t0.Add(time.Hour)) },
			revocation.Event{Kind: revocation.KindSession, Session: sessID, At: t0, Until: t0.Add(time.Hour), Origin: "a"}, false},
		{"session, as late as allowed", func() (revocation.Event, error) { return revocation.SessionEvent("a", sessID, t0, time.Time{}) },
			revocation.Event{Kind: revocation.KindSession, Session: sessID, At: t0, Origin: "a"}, false},
		{"user, long origin cut", func() (revocation.Event, error) { return revocation.UserEvent(long, "alice", t0) },
			revocation.Event{Kind: revocation.KindUser, User: "alice", At: t0, Origin: long[:revocation.MaxOriginLen]}, false},
		{"all", func() (revocation.Event, error) { return revocation.AllEvent("", t0) },
			revocation.Event{Kind: revocation.KindAll, At: t0}, false},
		{"user without a user", func() (revocation.Event, error) { return revocation.UserEvent("a", "", t0) }, revocation.Event{}, true},
		{"all without a cut-off", func() (revocation.Event, error) { return revocation.AllEvent("a", time.Time{}) }, revocation.Event{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.make()
			if tt.wantErr {
				if !errors.Is(err, revocation.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID == ([16]byte{}) {
				t.Error("event has no ID")
			}
			tt.want.ID = got.ID
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	a, _ := revocation.AllEvent("a", t0)
	b, _ := revocation.AllEvent("a", t0)
	if a.ID == b.ID {
		t.Error("two events share an ID")
	}
}

func TestClamp(t *testing.T) {
	const life, skew = 24 * time.Hour, 2 * time.Minute
	now := t0
	session := func(until time.Time) revocation.Event {
		return revocation.Event{Kind: revocation.KindSession, Session: sessID, At: now, Until: until}
	}
	user := func(at time.Time) revocation.Event {
		return revocation.Event{Kind: revocation.KindUser, User: "u", At: at}
	}
	tests := []struct {
		name      string
		ev        revocation.Event
		wantUntil time.Time
		wantLive  bool
		wantErr   bool
	}{
		{"session, zero until", session(time.Time{}), now.Add(life), true, false},
		{"session, until within", session(now.Add(time.Hour)), now.Add(time.Hour), true, false},
		{"session, until beyond the lifetime", session(now.Add(10 * life)), now.Add(life), true, false},
		{"session, until now", session(now), now, false, false},
		{"session, until past", session(now.Add(-time.Hour)), now.Add(-time.Hour), false, false},
		{"user, cut-off now", user(now), now.Add(life), true, false},
		{"user, cut-off a lifetime ago", user(now.Add(-life)), now, false, false},
		{"user, cut-off within the skew", user(now.Add(skew)), now.Add(skew + life), true, false},
		{"user, cut-off beyond the skew", user(now.Add(skew + 1)), now.Add(skew + life), true, false},
		{"user, cut-off a lifetime ahead", user(now.Add(life)), now.Add(skew + life), true, false},
		{"all, cut-off 29 days ahead", revocation.Event{Kind: revocation.KindAll, At: now.Add(29 * 24 * time.Hour)}, now.Add(skew + life), true, false},
		{"user, no cut-off", user(time.Time{}), time.Time{}, false, true},
		{"all, cut-off now", revocation.Event{Kind: revocation.KindAll, At: now}, now.Add(life), true, false},
		{"unknown kind", revocation.Event{Kind: 9, At: now}, time.Time{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, live, err := tt.ev.Clamp(now, life, skew)
			if tt.wantErr {
				if !errors.Is(err, revocation.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || live != tt.wantLive || !got.Until.Equal(tt.wantUntil) {
				t.Errorf("Clamp = until %v, live %v, %v; want until %v, live %v", got.Until, live, err, tt.wantUntil, tt.wantLive)
			}
		})
	}
}

// loginWithFlags returns the encoding of a login event of user "alice"
// whose flags byte is flags.
func loginWithFlags(t *testing.T, flags byte) []byte {
	t.Helper()
	b, err := validEvents()["login"].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b[18+16+2+len("alice")] = flags
	return b
}
