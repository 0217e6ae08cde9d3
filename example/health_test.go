package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/revocation"
)

func TestHealthz(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	resp := c.Get("/healthz")
	wantStatus(t, "GET /healthz", resp, http.StatusOK)
	var h healthReport
	if err := json.Unmarshal([]byte(resp.Body), &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || !h.Revocation.OK || h.Keyring.Keys != 1 || h.Replication != nil {
		t.Errorf("health %+v", h)
	}

	login(t, c, "bob", "bob-password")
	wantRedirect(t, "logout", c.PostForm("/logout", nil), "/")
	json.Unmarshal([]byte(c.Get("/healthz").Body), &h)
	// Login cycled one ID, logout revoked another.
	if h.Revocation.Stats.Sessions < 1 {
		t.Errorf("revocation stats after logout: %+v", h.Revocation.Stats)
	}

	// A store that can't answer makes the site unhealthy.
	if err := s.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp = c.Get("/healthz")
	wantStatus(t, "GET /healthz with the store closed", resp, http.StatusServiceUnavailable)
	wantBody(t, "unhealthy", resp, `"status": "unhealthy"`, `"error": "revocation: store closed"`)
	if strings.Contains(resp.Body, s.cfg.DataDir) {
		t.Errorf("/healthz names the data directory:\n%s", resp.Body)
	}
}

// TestPublicStoreError: /healthz names what is wrong with the store, never
// the data directory or Badger's error.
func TestPublicStoreError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{revocation.ErrClosed, "revocation: store closed"},
		{fmt.Errorf("%w: %s: %v", revocation.ErrFailed, "/srv/secret-data/revocations", errors.New("sync: disk full")), "revocation: store failed"},
		{errors.New("open /srv/secret-data: permission denied"), "revocation: store unavailable"},
	}
	for _, tt := range tests {
		if got := publicStoreError(tt.err); got != tt.want {
			t.Errorf("publicStoreError(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestMetrics(t *testing.T) {
	s := newSite(t, nil)
	c := s.client()
	login(t, c, "alice", "alice-password")
	stolen := c.Cookie("session")
	wantRedirect(t, "logout", c.PostForm("/logout", nil), "/")
	thief := s.client()
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value, Path: "/"})
	greeting(t, thief)
	thief.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value[:len(stolen.Value)-4] + "AAAA", Path: "/"})
	greeting(t, thief)

	resp := c.Get("/metrics")
	wantStatus(t, "GET /metrics", resp, http.StatusOK)
	wantBody(t, "metrics", resp,
		`sealed_keyring_keys{use="seal"} 1`,
		`sealed_keyring_keys{use="open"} 1`,
		`sealed_revocation_entries{scope="session"} 1`,
		`sealed_revocation_entries{scope="user"} 0`,
		`sealed_sessions_invalid_total{reason="revoked"} 1`,
		`sealed_sessions_invalid_total{reason="tampered"} 1`,
		"sealed_sessions_opened_total ",
		"go_goroutines ",
	)

	// After a rotation the old primary still opens cookies.
	s.rotateKeys()
	wantBody(t, "metrics after a rotation", c.Get("/metrics"),
		`sealed_keyring_keys{use="seal"} 1`,
		`sealed_keyring_keys{use="open"} 2`,
	)
}
