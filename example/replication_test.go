package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// healthz decodes GET /healthz and returns it with its status code.
func healthz(t *testing.T, c *testutil.Client) (int, healthReport) {
	t.Helper()
	resp := c.Get("/healthz")
	var h healthReport
	if err := json.Unmarshal([]byte(resp.Body), &h); err != nil {
		t.Fatalf("GET /healthz: %v in %s", err, resp.Body)
	}
	if h.Replication == nil {
		t.Fatalf("GET /healthz with --nats has no replication section:\n%s", resp.Body)
	}
	return resp.StatusCode, h
}

// waitState waits until /healthz reports the replica in state with
// status code code, and returns the report.
func waitState(t *testing.T, c *testutil.Client, state natsrepl.HealthState, code int) healthReport {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, h := healthz(t, c)
		if got == code && h.Replication.State == state {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not %d with replication state %q after 15s: %d %+v", code, state, got, *h.Replication)
		}
		time.Sleep(20 * time.Millisecond) // waiting on the replicator's goroutines, not on a clock
	}
}

// openReplica opens a site replicating through url with the shared
// keyring file keys; edit, if not nil, changes the Config further.
func openReplica(t *testing.T, url, node, keys string, edit func(*Config)) *site {
	t.Helper()
	return newSite(t, func(c *Config) {
		c.NATSURL, c.Node, c.KeyringFile = url, node, keys
		if edit != nil {
			edit(c)
		}
	})
}

// TestFailClosedWhenStale: with NATS out of reach past the staleness limit,
// an instance with FailClosedWhenStale refuses sessions; one without keeps
// serving from the list it has.
func TestFailClosedWhenStale(t *testing.T) {
	ns := natstest.Start(t)
	keys := filepath.Join(t.TempDir(), "keyring.json")
	strict := openReplica(t, ns.URL(), "strict", keys, func(c *Config) { c.FailClosedWhenStale = true })
	lax := openReplica(t, ns.URL(), "lax", keys, nil)
	cl := lax.client()
	waitHealthy(t, cl)
	waitHealthy(t, strict.client())
	login(t, cl, "bob", "bob-password")
	bob := &http.Cookie{Name: "session", Value: cl.Cookie("session").Value, Path: "/"}

	ns.Stop()
	for _, s := range []*site{strict, lax} {
		s.clock.Advance(31 * time.Second)
	}
	tests := []struct {
		s    *site
		want string
	}{
		{strict, "Hello, Guest"},
		{lax, "Hello, bob"},
	}
	for _, tt := range tests {
		c := tt.s.client()
		waitState(t, c, natsrepl.StateStale, http.StatusServiceUnavailable)
		c.SetCookie(bob)
		if got := greeting(t, c); got != tt.want {
			t.Errorf("%s, stale: %q, want %q", tt.s.cfg.Node, got, tt.want)
		}
	}
}

// TestNATSPasswordRedacted: a user and password in --nats connect to a
// server that requires them, and never reach the logs, whether the
// password is right or wrong.
func TestNATSPasswordRedacted(t *testing.T) {
	pw := rand.Text()
	ns := natstest.Start(t, func(o *server.Options) { o.Username, o.Password = "sealed", pw })
	host := strings.TrimPrefix(ns.URL(), "nats://")
	keys := filepath.Join(t.TempDir(), "keyring.json")
	tests := []struct {
		name, pw string
		wantLog  string
		wantCode int
	}{
		{"right password", pw, "caught up with the revocation stream", http.StatusOK},
		{"wrong password", rand.Text(), "not caught up with the revocation stream: listening anyway", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, logs, cancel, done := startRun(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--keyring", keys,
				"--nats", "nats://sealed:"+tt.pw+"@"+host, "--node", "a", "--catch-up-timeout", "5s")
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("no %q in the logs:\n%s", tt.wantLog, logs)
			}
			if code, _ := healthz(t, testutil.NewClient(t, base, nil)); code != tt.wantCode {
				t.Errorf("/healthz: %d, want %d", code, tt.wantCode)
			}
			stopRun(t, cancel, done, logs)
			if strings.Contains(logs.String(), tt.pw) {
				t.Errorf("the password is in the logs:\n%s", logs)
			}
		})
	}
}

// TestHealthzStates walks /healthz through every state of the replica with
// a real NATS server: catching up (503) while NATS was down since Open, ok
// once caught up, degraded (still 200) while NATS is down again but not yet
// for the staleness limit (the consumer restarts, a logout waits in the
// outbox), stale (503) past that limit, and ok again, with the logout
// published, when NATS is back.
func TestHealthzStates(t *testing.T) {
	ns := natstest.Start(t)
	url := ns.URL()
	ns.Stop()
	s := openReplica(t, url, "a", filepath.Join(t.TempDir(), "keyring.json"), func(c *Config) {
		c.CatchUpTimeout = 100 * time.Millisecond
	})
	c := s.client()

	code, h := healthz(t, c)
	if code != http.StatusServiceUnavailable || h.Status != "unhealthy" || h.Replication.State != natsrepl.StateCatchingUp || h.Replication.CaughtUp {
		t.Errorf("NATS down since Open: %d %q %+v, want 503 unhealthy catching-up", code, h.Status, *h.Replication)
	}

	ns.Restart()
	h = waitState(t, c, natsrepl.StateOK, http.StatusOK)
	if h.Status != "ok" {
		t.Errorf("caught up: status %q, want ok", h.Status)
	}

	login(t, c, "bob", "bob-password")
	ns.Stop()
	wantRedirect(t, "logout with NATS down", c.PostForm("/logout", nil), "/")
	h = waitState(t, c, natsrepl.StateDegraded, http.StatusOK)
	if h.Status != "degraded" || h.Replication.OutboxDepth == 0 {
		t.Errorf("NATS down, a logout waiting in the outbox: status %q %+v, want degraded with the logout in the outbox", h.Status, *h.Replication)
	}

	s.clock.Advance(31 * time.Second) // past Staleness
	h = waitState(t, c, natsrepl.StateStale, http.StatusServiceUnavailable)
	if h.Status != "unhealthy" || !h.Replication.Stale {
		t.Errorf("stale: status %q %+v, want unhealthy", h.Status, *h.Replication)
	}

	ns.Restart()
	h = waitState(t, c, natsrepl.StateOK, http.StatusOK)
	if h.Replication.OutboxDepth != 0 {
		t.Errorf("back in contact: outbox depth %d, want the logout published", h.Replication.OutboxDepth)
	}
}

// TestRefusedUntilCaughtUp: an instance started while NATS is down may
// lack revocations made elsewhere meanwhile, so it refuses sessions (fails
// closed) until its first catch-up, then serves them.
func TestRefusedUntilCaughtUp(t *testing.T) {
	ns := natstest.Start(t)
	keys := filepath.Join(t.TempDir(), "keyring.json")
	a := openReplica(t, ns.URL(), "a", keys, nil)
	ca := a.client()
	waitHealthy(t, ca)
	login(t, ca, "bob", "bob-password")
	bob := ca.Cookie("session")

	ns.Stop()
	late := openReplica(t, ns.URL(), "late", keys, func(c *Config) { c.CatchUpTimeout = 100 * time.Millisecond })
	cl := late.client()
	greet := func() string {
		cl.SetCookie(&http.Cookie{Name: "session", Value: bob.Value, Path: "/"})
		return greeting(t, cl)
	}
	if got := greet(); got != "Hello, Guest" {
		t.Errorf("before its first catch-up, the late instance greets bob's cookie with %q, want Hello, Guest (fail closed)", got)
	}

	ns.Restart()
	waitHealthy(t, cl)
	if got := greet(); got != "Hello, bob" {
		t.Errorf("caught up: %q, want Hello, bob", got)
	}
}

// TestNATSNKeyFlag: --nats-nkey FILE authenticates to a server that knows
// only that NKey; without it the instance never catches up; a missing file
// is an error that names it.
func TestNATSNKeyFlag(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	ns := natstest.Start(t, func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} })
	keys := filepath.Join(t.TempDir(), "keyring.json")
	args := func(extra ...string) []string {
		return append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--keyring", keys, "--nats", ns.URL(), "--node", "a"}, extra...)
	}

	base, logs, cancel, done := startRun(t, args("--nats-nkey", seedFile)...)
	if code, _ := healthz(t, testutil.NewClient(t, base, nil)); code != http.StatusOK {
		t.Errorf("/healthz with --nats-nkey: %d; logs:\n%s", code, logs)
	}
	stopRun(t, cancel, done, logs)
	if strings.Contains(logs.String(), string(seed)) {
		t.Errorf("the seed is in the logs:\n%s", logs)
	}

	base, logs, cancel, done = startRun(t, args("--catch-up-timeout", "300ms")...)
	if code, _ := healthz(t, testutil.NewClient(t, base, nil)); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz without the nkey: %d, want 503", code)
	}
	stopRun(t, cancel, done, logs)

	missing := filepath.Join(t.TempDir(), "missing.nk")
	ctx, stop := context.WithTimeout(t.Context(), 30*time.Second) // bounded, should run start serving
	defer stop()
	err = run(ctx, args("--nats-nkey", missing), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("--nats-nkey %s: %v, want an error naming the file", missing, err)
	}
}
