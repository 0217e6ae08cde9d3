package revocation_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

// BenchmarkLoginEntryCost measures what one login registry entry costs:
// heap once loaded (a store opened with the registry on, less one opened
// with it off) and disk (the size of Badger's tables after close, less an
// empty store's). The entries: 10,000 users with 10 logins each, user IDs
// of 12 bytes, devices of about 20.
func BenchmarkLoginEntryCost(b *testing.B) {
	const users, per = 10_000, 10
	dir := filepath.Join(b.TempDir(), "revocations")
	emptyDir := filepath.Join(b.TempDir(), "empty")
	for _, d := range []string{dir, emptyDir} {
		s, err := revocation.Open(d, revocation.Config{Logger: quiet, GCInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		if d == dir {
			if err := revocation.BulkLogins(s, benchLogins(users, per)); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(users * per)
	var on, off uint64
	for b.Loop() {
		off = openHeap(b, dir, 0)
		on = openHeap(b, dir, per)
	}
	b.ReportMetric(float64(int64(on)-int64(off))/n, "heap-B/entry")
	b.ReportMetric(float64(tableBytes(b, dir)-tableBytes(b, emptyDir))/n, "disk-B/entry")
}

func benchLogins(users, per int) []revocation.Login {
	now := time.Now()
	ls := make([]revocation.Login, 0, users*per)
	for u := range users {
		for i := range per {
			var id [16]byte
			copy(id[:], fmt.Sprintf("%08d%08d", u, i))
			ls = append(ls, revocation.Login{Session: id, User: fmt.Sprintf("user-%07d", u),
				Created: now.Add(-time.Duration(i) * time.Minute), Device: "Firefox 133 on Linux"})
		}
	}
	return ls
}

// openHeap opens dir with the registry keeping per logins a user (0: off)
// and returns the heap the open left allocated.
func openHeap(b *testing.B, dir string, per int) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1, LoginsPerUser: per})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if per > 0 && len(s.Logins("user-0000001")) != per {
		b.Fatalf("registry not loaded")
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return after.HeapAlloc - before.HeapAlloc
}

// tableBytes sums the sizes of Badger's table and value-log files in dir.
func tableBytes(b *testing.B, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sst") || strings.HasSuffix(e.Name(), ".vlog") {
			fi, err := e.Info()
			if err != nil {
				b.Fatal(err)
			}
			n += fi.Size()
		}
	}
	return n
}
