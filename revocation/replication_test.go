package revocation_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// events returns a mix of events from "remote" with cut-offs and untils
// around now.
func remoteEvents(t *testing.T, now time.Time, ids [][16]byte) []revocation.Event {
	var evs []revocation.Event
	for i, id := range ids {
		evs = append(evs, revocation.Event{ID: newID(t), Kind: revocation.KindSession, Session: id,
			At: now, Until: now.Add(time.Duration(i+1) * time.Hour), Origin: "remote"})
	}
	for _, d := range []time.Duration{-3 * time.Hour, -time.Hour, -2 * time.Hour} {
		evs = append(evs,
			revocation.Event{ID: newID(t), Kind: revocation.KindUser, User: "alice", At: now.Add(d), Origin: "remote"},
			revocation.Event{ID: newID(t), Kind: revocation.KindAll, At: now.Add(d - time.Hour), Origin: "remote"})
	}
	// The same session again with an earlier until: must not shorten it.
	evs = append(evs, revocation.Event{ID: newID(t), Kind: revocation.KindSession, Session: ids[0],
		At: now, Until: now.Add(time.Minute), Origin: "remote"})
	return evs
}

// state probes a store at a grid of points and returns the answers.
func state(t *testing.T, s *revocation.Store, ids [][16]byte, now time.Time) []bool {
	t.Helper()
	var got []bool
	for _, id := range append(ids, [16]byte{1}) {
		for _, user := range []string{"", "alice", "bob"} {
			for d := -5 * time.Hour; d <= 0; d += 30 * time.Minute {
				got = append(got, mustRevoked(t, s, id, user, now.Add(d)))
			}
		}
	}
	return got
}

func TestApplyIdempotentAndOrderInsensitive(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	cfg := revocation.Config{Now: clock.Now, Outbox: true, GCInterval: -1}
	now := clock.Now()
	ids := [][16]byte{newID(t), newID(t), newID(t)}
	evs := remoteEvents(t, now, ids)

	inOrder, _ := revocationtest.Open(t, cfg)
	if err := inOrder.Apply(ctx, evs, revocation.Cursor{}); err != nil {
		t.Fatal(err)
	}

	// Reversed, one at a time, each twice.
	shuffled, _ := revocationtest.Open(t, cfg)
	for i := len(evs) - 1; i >= 0; i-- {
		for range 2 {
			if err := shuffled.Apply(ctx, evs[i:i+1], revocation.Cursor{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, got := state(t, inOrder, ids, now), state(t, shuffled, ids, now)
	if len(want) != len(got) {
		t.Fatal("probe grids differ")
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("probe %d: in order %v, reversed and doubled %v", i, want[i], got[i])
		}
	}
	if !mustRevoked(t, inOrder, newID(t), "alice", now.Add(-time.Hour)) || mustRevoked(t, inOrder, newID(t), "alice", now.Add(-time.Hour+1)) {
		t.Error("the user cut-off is not the latest applied")
	}
	// ids[0]'s later until (1h) survives the later event with 1m.
	clock.Advance(30 * time.Minute)
	if err := shuffled.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if !mustRevoked(t, shuffled, ids[0], "", now) {
		t.Error("an event with an earlier until shortened a session entry")
	}
	for _, s := range []*revocation.Store{inOrder, shuffled} {
		if got, err := s.Outbox(ctx, 0); err != nil || len(got) != 0 {
			t.Errorf("Apply wrote outbox records: %v, %v", got, err)
		}
		if d := s.Stats().OutboxDepth; d != 0 {
			t.Errorf("OutboxDepth after Apply = %d, want 0", d)
		}
	}
}

func TestApplySkipsMalformedEvents(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now})
	good := newID(t)
	evs := []revocation.Event{
		{ID: newID(t), Kind: 9, At: clock.Now()},
		{ID: newID(t), Kind: revocation.KindUser, At: clock.Now()},     // no user
		{ID: newID(t), Kind: revocation.KindAll, At: time.Unix(-1, 0)}, // before 1970
		{ID: newID(t), Kind: revocation.KindSession, Session: good, At: clock.Now(), Until: clock.Now().Add(time.Hour)},
	}
	if err := s.Apply(ctx, evs, revocation.Cursor{Name: "c", Value: []byte("7")}); err != nil {
		t.Fatal(err)
	}
	if !mustRevoked(t, s, good, "", clock.Now()) {
		t.Error("the good event was not applied")
	}
	if st := s.Stats(); st.Users != 0 || !st.All.IsZero() {
		t.Errorf("malformed events were applied: %+v", st)
	}
	if cur, err := s.Cursor("c"); err != nil || string(cur) != "7" {
		t.Errorf("Cursor = %q, %v; want 7", cur, err)
	}
}

func TestCursorStoredWithEffects(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	cfg := revocation.Config{Now: clock.Now}
	s, dir := revocationtest.Open(t, cfg)
	if cur, err := s.Cursor("nats"); cur != nil || err != nil {
		t.Fatalf("Cursor of a new store = %q, %v; want nil, nil", cur, err)
	}
	ids := [][16]byte{newID(t), newID(t)}
	value := []byte{0, 0, 0, 42, 0xff}
	if err := s.Apply(ctx, remoteEvents(t, clock.Now(), ids), revocation.Cursor{Name: "nats", Value: value}); err != nil {
		t.Fatal(err)
	}
	value[0] = 9 // the store keeps its own copy
	// More events than one Badger transaction holds: split, cursor last.
	many := make([]revocation.Event, 30000)
	for i := range many {
		many[i] = revocation.Event{ID: newID(t), Kind: revocation.KindSession, Session: newID(t), At: clock.Now(), Until: clock.Now().Add(time.Hour)}
	}
	if err := s.Apply(ctx, many, revocation.Cursor{Name: "other", Value: []byte("big")}); err != nil {
		t.Fatal(err)
	}

	s = revocationtest.Reopen(t, s, dir, cfg)
	if cur, err := s.Cursor("nats"); err != nil || !bytes.Equal(cur, []byte{0, 0, 0, 42, 0xff}) {
		t.Errorf("Cursor after reopen = %x, %v; want 00 00 00 2a ff", cur, err)
	}
	if cur, err := s.Cursor("other"); err != nil || string(cur) != "big" {
		t.Errorf("Cursor(other) = %q, %v", cur, err)
	}
	for _, id := range ids {
		if !mustRevoked(t, s, id, "", clock.Now()) {
			t.Errorf("applied session %x lost", id)
		}
	}
	if got := s.Stats().Sessions; got != len(ids)+len(many) {
		t.Errorf("Sessions = %d, want %d", got, len(ids)+len(many))
	}
	// Cursors have no TTL: they outlive every entry.
	clock.Advance(revocation.DefaultAbsoluteLifetime * 2)
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, err := s.Cursor("nats"); err != nil || cur == nil {
		t.Errorf("cursor gone after GC: %q, %v", cur, err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	cfg := revocation.Config{Now: clock.Now, Outbox: true, Node: "node-a"}
	s, dir := revocationtest.Open(t, cfg)
	select {
	case <-s.OutboxReady():
		t.Fatal("OutboxReady fired on an empty outbox")
	default:
	}
	id := newID(t)
	if err := s.RevokeSession(ctx, id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.OutboxReady():
	default:
		t.Fatal("OutboxReady did not fire after a local revocation")
	}
	if err := s.RevokeUser(ctx, "alice", clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAll(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Outbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantKinds := []revocation.Kind{revocation.KindSession, revocation.KindUser, revocation.KindAll}
	if len(evs) != len(wantKinds) {
		t.Fatalf("Outbox returned %d events, want %d", len(evs), len(wantKinds))
	}
	for i, ev := range evs {
		if ev.Kind != wantKinds[i] || ev.Origin != "node-a" {
			t.Errorf("event %d = %v from %q, want %v from node-a (oldest first)", i, ev.Kind, ev.Origin, wantKinds[i])
		}
	}
	if evs[0].Session != id || evs[1].User != "alice" {
		t.Errorf("outbox events carry the wrong subject: %+v", evs[:2])
	}
	latest := clock.Now().Add(revocation.DefaultAbsoluteLifetime)
	for i, ev := range evs {
		if ev.ID == ([16]byte{}) || !ev.Until.Equal(latest) {
			t.Errorf("event %d: ID %x, until %v; want a random ID and until %v (now + absolute lifetime)", i, ev.ID, ev.Until, latest)
		}
	}
	if got, _ := s.Outbox(ctx, 1); len(got) != 1 || got[0].ID != evs[0].ID {
		t.Errorf("Outbox(1) = %v, want the oldest event only", got)
	}

	// Records survive a restart, and a reopened store signals them.
	s = revocationtest.Reopen(t, s, dir, cfg)
	select {
	case <-s.OutboxReady():
	default:
		t.Error("OutboxReady did not fire after reopening with pending records")
	}
	if st := s.Stats(); st.OutboxDepth != 3 {
		t.Errorf("OutboxDepth after reopen = %d, want 3", st.OutboxDepth)
	}
	if err := s.AckOutbox(ctx, evs[0].ID, evs[2].ID, newID(t)); err != nil {
		t.Fatal(err)
	}
	// Outbox records have no TTL: GC long after keeps the pending one.
	clock.Advance(revocation.DefaultAbsoluteLifetime * 2)
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	s = revocationtest.Reopen(t, s, dir, cfg)
	left, err := s.Outbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != evs[1].ID {
		t.Errorf("after ack, Outbox = %v, want only the user event", left)
	}
	if err := s.AckOutbox(ctx, evs[1].ID); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.OutboxDepth != 0 {
		t.Errorf("OutboxDepth = %d, want 0", st.OutboxDepth)
	}
}

func TestNoOutboxByDefault(t *testing.T) {
	ctx := context.Background()
	s, _ := revocationtest.Open(t, revocation.Config{})
	if err := s.RevokeSession(ctx, newID(t), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.Outbox(ctx, 10); err != nil || len(evs) != 0 {
		t.Errorf("Outbox without Config.Outbox = %v, %v; want empty", evs, err)
	}
	select {
	case <-s.OutboxReady():
		t.Error("OutboxReady fired without Config.Outbox")
	default:
	}
	if err := s.AckOutbox(ctx); err != nil && !errors.Is(err, revocation.ErrClosed) {
		t.Errorf("AckOutbox() = %v", err)
	}
}

// Replicated events at the edges of time: an until already past or a
// cut-off already out of the lifetime change nothing; a cut-off ahead of
// now but within the lifetime applies (a remote clock a little ahead); one
// beyond the lifetime is skipped; an until beyond it is clamped, not
// refused. Applied in either order, the answers are the same.
func TestApplyPastAndFutureEvents(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	now := clock.Now()
	life := revocation.DefaultAbsoluteLifetime
	past, near, far, clamp := newID(t), newID(t), newID(t), newID(t)
	evs := []revocation.Event{
		{ID: newID(t), Kind: revocation.KindSession, Session: past, At: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour), Origin: "r"},
		{ID: newID(t), Kind: revocation.KindUser, User: "old", At: now.Add(-life - time.Second), Origin: "r"},
		{ID: newID(t), Kind: revocation.KindUser, User: "ahead", At: now.Add(time.Minute), Origin: "r"},
		{ID: newID(t), Kind: revocation.KindUser, User: "toofar", At: now.Add(life + time.Hour), Origin: "r"},
		{ID: newID(t), Kind: revocation.KindSession, Session: clamp, At: now, Until: now.Add(10 * life), Origin: "r"},
		{ID: newID(t), Kind: revocation.KindSession, Session: near, At: now, Until: now.Add(time.Nanosecond), Origin: "r"},
	}
	type probe struct {
		name    string
		id      [16]byte
		user    string
		created time.Time
		want    bool
	}
	probes := []probe{
		{"session until past", past, "", now.Add(-3 * time.Hour), false},
		{"user cut-off out of the lifetime", far, "old", now.Add(-life - 2*time.Second), false},
		{"user cut-off a minute ahead", far, "ahead", now.Add(30 * time.Second), true},
		{"after the cut-off ahead", far, "ahead", now.Add(time.Minute + 1), false},
		{"user cut-off beyond the lifetime, lowered", far, "toofar", now, true},
		{"after the lowered cut-off", far, "toofar", now.Add(revocation.DefaultMaxClockSkew + 1), false},
		{"session until clamped", clamp, "", now, true},
		{"session until a nanosecond ahead", near, "", now, true},
	}
	for _, order := range []string{"forward", "reverse"} {
		s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, GCInterval: -1})
		in := append([]revocation.Event(nil), evs...)
		if order == "reverse" {
			for i, j := 0, len(in)-1; i < j; i, j = i+1, j-1 {
				in[i], in[j] = in[j], in[i]
			}
		}
		if err := s.Apply(ctx, in, revocation.Cursor{}); err != nil {
			t.Fatalf("%s: Apply: %v", order, err)
		}
		for _, p := range probes {
			if got := mustRevoked(t, s, p.id, p.user, p.created); got != p.want {
				t.Errorf("%s: %s: revoked %v, want %v", order, p.name, got, p.want)
			}
		}
		// The clamped entry lives the lifetime, no longer.
		clock.Set(now.Add(life - time.Second))
		if err := s.RunGC(ctx); err != nil {
			t.Fatal(err)
		}
		if !mustRevoked(t, s, clamp, "", now) {
			t.Errorf("%s: clamped session entry gone before the lifetime", order)
		}
		clock.Set(now.Add(life))
		if err := s.RunGC(ctx); err != nil {
			t.Fatal(err)
		}
		if mustRevoked(t, s, clamp, "", now) {
			t.Errorf("%s: clamped session entry outlived the lifetime", order)
		}
		clock.Set(now)
	}
}

// A cut-off in the future, replicated or local, is lowered to now plus
// MaxClockSkew: a "revoke all" 29 days ahead kills the sessions that exist
// but not a login made 3 minutes later.
func TestFutureCutOffBounded(t *testing.T) {
	ctx := context.Background()
	ahead := 29 * 24 * time.Hour
	for _, tt := range []struct {
		name   string
		revoke func(s *revocation.Store, now time.Time) error
	}{
		{"replicated all", func(s *revocation.Store, now time.Time) error {
			return s.Apply(ctx, []revocation.Event{{ID: newID(t), Kind: revocation.KindAll, At: now.Add(ahead), Origin: "forger"}}, revocation.Cursor{})
		}},
		{"replicated user", func(s *revocation.Store, now time.Time) error {
			return s.Apply(ctx, []revocation.Event{{ID: newID(t), Kind: revocation.KindUser, User: "alice", At: now.Add(ahead), Origin: "forger"}}, revocation.Cursor{})
		}},
		{"local all", func(s *revocation.Store, now time.Time) error { return s.RevokeAll(ctx, now.Add(ahead)) }},
		{"local user", func(s *revocation.Store, now time.Time) error { return s.RevokeUser(ctx, "alice", now.Add(ahead)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, GCInterval: -1})
			now := clock.Now()
			if err := tt.revoke(s, now); err != nil {
				t.Fatal(err)
			}
			if !mustRevoked(t, s, newID(t), "alice", now.Add(-time.Second)) {
				t.Error("a session from before the revocation survives")
			}
			if !mustRevoked(t, s, newID(t), "alice", now.Add(revocation.DefaultMaxClockSkew)) {
				t.Error("a session created within the skew survives")
			}
			login := clock.Advance(3 * time.Minute)
			if mustRevoked(t, s, newID(t), "alice", login) {
				t.Error("a login 3 minutes after a future cut-off is refused")
			}
		})
	}
}

func TestNegativeClockSkewRefused(t *testing.T) {
	_, err := revocation.Open(t.TempDir()+"/x", revocation.Config{MaxClockSkew: -time.Second})
	if !errors.Is(err, revocation.ErrInvalid) {
		t.Errorf("Open with MaxClockSkew -1s: %v, want ErrInvalid", err)
	}
}
