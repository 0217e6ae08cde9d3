package main

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

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
