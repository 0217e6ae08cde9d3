package revocation_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/revocation"
)

// snapStore opens dir with a clock and a log buffer of its own.
func snapStore(t *testing.T, dir string, clock *fake.Clock) (*revocation.Store, *fake.Buffer) {
	t.Helper()
	logs := &fake.Buffer{}
	s, err := revocation.Open(dir, revocation.Config{Now: clock.Now, GCInterval: -1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func revokeIDs(t *testing.T, s *revocation.Store, ids [][16]byte, until time.Time) {
	t.Helper()
	for _, id := range ids {
		if err := s.RevokeSession(context.Background(), id, until); err != nil {
			t.Fatal(err)
		}
	}
}

func wantRevoked(t *testing.T, s *revocation.Store, ids [][16]byte, want bool, at time.Time) {
	t.Helper()
	for _, id := range ids {
		if got, err := s.Revoked(id, "", at); err != nil || got != want {
			t.Fatalf("Revoked(%x) = %v, %v; want %v", id, got, err, want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A clean Close writes the snapshot and the next Open loads it: every
// entry is back, expired ones are not, and user and global entries (never
// in the snapshot) are read from Badger.
func TestSnapshotAtClose(t *testing.T) {
	dir := t.TempDir()
	clock := fake.NewClock(time.Now()) // Badger expires entries by the real clock
	s, _ := snapStore(t, dir, clock)
	live, short := randomIDs(500), randomIDs(50)
	revokeIDs(t, s, live, clock.Now().Add(24*time.Hour))
	revokeIDs(t, s, short, clock.Now().Add(time.Minute))
	if err := s.RevokeUser(context.Background(), "alice", clock.Now()); err != nil {
		t.Fatal(err)
	}
	created := clock.Now().Add(-time.Second)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, revocation.SnapshotFile)); err != nil {
		t.Fatalf("no snapshot after Close: %v", err)
	}

	clock.Advance(2 * time.Minute)
	s, logs := snapStore(t, dir, clock)
	defer s.Close()
	if revocation.SnapshotVersion(s) == 0 {
		t.Fatalf("Open did not use the snapshot; log:\n%s", logs)
	}
	wantRevoked(t, s, live, true, created)
	wantRevoked(t, s, short, false, created)
	if dead, _ := s.Revoked(randomIDs(1)[0], "alice", created); !dead {
		t.Error("alice's user entry was lost")
	}
	if got := s.Stats().Sessions; got != len(live) {
		t.Errorf("Stats().Sessions = %d, want %d", got, len(live))
	}
}

// Writes made after a snapshot (a crash leaves no snapshot at Close) are
// read from Badger on top of it.
func TestSnapshotPlusLaterWrites(t *testing.T) {
	dir := t.TempDir()
	clock := fake.NewClock(time.Now()) // Badger expires entries by the real clock
	s, _ := snapStore(t, dir, clock)
	until := clock.Now().Add(time.Hour)
	before, after := randomIDs(300), randomIDs(300)
	revokeIDs(t, s, before, until)
	if err := revocation.SaveSnapshot(s); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old")
	copyFile(t, filepath.Join(dir, revocation.SnapshotFile), old)
	revokeIDs(t, s, after, until)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As if the process had died after the periodic snapshot.
	copyFile(t, old, filepath.Join(dir, revocation.SnapshotFile))

	s, logs := snapStore(t, dir, clock)
	defer s.Close()
	if revocation.SnapshotVersion(s) == 0 {
		t.Fatalf("Open did not use the snapshot; log:\n%s", logs)
	}
	wantRevoked(t, s, before, true, clock.Now())
	wantRevoked(t, s, after, true, clock.Now())
}

// A snapshot that can't be trusted is never used: damaged, from another
// store, or newer than the data beside it. Open reads every entry instead,
// says so, and removes the file.
func TestSnapshotUntrusted(t *testing.T) {
	clock := fake.NewClock(time.Now()) // Badger expires entries by the real clock
	until := clock.Now().Add(time.Hour)
	cases := []struct {
		name string
		// spoil returns the snapshot to put in dir, whose Badger holds the
		// IDs revoked before it was called.
		spoil func(t *testing.T, dir string) []byte
		want  string
	}{
		{"flipped byte", func(t *testing.T, dir string) []byte {
			b, _ := os.ReadFile(filepath.Join(dir, revocation.SnapshotFile))
			b[len(b)/2] ^= 0x40
			return b
		}, "checksum"},
		{"truncated", func(t *testing.T, dir string) []byte {
			b, _ := os.ReadFile(filepath.Join(dir, revocation.SnapshotFile))
			return b[:len(b)-5]
		}, "snapshot"},
		{"a whole slot short", func(t *testing.T, dir string) []byte {
			b, _ := os.ReadFile(filepath.Join(dir, revocation.SnapshotFile))
			return b[:len(b)-12] // still whole slots: read to the end, the tail is a slot's bytes
		}, "checksum"},
		{"another store", func(t *testing.T, dir string) []byte {
			other := t.TempDir()
			s, _ := snapStore(t, other, clock)
			revokeIDs(t, s, randomIDs(10), until)
			s.Close()
			b, _ := os.ReadFile(filepath.Join(other, revocation.SnapshotFile))
			return b
		}, "another store"},
		{"newer than the data", func(t *testing.T, dir string) []byte {
			// A copy of the directory moves on; its snapshot is put back
			// into the original, which never saw those writes.
			later := t.TempDir()
			for _, e := range mustReadDir(t, dir) {
				copyFile(t, filepath.Join(dir, e.Name()), filepath.Join(later, e.Name()))
			}
			s, _ := snapStore(t, later, clock)
			revokeIDs(t, s, randomIDs(10), until)
			s.Close()
			b, _ := os.ReadFile(filepath.Join(later, revocation.SnapshotFile))
			return b
		}, "writes were lost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := snapStore(t, dir, clock)
			ids := randomIDs(200)
			revokeIDs(t, s, ids, until)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			bad := tc.spoil(t, dir)
			if err := os.WriteFile(filepath.Join(dir, revocation.SnapshotFile), bad, 0o600); err != nil {
				t.Fatal(err)
			}
			s, logs := snapStore(t, dir, clock)
			if revocation.SnapshotVersion(s) != 0 {
				t.Fatal("an untrusted snapshot was used")
			}
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("log does not say %q:\n%s", tc.want, logs)
			}
			if _, err := os.Stat(filepath.Join(dir, revocation.SnapshotFile)); !os.IsNotExist(err) {
				t.Errorf("the untrusted snapshot is still there: %v", err)
			}
			wantRevoked(t, s, ids, true, clock.Now())
			s.Close()
		})
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
