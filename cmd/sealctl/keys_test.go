package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

var addedRE = regexp.MustCompile(`added key ([a-z2-7]+) `)

func newRing(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ring.json")
	if out, stderr, code := sealctl(t, "keys", "init", "--keyring", path); code != 0 {
		t.Fatalf("keys init: exit %d: %s%s", code, out, stderr)
	}
	return path
}

func load(t *testing.T, path string) *keyring.Keyring {
	t.Helper()
	k, err := keyring.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeysLifecycle(t *testing.T) {
	path := newRing(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	first := load(t, path).Primary().ID

	// init refuses to overwrite.
	before, _ := os.ReadFile(path)
	_, stderr, code := sealctl(t, "keys", "init", "--keyring", path)
	after, _ := os.ReadFile(path)
	if code != 1 || !strings.Contains(stderr, "already exists") || string(before) != string(after) {
		t.Errorf("second init: exit %d, stderr %q, file changed %v", code, stderr, string(before) != string(after))
	}

	// add, with the flag after the subcommand, single dash.
	out, stderr, code := sealctl(t, "keys", "add", "-keyring", path)
	m := addedRE.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("add: exit %d, out %q, stderr %q", code, out, stderr)
	}
	added := m[1]
	if key, ok := load(t, path).Key(added); !ok || key.State != keyring.Enabled {
		t.Fatalf("added key %s: %v, %v", added, key, ok)
	}
	v, err := load(t, path).Seal("session", []byte("before"))
	if err != nil {
		t.Fatal(err)
	}

	// promote with the ID before the flag.
	if out, stderr, code := sealctl(t, "keys", "promote", added, "--keyring", path); code != 0 {
		t.Fatalf("promote: exit %d: %s%s", code, out, stderr)
	}
	if got := load(t, path).Primary().ID; got != added {
		t.Fatalf("primary after promote = %s, want %s", got, added)
	}

	// retire the primary: refused with the fix.
	_, stderr, code = sealctl(t, "keys", "retire", "--keyring", path, added)
	if code != 1 || !strings.Contains(stderr, "promote another key first") {
		t.Errorf("retire primary: exit %d, stderr %q", code, stderr)
	}
	// unknown ID: named, with the fix.
	_, stderr, code = sealctl(t, "keys", "promote", "--keyring", path, "nosuch")
	if code != 1 || !strings.Contains(stderr, "nosuch") || !strings.Contains(stderr, "keys list") {
		t.Errorf("promote nosuch: exit %d, stderr %q", code, stderr)
	}
	// missing ID: usage.
	if _, _, code := sealctl(t, "keys", "retire", "--keyring", path); code != 2 {
		t.Errorf("retire without ID: exit %d, want 2", code)
	}

	// rotate, then the first key opens the old cookie no more once retired.
	if out, stderr, code := sealctl(t, "keys", "rotate", "--keyring", path); code != 0 {
		t.Fatalf("rotate: exit %d: %s%s", code, out, stderr)
	}
	k := load(t, path)
	if k.Len() != 3 || k.Primary().ID == added || k.Primary().ID == first {
		t.Fatalf("after rotate: %v", k)
	}
	if o, err := k.Open("session", v); err != nil || o.Primary {
		t.Fatalf("old cookie after rotate: %+v, %v", o, err)
	}
	if out, stderr, code := sealctl(t, "keys", "retire", "--keyring", path, first); code != 0 {
		t.Fatalf("retire: exit %d: %s%s", code, out, stderr)
	}
	if _, err := load(t, path).Open("session", v); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("cookie of retired key: %v, want ErrUnknownKey", err)
	}

	// prune: "added" was demoted just now, so 1h keeps it.
	out, _, code = sealctl(t, "keys", "prune", "--keyring", path, "--older-than", "1h")
	if code != 0 || load(t, path).Len() != 2 {
		t.Errorf("prune 1h: exit %d, %q, %d keys left, want 2", code, out, load(t, path).Len())
	}
	if _, _, code := sealctl(t, "keys", "prune", "--keyring", path, "--older-than", "soon"); code != 2 {
		t.Errorf("prune with a bad duration: exit %d, want 2", code)
	}
}

func TestKeysPruneRemovesOld(t *testing.T) {
	// Build a ring whose old key was demoted 40 days ago.
	dir := t.TempDir()
	path := filepath.Join(dir, "ring.json")
	then := time.Now().Add(-40 * 24 * time.Hour)
	k, err := keyring.New(then)
	if err != nil {
		t.Fatal(err)
	}
	old := k.Primary().ID
	if k, _, err = k.Rotate(then); err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteFile(path, k); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := sealctl(t, "keys", "prune", "--older-than", "30d", "--keyring", path)
	if code != 0 || !strings.Contains(out, old) {
		t.Fatalf("prune 30d: exit %d, out %q, stderr %q; want %s retired", code, out, stderr, old)
	}
	if _, ok := load(t, path).Key(old); ok {
		t.Errorf("key %s still in the ring after prune", old)
	}
}

func TestKeysList(t *testing.T) {
	path := newRing(t)
	sealctl(t, "keys", "add", "--keyring", path)
	k := load(t, path)
	data, _ := os.ReadFile(path)
	var file struct {
		Keys []struct{ Secret string } `json:"keys"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}

	out, stderr, code := sealctl(t, "keys", "list", "--json", "--keyring", path)
	if code != 0 {
		t.Fatalf("list --json: exit %d: %s", code, stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list --json output is not a JSON array: %v\n%s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("list --json: %d entries, want 2", len(got))
	}
	for i, e := range got {
		want := k.Keys()[i]
		if e["id"] != want.ID || e["state"] != string(want.State) {
			t.Errorf("entry %d = %v, want id %s state %s", i, e, want.ID, want.State)
		}
		if _, err := time.Parse(time.RFC3339, fmt.Sprint(e["created"])); err != nil {
			t.Errorf("entry %d created %v is not RFC 3339", i, e["created"])
		}
		if _, ok := e["secret"]; ok {
			t.Errorf("entry %d has a secret field", i)
		}
	}

	table, _, code := sealctl(t, "keys", "list", "--keyring", path)
	if code != 0 || !strings.HasPrefix(table, "ID") || !strings.Contains(table, k.Primary().ID) || !strings.Contains(table, "primary") {
		t.Errorf("list table: exit %d:\n%s", code, table)
	}
	for _, f := range file.Keys {
		if f.Secret == "" {
			t.Fatal("no secret in the file: the check below would prove nothing")
		}
		if strings.Contains(out+table, f.Secret) || strings.Contains(out+table, strings.TrimRight(f.Secret, "=")) {
			t.Errorf("list prints a secret")
		}
	}
}

func TestKeysErrorsNameFileAndFix(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "x.json")
	_, stderr, code := sealctl(t, "keys", "add", "--keyring", missing)
	want := "keyring file " + missing + " does not exist; create it with: sealctl keys init --keyring " + missing
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("add to a missing file: exit %d, stderr %q, want it to contain %q", code, stderr, want)
	}
	if _, err := os.Stat(missing + ".lock"); err == nil {
		t.Errorf("a failed add left %s.lock behind", missing)
	}
	noDir := filepath.Join(dir, "sub", "x.json")
	_, stderr, code = sealctl(t, "keys", "init", "--keyring", noDir)
	if code != 1 || !strings.Contains(stderr, "mkdir -p "+filepath.Join(dir, "sub")) {
		t.Errorf("init in a missing directory: exit %d, stderr %q", code, stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version":1,"keys":[{"id":"abcd","state":"primary","created":"2026-01-02T03:04:05Z","secret":"AAAA"}]}`), 0o600)
	_, stderr, code = sealctl(t, "keys", "list", "--keyring", bad)
	if code != 1 || !strings.Contains(stderr, bad) || !strings.Contains(stderr, "keys[0].secret") {
		t.Errorf("list of a bad file: exit %d, stderr %q", code, stderr)
	}
}

// TestKeysConcurrentRun edits one file from many goroutines through run.
func TestKeysConcurrentRun(t *testing.T) {
	path := newRing(t)
	const n = 8
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, stderr, code := sealctl(t, "keys", "add", "--keyring", path)
			m := addedRE.FindStringSubmatch(out)
			if code != 0 || m == nil {
				t.Errorf("add: exit %d: %s%s", code, out, stderr)
				return
			}
			mu.Lock()
			ids = append(ids, m[1])
			mu.Unlock()
		}()
	}
	wg.Wait()
	k := load(t, path)
	if k.Len() != n+1 {
		t.Errorf("ring has %d keys, want %d", k.Len(), n+1)
	}
	for _, id := range ids {
		if _, ok := k.Key(id); !ok {
			t.Errorf("key %s was lost", id)
		}
	}
}

// TestKeysConcurrentProcesses runs separate sealctl processes (this test
// binary re-executed as sealctl, see TestMain) adding keys to one file at
// once. Each must succeed, or fail cleanly (exit 1) without touching the
// file; no successful add may be lost.
func TestKeysConcurrentProcesses(t *testing.T) {
	path := newRing(t)
	const n = 4
	type result struct {
		out  string
		code int
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "keys", "add", "--keyring", path)
			cmd.Env = append(os.Environ(), "SEALCTL_TEST_MAIN=1")
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Errorf("run: %v", err)
			}
			results[i] = result{string(out), code}
		}()
	}
	wg.Wait()
	k := load(t, path)
	ok := 0
	for _, r := range results {
		switch r.code {
		case 0:
			m := addedRE.FindStringSubmatch(r.out)
			if m == nil {
				t.Errorf("exit 0 without a key ID: %q", r.out)
				continue
			}
			if _, found := k.Key(m[1]); !found {
				t.Errorf("key %s reported added but missing from the file", m[1])
			}
			ok++
		case 1:
			if !strings.Contains(r.out, "locked") {
				t.Errorf("exit 1 for another reason than the lock: %q", r.out)
			}
		default:
			t.Errorf("exit %d: %q", r.code, r.out)
		}
	}
	if k.Len() != ok+1 {
		t.Errorf("ring has %d keys, %d adds succeeded: want %d", k.Len(), ok, ok+1)
	}
	if ok == 0 {
		t.Errorf("no process succeeded")
	}
}
