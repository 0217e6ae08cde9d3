package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// waitPublished waits until repl has published its store's outbox.
func waitPublished(t *testing.T, repl *natsrepl.Replicator) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for repl.Health().OutboxDepth != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the instance never published its outbox: %+v", repl.Health())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sessions list --nats reads the logins a running instance recorded from
// the stream: live ones, newest first, without the revoked one, another
// user's, or one signed under another keyring; and leaves no temporary
// directory behind.
func TestSessionsListViaNATS(t *testing.T) {
	srv := natstest.Start(t)
	repl, st, keys := replicatingInstance(t, srv, revocation.Config{LoginsPerUser: 5}, natsrepl.Config{SnapshotEvery: -1})
	// Another instance on the stream, with a keyring that is not the
	// cluster's: what it publishes does not verify.
	strangerRepl, stranger, _ := replicatingInstance(t, srv, revocation.Config{LoginsPerUser: 5}, natsrepl.Config{SnapshotEvery: -1})
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	for _, l := range []revocation.Login{
		{Session: [16]byte{0xa1}, User: "alice", Created: now.Add(-3 * time.Hour), Device: "Firefox on Linux"},
		{Session: [16]byte{0xa2}, User: "alice", Created: now.Add(-2 * time.Hour), Device: "Safari on iOS"},
		{Session: [16]byte{0xa3, 15: 0xff}, User: "alice", Created: now.Add(-time.Hour), Device: "Chrome on Windows", Bound: true},
		{Session: [16]byte{0xb1}, User: "bob", Created: now.Add(-time.Hour), Device: "Edge on Windows"},
	} {
		if err := st.AddLogin(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RevokeSession(ctx, [16]byte{0xa2}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := stranger.AddLogin(ctx, revocation.Login{Session: [16]byte{0xee}, User: "alice", Created: now, Device: "forged"}); err != nil {
		t.Fatal(err)
	}
	waitPublished(t, repl)
	waitPublished(t, strangerRepl)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	out, errOut, code := sealctl(t, "sessions", "list", "alice", "--nats", srv.URL(), "--keyring", keys, "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// The stranger's event is reported, and nothing else.
	if !strings.Contains(errOut, "does not verify") {
		t.Errorf("stderr %q does not report the event signed under another keyring", errOut)
	}
	for line := range strings.Lines(errOut) {
		if !strings.Contains(line, "does not verify under the keyring") || !strings.Contains(line, "subject=sealed.revocations.login") {
			t.Errorf("stderr line %q; want only the rejected login event reported", line)
		}
	}
	var got struct {
		User     string        `json:"user"`
		Sessions []sessionJSON `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []sessionJSON{
		{ID: "a30000000000000000000000000000ff", Created: now.Add(-time.Hour).UTC().Format(time.RFC3339), Device: "Chrome on Windows", Bound: true},
		{ID: "a1000000000000000000000000000000", Created: now.Add(-3 * time.Hour).UTC().Format(time.RFC3339), Device: "Firefox on Linux"},
	}
	if got.User != "alice" || len(got.Sessions) != len(want) {
		t.Fatalf("user %q, sessions %+v; want alice and %+v", got.User, got.Sessions, want)
	}
	for i := range want {
		if got.Sessions[i] != want[i] {
			t.Errorf("session %d: %+v, want %+v", i, got.Sessions[i], want[i])
		}
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("temporary directory holds %v (%v) after sessions list, want nothing", left, err)
	}

	// The table, the same way.
	out, _, code = sealctl(t, "sessions", "list", "--nats", srv.URL(), "--keyring", keys, "bob")
	if code != 0 || !strings.Contains(out, "b1000000000000000000000000000000") || strings.Contains(out, "a1000000") {
		t.Errorf("bob: exit %d, table %q; want bob's one session", code, out)
	}
}

// With no stream on the server, sessions list --nats fails, naming the
// stream, and does not create it (an empty new stream would list nothing,
// wrongly).
func TestSessionsListViaNATSNoStream(t *testing.T) {
	srv := natstest.Start(t)
	keys, _ := testutil.KeyringFile(t)
	out, errOut, code := sealctl(t, "sessions", "list", "alice", "--nats", srv.URL(), "--keyring", keys)
	if code != 1 || out != "" || !strings.Contains(errOut, "no stream SEALED_REVOCATIONS") || !strings.Contains(errOut, "--nats") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and \"no stream SEALED_REVOCATIONS\"", code, out, errOut)
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(context.Background(), natsrepl.DefaultStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("after sessions list, the stream lookup gives %v; want no stream", err)
	}
}

// A snapshot in the bucket (a new replica would join from it) does not
// shorten the list: sealctl replays the whole stream, since a snapshot
// made by an instance whose registry is off carries no logins.
func TestSessionsListViaNATSAfterSnapshot(t *testing.T) {
	srv := natstest.Start(t)
	repl, st, keys := replicatingInstance(t, srv, revocation.Config{LoginsPerUser: 5}, natsrepl.Config{SnapshotEvery: -1})
	ctx := context.Background()
	if err := st.AddLogin(ctx, revocation.Login{Session: [16]byte{1}, User: "alice", Created: time.Now(), Device: "Firefox on Linux"}); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeUser(ctx, "nobody", time.Now()); err != nil {
		t.Fatal(err)
	}
	waitPublished(t, repl)
	// The instance applies its own events back from the stream; the
	// snapshot covers what it has applied: wait for both.
	deadline := time.Now().Add(5 * time.Second)
	for h := repl.Health(); h.AppliedSeq < 2; h = repl.Health() {
		if time.Now().After(deadline) {
			t.Fatalf("the instance never applied its events back: %+v", h)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := repl.PublishSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := sealctl(t, "sessions", "list", "alice", "--nats", srv.URL(), "--keyring", keys)
	if code != 0 || !strings.Contains(out, "01000000000000000000000000000000") || !strings.Contains(out, "Firefox on Linux") {
		t.Errorf("exit %d, stdout %q, stderr %q; want alice's session listed", code, out, errOut)
	}
}

// A cluster with its own stream and subject prefix is read with --stream
// and --subject-prefix; a prefix that does not match fails, saying which
// flags to check.
func TestSessionsListViaNATSCustomStream(t *testing.T) {
	srv := natstest.Start(t)
	repl, st, keys := replicatingInstance(t, srv, revocation.Config{LoginsPerUser: 5}, natsrepl.Config{Stream: "SHOP", SubjectPrefix: "shop.revocations", SnapshotEvery: -1})
	if err := st.AddLogin(context.Background(), revocation.Login{Session: [16]byte{0xc1}, User: "carol", Created: time.Now(), Device: "Firefox on Linux"}); err != nil {
		t.Fatal(err)
	}
	waitPublished(t, repl)
	_, errOut, code := sealctl(t, "sessions", "list", "carol", "--nats", srv.URL(), "--keyring", keys, "--stream", "SHOP")
	if code != 1 || !strings.Contains(errOut, "--stream and --subject-prefix") {
		t.Errorf("wrong prefix: exit %d, stderr %q; want 1 naming --stream and --subject-prefix", code, errOut)
	}
	out, errOut, code := sealctl(t, "sessions", "list", "carol", "--nats", srv.URL(), "--keyring", keys, "--stream", "SHOP", "--subject-prefix", "shop.revocations")
	if code != 0 || !strings.Contains(out, "c1000000000000000000000000000000") {
		t.Errorf("exit %d, stdout %q, stderr %q; want carol's session", code, out, errOut)
	}
}
