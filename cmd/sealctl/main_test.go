package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// TestMain lets the test binary stand in for the sealctl binary: with
// SEALCTL_TEST_MAIN=1 in its environment it runs main instead of the
// tests. Tests that need separate processes (concurrent edits of one
// keyring file) re-execute os.Args[0] that way; no separate go build.
func TestMain(m *testing.M) {
	if os.Getenv("SEALCTL_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// sealctl runs the CLI in-process and returns its output and exit status.
func sealctl(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, 2},
		{"unknown command", []string{"frobnicate"}, 2},
		{"help", []string{"help"}, 0},
		{"keys without subcommand", []string{"keys"}, 2},
		{"keys help", []string{"keys", "-h"}, 0},
		{"keys unknown subcommand", []string{"keys", "explode", "--keyring", "x"}, 2},
		{"keys list without --keyring", []string{"keys", "list"}, 2},
		{"keys bad flag", []string{"keys", "list", "--keyring", "x", "--nope"}, 2},
		{"keys list missing file", []string{"keys", "list", "--keyring", "/nonexistent/ring.json"}, 1},
		{"inspect no value", []string{"inspect", "--keyring", "x"}, 2},
		{"inspect help", []string{"inspect", "--help"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SEALED_KEYRING", "")
			_, stderr, code := sealctl(t, tt.args...)
			if code != tt.want {
				t.Errorf("sealctl %q: exit %d, want %d; stderr: %s", tt.args, code, tt.want, stderr)
			}
		})
	}
}
