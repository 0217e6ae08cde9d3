package keyring_test

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/sealedsessions/sealed/keyring"
)

// withoutChown runs f on an OS thread that lacks CAP_CHOWN, as a sealctl
// run by a user other than root would: it can read the keyring but not
// give a new file away. Capabilities are per thread on Linux; the thread
// is locked and never unlocked, so it exits with the goroutine.
func withoutChown(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		hdr := struct {
			version uint32
			pid     int32
		}{version: 0x20080522} // _LINUX_CAPABILITY_VERSION_3
		var data [2]struct{ effective, permitted, inheritable uint32 }
		const capChown = 0
		if _, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
			t.Errorf("capget: %v", e)
			return
		}
		data[0].effective &^= 1 << capChown
		if _, _, e := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
			t.Errorf("capset: %v", e)
			return
		}
		f()
	}()
	<-done
}

// When the new file can't be given the old one's owner, Update refuses
// with an error naming the file, the owner and why, and leaves the old
// file, its owner and its directory as they were.
func TestUpdateRefusesWhenOwnerCannotBeKept(t *testing.T) {
	requireRoot(t)
	path, _ := keyringFile(t)
	if err := os.Chown(path, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := ownerOf(t, path)
	for _, name := range []string{"Update", "WriteFile"} {
		withoutChown(t, func() {
			if name == "Update" {
				_, err = keyring.Update(path, rotate)
			} else {
				err = keyring.WriteFile(path, mustNew(t))
			}
		})
		var oe *keyring.OwnerError
		if !errors.Is(err, keyring.ErrOwner) || !errors.Is(err, fs.ErrPermission) || !errors.As(err, &oe) {
			t.Fatalf("%s without CAP_CHOWN = %v, want an *OwnerError matching ErrOwner and fs.ErrPermission", name, err)
		}
		if oe.Path != path || oe.UID != nobody || oe.GID != nobody {
			t.Errorf("%s: OwnerError %+v, want path %s, uid and gid %d", name, oe, path, nobody)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "65534:65534") || strings.Contains(msg, ".tmp-") {
			t.Errorf("%s: error %q should name %s and the owner 65534:65534, not the temporary file", name, msg, path)
		}
		sameFile(t, path, data, want)
	}
}
