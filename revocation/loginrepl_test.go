package revocation_test

import (
	"context"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// TestLoginEventsApply: a login recorded with the outbox on leaves a
// KindLogin event in it; applied to another store it appears in that
// store's registry (bound flag included, once however often applied, and
// after a reopen); a store with the registry off applies it as a no-op; a
// login of a session already revoked on the receiving store is not
// recorded.
func TestLoginEventsApply(t *testing.T) {
	ctx := context.Background()
	a, _ := revocationtest.Open(t, revocation.Config{LoginsPerUser: 5, Outbox: true, Node: "a"})
	bcfg := revocation.Config{LoginsPerUser: 5, Node: "b"}
	b, bdir := revocationtest.Open(t, bcfg)
	off, _ := revocationtest.Open(t, revocation.Config{Node: "off"})
	created := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	if err := a.RecordLogin(ctx, sid(1), "alice", created, "Chrome on Windows", true); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordLogin(ctx, sid(2), "alice", created.Add(time.Second), "Firefox on Linux", false); err != nil {
		t.Fatal(err)
	}
	evs, err := a.Outbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Kind != revocation.KindLogin || evs[0].Session != sid(1) || evs[0].User != "alice" ||
		!evs[0].At.Equal(created) || evs[0].Device != "Chrome on Windows" || !evs[0].Bound || evs[0].Origin != "a" || evs[1].Bound {
		t.Fatalf("outbox %+v, want the two logins as KindLogin events", evs)
	}

	// Session 2 is revoked on b before its login arrives.
	if err := b.RevokeSession(ctx, sid(2), time.Time{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.Apply(ctx, evs, revocation.Cursor{}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		got := b.Logins("alice")
		if len(got) != 1 || got[0].Session != sid(1) || !got[0].Bound || got[0].Device != "Chrome on Windows" || !got[0].Created.Equal(created) {
			t.Fatalf("%s: b lists %+v, want session 1 only, bound", when, got)
		}
		if n := revocation.LoginKeys(t, b); n != 1 {
			t.Fatalf("%s: %d login keys on b's disk, want 1 (the revoked session's login not written)", when, n)
		}
	}
	check("applied")
	b = revocationtest.Reopen(t, b, bdir, bcfg)
	check("after reopen")

	if err := off.Apply(ctx, evs, revocation.Cursor{}); err != nil {
		t.Fatalf("applying logins with the registry off: %v, want a no-op", err)
	}
	if got := off.Logins("alice"); got != nil {
		t.Fatalf("registry off lists %+v", got)
	}
	if n := revocation.LoginKeys(t, off); n != 0 {
		t.Fatalf("registry off wrote %d login keys", n)
	}

	// A revocation applied after the login drops it, as a local one does.
	ue, err := revocation.UserEvent("a", "alice", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, []revocation.Event{ue}, revocation.Cursor{}); err != nil {
		t.Fatal(err)
	}
	if got := b.Logins("alice"); len(got) != 0 {
		t.Fatalf("after alice's revocation b lists %+v", got)
	}
	if n := revocation.LoginKeys(t, b); n != 0 {
		t.Fatalf("%d login keys left on b after alice's revocation", n)
	}
}

// TestLoginWithoutOutbox: without Config.Outbox a login leaves no outbox
// record (an instance that does not replicate keeps its registry local).
func TestLoginWithoutOutbox(t *testing.T) {
	ctx := context.Background()
	s, _ := revocationtest.Open(t, revocation.Config{LoginsPerUser: 5})
	if err := s.RecordLogin(ctx, sid(1), "alice", time.Now(), "d", false); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.Outbox(ctx, 0); err != nil || len(evs) != 0 {
		t.Fatalf("outbox %+v, %v; want empty", evs, err)
	}
}
