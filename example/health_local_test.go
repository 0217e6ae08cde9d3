package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/tmpfs"
)

// floodLogouts makes sessions (a cart) and logs them out, each logout a
// revocation, until a logout is refused or max were made. It returns the
// refused response and the client whose logout it was.
func floodLogouts(t *testing.T, base string, max int) (*testutil.Response, *testutil.Client) {
	t.Helper()
	for range max {
		c := testutil.NewClient(t, base, nil)
		if resp := c.PostForm("/cart/add", url.Values{"product": {"beans"}, "qty": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("cart add: %d %s", resp.StatusCode, resp.Body)
		}
		if resp := c.PostForm("/logout", nil); resp.StatusCode != http.StatusSeeOther {
			return resp, c
		}
	}
	t.Fatalf("%d logouts and none refused", max)
	return nil, nil
}

// floodUntilUnhealthy floods base with logouts until one is refused and
// /healthz still says why. A refusal can be undone at once: Badger deletes
// a memtable's log once its flush is done, and the store finds the space
// back. It returns the refused logout, its client and /healthz's answer.
func floodUntilUnhealthy(t *testing.T, base string) (refused *testutil.Response, c *testutil.Client, health *testutil.Response) {
	t.Helper()
	for range 10 {
		refused, c = floodLogouts(t, base, 50_000)
		if health = c.Get("/healthz"); health.StatusCode != http.StatusOK {
			break
		}
	}
	return refused, c, health
}

// TestDiskFullLogoutAndHealth: with the data directory on a 4 MiB tmpfs, a
// flood of logouts ends in a clear 503 page that saved nothing, and
// /healthz answers 503 with the reason and the free space; once the
// filesystem grows, logouts work again and /healthz is 200.
func TestDiskFullLogoutAndHealth(t *testing.T) {
	mnt := tmpfs.Mount(t, "4m")
	s := newSite(t, func(cfg *Config) {
		cfg.DataDir = filepath.Join(mnt, "data")
		// The real clock: Badger's TTL uses it, and would drop entries made
		// by the fake clock's past as expired, freeing the disk.
		cfg.Now = time.Now
	})

	resp, c, h := floodUntilUnhealthy(t, s.http.URL)
	wantStatus(t, "logout on a full disk", resp, http.StatusServiceUnavailable)
	wantBody(t, "logout on a full disk", resp, "short of disk space", "Nothing was changed", "try again")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	// Nothing saved: the session (its cart) is still there, for the retry.
	wantBody(t, "cart after the refused logout", c.Get("/cart"), "Coffee beans")

	wantStatus(t, "/healthz on a full disk", h, http.StatusServiceUnavailable)
	wantBody(t, "/healthz on a full disk", h, "revocation store refuses writes: disk full:", "MiB free, below the reserve of", `"writes_refused": true`)
	if strings.Contains(h.Body, s.cfg.DataDir) {
		t.Errorf("/healthz names the data directory:\n%s", h.Body)
	}
	wantBody(t, "/metrics on a full disk", c.Get("/metrics"), "sealed_revocation_writes_refused 1")

	tmpfs.Resize(t, mnt, "16m")
	wantRedirect(t, "logout once space returned", c.PostForm("/logout", nil), "/")
	wantStatus(t, "/healthz once space returned", c.Get("/healthz"), http.StatusOK)
}

// TestHealthzKeyringReloadFailing: a keyring file changed into one the
// instance can't load makes /healthz 503 "keyring reload failing", while
// it keeps reporting the keyring in use.
func TestHealthzKeyringReloadFailing(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	var before healthReport
	if err := json.Unmarshal([]byte(c.Get("/healthz").Body), &before); err != nil {
		t.Fatal(err)
	}
	path := s.cfg.KeyringFile
	if err := os.WriteFile(path, []byte(`{"version": 1, "keys": "not a list"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if err := s.keys.Reload(); err == nil {
		t.Fatal("Reload of an invalid file succeeded")
	}
	resp := c.Get("/healthz")
	wantStatus(t, "/healthz with a stale keyring", resp, http.StatusServiceUnavailable)
	wantBody(t, "/healthz with a stale keyring", resp, `keyring reload failing: keyring: invalid keyring file`,
		`"primary": "`+before.Keyring.Primary+`"`, `"keys": 1`, `"reload_failures": 1`)
	if strings.Contains(resp.Body, path) {
		t.Errorf("/healthz names the keyring file:\n%s", resp.Body)
	}
	wantBody(t, "/metrics with a stale keyring", c.Get("/metrics"), "sealed_keyring_reload_stale 1", "sealed_keyring_reload_failures_total 1")
}
