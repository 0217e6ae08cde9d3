//go:build unix

package keyring_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/keyring"
)

// openAll tries every way a keyring file is opened (Load, Watch, a
// Watcher's Reload of the file, Update) and returns their errors, and the
// warnings Load logged.
func openAll(t *testing.T, path string) (errs map[string]error, warnings string) {
	t.Helper()
	var logs fake.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	errs = map[string]error{}
	_, errs["Load"] = keyring.Load(path)
	w, err := keyring.Watch(path, keyring.WatchOptions{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	errs["Watch"] = err
	if err == nil {
		w.Close()
	}
	_, errs["Update"] = keyring.Update(path, rotate)
	return errs, logs.String()
}

func TestWritableKeyringFileRefused(t *testing.T) {
	tests := []struct {
		mode    fs.FileMode
		refused bool
		warned  bool
	}{
		{0o600, false, false},
		{0o400, false, false},
		{0o640, false, true},
		{0o644, false, true},
		{0o620, true, false},
		{0o602, true, false},
		{0o660, true, false},
		{0o666, true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%#o", tt.mode), func(t *testing.T) {
			path, _ := keyringFile(t)
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			errs, warnings := openAll(t, path)
			for op, err := range errs {
				if !tt.refused {
					if err != nil {
						t.Errorf("%s = %v, want it loaded", op, err)
					}
					continue
				}
				if !errors.Is(err, keyring.ErrInsecureMode) {
					t.Errorf("%s = %v, want ErrInsecureMode", op, err)
					continue
				}
				for _, want := range []string{path, fmt.Sprintf("%#o", tt.mode), "chmod go-w " + path} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %q does not name %q", op, err, want)
					}
				}
			}
			if after, _ := os.ReadFile(path); tt.refused && !bytes.Equal(before, after) {
				t.Error("Update rewrote a refused file")
			}
			if got := strings.Contains(warnings, "group or others can read"); got != tt.warned {
				t.Errorf("warned %v, want %v; log:\n%s", got, tt.warned, warnings)
			}
		})
	}
}

// A directory that anyone may write lets anyone rename their own file
// over the keyring: refused, unless it has the sticky bit (only owners may
// rename or remove files in it, as in /tmp). One its group may write is
// warned about. Both the directory of the path given and that of the file
// a symbolic link points to count.
func TestWritableDirectoryRefused(t *testing.T) {
	tests := []struct {
		name      string
		linkDir   fs.FileMode // if set, the path given is a link in a directory of this mode
		fileDir   fs.FileMode
		refuseDir string // "link" or "file": which directory the error names
		warned    bool
	}{
		{name: "0700", fileDir: 0o700},
		{name: "0755", fileDir: 0o755},
		{name: "0770", fileDir: 0o770, warned: true},
		{name: "0777", fileDir: 0o777, refuseDir: "file"},
		{name: "0773", fileDir: 0o773, refuseDir: "file"},
		{name: "1777 sticky", fileDir: 0o777 | fs.ModeSticky},
		{name: "link in 0700 to a file in 0777", linkDir: 0o700, fileDir: 0o777, refuseDir: "file"},
		{name: "link in 0777 to a file in 0700", linkDir: 0o777, fileDir: 0o700, refuseDir: "link"},
		{name: "link in 0700 to a file in 0700", linkDir: 0o700, fileDir: 0o700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			dirs := map[string]string{"file": filepath.Join(base, "file")}
			mkdir(t, dirs["file"], tt.fileDir)
			path := filepath.Join(dirs["file"], "keyring.json")
			if err := keyring.Create(path, mustNew(t)); err != nil {
				t.Fatal(err)
			}
			if tt.linkDir != 0 {
				dirs["link"] = filepath.Join(base, "link")
				mkdir(t, dirs["link"], tt.linkDir)
				link := filepath.Join(dirs["link"], "keyring.json")
				if err := os.Symlink(path, link); err != nil {
					t.Fatal(err)
				}
				path = link
			}
			errs, warnings := openAll(t, path)
			for op, err := range errs {
				if tt.refuseDir == "" {
					if err != nil {
						t.Errorf("%s = %v, want it loaded", op, err)
					}
					continue
				}
				dir := dirs[tt.refuseDir]
				if !errors.Is(err, keyring.ErrInsecureMode) || !strings.Contains(err.Error(), "directory "+dir+" has mode") ||
					!strings.Contains(err.Error(), "chmod o-w "+dir) {
					t.Errorf("%s = %v, want ErrInsecureMode naming directory %s and chmod o-w", op, err, dir)
				}
			}
			if got := strings.Contains(warnings, "group of a directory"); got != tt.warned {
				t.Errorf("warned %v, want %v; log:\n%s", got, tt.warned, warnings)
			}
		})
	}
}

func mkdir(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// A running Watcher refuses a file made writable by others, keeps its
// keyring, and takes the file again once fixed. The environment has no
// mode: FromEnv is not concerned.
func TestWatcherRefusesWritableFile(t *testing.T) {
	path, k := keyringFile(t)
	w := quietWatch(t, path)
	good := w.Keyring()
	k2, err := rotate(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteFile(path, k2); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); !errors.Is(err, keyring.ErrInsecureMode) || w.Keyring() != good {
		t.Errorf("Reload of a 0666 file = %v (keyring kept: %v), want ErrInsecureMode and the keyring kept", err, w.Keyring() == good)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err != nil || w.Keyring().Primary().ID != k2.Primary().ID {
		t.Errorf("Reload after chmod 600 = %v, primary %s, want the rotated %s", err, w.Keyring().Primary().ID, k2.Primary().ID)
	}
	data, _ := k2.Marshal()
	t.Setenv(keyring.EnvVar, string(data))
	if _, err := keyring.FromEnv(); err != nil {
		t.Errorf("FromEnv = %v", err)
	}
}
