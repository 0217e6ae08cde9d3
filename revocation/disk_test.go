//go:build unix

package revocation_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/tmpfs"
	"github.com/sealedsessions/sealed/revocation"
)

// TestDiskFull fills a real 4 MiB tmpfs with revocations: writes are
// refused with ErrDiskFull before Badger could touch a page the
// filesystem can't back (which would kill the process with SIGBUS),
// lookups keep answering, Disk says why; once the filesystem grows, writes
// resume by themselves. Reopening on a full filesystem is an error, not a
// signal.
func TestDiskFull(t *testing.T) {
	mnt := tmpfs.Mount(t, "4m")
	dir := filepath.Join(mnt, "revocations")
	cfg := revocation.Config{Logger: quiet, GCInterval: -1, Outbox: true}
	s, err := revocation.Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	acked, d, err := fillUntilRefused(t, s)
	if !errors.Is(err, revocation.ErrDiskFull) {
		t.Fatalf("after %d revocations: err = %v, want ErrDiskFull", len(acked), err)
	}
	assertFullError(t, err, dir)
	t.Logf("refused after %d revocations: %v", len(acked), err)
	if d.Refused == nil || d.Free >= d.Reserve || d.Free < 0 {
		t.Errorf("Disk() = %+v, want writes refused with free below the reserve", d)
	}
	for _, id := range acked {
		if !mustRevoked(t, s, id, "", time.Now()) {
			t.Fatalf("acknowledged revocation %x not found while the disk is full", id)
		}
	}
	assertFilesWithinReserve(t, dir, d.Reserve)

	// Space returns: writes resume without a reopen.
	tmpfs.Resize(t, mnt, "16m")
	id := newID(t)
	if err := s.RevokeSession(context.Background(), id, time.Time{}); err != nil {
		t.Fatalf("after the filesystem grew: %v", err)
	}
	if !mustRevoked(t, s, id, "", time.Now()) {
		t.Error("the revocation after the filesystem grew is missing")
	}
	if d := s.Disk(); d.Refused != nil {
		t.Errorf("Disk() after growing = %+v, want writes accepted", d)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Full again, by another file: Open refuses, naming the numbers.
	fillFilesystem(t, mnt)
	s2, err := revocation.Open(dir, cfg)
	if err == nil {
		s2.Close()
		t.Fatal("Open on a full filesystem succeeded")
	}
	if !errors.Is(err, revocation.ErrDiskFull) {
		t.Fatalf("Open on a full filesystem: %v, want ErrDiskFull", err)
	}
	assertFullError(t, err, dir)
}

// fillUntilRefused fills s until a write is refused and Disk says so. A
// refusal can be undone at once: Badger deletes a memtable's log once its
// flush is done, and the next measurement finds the space back.
func fillUntilRefused(t *testing.T, s *revocation.Store) (acked [][16]byte, d revocation.DiskStatus, err error) {
	t.Helper()
	for range 10 {
		var more [][16]byte
		more, err = fill(t, s, 100_000)
		acked = append(acked, more...)
		if d = s.Disk(); err == nil || d.Refused != nil {
			break
		}
	}
	return acked, d, err
}

// fill revokes sessions until a revocation fails or max succeeded, and
// returns those acknowledged and the failure.
func fill(t *testing.T, s *revocation.Store, max int) ([][16]byte, error) {
	t.Helper()
	var acked [][16]byte
	for range max {
		id := newID(t)
		if err := s.RevokeSession(context.Background(), id, time.Time{}); err != nil {
			return acked, err
		}
		acked = append(acked, id)
	}
	return acked, nil
}

func assertFullError(t *testing.T, err error, dir string) {
	t.Helper()
	for _, want := range []string{dir, "free", "reserve", "MiB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}
}

// assertFilesWithinReserve checks that no file Badger made is bigger, even
// as mapped (its size, not only its blocks), than the reserve: the space
// the store keeps free covers the next one it creates.
func assertFilesWithinReserve(t *testing.T, dir string, reserve int64) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		used := fi.Sys().(*syscall.Stat_t).Blocks * 512
		t.Logf("%-20s size %8d  allocated %8d", e.Name(), fi.Size(), used)
		if fi.Size() > reserve {
			t.Errorf("%s is %d bytes, more than the reserve of %d", e.Name(), fi.Size(), reserve)
		}
	}
}

// fillFilesystem writes a file on the filesystem at mnt until it is full.
func fillFilesystem(t *testing.T, mnt string) {
	t.Helper()
	f, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestSnapshotLeavesReserve: the index snapshot, a file the store writes
// by itself at Close, is skipped when writing it would eat into Badger's
// reserve.
func TestSnapshotLeavesReserve(t *testing.T) {
	mnt := tmpfs.Mount(t, "4m")
	dir := filepath.Join(mnt, "revocations")
	s, err := revocation.Open(dir, revocation.Config{Logger: quiet, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fill(t, s, 100); err != nil {
		t.Fatal(err)
	}
	// Leave a little more than the reserve free: not enough for a snapshot
	// (its size plus slack) on top.
	fillFilesystem(t, mnt)
	filler := filepath.Join(mnt, "filler")
	fi, err := os.Stat(filler)
	if err != nil {
		t.Fatal(err)
	}
	want := s.Disk().Reserve + 16<<10
	if err := os.Truncate(filler, fi.Size()-(want-statfsFree(t, mnt))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.snapshot")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("index snapshot written with %d bytes free, 16 KiB above the reserve: %v", statfsFree(t, mnt), err)
	}
}

func statfsFree(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
