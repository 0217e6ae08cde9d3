//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package keyring

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

const lockWait = 30 * time.Second

// lockFile creates path+".lock" exclusively (O_CREATE|O_EXCL), waiting up
// to lockWait, and removes it to unlock. A crash leaves the lock file
// behind: remove it by hand once no sealctl is running.
func lockFile(path string) (unlock func(), err error) {
	name := path + ".lock"
	deadline := time.Now().Add(lockWait)
	delay := time.Millisecond
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("keyring: lock %s: %w", name, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("keyring: %s is locked by another process (remove %s if none is running): %w",
				path, name, ErrLocked)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}
