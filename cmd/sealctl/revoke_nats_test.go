package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// replicatingInstance is a running app instance for revoke --nats to reach:
// a store in a temp dir with a replicator on srv, caught up, using the
// keyring in the file it returns (the cluster's).
func replicatingInstance(t *testing.T, srv *natstest.Server, scfg revocation.Config, rcfg natsrepl.Config) (*natsrepl.Replicator, *revocation.Store, string) {
	t.Helper()
	keys, ring := testutil.KeyringFile(t)
	rcfg.Keys = ring.Keyring
	quiet := slog.New(slog.DiscardHandler)
	scfg.Node, scfg.Outbox, scfg.GCInterval, scfg.Logger = "app", true, -1, quiet
	st, err := revocation.Open(filepath.Join(t.TempDir(), "data"), scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rcfg.URL, rcfg.Node, rcfg.Logger = srv.URL(), "app", quiet
	repl, err := natsrepl.Start(context.Background(), st, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repl.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := repl.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	return repl, st, keys
}

// revoke --nats reaches a running instance through a real NATS server.
func TestRevokeViaNATS(t *testing.T) {
	srv := natstest.Start(t)
	repl, _, keys := replicatingInstance(t, srv, revocation.Config{}, natsrepl.Config{})
	ctx := context.Background()

	var id [16]byte
	id[0], id[15] = 0xab, 0xcd
	before := time.Now()
	tests := []struct {
		name string
		args []string
		out  string
		dead func() bool
	}{
		{"session", []string{"revoke", "session", hex.EncodeToString(id[:]), "--nats", srv.URL(), "--keyring", keys}, "revoked session ab0000000000000000000000000000cd", func() bool {
			dead, _ := repl.Revoked(id, "", time.Now())
			return dead
		}},
		{"user", []string{"revoke", "--nats", srv.URL(), "--keyring", keys, "user", "erin"}, `user "erin"`, func() bool {
			dead, _ := repl.Revoked([16]byte{1}, "erin", before)
			return dead
		}},
		{"all", []string{"revoke", "all", "-nats", srv.URL(), "-keyring", keys}, "every session created up to", func() bool {
			dead, _ := repl.Revoked([16]byte{2}, "", before)
			return dead
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(ctx, tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run %q: %v (stderr %q)", tt.args, err, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stdout.String(), natsrepl.DefaultStream) {
				t.Errorf("stdout %q, want it to contain %q and the stream name", stdout.String(), tt.out)
			}
			deadline := time.Now().Add(2 * time.Second)
			for !tt.dead() {
				if time.Now().After(deadline) {
					t.Fatal("the running instance never applied the revocation")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

func TestRevokeViaNATSErrors(t *testing.T) {
	srv := natstest.Start(t) // a server with no revocation stream
	keys, _ := testutil.KeyringFile(t)
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"no server", "nats://127.0.0.1:1", "connect"},
		{"no server, password not shown", "nats://ops:hunter2@127.0.0.1:1", "nats://redacted@127.0.0.1:1"},
		{"no stream", srv.URL(), "no stream SEALED_REVOCATIONS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := exitCode(run(context.Background(), []string{"revoke", "all", "--nats", tt.url, "--keyring", keys}, &stdout, &stderr), &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tt.want) || !strings.Contains(stderr.String(), "--nats") {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), "hunter2") {
				t.Errorf("stderr %q shows the password", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q on failure, want nothing", stdout.String())
			}
		})
	}
}

// A cluster configured with its own stream and subject prefix is reached
// with --stream and --subject-prefix; a mismatch fails and says which flags.
func TestRevokeViaNATSCustomStream(t *testing.T) {
	srv := natstest.Start(t)
	repl, _, keys := replicatingInstance(t, srv, revocation.Config{}, natsrepl.Config{Stream: "SHOP_REVOCATIONS", SubjectPrefix: "shop.revocations"})
	ctx := context.Background()

	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"revoke", "user", "finn", "--nats", srv.URL(), "--keyring", keys}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "--stream and --subject-prefix") {
		t.Errorf("default stream against a custom one: exit %d, stderr %q; want 1 naming --stream and --subject-prefix", code, stderr.String())
	}

	before := time.Now()
	stdout.Reset()
	args := []string{"revoke", "user", "finn", "--nats", srv.URL(), "--keyring", keys, "--stream", "SHOP_REVOCATIONS", "--subject-prefix", "shop.revocations"}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run %q: %v", args, err)
	}
	if !strings.Contains(stdout.String(), "SHOP_REVOCATIONS") {
		t.Errorf("stdout %q does not name the stream", stdout.String())
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if dead, _ := repl.Revoked([16]byte{3}, "finn", before); dead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the running instance never applied the revocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRevokeNATSFlagErrors(t *testing.T) {
	dir := t.TempDir()
	keys, _ := testutil.KeyringFile(t)
	url := "nats://127.0.0.1:1"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nats flags without --nats", []string{"revoke", "all", "--data", dir, "--stream", "X"}, 2, "go with --nats"},
		{"keyring without --nats", []string{"revoke", "all", "--data", dir, "--keyring", keys}, 2, "go with --nats"},
		{"nats without keyring", []string{"revoke", "all", "--nats", url}, 2, "--nats needs --keyring"},
		{"missing keyring file", []string{"revoke", "all", "--nats", url, "--keyring", filepath.Join(dir, "none.json")}, 1, "does not exist"},
		{"missing creds file", []string{"revoke", "all", "--nats", url, "--keyring", keys, "--nats-creds", filepath.Join(dir, "none.creds")}, 1, "Creds"},
		{"missing nkey file", []string{"revoke", "all", "--nats", url, "--keyring", keys, "--nats-nkey", filepath.Join(dir, "none.nk")}, 1, "NKey"},
		{"missing CA file", []string{"revoke", "all", "--nats", url, "--keyring", keys, "--nats-ca", filepath.Join(dir, "ca.pem")}, 1, "TLSCA"},
		{"cert without key", []string{"revoke", "all", "--nats", url, "--keyring", keys, "--nats-tls-cert", keys}, 1, "TLSCert and TLSKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := exitCode(run(context.Background(), tt.args, &stdout, &stderr), &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}

// Without --until, a session revoked through NATS stays revoked as long as
// the servers' own absolute lifetime, not sealctl's --absolute-lifetime
// default: the servers may keep sessions longer than 30 days.
func TestRevokeViaNATSSessionUsesServersLifetime(t *testing.T) {
	srv := natstest.Start(t)
	clock := fake.NewClock(time.Now())
	const life = 90 * 24 * time.Hour
	_, st, keys := replicatingInstance(t, srv, revocation.Config{AbsoluteLifetime: life, Now: clock.Now}, natsrepl.Config{})
	ctx := context.Background()
	id := [16]byte{0xfe, 15: 0xed}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"revoke", "session", hex.EncodeToString(id[:]), "--nats", srv.URL(), "--keyring", keys}, &stdout, &stderr); err != nil {
		t.Fatalf("revoke: %v (stderr %q)", err, stderr.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for dead, _ := st.Revoked(id, "", time.Now()); !dead; dead, _ = st.Revoked(id, "", time.Now()) {
		if time.Now().After(deadline) {
			t.Fatal("the running instance never applied the revocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	clock.Advance(60 * 24 * time.Hour) // past sealctl's 30-day default, within the servers' 90 days
	if err := st.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if dead, err := st.Revoked(id, "", time.Now()); !dead || err != nil {
		t.Errorf("60 days on, within the servers' 90-day lifetime: Revoked = %v, %v; want true", dead, err)
	}
}

// A revocation signed with a keyring that is not the cluster's is
// published but refused by the running instance, counted and changes
// nothing; the same command with the cluster's keyring is applied.
func TestRevokeViaNATSNeedsClusterKeyring(t *testing.T) {
	srv := natstest.Start(t)
	repl, _, keys := replicatingInstance(t, srv, revocation.Config{}, natsrepl.Config{})
	other, _ := testutil.KeyringFile(t)
	ctx := context.Background()
	before := time.Now()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"revoke", "user", "mallory-target", "--nats", srv.URL(), "--keyring", other}, &stdout, &stderr); err != nil {
		t.Fatalf("revoke with another keyring: %v (stderr %q)", err, stderr.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for repl.Health().RejectedEvents == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the instance never rejected the event: health %+v", repl.Health())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if dead, err := repl.Revoked([16]byte{4}, "mallory-target", before); dead || err != nil {
		t.Errorf("after a revocation signed with another keyring: Revoked = %v, %v; want false", dead, err)
	}
	if err := run(ctx, []string{"revoke", "user", "mallory-target", "--nats", srv.URL(), "--keyring", keys}, &stdout, &stderr); err != nil {
		t.Fatalf("revoke with the cluster's keyring: %v (stderr %q)", err, stderr.String())
	}
	deadline = time.Now().Add(5 * time.Second)
	for dead, _ := repl.Revoked([16]byte{4}, "mallory-target", before); !dead; dead, _ = repl.Revoked([16]byte{4}, "mallory-target", before) {
		if time.Now().After(deadline) {
			t.Fatal("the instance never applied the revocation signed with the cluster's keyring")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := repl.Health().RejectedEvents; got != 1 {
		t.Errorf("rejected %d events, want 1", got)
	}
}
