package revocation_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

// TestCorruptLogRefused reproduces issue 11's lost revocations: a copy of
// an open store's directory, 8 bytes flipped in the middle of its
// write-ahead log (.mem), used to open with most acknowledged revocations
// silently gone (Badger truncates a log at the first entry that fails its
// checksum). Open must refuse it with ErrCorrupt.
func TestCorruptLogRefused(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "revocations")
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 2000
	ids := make([][16]byte, n)
	for i := range ids {
		ids[i] = newID(t)
		if err := s.RevokeSession(ctx, ids[i], time.Time{}); err != nil {
			t.Fatal(err)
		}
	}

	// A copy taken while the store is open, as a backup tool would.
	cp := filepath.Join(t.TempDir(), "copy")
	copyDir(t, dir, cp)
	if mem := flipInLog(t, cp); mem == "" {
		t.Fatal("no .mem file in the copy")
	}

	c, err := revocation.Open(cp, revocation.Config{Logger: quiet, GCInterval: -1})
	if err == nil {
		lost := 0
		for _, id := range ids {
			if dead, _ := c.Revoked(id, "", time.Now()); !dead {
				lost++
			}
		}
		c.Close()
		t.Fatalf("Open of the damaged copy succeeded with %d of %d acknowledged revocations lost", lost, n)
	}
	if !errors.Is(err, revocation.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{cp, "acknowledged writes are missing", "restore it from a backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}

	// The undamaged copy of the same moment opens with every revocation.
	cp2 := filepath.Join(t.TempDir(), "copy2")
	copyDir(t, dir, cp2)
	c, err = revocation.Open(cp2, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		t.Fatalf("Open of an undamaged copy: %v", err)
	}
	defer c.Close()
	for _, id := range ids {
		if !mustRevoked(t, c, id, "", time.Now()) {
			t.Fatalf("revocation %x missing from the undamaged copy", id)
		}
	}
}

// TestCorruptHighWaterFile: a damaged high-water record is refused too.
func TestCorruptHighWaterFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "revocations")
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(context.Background(), newID(t), time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, "SEALED-HIGHWATER")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[6] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, revocation.ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want ErrCorrupt naming %s", err, path)
	}
}

// flipInLog flips 8 bytes in the middle of the written part of the newest
// .mem file in dir and returns its path.
func flipInLog(t *testing.T, dir string) string {
	t.Helper()
	mems, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	if len(mems) == 0 {
		return ""
	}
	mem := mems[len(mems)-1]
	b, err := os.ReadFile(mem)
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(b, "\x00"))
	if end < 4096 {
		t.Fatalf("%s holds only %d bytes", mem, end)
	}
	for i := end / 2; i < end/2+8; i++ {
		b[i] ^= 0xa5
	}
	if err := os.WriteFile(mem, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return mem
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(filepath.Join(to, e.Name()), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
