package revocation

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/sealedsessions/sealed/internal/fsperm"
)

// ErrInsecureMode matches the error of Open for a data directory that
// someone other than its owner could change, and so delete revocations
// (bringing revoked sessions back) or plant entries: a directory that
// group or others may write, or one under a directory that others (not
// only the group) may write without the sticky bit. The error names the
// directory, its mode and the chmod that fixes it. Not checked on systems
// without Unix permissions (Windows).
var ErrInsecureMode = errors.New("revocation: others can write the data directory")

// modeError is an ErrInsecureMode: dir, or the directory above it, parent,
// has mode.
type modeError struct {
	dir    string
	parent string // "" if dir itself is writable by others
	mode   fs.FileMode
}

func (e *modeError) Error() string {
	if e.parent == "" {
		return fmt.Sprintf("revocation: open %s: mode %#o (%v) lets group or others write the revocation directory, and so remove revocations; "+
			"fix it with: chmod go-w %s", e.dir, e.mode.Perm(), e.mode, e.dir)
	}
	return fmt.Sprintf("revocation: open %s: directory %s has mode %#o (%v): anyone can replace the revocation directory in it, and so remove revocations; "+
		"fix it with: chmod o-w %s", e.dir, e.parent, e.mode.Perm(), e.mode, e.parent)
}

func (e *modeError) Is(target error) bool { return target == ErrInsecureMode }

// checkDirMode refuses, with a modeError, a data directory that group or
// others may write, or one under a directory (up to the root, as written
// and as resolved) that others may write without the sticky bit: the rule
// of package keyring for its file.
func checkDirMode(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &modeError{dir: dir, mode: fi.Mode()}
	}
	parents, err := fsperm.Parents(dir)
	if err != nil {
		return err
	}
	for _, p := range parents {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if m := fi.Mode(); m&fs.ModeSticky == 0 && m.Perm()&0o002 != 0 {
			return &modeError{dir: dir, parent: p, mode: m}
		}
	}
	return nil
}
