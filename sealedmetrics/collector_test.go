package sealedmetrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
	"github.com/sealedsessions/sealed/sealedmetrics"
	"github.com/sealedsessions/sealed/sealedmetrics/metricstest"
	"github.com/sealedsessions/sealed/sessions"
)

// instance is one application instance: a keyring file and its Watcher,
// a Badger store, a replicator, a Manager on top.
type instance struct {
	path  string
	keys  *keyring.Watcher
	store *revocation.Store
	repl  *natsrepl.Replicator
	m     *sessions.Manager
	reg   *prometheus.Registry
}

func startInstance(t *testing.T, url, node, keyPath string) *instance {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	in := &instance{path: keyPath, reg: prometheus.NewRegistry()}
	var err error
	if in.keys, err = keyring.Watch(keyPath, keyring.WatchOptions{Interval: time.Hour, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.keys.Close() })
	if in.store, err = revocation.Open(filepath.Join(t.TempDir(), node), revocation.Config{Node: node, Outbox: true, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if in.repl, err = natsrepl.Start(ctx, in.store, natsrepl.Config{URL: url, Node: node, Keys: in.keys.Keyring, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.repl.Close() })
	if err := in.repl.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	if in.m, err = sessions.New(sessions.Config{Keys: in.keys, Revoker: in.repl, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	in.reg.MustRegister(sealedmetrics.New(sealedmetrics.Config{Sessions: in.m, Keys: in.keys, Revocation: in.store, Replicator: in.repl}))
	return in
}

// do runs a request with cookies through the Manager and fn, and returns
// the session cookie the response set, if any.
func (in *instance) do(t *testing.T, cookies []*http.Cookie, fn func(r *http.Request, s *sessions.Session)) []*http.Cookie {
	t.Helper()
	h := in.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := in.m.Session(r)
		if err != nil {
			t.Fatal(err)
		}
		if fn != nil {
			fn(r, s)
		}
	}))
	req := httptest.NewRequest("GET", "https://example.test/", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result().Cookies()
}

// keyringFiles writes one fresh keyring to n files: instances that
// replicate to each other share their keys (events are signed under them).
func keyringFiles(t *testing.T, n int) []string {
	t.Helper()
	k, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range n {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("keyring%d.json", i))
		if err := keyring.Create(path, k); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

func TestLint(t *testing.T) {
	srv := natstest.Start(t)
	in := startInstance(t, srv.URL(), "a", keyringFiles(t, 1)[0])
	problems, err := testutil.GatherAndLint(in.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for name := range metricstest.Gather(t, in.reg).Types {
		if !strings.HasPrefix(name, "sealed_") {
			t.Errorf("metric %s lacks the sealed_ prefix", name)
		}
	}
}

// Leaving a component out leaves its metrics out, and the empty Collector
// collects nothing.
func TestPartsAreOptional(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(sealedmetrics.New(sealedmetrics.Config{}))
	if got := metricstest.Gather(t, reg).Values; len(got) != 0 {
		t.Errorf("an empty Config collects %v", got)
	}
	k, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	reg = prometheus.NewRegistry()
	reg.MustRegister(sealedmetrics.New(sealedmetrics.Config{Keys: k}))
	vals := metricstest.Gather(t, reg).Values
	want := map[string]float64{
		`sealed_keyring_keys{use=open}`:                                   1,
		`sealed_keyring_keys{use=seal}`:                                   1,
		fmt.Sprintf(`sealed_keyring_info{primary_id=%s}`, k.Primary().ID): 1,
	}
	if fmt.Sprint(vals) != fmt.Sprint(want) {
		t.Errorf("a plain keyring collects %v, want %v (no reload metrics without a Watcher)", vals, want)
	}
}

// Every family moves when its event happens, and has the type its name
// promises.
func TestFamiliesMove(t *testing.T) {
	srv := natstest.Start(t)
	paths := keyringFiles(t, 2)
	a := startInstance(t, srv.URL(), "a", paths[0])
	b := startInstance(t, srv.URL(), "b", paths[1])
	before := metricstest.Gather(t, a.reg)
	ctx := context.Background()

	// Sessions: a login saves, a visit opens, a forgery is refused, a
	// session too large is refused, a logout deletes and writes a
	// revocation, which travels to b.
	login := a.do(t, nil, func(r *http.Request, s *sessions.Session) {
		if err := s.Login(r.Context(), "alice"); err != nil {
			t.Error(err)
		}
	})
	a.do(t, login, nil)
	a.do(t, []*http.Cookie{{Name: "session", Value: login[0].Value[:len(login[0].Value)-4] + "AAAA"}}, nil)
	a.do(t, login, func(_ *http.Request, s *sessions.Session) { s.Set("big", strings.Repeat("x", 5000)) })
	a.do(t, login, func(r *http.Request, s *sessions.Session) {
		if err := s.Logout(r.Context()); err != nil {
			t.Error(err)
		}
	})
	// bob's session: the cache knows his cookie the second time; too many
	// flashes drop the oldest; a "log out everywhere" by another request
	// interrupts the save of his change.
	bob := a.do(t, nil, func(r *http.Request, s *sessions.Session) {
		if err := s.Login(r.Context(), "bob"); err != nil {
			t.Error(err)
		}
	})
	a.do(t, bob, nil)
	a.do(t, bob, func(_ *http.Request, s *sessions.Session) {
		for range 5 {
			s.AddFlash(strings.Repeat("x", 1000))
		}
	})
	a.do(t, bob, func(r *http.Request, s *sessions.Session) {
		if err := a.m.RevokeUser(r.Context(), "bob"); err != nil {
			t.Error(err)
		}
		s.Set("n", 1)
	})
	// A forger without the keyring publishes a revocation: b drops it.
	forged, err := revocation.UserEvent("forger", "carol", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	otherKeys, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := natsrepl.Publish(ctx, nc, natsrepl.Config{Keys: otherKeys.Keyring}, forged); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b rejects the forged event", func() bool { return b.repl.Health().RejectedEvents >= 1 })
	waitFor(t, "b applies a's revocation", func() bool { return b.store.Stats().Sessions == 1 })
	if err := a.store.RunGC(ctx); err != nil {
		t.Fatal(err)
	}

	// The keyring rotates (a cookie sealed under the old key is re-sealed),
	// then the file breaks.
	old := a.do(t, nil, func(_ *http.Request, s *sessions.Session) { s.Set("n", 1) })
	if _, err := keyring.Update(a.path, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		k, _, err := k.Rotate(time.Now())
		return k, err
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.keys.Reload(); err != nil {
		t.Fatal(err)
	}
	resealed := a.do(t, old, nil)
	a.do(t, resealed, nil)
	if err := os.WriteFile(a.path, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.keys.Reload(); err == nil {
		t.Fatal("a broken keyring file reloaded")
	}

	after := metricstest.Gather(t, a.reg)
	metricstest.CheckMoved(t, before, after,
		"sealed_sessions_opened_total", "sealed_sessions_new_total", "sealed_sessions_saved_total",
		"sealed_sessions_deleted_total", "sealed_sessions_too_large_total", "sealed_sessions_resealed_total",
		"sealed_sessions_refused_total{reason=tampered}", "sealed_sessions_interrupted_total",
		"sealed_sessions_flash_dropped_total", "sealed_sessions_cache_hits_total", "sealed_sessions_cache_misses_total",
		"sealed_keyring_keys{use=open}", "sealed_keyring_reload_failures_total", "sealed_keyring_reload_stale",
		"sealed_revocation_entries{kind=session}", "sealed_revocation_writes_total",
		"sealed_revocation_write_duration_seconds", "sealed_revocation_last_gc_timestamp_seconds",
	)
	if n := keyOpens(after.Values); len(n) != 2 || n[0] == 0 || n[1] == 0 {
		t.Errorf("sealed_sessions_key_opens_total: %v, want two keys with opens", n)
	}
	afterB := metricstest.Gather(t, b.reg).Values
	if afterB["sealed_replication_rejected_events_total"] != 1 { // once, even if delivered again after a consumer restart
		t.Errorf("b's sealed_replication_rejected_events_total = %v, want 1", afterB["sealed_replication_rejected_events_total"])
	}
	if afterB["sealed_replication_propagation_delay_seconds"] < 1 {
		t.Error("b's sealed_replication_propagation_delay_seconds did not count a's event")
	}
	for k, v := range map[string]float64{
		"sealed_replication_healthy": 1, "sealed_replication_caught_up": 1, "sealed_replication_stale": 0,
		"sealed_replication_state{state=ok}": 1, "sealed_replication_state{state=stale}": 0,
		"sealed_replication_nats_connected": 1,
	} {
		if after.Values[k] != v {
			t.Errorf("%s = %v, want %v", k, after.Values[k], v)
		}
	}

	// A closed store can't answer: the Manager fails closed and says so.
	a.repl.Close()
	a.store.Close()
	a.do(t, resealed, nil)
	end := metricstest.Gather(t, a.reg)
	metricstest.CheckMoved(t, after, end, "sealed_sessions_revoker_errors_total", "sealed_sessions_refused_total{reason=revoker_error}")
	if end.Values["sealed_replication_healthy"] != 0 {
		t.Error("sealed_replication_healthy stays 1 after Close")
	}
	if end.Values["sealed_replication_nats_connected"] != 0 {
		t.Error("sealed_replication_nats_connected stays 1 after Close closed the connection")
	}
	metricstest.CheckTypes(t, before)
	checkDocumented(t, before)
}

// keyOpens returns the key_opens counts, in any order.
func keyOpens(vals map[string]float64) []float64 {
	var out []float64
	for k, v := range vals {
		if strings.HasPrefix(k, "sealed_sessions_key_opens_total{") {
			out = append(out, v)
		}
	}
	return out
}

// checkDocumented checks that the package doc lists every family
// collected, and nothing else.
func checkDocumented(t *testing.T, s metricstest.Scrape) {
	t.Helper()
	types := s.Types
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, name := range regexp.MustCompile(`sealed_[a-z_]+`).FindAllString(string(doc), -1) {
		documented[strings.TrimSuffix(name, "_")] = true
	}
	for name := range types {
		if !documented[name] {
			t.Errorf("%s is not in the package doc", name)
		}
	}
	for name := range documented {
		if _, ok := types[name]; !ok {
			t.Errorf("the package doc lists %s, which is not collected", name)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
