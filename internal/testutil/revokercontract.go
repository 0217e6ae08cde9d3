package testutil

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/sessions"
)

// RevokerContract runs the behaviour every sessions.Revoker must have
// against fresh revokers made by open, which must read time from now. The
// in-memory MemRevoker (sessiontest) and the Badger-backed revocation.Store both run it,
// so tests of package sessions that use the former hold for the latter.
func RevokerContract(t *testing.T, open func(t *testing.T, now func() time.Time) sessions.Revoker) {
	t.Helper()
	ctx := context.Background()
	// Start the fake clocks at the real time: a durable store may also keep
	// its own TTLs by the machine's clock.
	t0 := time.Now().Truncate(time.Second)
	newID := func() (id [16]byte) {
		rand.Read(id[:])
		return id
	}
	revoked := func(t *testing.T, r sessions.Revoker, id [16]byte, user string, created time.Time) bool {
		t.Helper()
		dead, err := r.Revoked(id, user, created)
		if err != nil {
			t.Fatalf("Revoked(%x, %q, %v) error: %v", id[:4], user, created, err)
		}
		return dead
	}
	start := func(t *testing.T) (sessions.Revoker, *fake.Clock) {
		clock := fake.NewClock(t0)
		return open(t, clock.Now), clock
	}

	t.Run("empty list revokes nothing", func(t *testing.T) {
		r, _ := start(t)
		if revoked(t, r, newID(), "", t0) || revoked(t, r, newID(), "ann", t0.Add(-time.Hour)) {
			t.Error("a fresh list reports a session revoked")
		}
	})

	t.Run("session", func(t *testing.T) {
		r, clock := start(t)
		id, other := newID(), newID()
		if err := r.RevokeSession(ctx, id, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !revoked(t, r, id, "", t0) || !revoked(t, r, id, "ann", t0.Add(-time.Minute)) {
			t.Error("revoked session ID not reported revoked")
		}
		if revoked(t, r, other, "", t0) {
			t.Error("another session ID reported revoked")
		}
		clock.Advance(time.Hour - time.Nanosecond)
		if !revoked(t, r, id, "", t0) {
			t.Error("session entry gone before its until")
		}
	})

	t.Run("session until in the past is a no-op", func(t *testing.T) {
		r, _ := start(t)
		id := newID()
		if err := r.RevokeSession(ctx, id, t0.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if revoked(t, r, id, "", t0.Add(-time.Hour)) {
			t.Error("a revocation whose until had passed is in force")
		}
	})

	t.Run("user cut-off is at or before, to the nanosecond", func(t *testing.T) {
		r, _ := start(t)
		at := t0.Add(-time.Minute)
		if err := r.RevokeUser(ctx, "ann", at); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			user    string
			created time.Time
			want    bool
		}{
			{"ann", at.Add(-time.Hour), true},
			{"ann", at, true},
			{"ann", at.Add(time.Nanosecond), false},
			{"bob", at.Add(-time.Hour), false},
			{"", at.Add(-time.Hour), false},
		}
		for _, tt := range tests {
			if got := revoked(t, r, newID(), tt.user, tt.created); got != tt.want {
				t.Errorf("user %q created %v after the cut-off: revoked = %v, want %v", tt.user, tt.created.Sub(at), got, tt.want)
			}
		}
	})

	t.Run("user cut-off keeps the latest", func(t *testing.T) {
		r, _ := start(t)
		late, early := t0, t0.Add(-time.Hour)
		for _, at := range []time.Time{late, early} {
			if err := r.RevokeUser(ctx, "ann", at); err != nil {
				t.Fatal(err)
			}
		}
		if !revoked(t, r, newID(), "ann", late.Add(-time.Minute)) {
			t.Error("an earlier RevokeUser undid a later one")
		}
	})

	t.Run("all", func(t *testing.T) {
		r, _ := start(t)
		at := t0.Add(-time.Minute)
		for _, a := range []time.Time{at, at.Add(-time.Hour)} { // the later cut-off wins
			if err := r.RevokeAll(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if !revoked(t, r, newID(), "", at) || !revoked(t, r, newID(), "bob", at.Add(-time.Second)) {
			t.Error("a session created at or before RevokeAll's cut-off is alive")
		}
		if revoked(t, r, newID(), "bob", at.Add(time.Nanosecond)) {
			t.Error("a session created after RevokeAll's cut-off is dead")
		}
	})
}
