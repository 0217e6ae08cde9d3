package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sealedmetrics/metricstest"
)

// scrapeSite GETs /metrics and reads its sealed_ families.
func scrapeSite(t *testing.T, c *testutil.Client) metricstest.Scrape {
	t.Helper()
	resp := c.Get("/metrics")
	wantStatus(t, "GET /metrics", resp, http.StatusOK)
	return metricstest.Parse(t, strings.NewReader(resp.Body))
}

// TestMetrics scrapes /metrics around the events each family counts: a
// visit, a login, a logout, a replayed and a forged cookie, a key rotation,
// a broken keyring file, a housekeeping run. The families no request can
// move are covered elsewhere: too_large (TestLargestSessionFits shows no
// form input reaches it), revoker and write errors (sealedmetrics'
// TestFamiliesMove, on a closed store), replication
// (TestReplicationAcrossInstances, with --nats).
func TestMetrics(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	before := scrapeSite(t, c)

	greeting(t, c)
	login(t, c, "alice", "alice-password")
	greeting(t, c)
	stolen := c.Cookie("session")
	wantRedirect(t, "logout", c.PostForm("/logout", nil), "/")
	thief := s.client()
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value, Path: "/"})
	greeting(t, thief)
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value[:len(stolen.Value)-4] + "AAAA", Path: "/"})
	greeting(t, thief)

	bob := s.client()
	login(t, bob, "bob", "bob-password")
	if _, err := keyring.Update(s.cfg.KeyringFile, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		k, _, err := k.Rotate(time.Now())
		return k, err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.keys.Reload(); err != nil {
		t.Fatal(err)
	}
	greeting(t, bob) // opens under the old key, re-sealed under the new
	greeting(t, bob)
	if err := os.WriteFile(s.cfg.KeyringFile, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.keys.Reload(); err == nil {
		t.Fatal("a broken keyring file reloaded")
	}
	if err := s.store.RunGC(context.Background()); err != nil {
		t.Fatal(err)
	}

	after := scrapeSite(t, c)
	metricstest.CheckMoved(t, before, after,
		"sealed_sessions_new_total", "sealed_sessions_saved_total", "sealed_sessions_opened_total",
		"sealed_sessions_deleted_total", "sealed_sessions_resealed_total",
		"sealed_sessions_refused_total{reason=revoked}", "sealed_sessions_refused_total{reason=tampered}",
		"sealed_sessions_cache_hits_total", "sealed_sessions_cache_misses_total",
		"sealed_keyring_keys{use=open}", "sealed_keyring_reload_failures_total", "sealed_keyring_reload_stale",
		"sealed_revocation_entries{kind=session}", "sealed_revocation_writes_total",
		"sealed_revocation_write_duration_seconds", "sealed_revocation_last_gc_timestamp_seconds",
	)
	opens := 0
	for k, v := range after.Values {
		if strings.HasPrefix(k, "sealed_sessions_key_opens_total{") && v > 0 {
			opens++
		}
	}
	if opens != 2 {
		t.Errorf("sealed_sessions_key_opens_total moved for %d keys, want 2 (the old key, then the new one)", opens)
	}
	if after.Values["sealed_keyring_keys{use=seal}"] != 1 {
		t.Error(`sealed_keyring_keys{use="seal"} is not 1`)
	}
	if len(before.Types) < 15 {
		t.Errorf("/metrics has %d sealed_ families, want those of sessions, keyring and revocation", len(before.Types))
	}
	metricstest.CheckTypes(t, before)
}
