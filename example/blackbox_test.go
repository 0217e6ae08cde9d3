//go:build unix

package main

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
)

// TestBlackBoxForeignKeyringRefused runs the built example and sealctl
// against Debian's nats-server with authentication on, as the README's
// several-instance recipe does: two instances share a keyring; a
// revocation published by `sealctl revoke user alice --nats URL --keyring
// OTHER.json` (a keyring that is not the cluster's) is dropped by both, and
// the same command with the cluster's keyring logs alice out on both.
func TestBlackBoxForeignKeyringRefused(t *testing.T) {
	natsServer := lookNATSServer(t)
	example, sealctl := buildBinaries(t)
	dir := t.TempDir()
	url := startNATSServer(t, natsServer, dir)
	shared, other := filepath.Join(dir, "shared.json"), filepath.Join(dir, "other.json")
	runSealctl(t, sealctl, "keys", "init", "--keyring", shared)
	runSealctl(t, sealctl, "keys", "init", "--keyring", other)

	var bases []string
	for _, node := range []string{"a", "b"} {
		p := startProcess(t, exec.Command(example, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, node),
			"--keyring", shared, "--nats", url, "--node", node))
		bases = append(bases, listeningRE.FindStringSubmatch(p.waitLine("msg=listening url=http://"))[1])
	}
	c := testutil.NewClient(t, bases[0], nil)
	login(t, c, "alice", "alice-password")
	alice := &http.Cookie{Name: "session", Value: c.Cookie("session").Value, Path: "/"}
	greetAll := func() []string {
		var got []string
		for _, base := range bases {
			c := testutil.NewClient(t, base, nil)
			c.SetCookie(alice)
			got = append(got, greeting(t, c))
		}
		return got
	}
	if got := greetAll(); got[0] != "Hello, alice" || got[1] != "Hello, alice" {
		t.Fatalf("alice's cookie on a and b: %q", got)
	}

	runSealctl(t, sealctl, "revoke", "user", "alice", "--nats", url, "--keyring", other)
	for i, base := range bases {
		waitFor(t, fmt.Sprintf("instance %d to reject the event signed with another keyring", i), func() bool {
			_, h := healthz(t, testutil.NewClient(t, base, nil))
			return h.Replication.RejectedEvents >= 1
		})
	}
	if got := greetAll(); got[0] != "Hello, alice" || got[1] != "Hello, alice" {
		t.Errorf("after a revocation signed with another keyring, alice's cookie gets %q on a and b, want it still open", got)
	}

	runSealctl(t, sealctl, "revoke", "user", "alice", "--nats", url, "--keyring", shared)
	waitFor(t, "both instances to refuse alice's cookie", func() bool {
		got := greetAll()
		return got[0] == "Hello, Guest" && got[1] == "Hello, Guest"
	})
}

// lookNATSServer finds Debian's nats-server binary (SEALED_NATS_SERVER
// overrides). Without it the test skips, or fails under CI=true.
func lookNATSServer(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SEALED_NATS_SERVER")
	if path == "" {
		var err error
		if path, err = exec.LookPath("nats-server"); err != nil {
			msg := "no nats-server binary for the black-box test: apt-get install nats-server, or set SEALED_NATS_SERVER=/path"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return path
}

// buildBinaries builds the example and sealctl into a temp dir.
func buildBinaries(t *testing.T) (example, sealctl string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the black-box test builds the binaries and needs the go command: %v", err)
	}
	dir := t.TempDir()
	example, sealctl = filepath.Join(dir, "example"), filepath.Join(dir, "sealctl")
	for out, pkg := range map[string]string{example: ".", sealctl: "github.com/sealedsessions/sealed/cmd/sealctl"} {
		if b, err := exec.Command(goBin, "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return example, sealctl
}

var natsListeningRE = regexp.MustCompile(`Listening for client connections on (127\.0\.0\.1:\d+)`)

// startNATSServer runs nats-server with JetStream on a loopback port it
// picks and a configuration that requires a user and password (random),
// stores in dir, and returns the client URL with the credentials in it.
func startNATSServer(t *testing.T, bin, dir string) string {
	t.Helper()
	pw := rand.Text()
	conf := filepath.Join(dir, "nats-server.conf")
	text := fmt.Sprintf(`listen: "127.0.0.1:-1"
jetstream { store_dir: %q, max_memory_store: 64MB, max_file_store: 256MB }
authorization { users: [ { user: sealed, password: %q } ] }
`, filepath.Join(dir, "nats"), pw)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, exec.Command(bin, "-c", conf))
	addr := natsListeningRE.FindStringSubmatch(p.waitLine("Listening for client connections on"))[1]
	p.waitLine("Server is ready")
	return "nats://sealed:" + pw + "@" + addr
}

// runSealctl runs sealctl with args and fails the test if it fails.
func runSealctl(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sealctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
