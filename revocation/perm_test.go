package revocation_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/revocation"
)

func TestOpenRefusesWritableDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	tests := []struct {
		name      string
		dirMode   os.FileMode // the data directory's
		upMode    os.FileMode // the directory above it
		wantErr   bool
		wantChmod string // the fix the error names: "go-w DIR" or "o-w PARENT"
	}{
		{"private", 0o700, 0o755, false, ""},
		{"group-readable", 0o750, 0o755, false, ""},
		{"group-writable", 0o770, 0o755, true, "chmod go-w "},
		{"world-writable", 0o707, 0o755, true, "chmod go-w "},
		{"under a world-writable parent", 0o700, 0o777, true, "chmod o-w "},
		{"under a sticky world-writable parent", 0o700, 0o777 | os.ModeSticky, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := filepath.Join(t.TempDir(), "up")
			dir := filepath.Join(up, "revocations")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for d, m := range map[string]os.FileMode{dir: tt.dirMode, up: tt.upMode} {
				if err := os.Chmod(d, m); err != nil {
					t.Fatal(err)
				}
			}
			s, err := revocation.Open(dir, revocation.Config{Logger: quiet})
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, revocation.ErrInsecureMode) {
				t.Errorf("err = %v, want ErrInsecureMode", err)
			}
			if !strings.Contains(err.Error(), tt.wantChmod) || !strings.Contains(err.Error(), dir) {
				t.Errorf("err = %q, want it to name %s and say %q", err, dir, tt.wantChmod)
			}
		})
	}
}
