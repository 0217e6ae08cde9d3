package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartupErrors: what main prints for a failed start names the example
// once, gives the library's error as it is, advises where there is advice
// to give, and a refused configuration leaves no data directory behind.
func TestStartupErrors(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		want    string
		noDir   string // must not exist afterwards
		exitFor int
	}{
		{"bad lifetimes", []string{"--data", filepath.Join(tmp, "a"), "--cookie-age", "48h", "--absolute-lifetime", "1h"},
			"CookieAge 48h0m0s exceeds AbsoluteLifetime 1h0m0s", filepath.Join(tmp, "a"), 1},
		{"keyring in a missing directory", []string{"--data", filepath.Join(tmp, "b"), "--keyring", filepath.Join(tmp, "none", "k.json")},
			"sealctl keys init --keyring " + filepath.Join(tmp, "none", "k.json"), "", 1},
		{"missing certificate", []string{"--data", filepath.Join(tmp, "c"), "--tls-cert", filepath.Join(tmp, "no.pem"), "--tls-key", filepath.Join(tmp, "no.pem")},
			"TLS certificate", filepath.Join(tmp, "c"), 1},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--addr", "127.0.0.1:0"}, tt.args...)
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil {
				t.Fatal("run succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "example: ") || strings.Count(msg, "example:") != 1 {
				t.Errorf("error %q: want one leading \"example: \"", msg)
			}
			for _, rep := range []string{"open: open:", "sessions: sessions:", "keyring: keyring:", "revocation: revocation:"} {
				if strings.Contains(msg, rep) {
					t.Errorf("error %q repeats %q", msg, rep)
				}
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if got := exitCode(err); got != tt.exitFor {
				t.Errorf("exit %d, want %d", got, tt.exitFor)
			}
			if tt.noDir != "" {
				if _, err := os.Stat(tt.noDir); !os.IsNotExist(err) {
					t.Errorf("%s exists after a refused configuration (%v)", tt.noDir, err)
				}
			}
		})
	}
}
