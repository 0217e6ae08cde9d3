package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
)

var listeningRE = regexp.MustCompile(`msg=listening url=(http://\S+)`)

// startRun runs run in the background and returns the URL it listens on,
// a cancel func (Ctrl-C) and a channel with run's result.
func startRun(t *testing.T, args ...string) (string, *fake.Buffer, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &fake.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, io.Discard, logs) }()
	deadline := time.After(30 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(logs.String()); m != nil {
			return m[1], logs, cancel, done
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run returned early: %v\nlogs:\n%s", err, logs)
		case <-deadline:
			cancel()
			t.Fatalf("run did not start listening within 30s; logs:\n%s", logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func stopRun(t *testing.T, cancel context.CancelFunc, done <-chan error, logs *fake.Buffer) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within 30s of cancel")
	}
	if !strings.Contains(logs.String(), "stopped cleanly") {
		t.Errorf("no clean-stop log:\n%s", logs)
	}
}

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	base, logs, cancel, done := startRun(t, "--addr", "127.0.0.1:0", "--data", dir)
	for _, want := range []string{"generated a new keyring", filepath.Join(dir, "keyring.json"),
		"cookies without the Secure attribute: plain HTTP on a loopback address", filepath.Join(dir, "revocations")} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	c := testutil.NewClient(t, base, nil)
	login(t, c, "bob", "bob-password")
	if got := greeting(t, c); got != "Hello, bob" {
		t.Errorf("greeting %q", got)
	}
	if ck := c.Cookie("session"); ck == nil {
		t.Error("no session cookie over plain HTTP on loopback")
	}
	stolen := c.Cookie("session")
	stopRun(t, cancel, done, logs)
	if fi, err := os.Stat(filepath.Join(dir, "keyring.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring file: %v, mode %v; want 0600", err, fi.Mode())
	}

	// A restart reuses the keyring (no new one) and the revocation list:
	// the session still opens, and a logout before the restart still holds.
	base, logs, cancel, done = startRun(t, "--addr", "127.0.0.1:0", "--data", dir)
	if strings.Contains(logs.String(), "generated a new keyring") {
		t.Errorf("second run generated a keyring again:\n%s", logs)
	}
	c = testutil.NewClient(t, base, nil)
	c.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value, Path: "/"})
	if got := greeting(t, c); got != "Hello, bob" {
		t.Errorf("after restart: %q, want Hello, bob", got)
	}
	wantRedirect(t, "logout", c.PostForm("/logout", nil), "/")
	stopRun(t, cancel, done, logs)

	base, logs, cancel, done = startRun(t, "--addr", "127.0.0.1:0", "--data", dir)
	c = testutil.NewClient(t, base, nil)
	c.SetCookie(&http.Cookie{Name: "session", Value: stolen.Value, Path: "/"})
	if got := greeting(t, c); got != "Hello, Guest" {
		t.Errorf("logged-out cookie after a restart: %q, want Hello, Guest", got)
	}
	stopRun(t, cancel, done, logs)
}

func TestRunFlags(t *testing.T) {
	t.Run("secure cookies off loopback", func(t *testing.T) {
		// 0.0.0.0 is not loopback: cookies stay Secure and the log warns.
		dir := t.TempDir()
		base, logs, cancel, done := startRun(t, "--addr", "0.0.0.0:0", "--data", dir, "--cookie-age", "1h",
			"--expire-at-browser-close", "--save-every-request", "--absolute-lifetime", "48h")
		if !strings.Contains(logs.String(), "cookies are Secure but this server speaks plain HTTP") {
			t.Errorf("no warning about Secure cookies over plain HTTP:\n%s", logs)
		}
		base = strings.Replace(base, "0.0.0.0", "127.0.0.1", 1)
		c := testutil.NewClient(t, base, nil)
		resp := c.PostForm("/login", url.Values{"username": {"bob"}, "password": {"bob-password"}})
		ck := resp.Header.Get("Set-Cookie")
		if !strings.Contains(ck, "; Secure") {
			t.Errorf("cookie on a non-loopback address is not Secure: %q", ck)
		}
		if strings.Contains(ck, "Expires=") || strings.Contains(ck, "Max-Age=") {
			t.Errorf("--expire-at-browser-close: cookie is persistent: %q", ck)
		}
		stopRun(t, cancel, done, logs)
	})
	t.Run("insecure cookies off loopback warns", func(t *testing.T) {
		_, logs, cancel, done := startRun(t, "--addr", "0.0.0.0:0", "--data", t.TempDir(), "--insecure-cookies")
		if !strings.Contains(logs.String(), "session cookies travel in clear text") {
			t.Errorf("no clear-text warning:\n%s", logs)
		}
		stopRun(t, cancel, done, logs)
	})
	t.Run("keyring flag", func(t *testing.T) {
		kr := filepath.Join(t.TempDir(), "elsewhere.json")
		_, logs, cancel, done := startRun(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--keyring", kr)
		stopRun(t, cancel, done, logs)
		if _, err := os.Stat(kr); err != nil {
			t.Errorf("--keyring %s: %v", kr, err)
		}
	})

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
		{"bad duration", []string{"--cookie-age", "soon"}, "invalid value"},
		{"argument", []string{"extra"}, "unexpected argument"},
		{"nats flags without --nats", []string{"--nats-creds", "x.creds", "--fail-closed-when-stale"}, "--fail-closed-when-stale, --nats-creds: only with --nats URL"},
		{"tls cert without key", []string{"--nats", "nats://127.0.0.1:1", "--nats-tls-cert", "c.pem"}, "--nats-tls-cert and --nats-tls-key go together"},
		{"negative catch-up timeout", []string{"--nats", "nats://127.0.0.1:1", "--catch-up-timeout", "-1s"}, "negative"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tt.args, io.Discard, &stderr)
			if err == nil || exitCode(err) != 2 {
				t.Fatalf("run %q: err %v (exit %d), want a usage error (exit 2)", tt.args, err, exitCode(err))
			}
			if !strings.Contains(err.Error()+stderr.String(), tt.want) {
				t.Errorf("run %q: %v / %s, want %q", tt.args, err, stderr.String(), tt.want)
			}
		})
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
		t.Errorf("-h: %v, exit %d; want ErrHelp and 0", err, exitCode(err))
	}
}

func TestOpenErrors(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	first, err := Open(Config{DataDir: dir, InsecureCookies: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	if _, err := Open(Config{DataDir: dir, Logger: quiet}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second Open on the same data dir: %v, want a clear 'in use' error", err)
	}
	if _, err := Open(Config{Logger: quiet}); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("Open without a data dir: %v", err)
	}
	badKeys := filepath.Join(t.TempDir(), "keyring.json")
	if err := os.WriteFile(badKeys, []byte(`{"version": 1, "keys": "nope"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{DataDir: t.TempDir(), KeyringFile: badKeys, Logger: quiet}); err == nil || !strings.Contains(err.Error(), badKeys) {
		t.Errorf("Open with a broken keyring: %v, want an error naming the file", err)
	}
	if _, err := Open(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:-1", Logger: quiet}); err == nil {
		t.Error("Open on a bad address succeeded")
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:80", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"192.168.1.2:80", false},
		{"example.com:80", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := isLoopback(tt.addr); got != tt.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestReplicationAcrossInstances runs two instances against one real NATS
// server: a session from one opens on the other (shared keyring), and a
// "log out everywhere" on one reaches the other through JetStream.
func TestReplicationAcrossInstances(t *testing.T) {
	ns := natstest.Start(t)
	keys := filepath.Join(t.TempDir(), "keyring.json")
	open := func(node string) *site {
		s := newSite(t, func(c *Config) {
			c.NATSURL = ns.URL()
			c.Node = node
			c.KeyringFile = keys
			c.Now = nil // replication staleness runs on the real clock
		})
		waitHealthy(t, s.client())
		return s
	}
	a, b := open("a"), open("b")

	ca := a.client()
	login(t, ca, "bob", "bob-password")
	ck := ca.Cookie("session")
	cb := b.client()
	cb.SetCookie(&http.Cookie{Name: "session", Value: ck.Value, Path: "/"})
	if got := greeting(t, cb); got != "Hello, bob" {
		t.Fatalf("bob's cookie from a on b: %q", got)
	}

	wantRedirect(t, "logout everywhere on a", ca.PostForm("/logout-everywhere", nil), "/")
	deadline := time.Now().Add(10 * time.Second)
	for greeting(t, cb) != "Hello, Guest" {
		if time.Now().After(deadline) {
			t.Fatal("b still accepts bob's session 10s after log out everywhere on a")
		}
		time.Sleep(20 * time.Millisecond) // waiting on another goroutine's delivery, not on a clock
	}

	var h healthReport
	if err := json.Unmarshal([]byte(cb.Get("/healthz").Body), &h); err != nil {
		t.Fatal(err)
	}
	// The replica's health is natsrepl.Health as is: the sequences too.
	if h.Replication == nil || h.Revocation.Stats.Users != 1 || h.Replication.AppliedSeq == 0 || h.Replication.StreamSeq < h.Replication.AppliedSeq {
		t.Errorf("b's health after replication: %+v", h)
	}
	wantBody(t, "metrics on b", cb.Get("/metrics"), "sealed_replication_healthy 1", `sealed_revocation_entries{scope="user"} 1`,
		"sealed_replication_rejected_events_total 0", "sealed_replication_republished_total 0", "sealed_replication_outbox_oldest_age_seconds ")
}

// waitHealthy waits until /healthz answers 200 (replication caught up).
func waitHealthy(t *testing.T, c *testutil.Client) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp := c.Get("/healthz")
		if resp.StatusCode == http.StatusOK {
			if !strings.Contains(resp.Body, `"replication"`) {
				t.Fatalf("healthz with --nats has no replication section:\n%s", resp.Body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy after 15s: %d\n%s", resp.StatusCode, resp.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDataDirMode: a new data directory is created 0700 with the keyring
// 0600 in it; an existing one that others can read is kept but warned about.
func TestDataDirMode(t *testing.T) {
	tests := []struct {
		name     string
		existing os.FileMode // 0: Open creates it
		wantWarn bool
	}{
		{"created", 0, false},
		{"existing 0700", 0o700, false},
		{"existing 0755", 0o755, true},
		{"existing 0770", 0o770, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tt.existing != 0 {
				if err := os.Mkdir(dir, tt.existing); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tt.existing); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			logs := &fake.Buffer{}
			srv, err := Open(Config{DataDir: dir, KeyringPollInterval: -1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			warned := strings.Contains(logs.String(), "run chmod 700")
			if warned != tt.wantWarn {
				t.Errorf("warned %v, want %v; logs:\n%s", warned, tt.wantWarn, logs)
			}
			want := tt.existing
			if want == 0 {
				want = 0o700
			}
			for path, want := range map[string]os.FileMode{dir: want, filepath.Join(dir, "keyring.json"): 0o600} {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != want {
					t.Errorf("%s: mode %v, want %v", path, got, want)
				}
			}
		})
	}
}

// TestCloseCutsSlowRequests: a request still in flight when the shutdown
// timeout runs out has its connection closed by Close, instead of running
// on against a closed revocation store.
func TestCloseCutsSlowRequests(t *testing.T) {
	srv, err := Open(Config{
		Addr: "127.0.0.1:0", DataDir: filepath.Join(t.TempDir(), "data"), InsecureCookies: true, KeyringPollInterval: -1,
		ShutdownTimeout: 100 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := parkLogin(t, strings.TrimPrefix(srv.URL(), "http://"))
	if err := srv.Close(); err == nil || !strings.Contains(err.Error(), "connections closed") {
		t.Errorf("Close with a request in flight: %v, want an error saying connections were closed", err)
	}
	// The server's ReadTimeout is 30 s; the connection must go well before.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the slow request's connection is still open after Close: %v", err)
	}
}

// parkLogin starts a login on addr whose body never comes, so its handler
// waits in ParseForm. The server answers "100 Continue" when the handler
// starts reading: parkLogin returns then, with the request in flight.
func parkLogin(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	return conn
}
