package revocation_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// ExportLive returns the whole live list, local revocations still in the
// outbox included and expired entries left out, and applying it to an
// empty store recreates the list.
func TestExportLiveRecreatesTheList(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	now := clock.Now()
	src, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, Outbox: true, GCInterval: -1, Node: "a"})
	live, gone := newID(t), newID(t)
	if err := src.RevokeSession(ctx, live, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := src.RevokeSession(ctx, gone, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := src.RevokeUser(ctx, "alice", now); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	evs, err := src.ExportLive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("exported %d events, want 2 (the live session and alice's cut-off): %+v", len(evs), evs)
	}
	dst, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, GCInterval: -1, Node: "b"})
	if err := dst.Apply(ctx, evs, revocation.Cursor{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   [16]byte
		user string
		want bool
	}{{live, "", true}, {gone, "", false}, {newID(t), "alice", true}, {newID(t), "bob", false}} {
		if got, err := dst.Revoked(c.id, c.user, now.Add(-time.Second)); err != nil || got != c.want {
			t.Errorf("Revoked(%x, %q) = %v, %v; want %v", c.id, c.user, got, err, c.want)
		}
	}
}

// EachLive yields what ExportLive returns, one event at a time, and stops
// at the first error its function returns.
func TestEachLive(t *testing.T) {
	ctx := context.Background()
	s, _ := revocationtest.Open(t, revocation.Config{GCInterval: -1, Node: "a"})
	for range 5 {
		if err := s.RevokeSession(ctx, newID(t), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeUser(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	want, err := s.ExportLive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []revocation.Event
	if err := s.EachLive(ctx, func(ev revocation.Event) error { got = append(got, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || len(got) != len(want) {
		t.Fatalf("EachLive gave %d events, ExportLive %d; want 6", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Kind != want[i].Kind || got[i].Session != want[i].Session || got[i].User != want[i].User {
			t.Errorf("event %d: EachLive %+v, ExportLive %+v", i, got[i], want[i])
		}
	}
	stop := errors.New("enough")
	calls := 0
	err = s.EachLive(ctx, func(revocation.Event) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("EachLive after its function failed: %v after %d calls; want the function's error after 1", err, calls)
	}
}

// TestExportLiveCarriesLogins: with the registry on, the export (what a
// snapshot and a re-publish after a lost stream carry) holds the live
// logins, and applying it to an empty store recreates the registry, bound
// flag and device included; a login whose session is revoked is left out.
func TestExportLiveCarriesLogins(t *testing.T) {
	ctx := context.Background()
	cfg := revocation.Config{GCInterval: -1, Node: "a", LoginsPerUser: 5}
	s, _ := revocationtest.Open(t, cfg)
	now := time.Now()
	live, dead := newID(t), newID(t)
	if err := s.RecordLogin(ctx, live, "alice", now.Add(-time.Minute), "Firefox on Linux", true); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordLogin(ctx, dead, "alice", now.Add(-2*time.Minute), "Safari on iOS", false); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, dead, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	evs, err := s.ExportLive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var logins []revocation.Event
	for _, ev := range evs {
		if ev.Kind == revocation.KindLogin {
			logins = append(logins, ev)
		}
	}
	if len(logins) != 1 || logins[0].Session != live || logins[0].User != "alice" || !logins[0].Bound || logins[0].Device != "Firefox on Linux" {
		t.Fatalf("login events %+v, want alice's live bound Firefox session only", logins)
	}
	again, err := s.ExportLive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(again, func(ev revocation.Event) bool { return ev.ID == logins[0].ID }) {
		t.Error("a second export gave the login another event ID: re-publishing would not deduplicate")
	}

	fresh, _ := revocationtest.Open(t, revocation.Config{GCInterval: -1, Node: "b", LoginsPerUser: 5})
	if err := fresh.Apply(ctx, evs, revocation.Cursor{Name: "test", Value: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	got := fresh.Logins("alice")
	if len(got) != 1 || got[0].Session != live || !got[0].Bound || got[0].Device != "Firefox on Linux" || !got[0].Created.Equal(now.Add(-time.Minute)) {
		t.Fatalf("registry rebuilt from the export: %+v, want alice's live bound session", got)
	}
	if gone, _ := fresh.Revoked(dead, "", now); !gone {
		t.Error("the revoked session is not revoked on the store built from the export")
	}
}
