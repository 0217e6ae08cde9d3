//go:build unix

package keyring

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f, a new file about to replace path, the owner and
// group of old, path's current file, if they differ from f's.
func keepOwner(f *os.File, path string, old fs.FileInfo) error {
	want, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if got, ok := fi.Sys().(*syscall.Stat_t); ok && got.Uid == want.Uid && got.Gid == want.Gid {
		return nil
	}
	if err := f.Chown(int(want.Uid), int(want.Gid)); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // name the keyring file, not the temporary one
		}
		return &OwnerError{Path: path, UID: int(want.Uid), GID: int(want.Gid), Err: err}
	}
	return nil
}

// checkModes: files have Unix permission bits to check.
const checkModes = true
