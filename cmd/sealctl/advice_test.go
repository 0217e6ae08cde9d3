package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil/tmpfs"
)

// keys rotate and keys retire say how to confirm that every instance took
// the change: the primary key ID and key count each /healthz reports.
func TestKeysRotateRetireSayHowToConfirm(t *testing.T) {
	path := newRing(t)
	first := load(t, path).Primary().ID
	out, stderr, code := sealctl(t, "keys", "rotate", "--keyring", path)
	if code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, stderr)
	}
	k := load(t, path)
	assertConfirmAdvice(t, "rotate", out, k.Primary().ID, 2)

	out, stderr, code = sealctl(t, "keys", "retire", "--keyring", path, first)
	if code != 0 {
		t.Fatalf("retire: exit %d: %s", code, stderr)
	}
	assertConfirmAdvice(t, "retire", out, k.Primary().ID, 1)
}

func assertConfirmAdvice(t *testing.T, cmd, out, primary string, keys int) {
	t.Helper()
	for _, want := range []string{"/healthz", fmt.Sprintf("%q", primary), fmt.Sprintf(`"keys": %d`, keys), "keyring reload failing"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys %s printed %q, want it to say %s", cmd, out, want)
		}
	}
}

// A damaged directory: the store's ErrCorrupt, with what to do about it.
func TestRevokeCorruptDataAdvice(t *testing.T) {
	dir := newDataDir(t)
	if err := os.WriteFile(filepath.Join(dir, "SEALED-HIGHWATER"), []byte("garbage, not a record"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := sealctl(t, "revoke", "user", "alice", "--data", dir)
	for _, want := range []string{"store corrupt", "restore " + dir + " from a backup", "mv " + dir, "sealctl revoke"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	}
}

// A full filesystem: the store's ErrDiskFull, with what to do about it.
func TestRevokeDiskFullAdvice(t *testing.T) {
	mnt := tmpfs.Mount(t, "4m")
	dir := filepath.Join(mnt, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for buf := make([]byte, 64<<10); ; {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	_, stderr, code := sealctl(t, "revoke", "all", "--data", dir)
	for _, want := range []string{"disk full", dir, "reserve", "free space on the filesystem of " + dir} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	}
}
