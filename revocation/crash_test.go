package revocation_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

const crashDirEnv = "SEALED_REVOCATION_CRASH_DIR"

// appliedID is the session ID the crash child applies as remote event i.
func appliedID(i uint64) [16]byte {
	var id [16]byte
	copy(id[:], "applied!")
	binary.BigEndian.PutUint64(id[8:], i)
	return id
}

// TestCrashChild is the child process of TestCrashRecovery: with
// SEALED_REVOCATION_CRASH_DIR set it revokes in a loop, printing each
// acknowledged revocation, until it is killed. Without it, it is not a
// test and returns at once.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return // only the parent test runs this as a process
	}
	ctx := context.Background()
	s, err := revocation.Open(dir, revocation.Config{Outbox: true, GCInterval: -1})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := uint64(1); ; i++ {
		var id [16]byte
		binary.BigEndian.PutUint64(id[:], uint64(time.Now().UnixNano()))
		binary.BigEndian.PutUint64(id[8:], i)
		if err := s.RevokeSession(ctx, id, time.Time{}); err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		// Print only after the call returned: an acknowledged revocation.
		fmt.Fprintf(out, "S %x\n", id)
		ev := revocation.Event{ID: id, Kind: revocation.KindSession, Session: appliedID(i), At: time.Now(), Origin: "remote"}
		if err := s.Apply(ctx, []revocation.Event{ev}, revocation.Cursor{Name: "crash", Value: []byte(strconv.FormatUint(i, 10))}); err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		fmt.Fprintf(out, "A %d\n", i)
		out.Flush()
	}
}

// TestCrashRecovery kills a process that is revoking with SIGKILL and
// finds every revocation it acknowledged, and a cursor consistent with the
// applied events, after reopening its directory.
func TestCrashRecovery(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "revocations")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const acks = 150
	var sessions [][16]byte
	var lastApplied uint64
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "S "):
			b, err := hex.DecodeString(line[2:])
			if err != nil || len(b) != 16 {
				t.Fatalf("child printed %q", line)
			}
			sessions = append(sessions, [16]byte(b))
		case strings.HasPrefix(line, "A "):
			lastApplied, _ = strconv.ParseUint(line[2:], 10, 64)
		default:
			if !strings.HasPrefix(line, "=== RUN") && !strings.HasPrefix(line, "---") {
				t.Errorf("child: %s", line)
			}
		}
		if !killed && len(sessions) >= acks {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true // keep reading: lines already written were acknowledged too
		}
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d acknowledgements: %v", len(sessions), err)
	}

	s := reopenCrashed(t, dir)
	for _, id := range sessions {
		if !mustRevoked(t, s, id, "", time.Now()) {
			t.Errorf("acknowledged revocation %x lost in the crash", id)
		}
	}
	cur, err := s.Cursor("crash")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(string(cur), 10, 64)
	if err != nil || n < lastApplied {
		t.Fatalf("cursor after crash = %q, want at least the last acknowledged %d", cur, lastApplied)
	}
	// The cursor and its events were committed together.
	for i := uint64(1); i <= n; i++ {
		if !mustRevoked(t, s, appliedID(i), "", time.Now()) {
			t.Fatalf("cursor says %d applied, but event %d is missing", n, i)
		}
	}
	if mustRevoked(t, s, appliedID(n+1), "", time.Now()) {
		// Committed effects beyond the cursor would mean they were not in one transaction.
		t.Errorf("event %d applied but the cursor says %d", n+1, n)
	}
	if got := s.Stats().OutboxDepth; got < len(sessions) {
		t.Errorf("outbox has %d records, want at least the %d acknowledged", got, len(sessions))
	}
	t.Logf("%d acknowledged revocations and cursor %d survived SIGKILL", len(sessions), n)
}

func reopenCrashed(t *testing.T, dir string) *revocation.Store {
	t.Helper()
	s, err := revocation.Open(dir, revocation.Config{})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
