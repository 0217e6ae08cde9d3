package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// newDataDir makes an empty revocation directory, as a stopped instance leaves it.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := revocation.Open(dir, revocation.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRevokeData(t *testing.T) {
	dir := newDataDir(t)
	const sid = "00112233445566778899aabbccddeeff"
	before := time.Now()
	for _, args := range [][]string{
		{"revoke", "session", sid, "--data", dir, "--until", "2h"}, // flags after
		{"revoke", "--data", dir, "user", "alice"},                 // flags before
		{"revoke", "all", "-data", dir},                            // single dash
	} {
		if out, errOut, code := sealctl(t, args...); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	after := time.Now()

	out, errOut, code := sealctl(t, "revocations", "stats", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("stats: exit %d, %s", code, errOut)
	}
	var st revocation.Stats
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	if st.Sessions != 1 || st.Users != 1 || st.All.Before(before) || st.All.After(after) {
		t.Errorf("stats = %+v, want 1 session, 1 user, all between %v and %v", st, before, after)
	}

	s, err := revocation.Open(dir, revocation.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	if got, err := s.Revoked(id, "", after.Add(time.Second)); !got || err != nil {
		t.Errorf("session revoked by sealctl: Revoked = %v, %v", got, err)
	}
	if got, err := s.Revoked([16]byte{1}, "alice", before.Add(-time.Second)); !got || err != nil {
		t.Errorf("user revoked by sealctl: Revoked = %v, %v", got, err)
	}

	// Held by a "running server": a clear error pointing to --nats.
	_, errOut, code = sealctl(t, "revoke", "user", "bob", "--data", dir)
	if code != 1 || !strings.Contains(errOut, "--nats") || !strings.Contains(errOut, dir) {
		t.Errorf("locked dir: exit %d, stderr %q; want 1 and advice naming the dir and --nats", code, errOut)
	}
	_, errOut, code = sealctl(t, "revocations", "stats", "--data", dir)
	if code != 1 || !strings.Contains(errOut, "running server") {
		t.Errorf("stats on a locked dir: exit %d, stderr %q", code, errOut)
	}
}

func TestRevocationsStatsText(t *testing.T) {
	dir := newDataDir(t)
	out, errOut, code := sealctl(t, "revocations", "stats", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"sessions:     0", "users:        0", "all:          none", "outbox:       0 pending"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
}

func TestRevokeUsage(t *testing.T) {
	dir := newDataDir(t)
	keys, _ := testutil.KeyringFile(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no scope", []string{"revoke", "--data", dir}, 2, "say which scope: session, user or all"},
		{"no target", []string{"revoke", "all"}, 2, "exactly one of --data"},
		{"both targets", []string{"revoke", "all", "--data", dir, "--nats", "nats://x"}, 2, "exactly one of --data"},
		{"bad scope", []string{"revoke", "group", "x", "--data", dir}, 2, "unknown scope"},
		{"short session ID", []string{"revoke", "session", "abcd", "--data", dir}, 2, "32 hex"},
		{"non-hex session ID", []string{"revoke", "session", strings.Repeat("zz", 16), "--data", dir}, 2, "32 hex"},
		{"bad until", []string{"revoke", "session", strings.Repeat("ab", 16), "--until", "soon", "--data", dir}, 2, "--until"},
		{"until for a user", []string{"revoke", "user", "alice", "--until", "1h", "--data", dir}, 2, "--until (it belongs to sealctl revoke session)"},
		{"user without ID", []string{"revoke", "user", "--data", dir}, 2, "one user ID"},
		{"all with argument", []string{"revoke", "all", "x", "--data", dir}, 2, "no arguments"},
		{"unknown flag", []string{"revoke", "all", "--date", dir}, 2, "flag provided but not defined"},
		{"missing dir", []string{"revoke", "all", "--data", filepath.Join(dir, "nope")}, 1, "nope"},
		{"stats without data", []string{"revocations", "stats"}, 2, "--data DIR is required"},
		{"revocations without stats", []string{"revocations", "--data", dir}, 2, "stats"},
		{"nats unreachable", []string{"revoke", "all", "--nats", "nats://127.0.0.1:1", "--keyring", keys}, 1, "nats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := sealctl(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestParseUntil(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"90m", now.Add(90 * time.Minute), true},
		{"2026-02-01T00:00:00Z", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), true},
		{"-1h", time.Time{}, false},
		{"tomorrow", time.Time{}, false},
	} {
		got, err := parseUntil(tt.in, now)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseUntil(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// A directory that replicates through NATS (it holds natsrepl's stream
// position) gets the event queued in its outbox even without --outbox:
// otherwise the revocation would stay on that one instance, silently.
func TestRevokeDataReplicatingQueuesOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := revocation.Open(dir, revocation.Config{Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background(), nil, revocation.Cursor{Name: natsrepl.PositionName(""), Value: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	plain := newDataDir(t)
	for _, d := range []string{dir, plain} {
		if out, errOut, code := sealctl(t, "revoke", "user", "alice", "--data", d); code != 0 {
			t.Fatalf("revoke --data %s: exit %d, stdout %q, stderr %q", d, code, out, errOut)
		}
	}
	for _, c := range []struct {
		dir  string
		want int
	}{{dir, 1}, {plain, 0}} {
		s, err := revocation.Open(c.dir, revocation.Config{Outbox: true})
		if err != nil {
			t.Fatal(err)
		}
		got := s.Stats().OutboxDepth
		s.Close()
		if got != c.want {
			t.Errorf("%s: outbox depth %d after revoke --data, want %d", c.dir, got, c.want)
		}
	}
}

// An --until in the past would be a silent no-op reported as "revoked".
func TestRevokeUntilInThePast(t *testing.T) {
	dir := newDataDir(t)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	_, errOut, code := sealctl(t, "revoke", "session", strings.Repeat("ab", 16), "--until", past, "--data", dir)
	if code != 2 || !strings.Contains(errOut, "past") {
		t.Errorf("--until %s: exit %d, stderr %q; want 2 and a message about the past", past, code, errOut)
	}
}

// Without --absolute-lifetime, sealctl keeps entries as long as the server
// that owns the directory: the lifetime it recorded, not the 30-day default.
func TestRevokeDataUsesRecordedLifetime(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const life = 90 * 24 * time.Hour
	s, err := revocation.Open(dir, revocation.Config{AbsoluteLifetime: life})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	const sid = "00112233445566778899aabbccddeeff"
	before := time.Now()
	out, errOut, code := sealctl(t, "revoke", "session", sid, "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// "revoked session ID until TIME in DIR": the until is now + 90 days.
	f := strings.Fields(out)
	if len(f) < 5 {
		t.Fatalf("stdout %q", out)
	}
	until, err := time.Parse(time.RFC3339, f[4])
	if err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if want := before.Add(life); until.Before(want.Add(-time.Minute)) || until.After(want.Add(time.Hour)) {
		t.Errorf("session revoked until %v, want about %v (the directory's 90-day lifetime)", until, want)
	}
	s, err = revocation.Open(dir, revocation.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.AbsoluteLifetime(); got != life {
		t.Errorf("after sealctl, the directory's lifetime is %v, want %v", got, life)
	}
}
