package revocation_test

import (
	"context"
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
