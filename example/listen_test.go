package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
)

// TestAdminAddr: with --admin-addr, /healthz (keyring included) and
// /metrics answer there and 404 on the site's address.
func TestAdminAddr(t *testing.T) {
	s := newSite(t, func(c *Config) { c.Addr, c.AdminAddr = "127.0.0.1:0", "127.0.0.1:0" })
	if s.AdminURL() == "" || s.AdminURL() == s.URL() {
		t.Fatalf("AdminURL %q, URL %q: want two addresses", s.AdminURL(), s.URL())
	}
	site := testutil.NewClient(t, s.URL(), nil)
	for _, path := range []string{"/healthz", "/metrics"} {
		if resp := site.Get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s on the site's address: %d, want 404", path, resp.StatusCode)
		}
	}
	if got := greeting(t, site); got != "Hello, Guest" {
		t.Errorf("the site itself: %q", got)
	}

	admin := testutil.NewClient(t, s.AdminURL(), nil)
	resp := admin.Get("/healthz")
	var h healthReport
	if err := json.Unmarshal([]byte(resp.Body), &h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin /healthz: %d %v\n%s", resp.StatusCode, err, resp.Body)
	}
	if want := s.keys.Keyring().Primary().ID; h.Keyring.Primary != want || h.Keyring.Keys != 1 || h.Status != "ok" {
		t.Errorf("admin /healthz: %+v, want status ok and keyring {1 %s}", h, want)
	}
	if resp := admin.Get("/metrics"); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "sealed_revocation_entries") {
		t.Errorf("admin /metrics: %d\n%.300s", resp.StatusCode, resp.Body)
	}
	if resp := admin.Get("/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("admin /: %d, want 404 (the site is not served there)", resp.StatusCode)
	}
	if resp := admin.PostForm("/healthz", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST admin /healthz: %d, want 405", resp.StatusCode)
	}
}

// TestRunAdminAddr: the flag, and the log line that says where.
func TestRunAdminAddr(t *testing.T) {
	_, logs, cancel, done := startRun(t, "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", t.TempDir())
	if !strings.Contains(logs.String(), "operations endpoints (/healthz, /metrics) listening") {
		t.Errorf("no admin address in the logs:\n%s", logs)
	}
	stopRun(t, cancel, done, logs)
}
