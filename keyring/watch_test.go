package keyring_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/keyring"
)

// loggedWatch watches path without polling, logging to the returned
// buffer, until the test ends.
func loggedWatch(t *testing.T, path string) (*keyring.Watcher, *fake.Buffer) {
	t.Helper()
	logs := &fake.Buffer{}
	w, err := keyring.Watch(path, keyring.WatchOptions{Interval: -1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, logs
}

// quietWatch watches path without polling or logging, until the test ends.
func quietWatch(t *testing.T, path string) *keyring.Watcher {
	t.Helper()
	w, err := keyring.Watch(path, keyring.WatchOptions{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestWatcherReload(t *testing.T) {
	path, k := keyringFile(t)
	w, logs := loggedWatch(t, path)
	if got := w.Keyring().Primary().ID; got != k.Primary().ID {
		t.Fatalf("primary = %s, want %s", got, k.Primary().ID)
	}
	before := mustSeal(t, w.Keyring(), "s", []byte("before"))

	// Unchanged file: same keyring pointer.
	first := w.Keyring()
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if w.Keyring() != first {
		t.Errorf("Reload of an unchanged file replaced the keyring")
	}

	// A good change is picked up.
	k2, _, err := k.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteFile(path, k2); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := w.Keyring().Primary().ID; got != k2.Primary().ID {
		t.Fatalf("after rotation primary = %s, want %s", got, k2.Primary().ID)
	}
	if o, err := w.Keyring().Open("s", before); err != nil || o.Primary {
		t.Errorf("old cookie after reload: %+v, %v; want it open under a non-primary key", o, err)
	}

	// Bad files never replace the good keyring.
	good := w.Keyring()
	bad := []struct{ name, data string }{
		{"half written", `{"version":1,"keys":[{"id":"ab`},
		{"empty", ``},
		{"invalid", `{"version":1,"keys":[]}`},
	}
	for _, b := range bad {
		if err := os.WriteFile(path, []byte(b.data), 0o600); err != nil {
			t.Fatal(err)
		}
		err := w.Reload()
		if !errors.Is(err, keyring.ErrInvalidFile) {
			t.Errorf("%s: Reload = %v, want ErrInvalidFile", b.name, err)
		}
		if w.Keyring() != good {
			t.Errorf("%s: the bad file replaced the keyring", b.name)
		}
	}
	// A second reload of the same bad content is not logged again.
	n := strings.Count(logs.String(), "reload failed")
	w.Reload()
	if got := strings.Count(logs.String(), "reload failed"); got != n || n != len(bad) {
		t.Errorf("reload failures logged %d then %d times, want %d both times", n, got, len(bad))
	}
	// A missing file keeps the keyring too, and is logged once, even
	// right after a bad content.
	os.Remove(path)
	if err := w.Reload(); err == nil || w.Keyring() != good {
		t.Errorf("missing file: Reload = %v, keyring kept = %v", err, w.Keyring() == good)
	}
	w.Reload()
	if got := strings.Count(logs.String(), "reload failed"); got != n+1 {
		t.Errorf("reload failures logged %d times after the file went missing, want %d", got, n+1)
	}
	if _, err := w.Keyring().Open("s", before); err != nil {
		t.Errorf("good keyring no longer opens: %v", err)
	}
	// And a good file afterwards is picked up again.
	if err := keyring.WriteFile(path, k); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err != nil || w.Keyring().Primary().ID != k.Primary().ID {
		t.Errorf("recovery: Reload = %v, primary %s, want %s", err, w.Keyring().Primary().ID, k.Primary().ID)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); !errors.Is(err, keyring.ErrClosed) {
		t.Errorf("Reload after Close = %v, want ErrClosed", err)
	}
}

func TestWatcherPolls(t *testing.T) {
	path, k := keyringFile(t)
	w, err := keyring.Watch(path, keyring.WatchOptions{Interval: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	k2, _, err := k.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteFile(path, k2); err != nil {
		t.Fatal(err)
	}
	waitFor("the rotated keyring", func() bool { return w.Keyring().Primary().ID == k2.Primary().ID })

	// Garbage in the file: after the watcher has certainly seen it (a
	// later good write is picked up), the good keyring was never replaced.
	os.WriteFile(path, []byte("{garbage"), 0o600)
	seen := make(chan struct{})
	var once sync.Once
	go func() {
		for w.Reload() == nil {
			time.Sleep(time.Millisecond)
		}
		once.Do(func() { close(seen) })
	}()
	<-seen
	if w.Keyring().Primary().ID != k2.Primary().ID {
		t.Fatalf("garbage replaced the keyring")
	}
	if st := w.Status(); st.LastError == nil || st.Failures == 0 || st.PrimaryID != k2.Primary().ID {
		t.Errorf("Status with garbage in the file: %+v", st)
	}
	k3, _, err := k2.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.WriteFile(path, k3); err != nil {
		t.Fatal(err)
	}
	waitFor("the keyring after garbage", func() bool { return w.Keyring().Primary().ID == k3.Primary().ID })
}

func TestWatchOptions(t *testing.T) {
	path, _ := keyringFile(t)
	now := time.Now()
	w, err := keyring.Watch(path, keyring.WatchOptions{Interval: -1, MaxAge: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	v := mustSeal(t, w.Keyring(), "s", nil)
	if _, err := w.Keyring().Open("s", v); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := w.Keyring().Open("s", v); !errors.Is(err, keyring.ErrExpired) {
		t.Errorf("Open with MaxAge 1m after 2m = %v, want ErrExpired", err)
	}
	if _, err := keyring.Watch(path+".missing", keyring.WatchOptions{}); err == nil {
		t.Errorf("Watch of a missing file succeeded")
	}
}

// A keyring file is small: Load, Watch, Reload and FromEnv refuse anything
// over MaxFileSize before parsing, so a path pointing at a huge file (or a
// device) can't make every watcher tick read it all into memory.
func TestHugeFileRefused(t *testing.T) {
	path, k := keyringFile(t)
	w := quietWatch(t, path)
	good := w.Keyring()
	data, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		padding int
		wantErr bool
	}{
		{"exactly the limit", keyring.MaxFileSize - len(data), false},
		{"one byte over", keyring.MaxFileSize - len(data) + 1, true},
		{"8 MiB", 8 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Valid JSON followed by whitespace: it parses, if it is read.
			big := append(append([]byte{}, data...), bytes.Repeat([]byte(" "), tt.padding)...)
			if err := os.WriteFile(path, big, 0o600); err != nil {
				t.Fatal(err)
			}
			_, loadErr := keyring.Load(path)
			reloadErr := w.Reload()
			t.Setenv(keyring.EnvVar, string(big))
			_, envErr := keyring.FromEnv()
			for name, err := range map[string]error{"Load": loadErr, "Reload": reloadErr, "FromEnv": envErr} {
				if tt.wantErr && !errors.Is(err, keyring.ErrInvalidFile) {
					t.Errorf("%s of %d bytes = %v, want ErrInvalidFile", name, len(big), err)
				}
				if !tt.wantErr && err != nil {
					t.Errorf("%s of %d bytes = %v, want nil", name, len(big), err)
				}
			}
			if tt.wantErr && w.Keyring() != good && w.Keyring().Primary().ID != good.Primary().ID {
				t.Error("the oversized file replaced the keyring")
			}
		})
	}
}

// A rotated file that group or others can read is warned about when the
// Watcher loads it, as Load and Watch warn about the first one.
func TestWatcherWarnsOnOpenModeReload(t *testing.T) {
	path, k := keyringFile(t)
	w, logs := loggedWatch(t, path)
	if strings.Contains(logs.String(), "group or others") {
		t.Fatalf("warning for a 0600 file: %s", logs.String())
	}
	k2, _, err := k.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := k2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// Copied in place by hand, world-readable.
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if w.Keyring().Primary().ID != k2.Primary().ID {
		t.Fatal("rotated file not loaded")
	}
	if got := strings.Count(logs.String(), "group or others"); got != 1 {
		t.Errorf("%d warnings after loading a 0644 file, want 1; log:\n%s", got, logs.String())
	}
	// Unchanged content: no new warning every tick.
	w.Reload()
	if got := strings.Count(logs.String(), "group or others"); got != 1 {
		t.Errorf("%d warnings after an unchanged reload, want still 1", got)
	}
}

// A reload that keeps failing is visible in Status, with since when and
// how often, and Stale says whether the file holds something other than
// the keyring in use: what a health check answers 503 on.
func TestWatcherStatus(t *testing.T) {
	path, k := keyringFile(t)
	c := fake.NewClock(t0)
	var logs fake.Buffer
	w, err := keyring.Watch(path, keyring.WatchOptions{Interval: -1, Now: c.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	st := w.Status()
	if st.Path != path || st.PrimaryID != k.Primary().ID || st.Keys != 1 || !st.LastCheck.Equal(t0) ||
		st.LastError != nil || st.Failures != 0 || st.Stale || st.LoadedModTime.IsZero() || !st.FileModTime.Equal(st.LoadedModTime) {
		t.Fatalf("after Watch: %+v", st)
	}
	mtime := st.LoadedModTime
	setMtime := func() {
		t.Helper()
		mtime = mtime.Add(time.Second)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	// Touched, same content: the keyring in use matches the newer file.
	setMtime()
	if err := w.Reload(); err != nil || !w.Status().LoadedModTime.Equal(mtime) {
		t.Fatalf("after touch: Reload %v, LoadedModTime %v, want %v", err, w.Status().LoadedModTime, mtime)
	}
	// Only made writable by others: refused, but the keyring in use is
	// still the file's content.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); !errors.Is(err, keyring.ErrInsecureMode) || w.Status().Stale || w.Status().Failures != 1 {
		t.Errorf("after chmod 666: Reload %v, status %+v; want ErrInsecureMode, not stale", err, w.Status())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err != nil || w.Status().Failures != 0 || w.Status().FailuresTotal != 1 {
		t.Errorf("after chmod 600: Reload %v, status %+v", err, w.Status())
	}

	k2, err := rotate(k)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := k2.Marshal()
	secrets := secretsIn(t, good)

	// A rotation written badly: failing, stale, counted, since the first failure.
	bad := bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 2`), 1)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	setMtime()
	since := c.Advance(time.Minute)
	for i := 1; i <= 3; i++ {
		if err := w.Reload(); !errors.Is(err, keyring.ErrInvalidFile) {
			t.Fatalf("Reload of a bad file = %v", err)
		}
		st := w.Status()
		if !errors.Is(st.LastError, keyring.ErrInvalidFile) || !st.Stale || st.Failures != i || st.FailuresTotal != uint64(1+i) ||
			!st.FailingSince.Equal(since) || !st.LastCheck.Equal(c.Now()) || !st.FileModTime.Equal(mtime) ||
			st.PrimaryID != k.Primary().ID || st.Keys != 1 {
			t.Errorf("failing check %d: %+v", i, st)
		}
		c.Advance(time.Second)
	}
	tests := []struct {
		name      string
		change    func() error
		wantErr   error
		wantStale bool
	}{
		{"new content, writable by others", func() error {
			if err := os.WriteFile(path, append(bad, ' '), 0o600); err != nil {
				return err
			}
			setMtime()
			return os.Chmod(path, 0o666)
		}, keyring.ErrInsecureMode, true},
		{"missing", func() error { return os.Remove(path) }, fs.ErrNotExist, false},
	}
	for _, tt := range tests {
		if err := tt.change(); err != nil {
			t.Fatal(err)
		}
		w.Reload()
		st := w.Status()
		if !errors.Is(st.LastError, tt.wantErr) || st.Stale != tt.wantStale || !st.FailingSince.Equal(since) {
			t.Errorf("%s: LastError %v, Stale %v, FailingSince %v; want %v, %v, %v", tt.name, st.LastError, st.Stale, st.FailingSince, tt.wantErr, tt.wantStale, since)
		}
		for _, s := range secrets {
			if out := fmt.Sprintf("%+v %v", st, st.LastError); strings.Contains(out, s[:12]) {
				t.Errorf("%s: status shows a secret: %s", tt.name, out)
			}
		}
	}
	// Fixed: loads, no longer failing; the total stays for metrics.
	if err := keyring.WriteFile(path, k2); err != nil {
		t.Fatal(err)
	}
	total := w.Status().FailuresTotal
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	st = w.Status()
	if st.LastError != nil || st.Failures != 0 || !st.FailingSince.IsZero() || st.Stale || st.FailuresTotal != total ||
		st.PrimaryID != k2.Primary().ID || st.Keys != 2 || !st.FileModTime.Equal(st.LoadedModTime) {
		t.Errorf("after the fix: %+v (total before %d)", st, total)
	}
	if !strings.Contains(logs.String(), "the file loads again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
	w.Close()
	if got := w.Status(); got.PrimaryID != k2.Primary().ID {
		t.Errorf("Status after Close: %+v", got)
	}
}

// A failure that shows part of a keyring file must not show its secrets:
// a file cut in the middle of a secret, or with a secret of the wrong
// length.
func TestWatcherStatusHidesSecrets(t *testing.T) {
	path, k := keyringFile(t)
	w := quietWatch(t, path)
	good, _ := k.Marshal()
	secret := secretsIn(t, good)[0]
	i := bytes.Index(good, []byte(secret))
	for name, data := range map[string][]byte{
		"cut":        good[:i+20],
		"short":      bytes.Replace(good, []byte(secret), []byte(secret[:40]), 1),
		"bad byte":   bytes.Replace(good, []byte(secret), []byte(secret[:20]+"\x01"+secret[21:]), 1),
		"not base64": bytes.Replace(good, []byte(secret), []byte(secret[:20]+"!"+secret[21:]), 1),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if w.Reload() == nil {
			t.Fatalf("%s: loaded", name)
		}
		out := fmt.Sprintf("%+v %v", w.Status(), w.Status().LastError)
		if strings.Contains(out, secret[:12]) || strings.Contains(out, secret[21:33]) {
			t.Errorf("%s: status shows the secret: %s", name, out)
		}
	}
}

// secretsIn returns the base64 secrets in a keyring file.
func secretsIn(t *testing.T, data []byte) []string {
	t.Helper()
	var f struct{ Keys []struct{ Secret string } }
	if err := json.Unmarshal(data, &f); err != nil || len(f.Keys) == 0 {
		t.Fatalf("secretsIn: %v", err)
	}
	var s []string
	for _, k := range f.Keys {
		s = append(s, k.Secret)
	}
	return s
}
