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
	p := startMain(t, "--addr 127.0.0.1:0 --data "+filepath.Join(t.TempDir(), "data"))
	addr := p.waitLine("msg=listening url=http://")
	addr = strings.Fields(addr[strings.Index(addr, "url=http://")+len("url=http://"):])[0]

	parkLogin(t, addr)

	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	p.waitLine("shutting down")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The shutdown would wait 10 s for the parked request.
	select {
	case <-p.exited:
		if got := p.cmd.ProcessState.String(); got != "signal: interrupt" {
			t.Errorf("the process ended with %q, want killed by the second interrupt", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second interrupt did not end the process during a shutdown that waits")
	}
}

// mainProcess is a child process whose log (stderr) the test reads: the
// example's real main (the test binary, through mainArgsEnv), or a built
// binary in the black-box test.
type mainProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process is reaped
	lines  chan string   // its log, line by line
}

// startMain starts main with args; the test's cleanup kills it.
func startMain(t *testing.T, args string) *mainProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+args)
	return startProcess(t, cmd)
}

// startProcess starts cmd and reads its stderr line by line; the test's
// cleanup kills it and waits until it is reaped.
func startProcess(t *testing.T, cmd *exec.Cmd) *mainProcess {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &mainProcess{t: t, cmd: cmd, exited: make(chan struct{}), lines: make(chan string, 1000)}
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody is reading any more
			}
		}
		close(p.lines)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// waitLine returns the first log line from now on that contains substr.
func (p *mainProcess) waitLine(substr string) string {
	p.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("the process ended before logging %q", substr)
			}
			if strings.Contains(l, substr) {
				return l
			}
		case <-deadline:
			p.t.Fatalf("no %q in the log within 60 s", substr)
		}
	}
}
