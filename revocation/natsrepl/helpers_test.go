package natsrepl

import (
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nats.go v1.55.0 starts this goroutine on the first PublishAsync;
		// it reads its status channel under a lock when it gets to run. If
		// CleanupPublisher (called by Close on a caller's connection) has
		// already set that channel to nil, it blocks on a nil channel for
		// good: an upstream race, not ours, seen rarely in TestExistingConn.
		goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"),
	)
}

// clusterRing is the keyring every test instance uses unless told
// otherwise: the cluster's shared keyring.
var clusterRing = sync.OnceValue(func() *keyring.Keyring {
	k, err := keyring.New(time.Now())
	if err != nil {
		panic(err)
	}
	return k
})

// clusterKeys is Config.Keys for the cluster's keyring.
func clusterKeys() *keyring.Keyring { return clusterRing() }

// testLogger logs to t while the test runs, and drops what comes later
// (a goroutine still shutting down must not log into a finished test).
func testLogger(t testing.TB) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// instance is one app node: its own Badger directory, store and replicator.
type instance struct {
	t     testing.TB
	node  string
	dir   string
	cfg   Config
	store *revocation.Store
	repl  *Replicator
	// logins is the store's LoginsPerUser: 0, the login registry off.
	logins int
}

// newInstance opens a store in a fresh directory and starts a replicator
// with cfg (URL and Node filled in). It stops with t.Cleanup.
func newInstance(t testing.TB, url, node string, mods ...func(*Config)) *instance {
	t.Helper()
	return newRegistryInstance(t, url, node, 0, mods...)
}

// newRegistryInstance is newInstance with the store's login registry
// keeping logins per user (0: off).
func newRegistryInstance(t testing.TB, url, node string, logins int, mods ...func(*Config)) *instance {
	t.Helper()
	cfg := Config{
		URL:       url,
		Node:      node,
		Heartbeat: 500 * time.Millisecond,
		Staleness: 2 * time.Second,
		Logger:    testLogger(t).With("test_node", node),
		Keys:      clusterKeys,
	}
	for _, m := range mods {
		m(&cfg)
	}
	in := &instance{t: t, node: node, dir: filepath.Join(t.TempDir(), node), cfg: cfg, logins: logins}
	t.Cleanup(in.stop)
	in.start()
	return in
}

func (in *instance) start() {
	in.t.Helper()
	st, err := revocation.Open(in.dir, revocation.Config{
		Node:          in.node,
		Outbox:        true,
		GCInterval:    -1,
		LoginsPerUser: in.logins,
		Logger:        in.cfg.Logger,
		Now:           in.cfg.Now,
	})
	if err != nil {
		in.t.Fatalf("open store %s: %v", in.node, err)
	}
	in.store = st
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := Start(ctx, st, in.cfg)
	if err != nil {
		st.Close()
		in.store = nil
		in.t.Fatalf("start replicator %s: %v", in.node, err)
	}
	in.repl = r
}

// stop closes the replicator and the store; stopping twice is fine.
func (in *instance) stop() {
	if in.repl != nil {
		if err := in.repl.Close(); err != nil {
			in.t.Errorf("close replicator %s: %v", in.node, err)
		}
		in.repl = nil
	}
	if in.store != nil {
		if err := in.store.Close(); err != nil {
			in.t.Errorf("close store %s: %v", in.node, err)
		}
		in.store = nil
	}
}

func (in *instance) revoked(id [16]byte) bool {
	in.t.Helper()
	dead, err := in.store.Revoked(id, "", time.Now())
	if err != nil {
		in.t.Fatalf("%s: Revoked: %v", in.node, err)
	}
	return dead
}

// eventually polls cond every 5 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// downAfterOne starts instances A and C (with cMods), has C apply one
// session revocation made on A, and stops C: the start of a test of an
// instance that comes back after missing events.
func downAfterOne(t testing.TB, url string, cMods ...func(*Config)) (a, c *instance, seen [16]byte) {
	t.Helper()
	a = newInstance(t, url, "a")
	c = newInstance(t, url, "c", cMods...)
	waitCaughtUp(t, c, 5*time.Second)
	seen = newID(t)
	if err := a.repl.RevokeSession(context.Background(), seen, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "C misses the first revocation", func() bool { return c.revoked(seen) })
	c.stop()
	return a, c, seen
}

// bareReplicator returns a Replicator over a real store in a temporary
// directory that was never started, for testing its steps one at a time.
// cfg gets a node, a URL and the test's logger, then its defaults.
func bareReplicator(t testing.TB, cfg Config) (*Replicator, *revocation.Store) {
	t.Helper()
	st, _ := revocationtest.Open(t, revocation.Config{Outbox: true, GCInterval: -1, Logger: testLogger(t)})
	cfg.Node, cfg.URL, cfg.Logger = "t", "x", testLogger(t)
	if cfg.Keys == nil {
		cfg.Keys = clusterKeys
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := &Replicator{cfg: cfg, store: st, log: cfg.Logger, ctx: ctx, progress: make(chan struct{}), cursorKey: "natsrepl/T", republishCh: make(chan struct{}, 1)}
	return r, st
}

// startErr starts a Replicator that should fail to start, closes it if it
// started anyway, and returns Start's error.
func startErr(ctx context.Context, st Store, cfg Config) error {
	r, err := Start(ctx, st, cfg)
	if err == nil {
		r.Close()
	}
	return err
}

func newID(t testing.TB) [16]byte {
	t.Helper()
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return id
}

// sessionEvents makes n session revocation events as another node would.
func sessionEvents(t testing.TB, n int, origin string) []revocation.Event {
	t.Helper()
	now := time.Now()
	evs := make([]revocation.Event, n)
	for i := range evs {
		evs[i] = revocation.Event{ID: newID(t), Kind: revocation.KindSession, Session: newID(t), At: now, Until: now.Add(time.Hour), Origin: origin}
	}
	return evs
}

// connect dials url for a test's own publishing; closed with t.Cleanup.
func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// publishAll publishes evs pipelined in chunks, as the outbox publisher does.
func publishAll(t testing.TB, js jetstream.JetStream, cfg Config, evs []revocation.Event) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for len(evs) > 0 {
		chunk := evs[:min(1000, len(evs))]
		evs = evs[len(chunk):]
		// A loaded machine can miss an acknowledgement's deadline: publish
		// again what was not acknowledged, as the outbox does (the stream
		// drops the duplicates by message ID).
		var err error
		for try := 0; len(chunk) > 0 && try < 5; try++ {
			var acked [][16]byte
			acked, err = publishEvents(ctx, js, cfg, clusterRing(), chunk)
			chunk = unacknowledged(chunk, acked)
		}
		if len(chunk) > 0 {
			t.Fatalf("publish: %d events never acknowledged, last err %v", len(chunk), err)
		}
	}
}

// unacknowledged returns the events of evs whose IDs are not in acked.
func unacknowledged(evs []revocation.Event, acked [][16]byte) []revocation.Event {
	done := make(map[[16]byte]bool, len(acked))
	for _, id := range acked {
		done[id] = true
	}
	var rest []revocation.Event
	for _, ev := range evs {
		if !done[ev.ID] {
			rest = append(rest, ev)
		}
	}
	return rest
}

// streamInfo is the stream's info as a test sees it.
func streamInfo(t testing.TB, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return s.CachedInfo()
}

func waitCaughtUp(t testing.TB, in *instance, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := in.repl.WaitCaughtUp(ctx); err != nil {
		t.Fatalf("%s: %v (health %+v)", in.node, err, in.repl.Health())
	}
}
