//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecondSignalEndsShutdown runs the real main in a child process: the
// first SIGINT starts a graceful shutdown, which waits (up to 10 s) for a
// request parked in ParseForm; a second SIGINT ends the process at once.
func TestSecondSignalEndsShutdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), mainArgsEnv+"=--addr 127.0.0.1:0 --data "+dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed once the process is reaped
	lines := make(chan string, 1000)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody is reading any more
			}
		}
		close(lines)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitLine := func(substr string) string {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the process ended before logging %q", substr)
				}
				if strings.Contains(l, substr) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q in the log within 60 s", substr)
			}
		}
	}
	addr := waitLine("msg=listening url=http://")
	addr = strings.Fields(addr[strings.Index(addr, "url=http://")+len("url=http://"):])[0]

	parkLogin(t, addr)

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitLine("shutting down")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The shutdown would wait 10 s for the parked request.
	select {
	case <-exited:
		if got := cmd.ProcessState.String(); got != "signal: interrupt" {
			t.Errorf("the process ended with %q, want killed by the second interrupt", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second interrupt did not end the process during a shutdown that waits")
	}
}
