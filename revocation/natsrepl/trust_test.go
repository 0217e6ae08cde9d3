package natsrepl

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

// Tests of issue 10: events are authenticated, cut-offs bounded, a lost
// stream converges, and nothing is served before the first catch-up.

// ringVar is a keyring that a test rotates while instances run.
type ringVar struct {
	p atomic.Pointer[keyring.Keyring]
}

func newRingVar(k *keyring.Keyring) *ringVar {
	v := &ringVar{}
	v.p.Store(k)
	return v
}

func (v *ringVar) get() *keyring.Keyring { return v.p.Load() }

// publishRaw publishes m to the stream as an attacker holding only NATS
// credentials would, and returns its stream sequence.
func publishRaw(t *testing.T, js jetstream.JetStream, m *nats.Msg) uint64 {
	t.Helper()
	ack, err := js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatalf("publish %s: %v", m.Subject, err)
	}
	return ack.Sequence
}

func encode(t testing.TB, ev revocation.Event) []byte {
	t.Helper()
	b, err := ev.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Forged "revoke all" events change nothing, are counted, and the position
// moves past them; a genuine event after them is applied.
func TestForgedEventsRejected(t *testing.T) {
	srv := natstest.Start(t)
	k1 := clusterRing()
	k2, added, err := k1.Add(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k2, err = k2.Promote(added.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	retired, err := k2.Retire(k1.Primary().ID) // k1's primary is retired
	if err != nil {
		t.Fatal(err)
	}
	a := newInstance(t, srv.URL(), "a", func(c *Config) { c.Keys = retired.Keyring })
	waitCaughtUp(t, a, 5*time.Second)
	_, js := connect(t, srv.URL())
	before := time.Now()
	all, err := revocation.AllEvent("forger", time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	data := encode(t, all)
	subj := subject(DefaultSubjectPrefix, revocation.KindAll)
	good := sign(retired, subj, data)
	tests := []struct {
		name string
		msg  *nats.Msg
	}{
		{"no MAC", &nats.Msg{Subject: subj, Data: data}},
		{"MAC under a key not in the ring", sign(mustRing(t), subj, data)},
		{"MAC under a retired key", sign(k1, subj, data)},
		{"MAC for another subject", &nats.Msg{Subject: subject(DefaultSubjectPrefix, revocation.KindUser), Data: data, Header: good.Header}},
		{"bytes changed", &nats.Msg{Subject: subj, Data: append(data[:len(data)-1:len(data)-1], 'X'), Header: good.Header}},
		{"key ID of the ring, MAC garbage", &nats.Msg{Subject: subj, Data: data, Header: nats.Header{HeaderKeyID: {retired.Primary().ID}, HeaderMAC: {"AAAA"}}}},
	}
	var last uint64
	for _, tt := range tests {
		last = publishRaw(t, js, tt.msg)
	}
	eventually(t, 5*time.Second, "A never moved past the forged events", func() bool { return a.repl.Health().AppliedSeq >= last })
	if h := a.repl.Health(); h.RejectedEvents != uint64(len(tests)) {
		t.Errorf("RejectedEvents %d, want %d", h.RejectedEvents, len(tests))
	}
	if dead, err := a.repl.Revoked(newID(t), "", before); dead || err != nil {
		t.Fatalf("after forged revoke-all events: Revoked = %v, %v; want false, nil", dead, err)
	}
	if st := a.store.Stats(); !st.All.IsZero() {
		t.Errorf("a forged event reached the store: %+v", st)
	}
	// The same event, signed under a key of the ring, is applied.
	publishRaw(t, js, good)
	eventually(t, 5*time.Second, "A never applied the signed event", func() bool {
		dead, _ := a.repl.Revoked(newID(t), "", before)
		return dead
	})
}

func mustRing(t *testing.T) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A key rotation done one instance at a time (add everywhere, promote,
// retire the old key) loses no event between instances at different steps.
func TestRotationMidFlight(t *testing.T) {
	srv := natstest.Start(t)
	k1 := mustRing(t)
	ka, kb := newRingVar(k1), newRingVar(k1)
	a := newInstance(t, srv.URL(), "a", func(c *Config) { c.Keys = ka.get })
	b := newInstance(t, srv.URL(), "b", func(c *Config) { c.Keys = kb.get })
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)
	now := time.Now()
	added, key2, err := k1.Add(now)
	if err != nil {
		t.Fatal(err)
	}
	promoted, err := added.Promote(key2.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	retired, err := promoted.Retire(k1.Primary().ID)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		ra, rb *keyring.Keyring
	}{
		{"b added the key", k1, added},
		{"both added", added, added},
		{"b promoted it", added, promoted},
		{"both promoted", promoted, promoted},
		{"b retired the old key", promoted, retired},
		{"both retired it", retired, retired},
	}
	ctx := context.Background()
	for _, st := range steps {
		ka.p.Store(st.ra)
		kb.p.Store(st.rb)
		for _, dir := range []struct{ from, to *instance }{{a, b}, {b, a}} {
			id := newID(t)
			if err := dir.from.repl.RevokeSession(ctx, id, time.Time{}); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, st.name+": "+dir.to.node+" never applied "+dir.from.node+"'s revocation", func() bool { return dir.to.revoked(id) })
		}
	}
	for _, in := range []*instance{a, b} {
		if h := in.repl.Health(); h.RejectedEvents != 0 {
			t.Errorf("%s rejected %d events during the rotation", in.node, h.RejectedEvents)
		}
	}
}

// A replicated "revoke all" with a cut-off 29 days ahead kills the
// sessions that exist, not a login made 3 minutes later.
func TestFutureCutOffBoundedOverNATS(t *testing.T) {
	srv := natstest.Start(t)
	clock := fake.NewClock(time.Now())
	a := newInstance(t, srv.URL(), "a", func(c *Config) { c.Now = clock.Now })
	waitCaughtUp(t, a, 5*time.Second)
	nc, _ := connect(t, srv.URL())
	now := clock.Now()
	ev, err := revocation.AllEvent("mistake", now.Add(29*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := Publish(context.Background(), nc, Config{Keys: clusterKeys}, ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "A never applied the event", func() bool {
		dead, _ := a.repl.Revoked(newID(t), "", now)
		return dead
	})
	login := clock.Advance(3 * time.Minute)
	if dead, err := a.repl.Revoked(newID(t), "", login); dead || err != nil {
		t.Errorf("a login 3 minutes after: Revoked = %v, %v; want false, nil", dead, err)
	}
}

// revokeMany revokes n sessions on in and returns their IDs, and a user.
func revokeMany(t *testing.T, in *instance, n int) [][16]byte {
	t.Helper()
	ids := make([][16]byte, n)
	for i := range ids {
		ids[i] = newID(t)
		if err := in.repl.RevokeSession(context.Background(), ids[i], time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.repl.RevokeUser(context.Background(), "user-of-"+in.node, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ids
}

// drained waits until in's outbox is published.
func drained(t *testing.T, in *instance) {
	t.Helper()
	eventually(t, 10*time.Second, in.node+"'s outbox never drained", func() bool { return in.repl.Health().OutboxDepth == 0 })
}

// refusesAll waits until c refuses every ID and the users' old sessions.
func refusesAll(t *testing.T, c *instance, ids [][16]byte, users []string, at time.Time) {
	t.Helper()
	for _, id := range ids {
		eventually(t, 10*time.Second, "C accepts a cookie revoked on another instance", func() bool {
			dead, _ := c.repl.Revoked(id, "", time.Now())
			return dead
		})
	}
	for _, u := range users {
		eventually(t, 10*time.Second, "C accepts an old session of "+u, func() bool {
			dead, _ := c.repl.Revoked(newID(t), u, at)
			return dead
		})
	}
}

// logoutsWhileCDown starts A, B and C, stops C, logs sessions and a user
// out on A and B (published), and returns the instances, the revoked
// session IDs and a time before the user revocations.
func logoutsWhileCDown(t *testing.T, url string) (a, b, c *instance, ids [][16]byte, before time.Time) {
	t.Helper()
	a = newInstance(t, url, "a")
	b = newInstance(t, url, "b")
	c = newInstance(t, url, "c")
	waitCaughtUp(t, c, 5*time.Second)
	c.stop()
	before = time.Now()
	ids = append(revokeMany(t, a, 7), revokeMany(t, b, 7)...)
	drained(t, a)
	drained(t, b)
	return a, b, c, ids, before
}

// Problem 2 of issue 10: C is down; sessions are logged out on A and B;
// the stream is lost (deleted; A and B recreate it); C starts and must
// refuse the revoked cookies: A and B re-publish what they hold.
func TestStreamLostWhileOneDown(t *testing.T) {
	srv := natstest.Start(t)
	a, b, c, ids, before := logoutsWhileCDown(t, srv.URL())

	_, js := connect(t, srv.URL())
	if err := js.DeleteStream(context.Background(), DefaultStream); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "A and B never re-published", func() bool {
		return a.repl.Health().Republished >= 8 && b.repl.Health().Republished >= 8
	})
	c.start()
	refusesAll(t, c, ids, []string{"user-of-a", "user-of-b"}, before)
	if h := c.repl.Health(); h.StreamResets != 1 || h.State == StateCatchingUp {
		t.Errorf("C: health %+v, want one reset and caught up", h)
	}
}

// The same with every instance down while the stream is lost: each finds
// at Start that its stored position belongs to a stream that is gone, and
// re-publishes; C, started first, converges once A and B are back.
func TestStreamLostWhileAllDown(t *testing.T) {
	srv := natstest.Start(t)
	a, b, c, ids, before := logoutsWhileCDown(t, srv.URL())
	a.stop()
	b.stop()

	_, js := connect(t, srv.URL())
	if err := js.DeleteStream(context.Background(), DefaultStream); err != nil {
		t.Fatal(err)
	}
	c.start()
	waitCaughtUp(t, c, 5*time.Second)
	a.start()
	b.start()
	refusesAll(t, c, ids, []string{"user-of-a", "user-of-b"}, before)
	for _, in := range []*instance{a, b, c} {
		eventually(t, 5*time.Second, in.node+" never found the reset at Start", func() bool { return in.repl.Health().StreamResets == 1 })
	}
}

// Problem 3 of issue 10: C comes back to thousands of events of backlog.
// From the moment Start returns, Revoked never says "not revoked" for a
// revoked ID: it says revoked, or fails closed (ErrNotCaughtUp) until C has
// caught up.
func TestNoServeBeforeCatchUp(t *testing.T) {
	srv := natstest.Start(t)
	a, c, _ := downAfterOne(t, srv.URL())
	_, js := connect(t, srv.URL())
	evs := sessionEvents(t, 5000, "a")
	publishAll(t, js, a.cfg, evs)

	c.start()
	served := 0
	for !c.repl.Health().CaughtUp {
		for i := len(evs) - 1; i >= 0; i -= 97 { // the newest first: the last to arrive
			dead, err := c.repl.Revoked(evs[i].Session, "", time.Now())
			switch {
			case dead:
			case errors.Is(err, ErrNotCaughtUp) && errors.Is(err, ErrStale):
				served++
			default:
				t.Fatalf("Revoked(event %d) = %v, %v before the catch-up; want revoked or ErrNotCaughtUp", i, dead, err)
			}
		}
		time.Sleep(time.Millisecond) // leave the CPU to the catch-up
	}
	t.Logf("refused %d lookups while catching up", served)
	for i, ev := range evs {
		if dead, err := c.repl.Revoked(ev.Session, "", time.Now()); !dead || err != nil {
			t.Fatalf("after the catch-up: Revoked(event %d) = %v, %v; want revoked", i, dead, err)
		}
	}
	if _, err := c.repl.Revoked(newID(t), "", time.Now()); err != nil {
		t.Errorf("a live session after the catch-up: %v", err)
	}
}

// InsecureServeBeforeCatchUp answers from the local list at once.
func TestInsecureServeBeforeCatchUp(t *testing.T) {
	r, _ := bareReplicator(t, Config{InsecureServeBeforeCatchUp: true})
	if dead, err := r.Revoked(newID(t), "", time.Now()); dead || err != nil {
		t.Errorf("Revoked before any catch-up with InsecureServeBeforeCatchUp = %v, %v; want false, nil", dead, err)
	}
	r2, _ := bareReplicator(t, Config{})
	if _, err := r2.Revoked(newID(t), "", time.Now()); !errors.Is(err, ErrNotCaughtUp) {
		t.Errorf("Revoked before any catch-up = %v, want ErrNotCaughtUp", err)
	}
}

// The spurious restart of issue 10, item 4: a probe that saw the stream's
// last sequence N is handled after the consume loop applied N+1. Judged
// against the position at handling time it read "stream's last sequence
// N is below the applied position N+1" and restarted the consumer.
func TestProbeOlderThanPositionIsNoReset(t *testing.T) {
	srv := natstest.Start(t)
	r, _ := bareReplicator(t, Config{})
	_, js := connect(t, srv.URL())
	r.js = js
	info, err := r.ensureStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r.state.created = info.Created
	evs := sessionEvents(t, 2, "x")
	publishAll(t, js, r.cfg, evs[:1])
	var lastCons uint64
	if _, err := r.applyBatch([]delivery{signed(1, 1, 0, encode(t, evs[0]))}, &lastCons); err != nil {
		t.Fatal(err)
	}
	r.consumerLive.Store(true)

	p := r.probe() // sees last sequence 1
	publishAll(t, js, r.cfg, evs[1:])
	if _, err := r.applyBatch([]delivery{signed(2, 2, 0, encode(t, evs[1]))}, &lastCons); err != nil {
		t.Fatal(err)
	}
	if p.info.State.LastSeq != 1 || r.state.applied != 2 {
		t.Fatalf("probe saw %d, applied %d: the race was not set up", p.info.State.LastSeq, r.state.applied)
	}
	if err := r.checkProbe(p); err != nil {
		t.Errorf("checkProbe of a probe older than the position: %v, want nil (no restart)", err)
	}
	// A stream that really is shorter than the position still resets.
	r.state.applied = 5
	if err := r.checkProbe(r.probe()); err == nil {
		t.Error("checkProbe of a stream shorter than the position: nil, want a reset")
	}
}

func TestHealthStates(t *testing.T) {
	clock := fake.NewClock(time.Now())
	r, st := bareReplicator(t, Config{Now: clock.Now, Staleness: 2 * time.Second, Heartbeat: 500 * time.Millisecond, DegradedAfter: time.Nanosecond})
	check := func(what string, want HealthState, serving bool) {
		t.Helper()
		h := r.Health()
		if h.State != want || h.Serving() != serving {
			t.Errorf("%s: state %q, serving %v; want %q, %v (health %+v)", what, h.State, h.Serving(), want, serving, h)
		}
	}
	check("before the first catch-up", StateCatchingUp, false)
	r.consumerLive.Store(true)
	r.touchAt(clock.Now().UnixNano())
	r.markCaughtUp(0)
	check("caught up", StateOK, true)
	r.setReason("consumer: missed heartbeats")
	if h := r.Health(); !h.ConsumerRestarting {
		t.Errorf("health %+v, want ConsumerRestarting", h)
	}
	check("consumer restarting", StateDegraded, true)
	r.setReason("")
	if err := st.RevokeSession(context.Background(), newID(t), time.Time{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	if h := r.Health(); h.OutboxOldestAge <= 0 || h.OutboxDepth != 1 {
		t.Errorf("health %+v, want the outbox's oldest age", h)
	}
	check("outbox waiting longer than DegradedAfter", StateDegraded, true)
	clock.Advance(3 * time.Second)
	check("no contact for longer than Staleness", StateStale, false)
	r.markCaughtUp(0)
	r.touchAt(clock.Now().UnixNano())
	r.closed.Store(true)
	check("closed", StateStale, false)
}
