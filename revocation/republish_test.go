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

func TestRepublishLive(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	now := clock.Now()
	src, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, Outbox: true, GCInterval: -1, Node: "a"})
	ids := [][16]byte{newID(t), newID(t), newID(t)}
	evs := remoteEvents(t, now, ids)
	dead := revocation.Event{ID: newID(t), Kind: revocation.KindSession, Session: newID(t), At: now, Until: now.Add(time.Second), Origin: "r"}
	if err := src.Apply(ctx, append(evs, dead), revocation.Cursor{}); err != nil {
		t.Fatal(err)
	}
	if err := src.RevokeSession(ctx, ids[2], time.Time{}); err != nil { // a local one, already pending
		t.Fatal(err)
	}
	drain(t, src)
	clock.Advance(2 * time.Second) // dead has expired

	n, err := src.RepublishLive(ctx, 2, time.Millisecond)
	// Live: three sessions, alice's cut-off, the global cut-off.
	if err != nil || n != 5 {
		t.Fatalf("RepublishLive = %d, %v; want 5 events", n, err)
	}
	if st := src.Stats(); st.OutboxDepth != 5 || st.OutboxOldest.IsZero() {
		t.Errorf("Stats after RepublishLive: %+v, want 5 pending with an oldest time", st)
	}
	if n, err := src.RepublishLive(ctx, 0, 0); err != nil || n != 0 {
		t.Errorf("RepublishLive again while pending = %d, %v; want 0 (idempotent)", n, err)
	}
	out, err := src.Outbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	// A store that saw nothing converges to src's answers from them alone.
	dst, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, GCInterval: -1})
	if err := dst.Apply(ctx, out, revocation.Cursor{}); err != nil {
		t.Fatal(err)
	}
	if got, want := state(t, dst, ids, now), state(t, src, ids, now); !slices.Equal(got, want) {
		t.Errorf("a store fed the republished events answers differently:\n got %v\nwant %v", got, want)
	}
	// Once published, a later loss republishes the same events (same IDs).
	drain(t, src)
	again, err := src.RepublishLive(ctx, 0, 0)
	if err != nil || again != 5 {
		t.Fatalf("RepublishLive after the outbox drained = %d, %v; want 5", again, err)
	}
	out2, _ := src.Outbox(ctx, 100)
	seen := map[[16]byte]bool{}
	for _, ev := range out {
		seen[ev.ID] = true
	}
	for _, ev := range out2 {
		if !seen[ev.ID] {
			t.Errorf("republished event %x has a new ID: not deduplicable", ev.ID)
		}
	}
}

func TestRepublishLiveNeedsOutbox(t *testing.T) {
	s, _ := revocationtest.Open(t, revocation.Config{GCInterval: -1})
	if _, err := s.RepublishLive(context.Background(), 0, 0); !errors.Is(err, revocation.ErrInvalid) {
		t.Errorf("RepublishLive without an outbox: %v, want ErrInvalid", err)
	}
}

func TestRepublishLiveStopsWithContext(t *testing.T) {
	clock := newClock()
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, Outbox: true, GCInterval: -1})
	for range 3 {
		if err := s.Apply(context.Background(), []revocation.Event{{ID: newID(t), Kind: revocation.KindSession, Session: newID(t), At: clock.Now(), Origin: "r"}}, revocation.Cursor{}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n, err := s.RepublishLive(ctx, 1, time.Hour)
	if !errors.Is(err, context.DeadlineExceeded) || n != 1 {
		t.Errorf("RepublishLive with a long pause = %d, %v; want 1 and the context's error", n, err)
	}
}

func drain(t *testing.T, s *revocation.Store) {
	t.Helper()
	ctx := context.Background()
	for {
		evs, err := s.Outbox(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			if err := s.AckOutbox(ctx, ev.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}
