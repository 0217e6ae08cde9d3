package revocation_test

import (
	"context"
	"errors"
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
