package natsrepl

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/revocation"
)

// lists reports whether in's registry lists session id of user, and
// whether as bound.
func lists(in *instance, user string, id [16]byte) (found, bound bool) {
	for _, l := range in.store.Logins(user) {
		if l.Session == id {
			return true, l.Bound
		}
	}
	return false, false
}

// TestLoginsReplicate: a login recorded on one instance appears in the
// registry of the others (the bound flag with it), both ways; revoking it
// on one instance drops it from the others' lists; an instance whose
// registry is off applies login events as no-ops, rejecting none.
func TestLoginsReplicate(t *testing.T) {
	srv := natstest.Start(t)
	a := newRegistryInstance(t, srv.URL(), "a", 10)
	b := newRegistryInstance(t, srv.URL(), "b", 10)
	off := newInstance(t, srv.URL(), "off")
	for _, in := range []*instance{a, b, off} {
		waitCaughtUp(t, in, 5*time.Second)
	}
	ctx := context.Background()
	onA, onB := newID(t), newID(t)
	if err := a.store.RecordLogin(ctx, onA, "alice", time.Now(), "Firefox on Linux", true); err != nil {
		t.Fatal(err)
	}
	if err := b.store.RecordLogin(ctx, onB, "alice", time.Now(), "Safari on iOS", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b never listed a's login", func() bool { found, _ := lists(b, "alice", onA); return found })
	eventually(t, 5*time.Second, "a never listed b's login", func() bool { found, _ := lists(a, "alice", onB); return found })
	if _, bound := lists(b, "alice", onA); !bound {
		t.Error("a's bound login arrived on b unbound")
	}
	if _, bound := lists(a, "alice", onB); bound {
		t.Error("b's unbound login arrived on a bound")
	}
	if got := b.store.Logins("alice"); len(got) != 2 || got[1].Device != "Firefox on Linux" {
		t.Errorf("b lists %+v, want both logins, a's with its device", got)
	}

	if err := a.repl.RevokeSession(ctx, onB, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b still lists the session a revoked", func() bool { found, _ := lists(b, "alice", onB); return !found })
	if found, _ := lists(a, "alice", onB); found {
		t.Error("a still lists the session it revoked")
	}

	last := b.repl.Health().AppliedSeq
	eventually(t, 5*time.Second, "the instance without a registry never applied the login events", func() bool {
		return off.repl.Health().AppliedSeq >= last
	})
	if h := off.repl.Health(); h.RejectedEvents != 0 {
		t.Errorf("registry off: %d events rejected, want login events applied as no-ops", h.RejectedEvents)
	}
	if got := off.store.Logins("alice"); got != nil {
		t.Errorf("registry off lists %+v", got)
	}
	if !off.revoked(onB) {
		t.Error("the instance without a registry missed the revocation")
	}
}

// TestForgedLoginRefused: a login event that does not verify under the
// keyring (unsigned, signed by another key, moved to another subject)
// is counted as rejected and recorded nowhere; the same event signed
// under the cluster's keyring is recorded.
func TestForgedLoginRefused(t *testing.T) {
	srv := natstest.Start(t)
	b := newRegistryInstance(t, srv.URL(), "b", 10)
	waitCaughtUp(t, b, 5*time.Second)
	_, js := connect(t, srv.URL())
	id := newID(t)
	ev := revocation.Event{ID: newID(t), Kind: revocation.KindLogin, Session: id, User: "alice", At: time.Now(), Origin: "forger", Device: "Evil on Linux"}
	data := encode(t, ev)
	subj := subject(DefaultSubjectPrefix, revocation.KindLogin)
	good := sign(clusterRing(), subj, data)
	forged := []*nats.Msg{
		{Subject: subj, Data: data},
		sign(mustRing(t), subj, data),
		{Subject: subject(DefaultSubjectPrefix, revocation.KindSession), Data: data, Header: good.Header},
	}
	var last uint64
	for _, m := range forged {
		last = publishRaw(t, js, m)
	}
	eventually(t, 5*time.Second, "b never moved past the forged logins", func() bool { return b.repl.Health().AppliedSeq >= last })
	if h := b.repl.Health(); h.RejectedEvents != uint64(len(forged)) {
		t.Errorf("RejectedEvents %d, want %d", h.RejectedEvents, len(forged))
	}
	if found, _ := lists(b, "alice", id); found {
		t.Fatal("a forged login was recorded")
	}
	publishRaw(t, js, good)
	eventually(t, 5*time.Second, "b never recorded the signed login", func() bool { found, _ := lists(b, "alice", id); return found })
}

// TestJoinFromSnapshotCarriesLogins: a snapshot holds the registry's live
// logins, so an instance that joins from it lists the logins recorded
// before the snapshot although it replays only the stream's tail.
func TestJoinFromSnapshotCarriesLogins(t *testing.T) {
	srv := natstest.Start(t)
	a := newRegistryInstance(t, srv.URL(), "a", 10, func(c *Config) { c.SnapshotEvery = -1 })
	waitCaughtUp(t, a, 5*time.Second)
	ctx := context.Background()
	before, after := newID(t), newID(t)
	if err := a.store.RecordLogin(ctx, before, "alice", time.Now(), "Firefox on Linux", true); err != nil {
		t.Fatal(err)
	}
	// The snapshot must cover the login's own event: wait for a to apply it.
	eventually(t, 5*time.Second, "a never applied its own login event", func() bool { return a.repl.Health().AppliedSeq >= 1 })
	if err := a.repl.PublishSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	snapSeq := a.repl.Health().AppliedSeq
	if err := a.store.RecordLogin(ctx, after, "alice", time.Now(), "Safari on iOS", false); err != nil {
		t.Fatal(err)
	}

	b, cs := registryJoiner(t, srv.URL(), "b", 10)
	waitCaughtUp(t, b, 10*time.Second)
	if h := b.repl.Health(); h.SnapshotSeq != snapSeq {
		t.Fatalf("b joined at snapshot seq %d, want %d", h.SnapshotSeq, snapSeq)
	}
	eventually(t, 5*time.Second, "b never listed the login after the snapshot", func() bool { found, _ := lists(b, "alice", after); return found })
	if at, _ := cs.split(snapSeq); at != 1 {
		t.Errorf("applied %d events from the snapshot, want the 1 login", at)
	}
	found, bound := lists(b, "alice", before)
	if !found || !bound {
		t.Errorf("the login recorded before the snapshot: listed %v, bound %v; want listed and bound", found, bound)
	}
}
