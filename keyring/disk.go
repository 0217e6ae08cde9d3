package keyring

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Load reads and parses the keyring file at path. A missing file is an
// error matching fs.ErrNotExist. A file that others could replace (group-
// or world-writable, or in a directory anyone may write) is refused with
// an error matching [ErrInsecureMode]. A file that group or others may
// read is loaded, with a warning logged through slog's default logger.
func Load(path string) (*Keyring, error) {
	data, _, warnings, err := readFile(path)
	if err != nil {
		return nil, err
	}
	k, err := Parse(data)
	if err != nil {
		return nil, withSource(err, path)
	}
	for _, w := range warnings {
		w.log(slog.Default(), path)
	}
	return k, nil
}

// readFile reads the keyring file at path, at most MaxFileSize bytes,
// after checking its permissions (checkPermissions), and returns what it
// read, the file's FileInfo and the permission warnings. The FileInfo is
// the open file's (the file read, even if path was replaced meanwhile); it
// is also returned with an error once the file is open.
func readFile(path string) ([]byte, fs.FileInfo, []permWarning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	warnings, err := checkPermissions(path, fi.Mode())
	if err != nil {
		return nil, fi, nil, err
	}
	// Read at most one byte past the limit: a path pointing at a huge file
	// or a device must not eat memory, every Watcher tick.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fi, nil, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fi, nil, &fileError{source: path, msg: fmt.Sprintf("larger than %d bytes; not a keyring file", MaxFileSize)}
	}
	return data, fi, warnings, nil
}

// MaxFileSize is the largest keyring file (or $SEALED_KEYRING) that Load,
// Watch and FromEnv read, over 4,000 keys: anything larger is refused
// with an error matching ErrInvalidFile before it is parsed.
const MaxFileSize = 1 << 20

// WriteFile writes k to path atomically: a temporary file in the same
// directory is written, synced and renamed over path, then the directory
// is synced. A reader sees the old file or the new one, never half of
// either. If path is a symbolic link, the file it points to is replaced
// and the link stays. WriteFile replaces an existing file; to refuse, use
// [Create]; to edit safely against concurrent writers, use [Update].
//
// A new file gets mode 0600 and the process's user (and the group the
// system gives it). A file that is replaced keeps its owner, group and
// permission bits, except write permission for group and others, which is
// dropped ([Load] refuses such a file): a keyring that sealctl edits as
// root stays readable by the server that runs as another user. If the
// owner or group can't be kept (only root may give a file away), WriteFile
// fails with an [*OwnerError] matching [ErrOwner] and the old file is left
// as it was.
func WriteFile(path string, k *Keyring) error {
	data, err := k.Marshal()
	if err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	data = append(data, '\n')
	target := path
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// Renaming over the link would replace the link itself, leaving
		// the file it points to (which other instances may read) stale.
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return fmt.Errorf("keyring: write %s: %w", path, err)
		}
	}
	old, err := os.Stat(target) // the file replaced, if any
	if errors.Is(err, fs.ErrNotExist) {
		old = nil
	} else if err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeSynced(tmp, target, old, data); err != nil {
		if oe := (*OwnerError)(nil); errors.As(err, &oe) {
			return oe // names the file already
		}
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("keyring: write %s: sync directory: %w", path, err)
		}
	}
	return nil
}

// writeSynced gives tmp the owner and mode of old (the file at target it
// will replace; nil if none), writes data to it, syncs and closes it.
func writeSynced(tmp *os.File, target string, old fs.FileInfo, data []byte) error {
	perm := fs.FileMode(0o600)
	if old != nil {
		// Owner first: chown may clear mode bits, and a file that can't
		// get its owner is refused before any secret is written to it.
		if err := keepOwner(tmp, target, old); err != nil {
			return err
		}
		perm = old.Mode().Perm() &^ 0o022
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return tmp.Close()
}

// ErrLocked: another process held the keyring file's lock for too long.
var ErrLocked = errors.New("keyring: file is locked")

// ErrExists: Create found a keyring file already at the path.
var ErrExists = errors.New("keyring: file already exists")

// Create writes k to path like [WriteFile], but fails with an error
// matching ErrExists if path already exists. It holds the lock [Update]
// uses.
func Create(path string, k *Keyring) error {
	unlock, err := lockFile(lockTarget(path))
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("keyring: create %s: %w", path, ErrExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keyring: create %s: %w", path, err)
	}
	return WriteFile(path, k)
}

// lockTarget is the path whose ".lock" guards path: the file a symbolic
// link points to, so that editors going through the link and editors
// naming the file take one lock.
func lockTarget(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}

// Update edits the keyring file at path: it takes an exclusive lock on
// path+".lock" (created if needed and left in place; beside the file a
// symbolic link points to), loads the file, calls
// edit, writes the result atomically if edit returns a different keyring,
// and releases the lock. Concurrent Updates of one file, from goroutines
// or processes, run one after the other, so no edit is lost. If edit
// fails, the file is left as it was and the error is returned.
func Update(path string, edit func(*Keyring) (*Keyring, error)) (*Keyring, error) {
	// A missing file is reported before a lock file is created beside it.
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	unlock, err := lockFile(lockTarget(path))
	if err != nil {
		return nil, err
	}
	defer unlock()
	k, err := Load(path)
	if err != nil {
		return nil, err
	}
	nk, err := edit(k)
	if err != nil {
		return nil, err
	}
	if nk == nil {
		return nil, fmt.Errorf("keyring: update %s: edit returned no keyring", path)
	}
	if nk != k {
		if err := WriteFile(path, nk); err != nil {
			return nil, err
		}
	}
	return nk, nil
}
