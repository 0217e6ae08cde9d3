//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/tmpfs"
)

// TestBinaryFullDiskAndWritableKeyring runs the example binary, built by
// the test, as an operator would: with its data directory on a 4 MiB tmpfs,
// a flood of logouts leaves it up and answering /healthz 503 (it used to
// die of SIGBUS inside Badger); then a keyring made writable by everyone
// (chmod 666) makes it refuse to start, naming the mode.
func TestBinaryFullDiskAndWritableKeyring(t *testing.T) {
	mnt := tmpfs.Mount(t, "4m")
	bin := filepath.Join(t.TempDir(), "example")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(mnt, "data")

	// The flood is of anonymous sessions from one address: the abuse limit
	// on them would answer 429 long before the disk fills.
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", data, "--limit-anon-end", "off")
	var log bytes.Buffer
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			log.WriteString(line + "\n") // read only after exited
			if i := strings.Index(line, "url=http://"); i >= 0 && strings.Contains(line, "listening") {
				listening <- strings.Fields(line[i+len("url="):])[0]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	var base string
	select {
	case base = <-listening:
	case err := <-exited:
		t.Fatalf("the example exited before listening: %v\n%s", err, log.String())
	case <-time.After(60 * time.Second):
		t.Fatal("the example did not listen within 60 s")
	}

	resp, _, h := floodUntilUnhealthy(t, base)
	wantStatus(t, "logout on a full disk", resp, http.StatusServiceUnavailable)
	wantStatus(t, "/healthz on a full disk", h, http.StatusServiceUnavailable)
	wantBody(t, "/healthz on a full disk", h, "disk full", "MiB free")
	select {
	case err := <-exited:
		t.Fatalf("the example died on a full disk: %v\n%s", err, log.String())
	default:
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Errorf("the example did not stop cleanly after the full disk: %v\n%s", err, log.String())
	}

	// A keyring everyone may write: refused at start, naming the mode.
	if err := os.Chmod(filepath.Join(data, "keyring.json"), 0o666); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", data).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("start with a world-writable keyring: %v, want a failed exit\n%s", err, out)
	}
	for _, want := range []string{"mode 0666", "chmod go-w"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("start with a world-writable keyring said %q, want it to say %q", out, want)
		}
	}
}
