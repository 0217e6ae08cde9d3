package revocationtest

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/sealedsessions/sealed/revocation"
)

// Open opens a revocation.Store in a fresh directory under t.TempDir and
// closes it in t.Cleanup. It returns the store and its directory, for
// Reopen. A nil cfg.Logger discards logs, to keep test output quiet.
func Open(t testing.TB, cfg revocation.Config) (*revocation.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "revocations")
	return open(t, dir, cfg), dir
}

// Reopen closes s (if not closed yet) and opens dir again with cfg, closing
// the new store in t.Cleanup.
func Reopen(t testing.TB, s *revocation.Store, dir string, cfg revocation.Config) *revocation.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close revocation store: %v", err)
	}
	return open(t, dir, cfg)
}

func open(t testing.TB, dir string, cfg revocation.Config) *revocation.Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := revocation.Open(dir, cfg)
	if err != nil {
		t.Fatalf("open revocation store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close revocation store: %v", err)
		}
	})
	return s
}
