package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// wantSession is a session sessions list should print.
type wantSession struct {
	id      string
	created time.Time
	device  string
	bound   bool
}

// registryDir is a stopped instance's directory with a login registry:
// alice's three logins (the middle one revoked) and one of bob's. It
// returns the directory and alice's live sessions, newest first.
func registryDir(t *testing.T) (string, []wantSession) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	s, dir := revocationtest.Open(t, revocation.Config{LoginsPerUser: 5})
	logins := []revocation.Login{
		{Session: [16]byte{0xa1}, User: "alice", Created: now.Add(-3 * time.Hour), Device: "Firefox on Linux"},
		{Session: [16]byte{0xa2}, User: "alice", Created: now.Add(-2 * time.Hour), Device: "Safari on iOS"},
		{Session: [16]byte{0xa3, 15: 0xff}, User: "alice", Created: now.Add(-time.Hour), Device: "Chrome on Windows", Bound: true},
		{Session: [16]byte{0xb1}, User: "bob", Created: now.Add(-time.Hour), Device: "Edge on Windows"},
	}
	for _, l := range logins {
		if err := s.AddLogin(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeSession(ctx, [16]byte{0xa2}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, []wantSession{
		{"a30000000000000000000000000000ff", now.Add(-time.Hour), "Chrome on Windows", true},
		{"a1000000000000000000000000000000", now.Add(-3 * time.Hour), "Firefox on Linux", false},
	}
}

func TestSessionsListTable(t *testing.T) {
	dir, want := registryDir(t)
	out, errOut, code := sealctl(t, "sessions", "list", "alice", "--data", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+len(want) {
		t.Fatalf("%d lines, want a header and %d rows:\n%s", len(lines), len(want), out)
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "ID CREATED BOUND DEVICE" {
		t.Errorf("header %q", lines[0])
	}
	for i, w := range want {
		f := strings.Fields(lines[i+1])
		if len(f) < 4 {
			t.Errorf("row %d: %q", i, lines[i+1])
			continue
		}
		if f[0] != w.id {
			t.Errorf("row %d: ID %s, want %s", i, f[0], w.id)
		}
		if got, err := time.Parse(time.RFC3339, f[1]); err != nil || !got.Equal(w.created) {
			t.Errorf("row %d: created %q (%v), want %v", i, f[1], err, w.created)
		}
		if want := map[bool]string{true: "yes", false: "no"}[w.bound]; f[2] != want {
			t.Errorf("row %d: bound %q, want %q", i, f[2], want)
		}
		if got := strings.Join(f[3:], " "); got != w.device {
			t.Errorf("row %d: device %q, want %q", i, got, w.device)
		}
	}
	if strings.Contains(out, "a2000000") || strings.Contains(out, "b1000000") {
		t.Errorf("lists a revoked session or another user's:\n%s", out)
	}
}

func TestSessionsListJSON(t *testing.T) {
	dir, want := registryDir(t)
	// Flags first, the user last: any order works.
	out, errOut, code := sealctl(t, "sessions", "list", "--json", "--data", dir, "alice")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got struct {
		User     string `json:"user"`
		Sessions []struct {
			ID      string `json:"id"`
			Created string `json:"created"`
			Device  string `json:"device"`
			Bound   bool   `json:"device_bound"`
		} `json:"sessions"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.User != "alice" || len(got.Sessions) != len(want) {
		t.Fatalf("user %q, %d sessions; want alice, %d:\n%s", got.User, len(got.Sessions), len(want), out)
	}
	for i, w := range want {
		g := got.Sessions[i]
		if g.ID != w.id || g.Device != w.device || g.Bound != w.bound {
			t.Errorf("session %d: id %s device %q bound %v, want %s %q %v", i, g.ID, g.Device, g.Bound, w.id, w.device, w.bound)
		}
		if c, err := time.Parse(time.RFC3339, g.Created); err != nil || !c.Equal(w.created) {
			t.Errorf("session %d: created %q (%v), want %v", i, g.Created, err, w.created)
		}
	}
}

// A user without sessions, and a directory without a registry, give an
// empty list and exit status 0.
func TestSessionsListEmpty(t *testing.T) {
	dir, _ := registryDir(t)
	for _, d := range []string{dir, newDataDir(t)} {
		out, errOut, code := sealctl(t, "sessions", "list", "carol", "--data", d, "--json")
		if code != 0 || errOut != "" || !strings.Contains(out, `"sessions": []`) || !strings.Contains(out, `"user": "carol"`) {
			t.Errorf("%s --json: exit %d, stdout %q, stderr %q; want 0 and an empty list", d, code, out, errOut)
		}
		out, errOut, code = sealctl(t, "sessions", "list", "carol", "--data", d)
		if code != 0 || errOut != "" || out != "no live sessions of user \"carol\"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and no sessions", d, code, out, errOut)
		}
	}
}

// Listing drops nothing from the directory: the server's registry is
// intact after it (sealctl's bounds must not prune the server's).
func TestSessionsListKeepsRegistry(t *testing.T) {
	dir, want := registryDir(t)
	if _, errOut, code := sealctl(t, "sessions", "list", "alice", "--data", dir); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	s, err := revocation.Open(dir, revocation.Config{LoginsPerUser: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.Logins("alice")
	if len(got) != len(want) || hex.EncodeToString(got[0].Session[:]) != want[0].id {
		t.Errorf("after sessions list, alice has %d logins %v, want %d", len(got), got, len(want))
	}
	if len(s.Logins("bob")) != 1 {
		t.Errorf("after sessions list, bob has %d logins, want 1", len(s.Logins("bob")))
	}
}

// A directory a running server holds is refused with a clear error.
func TestSessionsListLocked(t *testing.T) {
	dir, _ := registryDir(t)
	s, err := revocation.Open(dir, revocation.Config{LoginsPerUser: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, errOut, code := sealctl(t, "sessions", "list", "alice", "--data", dir)
	if code != 1 || out != "" || !strings.Contains(errOut, "held by a running server") || !strings.Contains(errOut, dir) || !strings.Contains(errOut, "--nats") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and an error naming the directory and the running server", code, out, errOut)
	}
}

// A device string comes from a client: the table shows control characters
// escaped, never raw (a terminal would run them); JSON carries it as is.
func TestSessionsListEscapesDevice(t *testing.T) {
	s, dir := revocationtest.Open(t, revocation.Config{LoginsPerUser: 5})
	const device = "evil\x1b[2J\ttab"
	if err := s.AddLogin(context.Background(), revocation.Login{Session: [16]byte{1}, User: "alice", Created: time.Now(), Device: device}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddLogin(context.Background(), revocation.Login{Session: [16]byte{2}, User: "alice", Created: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, code := sealctl(t, "sessions", "list", "alice", "--data", dir)
	if code != 0 || strings.ContainsAny(out, "\x1b\t") || !strings.Contains(out, `"evil\x1b[2J\ttab"`) {
		t.Errorf("exit %d, table %q; want the device quoted with escapes", code, out)
	}
	if lines := strings.Split(out, "\n"); len(lines) < 3 || !strings.HasSuffix(lines[2], " -") {
		t.Errorf("table %q: want \"-\" for the empty device", out)
	}
	out, _, _ = sealctl(t, "sessions", "list", "alice", "--data", dir, "--json")
	if !strings.Contains(out, `"device": "evil\u001b[2J\ttab"`) {
		t.Errorf("JSON %q lacks the device, JSON-escaped", out)
	}
}

func TestSessionsListUsage(t *testing.T) {
	dir, _ := registryDir(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no user", []string{"sessions", "list", "--data", dir}, "sessions list: want one user ID, got 0 arguments"},
		{"two users", []string{"sessions", "list", "alice", "bob", "--data", dir}, "want one user ID, got 2 arguments"},
		{"empty user", []string{"sessions", "list", "", "--data", dir}, "sessions list: want one user ID, got an empty one"},
		{"no --data", []string{"sessions", "list", "alice"}, "sessions list: give exactly one of --data DIR"},
		{"both targets", []string{"sessions", "list", "alice", "--data", dir, "--nats", "nats://x"}, "give exactly one of --data DIR"},
		{"--nats without --keyring", []string{"sessions", "list", "alice", "--nats", "nats://x"}, "sessions list: --nats needs --keyring FILE"},
		{"--keyring without --nats", []string{"sessions", "list", "alice", "--data", dir, "--keyring", "k"}, "go with --nats"},
		{"no subcommand", []string{"sessions", "--data", dir}, "sessions: say which subcommand: list"},
		{"unknown subcommand", []string{"sessions", "end", "x"}, `sessions: unknown subcommand "end"`},
		{"unknown flag", []string{"sessions", "list", "alice", "--data", dir, "--until", "1h"}, "flag provided but not defined: --until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := sealctl(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "usage:") || stdout != "" {
				t.Errorf("sealctl %q: exit %d, stdout %q, stderr %q; want exit 2, %q and the usage", tt.args, code, stdout, stderr, tt.want)
			}
		})
	}
}
