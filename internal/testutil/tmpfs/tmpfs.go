// Package tmpfs mounts small tmpfs filesystems for tests that need a disk
// that really fills up (the revocation store's free-space reserve, the
// example under a full disk).
//
// Mounting needs root (or CAP_SYS_ADMIN) on Linux. Where the mount is
// refused, Mount skips the test, unless the environment says CI=true:
// there it fails, so a CI runner that lost the right can't turn the test
// into a silent skip.
package tmpfs

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// Mount mounts a tmpfs of size (mount's syntax: "4m") on a fresh directory
// under t.TempDir, mode 0700, and unmounts it in t.Cleanup.
func Mount(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := mount(dir, "size="+size+",mode=0700")
	if err != nil {
		msg := fmt.Sprintf("mount -t tmpfs -o size=%s: %v: %s", size, err, strings.TrimSpace(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: this test must run)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Resize changes the size of the tmpfs mounted on dir by Mount.
func Resize(t testing.TB, dir, size string) {
	t.Helper()
	out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount -o remount,size=%s %s: %v: %s", size, dir, err, out)
	}
}

func mount(dir, opts string) (string, error) {
	if runtime.GOOS != "linux" {
		return "", fmt.Errorf("tmpfs mounts are Linux-only here (GOOS=%s)", runtime.GOOS)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput()
	return string(out), err
}
