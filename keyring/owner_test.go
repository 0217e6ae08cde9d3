//go:build unix

package keyring_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sealedsessions/sealed/keyring"
)

// nobody is the uid and gid the owner tests give keyring files to.
const nobody = 65534

// requireRoot: giving a file to another user needs root (tests run as
// root here and in CI). Outside CI, a run as another user skips.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test must run as root under CI")
	}
	t.Skip("needs root to give a file to another user")
}

type fileOwner struct {
	uid, gid uint32
	perm     fs.FileMode
}

func ownerOf(t *testing.T, path string) fileOwner {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fileOwner{st.Uid, st.Gid, fi.Mode().Perm()}
}

// The issue-11 case: the server runs as nobody with a keyring it owns, and
// an operator runs sealctl keys rotate as root. The rotated file must stay
// nobody's, with its mode, or the server can't read it and keeps the old
// keys; editing through a symbolic link keeps the owner of the file it
// points to.
func TestUpdateKeepsOwnerAndMode(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name string
		link bool
		perm fs.FileMode
		gid  int
	}{
		{"file 0600", false, 0o600, nobody},
		{"file 0640, group root", false, 0o640, 0},
		{"file 0400", false, 0o400, nobody},
		{"through a symlink", true, 0o600, nobody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, k := keyringFile(t)
			if err := os.Chown(path, nobody, tt.gid); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.perm); err != nil {
				t.Fatal(err)
			}
			want := ownerOf(t, path)
			edit := path
			if tt.link {
				edit = filepath.Join(t.TempDir(), "link.json")
				if err := os.Symlink(path, edit); err != nil {
					t.Fatal(err)
				}
			}
			nk, err := keyring.Update(edit, rotate)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := keyring.Load(path); got == nil || got.Primary().ID != nk.Primary().ID || nk.Primary().ID == k.Primary().ID {
				t.Fatal("the file was not rotated")
			}
			if got := ownerOf(t, path); got != want {
				t.Errorf("after Update: uid %d gid %d mode %v, want uid %d gid %d mode %v",
					got.uid, got.gid, got.perm, want.uid, want.gid, want.perm)
			}
			if got := ownerOf(t, path+".lock"); got.uid != want.uid || got.gid != want.gid {
				t.Errorf("lock file owned by %d:%d, want the keyring's owner %d:%d", got.uid, got.gid, want.uid, want.gid)
			}
		})
	}
}

// A new file is 0600 and the process's; a replaced file that others could
// write loses that permission (Load would refuse it) but keeps the rest.
func TestWriteFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.json")
	k := mustNew(t)
	if err := keyring.WriteFile(path, k); err != nil {
		t.Fatal(err)
	}
	want := fileOwner{uint32(os.Geteuid()), ownerOf(t, dir).gid, 0o600}
	if got := ownerOf(t, path); got != want {
		t.Errorf("new file: %+v, want %+v", got, want)
	}
	for _, tt := range []struct{ old, want fs.FileMode }{
		{0o666, 0o644}, {0o660, 0o640}, {0o604, 0o604}, {0o400, 0o400},
	} {
		if err := os.Chmod(path, tt.old); err != nil {
			t.Fatal(err)
		}
		if err := keyring.WriteFile(path, k); err != nil {
			t.Fatal(err)
		}
		if got := ownerOf(t, path).perm; got != tt.want {
			t.Errorf("WriteFile over a %#o file: mode %#o, want %#o", tt.old, got, tt.want)
		}
	}
}

// sameFile fails the test unless path still holds data with owner want,
// and its directory holds nothing but the keyring and its lock.
func sameFile(t *testing.T, path string, data []byte, want fileOwner) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the keyring file changed (%v)", err)
	}
	if o := ownerOf(t, path); o != want {
		t.Errorf("owner and mode changed: %+v, want %+v", o, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if n := e.Name(); n != filepath.Base(path) && n != filepath.Base(path)+".lock" {
			t.Errorf("left behind: %s", n)
		}
	}
}
