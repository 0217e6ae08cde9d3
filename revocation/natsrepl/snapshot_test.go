package natsrepl

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

// countingStore records what every Apply carried: how many events, and
// the stream sequence of the position stored with them.
type countingStore struct {
	*revocation.Store
	mu      sync.Mutex
	applies []applied
}

type applied struct {
	events int
	seq    uint64
}

func (c *countingStore) Apply(ctx context.Context, evs []revocation.Event, cur revocation.Cursor) error {
	err := c.Store.Apply(ctx, evs, cur)
	if err == nil && len(evs) > 0 {
		seq, _, _ := decodeCursor(cur.Value)
		c.mu.Lock()
		c.applies = append(c.applies, applied{len(evs), seq})
		c.mu.Unlock()
	}
	return err
}

// split returns the events applied with the position at seq exactly
// (the snapshot's) and the events applied with a later position.
func (c *countingStore) split(seq uint64) (at, after int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.applies {
		switch {
		case a.seq == seq:
			at += a.events
		case a.seq > seq:
			after += a.events
		}
	}
	return at, after
}

// joiner starts an empty instance whose store counts what it applies.
func joiner(t *testing.T, url, node string) (*instance, *countingStore) {
	t.Helper()
	return registryJoiner(t, url, node, 0)
}

// registryJoiner is joiner with the login registry on (logins per user)
// and mods applied to its Config.
func registryJoiner(t *testing.T, url, node string, logins int, mods ...func(*Config)) (*instance, *countingStore) {
	t.Helper()
	cfg := Config{URL: url, Node: node, Heartbeat: 500 * time.Millisecond, Staleness: 2 * time.Second,
		Logger: testLogger(t).With("test_node", node), Keys: clusterKeys, SnapshotEvery: -1}
	for _, m := range mods {
		m(&cfg)
	}
	in := &instance{t: t, node: node, dir: filepath.Join(t.TempDir(), node), cfg: cfg}
	t.Cleanup(in.stop)
	st, err := revocation.Open(in.dir, revocation.Config{Node: node, Outbox: true, GCInterval: -1, Logger: cfg.Logger, LoginsPerUser: logins})
	if err != nil {
		t.Fatal(err)
	}
	in.store = st
	cs := &countingStore{Store: st}
	r, err := Start(context.Background(), cs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in.repl = r
	return in, cs
}

// seeded starts instance a, has it apply n session events and a user
// cut-off from the stream, and returns it with the events.
func seeded(t *testing.T, url string, n int) (*instance, jetstream.JetStream, []revocation.Event, revocation.Event) {
	t.Helper()
	a := newInstance(t, url, "a", func(c *Config) { c.SnapshotEvery = -1 })
	_, js := connect(t, url)
	evs := sessionEvents(t, n, "x")
	user, err := revocation.UserEvent("x", "alice", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	publishAll(t, js, a.cfg, append(evs, user))
	waitCaughtUp(t, a, 10*time.Second)
	return a, js, evs, user
}

func TestJoinFromSnapshot(t *testing.T) {
	srv := natstest.Start(t)
	a, js, evs, _ := seeded(t, srv.URL(), 300)
	if err := a.repl.PublishSnapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	snapSeq := a.repl.Health().AppliedSeq
	tail := sessionEvents(t, 20, "x")
	publishAll(t, js, a.cfg, tail)

	b, cs := joiner(t, srv.URL(), "b")
	waitCaughtUp(t, b, 10*time.Second)
	h := b.repl.Health()
	if h.SnapshotSeq != snapSeq || h.RejectedSnapshots != 0 {
		t.Fatalf("health %+v: want joined from snapshot seq %d, none rejected", h, snapSeq)
	}
	at, after := cs.split(snapSeq)
	if at != len(evs)+1 || after != len(tail) {
		t.Errorf("applied %d events from the snapshot and %d after it, want %d and %d (only the tail replayed)", at, after, len(evs)+1, len(tail))
	}
	for _, ev := range append(evs, tail...) {
		if !b.revoked(ev.Session) {
			t.Fatalf("session %x not revoked on the joiner", ev.Session)
		}
	}
	dead, err := b.repl.Revoked(newID(t), "alice", time.Now().Add(-time.Minute))
	if err != nil || !dead {
		t.Errorf("alice's older session: revoked %v, %v; want the user cut-off in force", dead, err)
	}
	if dead, err := b.repl.Revoked(newID(t), "bob", time.Now().Add(-time.Minute)); err != nil || dead {
		t.Errorf("bob's session: revoked %v, %v; want live", dead, err)
	}
}

// putSnapshot stores a snapshot signed with ring under name, as a node would.
func putSnapshot(t *testing.T, js jetstream.JetStream, ring *keyring.Keyring, name string, sn listSnapshot) {
	t.Helper()
	ctx := context.Background()
	body, err := encodeSnapshot(sn)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := js.ObjectStore(ctx, SnapshotBucket(""))
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: SnapshotBucket("")})
	}
	if err != nil {
		t.Fatal(err)
	}
	msg := sign(ring, snapMACSubject(DefaultStream), body)
	meta := jetstream.ObjectMeta{Name: name, Headers: msg.Header, Metadata: map[string]string{snapSeqMeta: "999999"}}
	if _, err := obs.Put(ctx, meta, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
}

func TestJoinIgnoresBadSnapshots(t *testing.T) {
	srv := natstest.Start(t)
	_, js, evs, _ := seeded(t, srv.URL(), 50)
	info := streamInfo(t, js, DefaultStream)
	planted := sessionEvents(t, 1, "forger")
	forged := listSnapshot{seq: info.State.LastSeq, created: info.Created, made: time.Now(), events: planted}
	putSnapshot(t, js, mustRing(t), "forged", forged) // another keyring
	tooNew := forged
	tooNew.seq = info.State.LastSeq + 10
	putSnapshot(t, js, clusterRing(), "too-new", tooNew)

	b, cs := joiner(t, srv.URL(), "b")
	waitCaughtUp(t, b, 10*time.Second)
	h := b.repl.Health()
	if h.SnapshotSeq != 0 || h.RejectedSnapshots != 2 {
		t.Fatalf("health %+v: want no snapshot used, 2 rejected", h)
	}
	if _, after := cs.split(0); after != len(evs)+1 {
		t.Errorf("replayed %d events, want the whole stream's %d", after, len(evs)+1)
	}
	if b.revoked(planted[0].Session) {
		t.Error("the forged snapshot's session is revoked on the joiner")
	}
}

func TestJoinIgnoresSnapshotOfDeletedStream(t *testing.T) {
	srv := natstest.Start(t)
	a, js, _, _ := seeded(t, srv.URL(), 50)
	if err := a.repl.PublishSnapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.stop()
	ctx := context.Background()
	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatal(err)
	}
	cfg, err := a.cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, cfg.streamConfig()); err != nil {
		t.Fatal(err)
	}
	fresh := sessionEvents(t, 60, "x")
	publishAll(t, js, a.cfg, fresh)

	b, cs := joiner(t, srv.URL(), "b")
	waitCaughtUp(t, b, 10*time.Second)
	h := b.repl.Health()
	if h.SnapshotSeq != 0 || h.RejectedSnapshots != 1 {
		t.Fatalf("health %+v: want the old stream's snapshot rejected", h)
	}
	if _, after := cs.split(0); after != len(fresh) {
		t.Errorf("replayed %d events, want the new stream's %d", after, len(fresh))
	}
}

// An instance away for longer than the stream keeps events (here: the
// events after its position purged) joins from the snapshot instead of
// missing them.
func TestLongAwayJoinsFromSnapshot(t *testing.T) {
	srv := natstest.Start(t)
	a, js, _, _ := seeded(t, srv.URL(), 50)
	b := newInstance(t, srv.URL(), "b", func(c *Config) { c.SnapshotEvery = -1 })
	waitCaughtUp(t, b, 10*time.Second)
	b.stop()
	away := sessionEvents(t, 30, "x")
	publishAll(t, js, a.cfg, away)
	waitCaughtUp(t, a, 10*time.Second)
	if err := a.repl.PublishSnapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	snapSeq := a.repl.Health().AppliedSeq
	tail := sessionEvents(t, 5, "x")
	publishAll(t, js, a.cfg, tail)
	ctx := context.Background()
	s, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSequence(snapSeq-10)); err != nil {
		t.Fatal(err)
	}
	b.start()
	waitCaughtUp(t, b, 10*time.Second)
	if h := b.repl.Health(); h.SnapshotSeq != snapSeq || h.MissedEvents {
		t.Fatalf("health %+v: want joined from snapshot seq %d, no missed events", h, snapSeq)
	}
	for _, ev := range append(away, tail...) {
		if !b.revoked(ev.Session) {
			t.Fatalf("session %x not revoked on the instance back from away", ev.Session)
		}
	}
}

// TestReplayWholeStreamSkipsSnapshots: with Config.ReplayWholeStream a new
// replica ignores the snapshot another one joins from and applies every
// event from the stream.
func TestReplayWholeStreamSkipsSnapshots(t *testing.T) {
	srv := natstest.Start(t)
	a, _, evs, _ := seeded(t, srv.URL(), 50)
	if err := a.repl.PublishSnapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := joiner(t, srv.URL(), "b")
	waitCaughtUp(t, b, 10*time.Second)
	if b.repl.Health().SnapshotSeq == 0 {
		t.Fatal("a plain joiner did not join from the snapshot: the test shows nothing")
	}
	c, cs := registryJoiner(t, srv.URL(), "c", 0, func(cfg *Config) { cfg.ReplayWholeStream = true })
	waitCaughtUp(t, c, 10*time.Second)
	if h := c.repl.Health(); h.SnapshotSeq != 0 {
		t.Fatalf("joined from the snapshot at seq %d despite ReplayWholeStream", h.SnapshotSeq)
	}
	if at, after := cs.split(0); at+after != len(evs)+1 {
		t.Errorf("applied %d events, want all %d from the stream", at+after, len(evs)+1)
	}
	for _, ev := range evs {
		if !c.revoked(ev.Session) {
			t.Fatalf("session %x not revoked on the replica", ev.Session)
		}
	}
}
