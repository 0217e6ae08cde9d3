package natsrepl

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/sessions"
)

var _ sessions.Revoker = (*Replicator)(nil)

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for valid
	}{
		{"defaults", Config{Node: "a"}, ""},
		{"heartbeat too short", Config{Node: "a", Heartbeat: 100 * time.Millisecond}, "Heartbeat 100ms"},
		{"heartbeat too long", Config{Node: "a", Heartbeat: 31 * time.Second, Staleness: time.Minute}, "Heartbeat 31s"},
		{"heartbeat bounds ok", Config{Node: "a", Heartbeat: 500 * time.Millisecond, Staleness: 2 * time.Second}, ""},
		{"staleness within two heartbeats", Config{Node: "a", Heartbeat: time.Second, Staleness: 2 * time.Second}, "Staleness 2s"},
		{"replicas too many", Config{Node: "a", Replicas: 6}, "Replicas 6"},
		{"replicas negative", Config{Node: "a", Replicas: -1}, "Replicas -1"},
		{"max age too short", Config{Node: "a", MaxAge: time.Minute}, "MaxAge 1m0s"},
		{"stream with dot", Config{Node: "a", Stream: "A.B"}, "Stream \"A.B\""},
		{"prefix with wildcard", Config{Node: "a", SubjectPrefix: "x.*"}, "SubjectPrefix"},
		{"prefix with empty token", Config{Node: "a", SubjectPrefix: "x..y"}, "SubjectPrefix"},
		{"negative staleness", Config{Node: "a", Staleness: -time.Second}, "Staleness"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.withDefaults()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("withDefaults: %v, want nil", err)
				}
				if got.Stream != DefaultStream || got.SubjectPrefix != DefaultSubjectPrefix || got.Replicas < 1 || got.MaxAge < time.Hour {
					t.Errorf("defaults not filled in: %+v", got)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("withDefaults: %v, want ErrInvalidConfig naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestStartRefusesBadConfig(t *testing.T) {
	st, _ := revocationtest.Open(t, revocation.Config{Outbox: true, GCInterval: -1, Logger: testLogger(t)})
	for _, cfg := range []Config{
		{Node: "a"}, // neither URL nor Conn
		{Node: "a", URL: "nats://127.0.0.1:1", Heartbeat: time.Hour, Keys: clusterKeys},
		{Node: "a", URL: "nats://127.0.0.1:1"}, // no Keys
		{Node: "a", URL: "nats://127.0.0.1:1", Keys: func() *keyring.Keyring { return nil }},
	} {
		r, err := Start(context.Background(), st, cfg)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Start(%+v) = %v, %v; want ErrInvalidConfig", cfg, r, err)
		}
	}
	if _, err := Start(context.Background(), nil, Config{Node: "a", URL: "nats://127.0.0.1:1"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Start(nil store) = %v, want ErrInvalidConfig", err)
	}
	// A stream that forgets events sooner than the store's absolute
	// lifetime would let a returning instance miss revocations that matter.
	_, err := Start(context.Background(), st, Config{Node: "a", URL: "nats://127.0.0.1:1", MaxAge: 48 * time.Hour, Keys: clusterKeys})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "absolute lifetime") {
		t.Errorf("Start(MaxAge 48h, store lifetime 30 days) = %v, want ErrInvalidConfig naming the absolute lifetime", err)
	}
}

func TestStartRefusesStoreWithoutOutbox(t *testing.T) {
	st, _ := revocationtest.Open(t, revocation.Config{GCInterval: -1, Logger: testLogger(t)})
	err := startErr(context.Background(), st, Config{Node: "a", URL: "nats://127.0.0.1:1", Keys: clusterKeys})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "Outbox") {
		t.Fatalf("Start(store without outbox) = %v, want ErrInvalidConfig naming Outbox", err)
	}
}

func TestDefaultMaxAgeFollowsStoreLifetime(t *testing.T) {
	srv := natstest.Start(t)
	st, _ := revocationtest.Open(t, revocation.Config{Outbox: true, AbsoluteLifetime: 90 * 24 * time.Hour, GCInterval: -1, Logger: testLogger(t)})
	r, err := Start(context.Background(), st, Config{Node: "a", URL: srv.URL(), Logger: testLogger(t), Keys: clusterKeys})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, want := r.AbsoluteLifetime(), 90*24*time.Hour; got != want {
		t.Errorf("AbsoluteLifetime() = %v, want %v", got, want)
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.CachedInfo().Config.MaxAge, 91*24*time.Hour; got != want {
		t.Errorf("stream max age = %v, want the store's lifetime plus a day, %v", got, want)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	created := time.Date(2026, 11, 26, 18, 0, 0, 123456789, time.UTC)
	for _, seq := range []uint64{0, 1, 1 << 40, ^uint64(0)} {
		gotSeq, gotCreated, err := decodeCursor(encodeCursor(seq, created))
		if err != nil || gotSeq != seq || !gotCreated.Equal(created) {
			t.Errorf("decode(encode(%d, %v)) = %d, %v, %v", seq, created, gotSeq, gotCreated, err)
		}
	}
	for _, b := range [][]byte{nil, {1}, make([]byte, 17), append([]byte{2}, make([]byte, 16)...), make([]byte, 18)} {
		if _, _, err := decodeCursor(b); err == nil && (len(b) != 17 || b[0] != cursorVersion) {
			t.Errorf("decodeCursor(%x) accepted", b)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(42, time.Unix(0, 1700000000000000000)))
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, created, err := decodeCursor(b)
		if err != nil {
			return
		}
		if got := encodeCursor(seq, created); string(got) != string(b) {
			t.Fatalf("re-encoding %x gives %x", b, got)
		}
	})
}

func TestStreamCreatedAndVerified(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	_, js := connect(t, srv.URL())
	info := streamInfo(t, js, DefaultStream)
	if got, want := info.Config.Subjects, []string{DefaultSubjectPrefix + ".>"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("subjects %q, want %q", got, want)
	}
	if info.Config.MaxAge != DefaultMaxAge || info.Config.Storage != jetstream.FileStorage || info.Config.Replicas != 1 {
		t.Errorf("stream config %+v, want max age %v, file storage, 1 replica", info.Config, DefaultMaxAge)
	}
	waitCaughtUp(t, a, 5*time.Second)

	st, _ := revocationtest.Open(t, revocation.Config{Outbox: true, GCInterval: -1, Logger: testLogger(t)})
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"max age", Config{MaxAge: 60 * 24 * time.Hour}, []string{"max age 744h0m0s, want 1440h0m0s"}},
		{"max age and replicas", Config{MaxAge: 60 * 24 * time.Hour, Replicas: 3}, []string{"max age", "replicas 1, want 3"}},
		{"subjects", Config{SubjectPrefix: "other.prefix"}, []string{`subjects ["sealed.revocations.>"], want ["other.prefix.>"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.URL, cfg.Node, cfg.Logger, cfg.Keys = srv.URL(), "b", testLogger(t), clusterKeys
			err := startErr(context.Background(), st, cfg)
			if !errors.Is(err, ErrStreamMismatch) {
				t.Fatalf("Start = %v, want ErrStreamMismatch", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}

	// A stream someone else made with memory storage.
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "MEM", Subjects: []string{"mem.>"}, Storage: jetstream.MemoryStorage, MaxAge: DefaultMaxAge}); err != nil {
		t.Fatal(err)
	}
	err := startErr(ctx, st, Config{URL: srv.URL(), Node: "b", Stream: "MEM", SubjectPrefix: "mem", Logger: testLogger(t), Keys: clusterKeys})
	if !errors.Is(err, ErrStreamMismatch) || !strings.Contains(err.Error(), "storage Memory, want File") {
		t.Errorf("Start on a memory stream = %v, want ErrStreamMismatch naming the storage", err)
	}
}

// A session revoked on instance A is refused by instance B within 1 s.
func TestPropagationToOtherInstance(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)
	ctx := context.Background()

	id := newID(t)
	if b.revoked(id) {
		t.Fatal("B: session revoked before anyone revoked it")
	}
	if err := a.repl.RevokeSession(ctx, id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !a.revoked(id) {
		t.Fatal("A: not revoked right after RevokeSession")
	}
	took := eventually(t, time.Second, "B does not refuse the session A revoked", func() bool { return b.revoked(id) })
	t.Logf("session revocation reached B in %v", took)

	// User and global cut-offs travel too, and B's own events reach A.
	at := time.Now()
	if err := b.repl.RevokeUser(ctx, "alice", at); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "A does not refuse alice's old session", func() bool {
		dead, err := a.repl.Revoked(newID(t), "alice", at)
		return err == nil && dead
	})
	if dead, _ := a.repl.Revoked(newID(t), "bob", at); dead {
		t.Error("A: bob's session revoked by alice's revocation")
	}
	allAt := time.Now()
	if err := a.repl.RevokeAll(ctx, allAt); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "B does not refuse a session from before revoke-all", func() bool {
		dead, err := b.repl.Revoked(newID(t), "", allAt)
		return err == nil && dead
	})

	eventually(t, 5*time.Second, "outboxes not drained", func() bool {
		return a.repl.Health().OutboxDepth == 0 && b.repl.Health().OutboxDepth == 0
	})
	for _, in := range []*instance{a, b} {
		h := in.repl.Health()
		if !h.Healthy || h.Stale || !h.CaughtUp || h.MissedEvents {
			t.Errorf("%s: health %+v, want healthy", in.node, h)
		}
	}
}

// Instance C is down while 10,000 revocations happen elsewhere; when it
// comes back it applies all of them before it reports healthy.
func TestCatchUpAfterDowntime(t *testing.T) {
	srv := natstest.Start(t)
	// C saw one revocation before it went down: it resumes after it.
	a, c, _ := downAfterOne(t, srv.URL())
	ctx := context.Background()

	// While C is down: 10,000 revocations, pipelined, from "elsewhere",
	// plus a few through A's outbox.
	_, js := connect(t, srv.URL())
	evs := sessionEvents(t, 10000, "elsewhere")
	publishAll(t, js, a.cfg, evs)
	var viaA [][16]byte
	for range 5 {
		id := newID(t)
		if err := a.repl.RevokeSession(ctx, id, time.Time{}); err != nil {
			t.Fatal(err)
		}
		viaA = append(viaA, id)
	}
	eventually(t, 5*time.Second, "A's outbox not drained", func() bool { return a.repl.Health().OutboxDepth == 0 })
	last := streamInfo(t, js, DefaultStream).State.LastSeq
	if last < 10006 {
		t.Fatalf("stream last seq %d, want at least 10006", last)
	}

	start := time.Now()
	c.start()
	// Watch health from the moment C is back: whenever it says healthy,
	// every event must already be in force.
	var sawUnhealthy bool
	eventually(t, 30*time.Second, "C never reports healthy", func() bool {
		h := c.repl.Health()
		if !h.Healthy {
			sawUnhealthy = true
			if h.Reason == "" {
				t.Errorf("C unhealthy without a reason: %+v", h)
			}
			return false
		}
		return true
	})
	took := time.Since(start)
	for i, ev := range evs {
		if !c.revoked(ev.Session) {
			t.Fatalf("C healthy but event %d of %d not applied (health %+v)", i, len(evs), c.repl.Health())
		}
	}
	for _, id := range viaA {
		if !c.revoked(id) {
			t.Fatal("C healthy but a revocation made on A is missing")
		}
	}
	h := c.repl.Health()
	if h.AppliedSeq < last || h.Lag != 0 || h.MissedEvents {
		t.Errorf("C health %+v, want applied %d, no lag, nothing missed", h, last)
	}
	if !sawUnhealthy {
		t.Error("C reported healthy at once, before catching up")
	}
	t.Logf("C caught up on %d events in %v", last, took)
}

// NATS is unreachable when A revokes: A enforces it at once; B gets it
// once NATS is back (same port, same store directory).
func TestRevokeDuringNATSOutage(t *testing.T) {
	srv := natstest.Start(t)
	clock := fake.NewClock(time.Now())
	mods := func(c *Config) { c.FailClosedWhenStale = true; c.Now = clock.Now }
	a := newInstance(t, srv.URL(), "a", mods)
	b := newInstance(t, srv.URL(), "b", mods)
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)
	if _, err := b.repl.Revoked(newID(t), "", time.Now()); err != nil {
		t.Fatalf("B: Revoked while healthy: %v", err)
	}

	srv.Stop()
	id := newID(t)
	ctx := context.Background()
	if err := a.repl.RevokeSession(ctx, id, time.Time{}); err != nil {
		t.Fatalf("A: RevokeSession with NATS down: %v", err)
	}
	if dead, err := a.repl.Revoked(id, "", time.Now()); !dead || err != nil {
		t.Fatalf("A: Revoked right after revoking with NATS down = %v, %v; want true, nil", dead, err)
	}
	if got := a.repl.Health().OutboxDepth; got != 1 {
		t.Errorf("A: outbox depth %d with NATS down, want 1", got)
	}

	// Past the staleness bound both say so, and B fails closed.
	clock.Advance(3 * time.Second)
	hb := b.repl.Health()
	if hb.Healthy || !hb.Stale || !strings.Contains(hb.Reason, "stale") {
		t.Errorf("B: health %+v with NATS down past staleness, want stale", hb)
	}
	if _, err := b.repl.Revoked(newID(t), "", time.Now()); !errors.Is(err, ErrStale) {
		t.Errorf("B: Revoked while stale: err %v, want ErrStale", err)
	}
	if dead, err := b.repl.Revoked(id, "", time.Now()); dead {
		t.Fatalf("B: knows of A's revocation while NATS is down (%v, %v)?", dead, err)
	}

	srv.Restart()
	took := eventually(t, 20*time.Second, "B never got A's revocation after NATS came back", func() bool {
		dead, _ := b.store.Revoked(id, "", time.Now())
		return dead
	})
	t.Logf("B got the revocation %v after NATS restarted", took)
	eventually(t, 10*time.Second, "A's outbox never drained", func() bool { return a.repl.Health().OutboxDepth == 0 })
	eventually(t, 10*time.Second, "B never healthy again", func() bool { return b.repl.Health().Healthy })
	if _, err := b.repl.Revoked(newID(t), "", time.Now()); err != nil {
		t.Errorf("B: Revoked after recovery: %v", err)
	}
}

// Applying the same event twice (a duplicate in the stream, a redelivery
// after a rewound position) leaves the state unchanged.
func TestDuplicatesAndRedelivery(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, b, 5*time.Second)
	ctx := context.Background()
	_, js := connect(t, srv.URL())

	at := time.Now().Add(-time.Minute)
	user := revocation.Event{ID: newID(t), Kind: revocation.KindUser, User: "carol", At: at, Origin: "x"}
	evs := append(sessionEvents(t, 20, "x"), user)
	publishAll(t, js, a.cfg, evs)
	// The same events again, same message IDs: JetStream drops them.
	publishAll(t, js, a.cfg, evs)
	if got := streamInfo(t, js, DefaultStream).State.Msgs; got != uint64(len(evs)) {
		t.Errorf("stream holds %d messages after publishing %d events twice, want %d (dedup by message ID)", got, len(evs), len(evs))
	}
	// The user event a third time without a message ID, so the stream
	// holds it twice, and an older cut-off for the same user.
	data, _ := user.MarshalBinary()
	if _, err := js.Publish(ctx, DefaultSubjectPrefix+".user", data); err != nil {
		t.Fatal(err)
	}
	older := user
	older.ID, older.At = newID(t), at.Add(-time.Hour)
	publishAll(t, js, a.cfg, []revocation.Event{older})
	waitCaughtUp(t, b, 5*time.Second)

	check := func(label string) revocation.Stats {
		t.Helper()
		for _, ev := range evs[:20] {
			if !b.revoked(ev.Session) {
				t.Fatalf("%s: session not revoked", label)
			}
		}
		if dead, _ := b.store.Revoked(newID(t), "carol", at); !dead {
			t.Errorf("%s: carol's session from the cut-off survives", label)
		}
		if dead, _ := b.store.Revoked(newID(t), "carol", at.Add(time.Nanosecond)); dead {
			t.Errorf("%s: carol's session from after the cut-off is dead", label)
		}
		st := b.store.Stats()
		st.DiskBytes, st.LastGC = 0, time.Time{}
		return st
	}
	first := check("first delivery")
	if first.Sessions != 20 || first.Users != 1 {
		t.Errorf("stats %+v, want 20 sessions and 1 user", first)
	}

	// Redelivery: rewind B's stored position to the start and restart it.
	b.stop()
	b.start()
	waitCaughtUp(t, b, 5*time.Second)
	applied := b.repl.Health().AppliedSeq
	created := streamInfo(t, js, DefaultStream).Created
	b.stop()
	st, err := revocation.Open(b.dir, revocation.Config{Outbox: true, GCInterval: -1, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, nil, revocation.Cursor{Name: "natsrepl/" + DefaultStream, Value: encodeCursor(0, created)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	b.start()
	if got := b.repl.Health().AppliedSeq; got != 0 {
		t.Fatalf("rewound position reads back as %d", got)
	}
	waitCaughtUp(t, b, 5*time.Second)
	if got := b.repl.Health().AppliedSeq; got != applied {
		t.Errorf("after replay applied %d, want %d", got, applied)
	}
	if again := check("redelivery"); again != first {
		t.Errorf("stats after redelivery %+v, want %+v", again, first)
	}
}

// A deleted and recreated stream restarts at sequence 1: an instance whose
// position is past that must notice and replay, online and after a restart.
func TestStreamRecreated(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	c := newInstance(t, srv.URL(), "c")
	_, js := connect(t, srv.URL())
	publishAll(t, js, a.cfg, sessionEvents(t, 10, "x"))
	for _, in := range []*instance{a, b, c} {
		waitCaughtUp(t, in, 5*time.Second)
	}
	if got := b.repl.Health().AppliedSeq; got != 10 {
		t.Fatalf("B applied %d, want 10", got)
	}
	c.stop()

	ctx := context.Background()
	old := streamInfo(t, js, DefaultStream).Created
	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatal(err)
	}
	// The replicators recreate it; whoever does, it starts at 1 (and A
	// and B re-publish their live entries into it).
	eventually(t, 10*time.Second, "stream never recreated", func() bool {
		s, err := js.Stream(ctx, DefaultStream)
		return err == nil && !s.CachedInfo().Created.Equal(old)
	})
	fresh := sessionEvents(t, 3, "x")
	publishAll(t, js, a.cfg, fresh)
	for _, ev := range fresh {
		eventually(t, 10*time.Second, "B skipped an event of the recreated stream", func() bool { return b.revoked(ev.Session) })
	}
	hb := b.repl.Health()
	if hb.StreamResets < 1 {
		t.Errorf("B: health %+v, want the reset counted", hb)
	}
	// A and B re-publish their live entries into the new stream too.
	eventually(t, 5*time.Second, "B not back at the new stream's position", func() bool {
		h := b.repl.Health()
		return h.AppliedSeq >= 3 && h.AppliedSeq == streamInfo(t, js, DefaultStream).State.LastSeq && h.Healthy
	})

	// C was away through it all; its position 10 belongs to the old stream.
	c.start()
	waitCaughtUp(t, c, 10*time.Second)
	for _, ev := range fresh {
		if !c.revoked(ev.Session) {
			t.Fatal("C skipped an event of the recreated stream after restart")
		}
	}
	if h := c.repl.Health(); h.StreamResets != 1 || h.AppliedSeq < 3 {
		t.Errorf("C: health %+v, want one reset and position 3 or beyond", h)
	}
}

// Events that left the stream (max age, or a purge) while an instance was
// away are reported, not silently skipped.
func TestMissedEventsReported(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	_, js := connect(t, srv.URL())
	publishAll(t, js, a.cfg, sessionEvents(t, 3, "x"))
	waitCaughtUp(t, b, 5*time.Second)
	b.stop()
	publishAll(t, js, a.cfg, sessionEvents(t, 4, "x"))
	s, err := js.Stream(context.Background(), DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(context.Background()); err != nil { // as if they aged out
		t.Fatal(err)
	}
	after := sessionEvents(t, 2, "x")
	publishAll(t, js, a.cfg, after)
	b.start()
	waitCaughtUp(t, b, 5*time.Second)
	h := b.repl.Health()
	if !h.MissedEvents || !strings.Contains(h.Reason, "missed") || h.AppliedSeq != 9 {
		t.Errorf("B: health %+v, want missed events reported and position 9", h)
	}
	for _, ev := range after {
		if !b.revoked(ev.Session) {
			t.Error("B: an event still in the stream was not applied")
		}
	}
}

// "Log out everywhere" followed at once by a login on the same instance:
// the new session survives, there and on the other instances.
func TestLogoutEverywhereThenLogin(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, b, 5*time.Second)
	ctx := context.Background()

	at := time.Now() // the Manager's clock at "log out everywhere"
	if err := a.repl.RevokeUser(ctx, "dave", at); err != nil {
		t.Fatal(err)
	}
	oldSession, newSession := at, at.Add(time.Nanosecond) // a login right after, same clock
	eventually(t, time.Second, "B never got the user revocation", func() bool {
		dead, _ := b.repl.Revoked(newID(t), "dave", oldSession)
		return dead
	})
	for _, in := range []*instance{a, b} {
		if dead, err := in.repl.Revoked(newID(t), "dave", oldSession); !dead || err != nil {
			t.Errorf("%s: session created at the cut-off: dead %v, err %v; want dead", in.node, dead, err)
		}
		if dead, err := in.repl.Revoked(newID(t), "dave", newSession); dead || err != nil {
			t.Errorf("%s: session created 1ns after the cut-off: dead %v, err %v; want alive", in.node, dead, err)
		}
	}
}

func TestPublishFunction(t *testing.T) {
	srv := natstest.Start(t)
	nc, _ := connect(t, srv.URL())
	ctx := context.Background()
	ev := sessionEvents(t, 1, "sealctl")[0]
	err := Publish(ctx, nc, Config{Keys: clusterKeys}, ev)
	if err == nil || !strings.Contains(err.Error(), "no stream") {
		t.Errorf("Publish with no stream = %v, want an error saying there is no stream", err)
	}
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, b, 5*time.Second)
	if err := Publish(ctx, nc, Config{Keys: clusterKeys}, ev); err != nil {
		t.Fatal(err)
	}
	if err := Publish(ctx, nc, Config{Keys: clusterKeys}, ev); err != nil { // same ID: deduplicated
		t.Fatal(err)
	}
	eventually(t, time.Second, "B never applied the published event", func() bool { return b.revoked(ev.Session) })
	if err := Publish(ctx, nc, Config{Keys: clusterKeys}, revocation.Event{Kind: revocation.KindUser}); err == nil {
		t.Error("Publish of an invalid event succeeded")
	}
	if err := Publish(ctx, nil, Config{Keys: clusterKeys}, ev); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Publish(nil conn) = %v, want ErrInvalidConfig", err)
	}
	if err := Publish(ctx, nc, Config{}, ev); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Publish without Keys = %v, want ErrInvalidConfig", err)
	}
}

func TestCloseIsIdempotentAndRevokedErrs(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a", func(c *Config) { c.FailClosedWhenStale = true })
	waitCaughtUp(t, a, 5*time.Second)
	r := a.repl
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if h := r.Health(); h.Healthy || h.Reason != "closed" {
		t.Errorf("health after Close %+v, want unhealthy, closed", h)
	}
	if _, err := r.Revoked(newID(t), "", time.Now()); !errors.Is(err, ErrClosed) {
		t.Errorf("Revoked after Close: %v, want ErrClosed", err)
	}
	if err := r.WaitCaughtUp(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitCaughtUp after Close: %v, want ErrClosed", err)
	}
	a.repl = nil
}

// One server of a three-node cluster is killed mid-stream: with an R3
// stream no event is lost, and every instance applies every event.
func TestClusterServerKilledMidStream(t *testing.T) {
	cluster := natstest.StartCluster(t, 3)
	r3 := func(c *Config) { c.Replicas = 3; c.Staleness = 5 * time.Second }
	a := newInstance(t, cluster.URLs(), "a", r3)
	b := newInstance(t, cluster.URLs(), "b", r3)
	waitCaughtUp(t, a, 10*time.Second)
	waitCaughtUp(t, b, 10*time.Second)
	if got := streamInfo(t, a.repl.js, DefaultStream).Config.Replicas; got != 3 {
		t.Fatalf("stream replicas %d, want 3", got)
	}

	const n = 200
	ctx := context.Background()
	ids := make([][16]byte, n)
	var killed *natstest.Server
	for i := range ids {
		if i == n/2 {
			killed = cluster.StreamLeader(DefaultStream)
			if killed == nil {
				t.Fatal("no stream leader to kill")
			}
			t.Logf("killing %s, the stream leader, after %d revocations", killed.Name(), i)
			killed.Stop()
		}
		ids[i] = newID(t)
		if err := a.repl.RevokeSession(ctx, ids[i], time.Time{}); err != nil {
			t.Fatalf("revocation %d: %v", i, err)
		}
		if !a.revoked(ids[i]) {
			t.Fatalf("A: revocation %d not in force locally", i)
		}
	}
	took := eventually(t, 30*time.Second, "B never got every revocation", func() bool {
		for _, id := range ids {
			if !b.revoked(id) {
				return false
			}
		}
		return true
	})
	t.Logf("B had all %d revocations %v after the last one", n, took)
	eventually(t, 10*time.Second, "A's outbox never drained", func() bool { return a.repl.Health().OutboxDepth == 0 })
	if got := streamInfo(t, b.repl.js, DefaultStream).State.Msgs; got != n {
		t.Errorf("stream holds %d events, want %d (none lost, none doubled)", got, n)
	}
	// The killed server comes back and the cluster carries on.
	killed.Restart()
	id := newID(t)
	if err := b.repl.RevokeSession(ctx, id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "A never got B's revocation after the restart", func() bool { return a.revoked(id) })
}

// With Config.Conn the Replicator uses the caller's connection and leaves
// it open on Close (goleak in TestMain checks that its goroutines end).
func TestExistingConn(t *testing.T) {
	srv := natstest.Start(t)
	nc, _ := connect(t, srv.URL())
	a := newInstance(t, "", "a", func(c *Config) { c.Conn = nc })
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)
	id := newID(t)
	if err := a.repl.RevokeSession(context.Background(), id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "B never got A's revocation", func() bool { return b.revoked(id) })
	a.stop()
	if !nc.IsConnected() {
		t.Error("Close closed the caller's connection")
	}
}

// applyBatch, the consumer's core, on its own with a real store: it skips
// redeliveries, skips undecodable messages but moves past them, and stops
// at a gap in the consumer sequence so the consumer restarts.
func TestApplyBatch(t *testing.T) {
	r, st := bareReplicator(t, Config{})
	created := time.Now().UTC()
	r.state.created = created

	evs := sessionEvents(t, 4, "x")
	enc := func(i int) []byte {
		b, err := evs[i].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var lastCons uint64
	// Stream seqs 1, 2 (garbage), 3; then 4 with a consumer-sequence gap.
	n, err := r.applyBatch([]delivery{
		signed(1, 1, 3, enc(0)),
		signed(2, 2, 2, []byte("not an event")),
		signed(3, 3, 1, enc(1)),
		signed(5, 4, 0, enc(2)),
	}, &lastCons)
	if n != 3 || err == nil || !strings.Contains(err.Error(), "gap") {
		t.Fatalf("applyBatch = %d, %v; want 3 and a gap error", n, err)
	}
	if got := r.state.applied; got != 3 {
		t.Errorf("applied %d after the gap, want 3", got)
	}
	if dead, _ := st.Revoked(evs[1].Session, "", time.Now()); !dead {
		t.Error("event before the gap not applied")
	}
	if dead, _ := st.Revoked(evs[2].Session, "", time.Now()); dead {
		t.Error("event after the gap applied")
	}
	cur, err := st.Cursor("natsrepl/T")
	if err != nil {
		t.Fatal(err)
	}
	if seq, c, err := decodeCursor(cur); err != nil || seq != 3 || !c.Equal(created) {
		t.Errorf("stored cursor %d, %v, %v; want 3, %v", seq, c, err, created)
	}
	if r.caughtUp.Load() {
		t.Error("caught up with events still pending")
	}

	// A new consumer from 4, with a redelivery of 3 first.
	lastCons = 0
	n, err = r.applyBatch([]delivery{
		signed(1, 3, 1, enc(3)), // already applied: skipped
		signed(2, 4, 0, enc(2)),
	}, &lastCons)
	if n != 2 || err != nil || r.state.applied != 4 {
		t.Fatalf("applyBatch = %d, %v, applied %d; want 2, nil, 4", n, err, r.state.applied)
	}
	if dead, _ := st.Revoked(evs[2].Session, "", time.Now()); !dead {
		t.Error("event 4 not applied")
	}
	if dead, _ := st.Revoked(evs[3].Session, "", time.Now()); dead {
		t.Error("a redelivered stream sequence was applied again")
	}
	if !r.caughtUp.Load() {
		t.Error("not caught up with nothing pending")
	}
	if got := r.rejected.Load(); got != 1 {
		t.Errorf("rejected %d messages, want 1 (the signed garbage)", got)
	}
}

// signed is a delivery of data on the session subject, signed under the
// cluster's keyring.
func signed(consSeq, streamSeq, pending uint64, data []byte) delivery {
	m := sign(clusterRing(), subject(DefaultSubjectPrefix, revocation.KindSession), data)
	return delivery{consSeq: consSeq, streamSeq: streamSeq, pending: pending, subject: m.Subject, header: m.Header, data: data}
}

// Started while NATS is down, an instance still enforces its own
// revocations, reports itself unhealthy, and catches up and publishes once
// NATS is there.
func TestStartWhileNATSDown(t *testing.T) {
	srv := natstest.Start(t)
	url := srv.URL()
	b := newInstance(t, url, "b")
	waitCaughtUp(t, b, 5*time.Second)
	srv.Stop()

	start := time.Now()
	a := newInstance(t, url, "a", func(c *Config) { c.FailClosedWhenStale = true })
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("Start took %v with NATS down, want it bounded by the 2 s request timeout", took)
	}
	h := a.repl.Health()
	if h.Healthy || h.CaughtUp || h.Reason == "" {
		t.Errorf("health %+v with NATS down since start, want unhealthy with a reason", h)
	}
	if _, err := a.repl.Revoked(newID(t), "", time.Now()); !errors.Is(err, ErrStale) {
		t.Errorf("Revoked before the first catch-up: %v, want ErrStale (fail closed)", err)
	}
	id := newID(t)
	if err := a.repl.RevokeSession(context.Background(), id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if dead, _ := a.repl.Revoked(id, "", time.Now()); !dead {
		t.Error("A does not enforce its own revocation while NATS is down")
	}

	srv.Restart()
	eventually(t, 20*time.Second, "A never healthy after NATS came up", func() bool { return a.repl.Health().Healthy })
	eventually(t, 10*time.Second, "B never got A's revocation", func() bool { return b.revoked(id) })
	if _, err := a.repl.Revoked(newID(t), "", time.Now()); err != nil {
		t.Errorf("Revoked once healthy: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://alice:s3cret@n1:4222,nats://n2:4222", "nats://redacted@n1:4222,nats://n2:4222"},
		{"nats://tok3n@n1:4222", "nats://redacted@n1:4222"},
		{"tls://u:p@n1:4222, tls://u:p@n2:4222", "tls://redacted@n1:4222,tls://redacted@n2:4222"},
		{"nats://u:p%zz@n1", "(unparsable URL with user information)"},
		// nats.Connect takes URLs without a scheme too (it adds nats://).
		{"alice:s3cret@n1:4222", "nats://redacted@n1:4222"},
		{"n1:4222,tok3n@n2:4222", "n1:4222,nats://redacted@n2:4222"},
		{"u:p@n1", "nats://redacted@n1"},
	}
	for _, tt := range tests {
		got := RedactURL(tt.in)
		if got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "tok3n") || strings.Contains(got, ":p@") {
			t.Errorf("RedactURL(%q) = %q leaks a secret", tt.in, got)
		}
	}
}

// A revocation made while NATS is down stays in the outbox across a restart
// of the instance and is published by the next Start.
func TestOutboxSurvivesInstanceRestart(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)
	srv.Stop()
	id := newID(t)
	if err := a.repl.RevokeUser(context.Background(), "frank", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := a.repl.RevokeSession(context.Background(), id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	a.stop() // the instance goes down with NATS still down
	srv.Restart()
	if b.revoked(id) {
		t.Fatal("B has the revocation before A came back")
	}
	a.start()
	eventually(t, 10*time.Second, "B never got the revocation A made before its restart", func() bool { return b.revoked(id) })
	eventually(t, 5*time.Second, "A's outbox never drained", func() bool { return a.repl.Health().OutboxDepth == 0 })
	if dead, _ := b.store.Revoked(newID(t), "frank", time.Now().Add(-time.Minute)); !dead {
		t.Error("B never got the user revocation A made before its restart")
	}
}

// A Replicator is a sessions.Revoker in its own right: it passes the same
// contract as the store it wraps.
func TestReplicatorRevokerContract(t *testing.T) {
	srv := natstest.Start(t)
	n := 0
	testutil.RevokerContract(t, func(t *testing.T, now func() time.Time) sessions.Revoker {
		n++ // a stream per revoker, so no subtest sees another's events
		in := newInstance(t, srv.URL(), "contract", func(c *Config) {
			c.Now = now
			c.Stream = "CONTRACT" + strconv.Itoa(n)
			c.SubjectPrefix = "contract" + strconv.Itoa(n)
		})
		waitCaughtUp(t, in, 5*time.Second) // until then it fails closed
		return in.repl
	})
}

// An instance cut off from NATS past the staleness bound fails closed; when
// the link comes back it must go on failing closed until it has applied
// what was published meanwhile, not from the moment its consumer restarts.
func TestFailClosedUntilCaughtUpAfterPartition(t *testing.T) {
	srv := natstest.Start(t)
	proxy := natstest.StartTCPProxy(t, strings.TrimPrefix(srv.URL(), "nats://"))
	clock := fake.NewClock(time.Now())
	a := newInstance(t, "nats://"+proxy.Addr(), "a", func(c *Config) {
		c.FailClosedWhenStale, c.Now = true, clock.Now
		c.Options = []nats.Option{nats.IgnoreDiscoveredServers()} // only through the proxy
	})
	waitCaughtUp(t, a, 5*time.Second)
	if _, err := a.repl.Revoked(newID(t), "", time.Now()); err != nil {
		t.Fatalf("Revoked while healthy: %v", err)
	}

	proxy.Cut()
	eventually(t, 5*time.Second, "A never fails closed while cut off", func() bool {
		clock.Advance(3 * time.Second) // past Staleness (2s)
		_, err := a.repl.Revoked(newID(t), "", time.Now())
		return errors.Is(err, ErrStale)
	})

	// Published while A is cut off.
	_, js := connect(t, srv.URL())
	evs := sessionEvents(t, 5000, "elsewhere")
	publishAll(t, js, a.cfg, evs)
	last := evs[len(evs)-1].Session

	proxy.Restore()
	deadline := time.Now().Add(20 * time.Second)
	for {
		dead, err := a.repl.Revoked(last, "", time.Now())
		if err == nil && !dead {
			t.Fatalf("A answered 'not revoked' for an event it has not applied yet (health %+v)", a.repl.Health())
		}
		if dead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A never applied the events published while it was cut off (health %+v)", a.repl.Health())
		}
	}
	eventually(t, 10*time.Second, "A never answers again after catching up", func() bool {
		_, err := a.repl.Revoked(newID(t), "", time.Now())
		return err == nil
	})
	if h := a.repl.Health(); !h.Healthy || h.Lag != 0 {
		t.Errorf("health after catching up %+v, want healthy, no lag", h)
	}
}

// A stream purged while an instance was away: the instances that were up
// see the purge and re-publish what they hold, so the returning one ends up
// with the events it never applied, caught up at the stream's end.
func TestPurgedStreamWhileAway(t *testing.T) {
	srv := natstest.Start(t)
	a, c, _ := downAfterOne(t, srv.URL())
	ctx := context.Background()

	_, js := connect(t, srv.URL())
	missed := sessionEvents(t, 5, "elsewhere")
	publishAll(t, js, a.cfg, missed)
	eventually(t, 5*time.Second, "A never applied the events", func() bool { return a.revoked(missed[4].Session) })
	s, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "A never re-published after the purge", func() bool { return a.repl.Health().Republished >= 6 })

	c.start()
	waitCaughtUp(t, c, 5*time.Second)
	for _, ev := range missed {
		eventually(t, 5*time.Second, "C never got an event purged before it applied it", func() bool { return c.revoked(ev.Session) })
	}
	last := streamInfo(t, js, DefaultStream).State.LastSeq
	eventually(t, 5*time.Second, "C not at the stream's end", func() bool {
		h := c.repl.Health()
		return h.AppliedSeq == last && h.Lag == 0 && h.Healthy
	})
	if h := a.repl.Health(); h.StreamResets != 1 {
		t.Errorf("A: health %+v, want the purge counted as one reset", h)
	}
	if _, err := c.repl.Revoked(newID(t), "", time.Now()); err != nil {
		t.Errorf("Revoked once caught up: %v", err)
	}
}

// The stream's last message deleted by hand (nats stream rmm) before an
// instance applied it leaves the stream's last sequence above anything the
// instance can apply: once it has every remaining message it must count as
// in contact, not go stale until the next revocation.
func TestContactWithLastMessageDeleted(t *testing.T) {
	srv := natstest.Start(t)
	clock := fake.NewClock(time.Now())
	a := newInstance(t, srv.URL(), "a", func(c *Config) { c.FailClosedWhenStale = true; c.Now = clock.Now })
	waitCaughtUp(t, a, 5*time.Second)
	a.stop()

	_, js := connect(t, srv.URL())
	evs := sessionEvents(t, 2, "elsewhere")
	publishAll(t, js, a.cfg, evs)
	ctx := context.Background()
	s, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMsg(ctx, streamInfo(t, js, DefaultStream).State.LastSeq); err != nil {
		t.Fatal(err)
	}

	a.start()
	waitCaughtUp(t, a, 5*time.Second)
	eventually(t, 5*time.Second, "A never applied the remaining event", func() bool {
		_, err := a.repl.Revoked(newID(t), "", time.Now())
		return a.revoked(evs[0].Session) && err == nil
	})
	clock.Advance(3 * time.Second) // past Staleness (2s)
	eventually(t, 5*time.Second, "A stays stale with every remaining message applied", func() bool {
		_, err := a.repl.Revoked(newID(t), "", time.Now())
		return err == nil
	})
	if a.revoked(evs[1].Session) {
		t.Error("a deleted message was applied")
	}
}

// After the wall clock steps back (an NTP correction), contact recorded
// before the step must not keep the replica fresh for the size of the
// step: staleness counts from the latest contact as the clock now reads.
func TestStalenessAfterClockStepsBack(t *testing.T) {
	clock := fake.NewClock(time.Now())
	r, _ := bareReplicator(t, Config{Now: clock.Now, FailClosedWhenStale: true, Staleness: 2 * time.Second, Heartbeat: 500 * time.Millisecond})
	r.caughtUp.Store(true)
	r.caughtUpOnce.Store(true)
	r.consumerLive.Store(true)

	r.touchAt(clock.Now().UnixNano())
	clock.Advance(-time.Hour)
	// Contact an hour "in the future" proves nothing about now.
	if _, err := r.Revoked(newID(t), "", time.Now()); !errors.Is(err, ErrStale) {
		t.Errorf("Revoked right after the clock stepped back an hour: %v, want ErrStale", err)
	}
	r.touchAt(clock.Now().UnixNano()) // contact after the step
	if _, err := r.Revoked(newID(t), "", time.Now()); err != nil {
		t.Fatalf("Revoked right after contact: %v", err)
	}
	clock.Advance(3 * time.Second) // no contact since, past Staleness
	if _, err := r.Revoked(newID(t), "", time.Now()); !errors.Is(err, ErrStale) {
		t.Errorf("Revoked 3s after the last contact: %v, want ErrStale", err)
	}
	if h := r.Health(); !h.Stale || h.Healthy {
		t.Errorf("health %+v, want stale", h)
	}
}
