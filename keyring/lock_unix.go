//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package keyring

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockWait is how long lockFile waits for another holder before failing.
const lockWait = 30 * time.Second

// lockFile takes an exclusive flock(2) on path+".lock" (created with the
// owner of the file at path, where it can be), waiting up to
// lockWait. The lock dies with the process, so a crash leaves no stale
// lock; the file itself stays (removing it would race with waiters).
func lockFile(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keyring: lock %s: %w", name, err)
	}
	// Give the lock file the keyring's owner, so that sealctl run as root
	// once does not lock out the keyring's owner later. Best effort: the
	// lock file holds nothing.
	if fi, err := os.Stat(path); err == nil {
		_ = keepOwner(f, path, fi)
	}
	deadline := time.Now().Add(lockWait)
	delay := time.Millisecond
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("keyring: lock %s: %w", name, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("keyring: %s is locked by another process (lock file %s held for over %v): %w",
				path, name, lockWait, ErrLocked)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}
