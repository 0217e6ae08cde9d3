package keyring

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/sealedsessions/sealed/internal/fsperm"
)

// ErrInsecureMode matches the error of [Load], [Watch], [Watcher.Reload]
// and [Update] for a keyring file that someone other than its owner could
// replace, and so add a key and forge any session: a file that group or
// others may write, or a file under a directory that others (not only the
// group) may write without the sticky bit. The error names the file or
// directory, its mode, and the chmod that fixes it. A keyring from the
// environment ([FromEnv]) has no mode and is not checked; nor are files
// on systems without Unix permissions (Windows).
var ErrInsecureMode = errors.New("keyring: others can replace the keyring file")

// modeError is an ErrInsecureMode: the file at path, or its directory dir,
// has mode.
type modeError struct {
	path string
	dir  string // "" if the file itself is writable by others
	mode fs.FileMode
}

func (e *modeError) Error() string {
	if e.dir == "" {
		return fmt.Sprintf("keyring: load %s: mode %#o (%v) lets group or others write the keyring file, and so forge any session; "+
			"fix it with: chmod go-w %s", e.path, e.mode.Perm(), e.mode, e.path)
	}
	return fmt.Sprintf("keyring: load %s: directory %s has mode %#o (%v): anyone can replace the keyring file in it, and so forge any session; "+
		"fix it with: chmod o-w %s", e.path, e.dir, e.mode.Perm(), e.mode, e.dir)
}

func (e *modeError) Is(target error) bool { return target == ErrInsecureMode }

// permWarning is what checkPermissions lets through but warns about.
type permWarning struct {
	msg  string
	args []any
}

func (w permWarning) log(logger *slog.Logger, path string) {
	logger.Warn(w.msg, append([]any{"path", path}, w.args...)...)
}

// checkPermissions refuses, with a modeError, a keyring file at path whose
// mode (as read from the open file) lets group or others write it, or
// under a directory that others may write without the sticky bit (see
// keyringDirs). It returns warnings for a file that group or others may
// read and a directory that its group may write.
//
// The group of a directory is warned about, not refused: a group-writable
// data directory is a common deployment choice, and its group is chosen
// by whoever set it up; anyone on the machine is not.
func checkPermissions(path string, mode fs.FileMode) ([]permWarning, error) {
	if !checkModes {
		return nil, nil
	}
	perm := mode.Perm()
	if perm&0o022 != 0 {
		return nil, &modeError{path: path, mode: mode}
	}
	var warnings []permWarning
	if perm&0o044 != 0 {
		warnings = append(warnings, permWarning{
			"keyring: group or others can read the keyring file; run chmod 600 on it (or 640 to share it with one group)",
			[]any{"mode", fmt.Sprintf("%#o", perm)}})
	}
	dirs, err := fsperm.Parents(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("keyring: load %s: %w", path, err)
		}
		dm := fi.Mode()
		switch {
		case dm&fs.ModeSticky != 0: // only owners may rename or remove files in it
		case dm.Perm()&0o002 != 0:
			return nil, &modeError{path: path, dir: dir, mode: dm}
		case dm.Perm()&0o020 != 0:
			warnings = append(warnings, permWarning{
				"keyring: the group of a directory above the keyring file can write it, and so replace the file; run chmod g-w on the directory",
				[]any{"dir", dir, "mode", fmt.Sprintf("%#o", dm.Perm())}})
		}
	}
	return warnings, nil
}
