package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

func sid(n byte) [16]byte { return [16]byte{0: n, 15: 0xee} }

// loginIDs returns the first bytes of the session IDs of ls, in order.
func loginIDs(ls []revocation.Login) []byte {
	var out []byte
	for _, l := range ls {
		out = append(out, l.Session[0])
	}
	return out
}

func record(t *testing.T, s *revocation.Store, n byte, user string, created time.Time, device string) {
	t.Helper()
	l := revocation.Login{Session: sid(n), User: user, Created: created, Device: device}
	if err := s.AddLogin(context.Background(), l); err != nil {
		t.Fatalf("RecordLogin(%d): %v", n, err)
	}
}

func TestLoginsOffByDefault(t *testing.T) {
	s, _ := revocationtest.Open(t, revocation.Config{})
	err := s.AddLogin(context.Background(), revocation.Login{Session: sid(1), User: "alice", Created: time.Now()})
	if !errors.Is(err, revocation.ErrRegistryOff) {
		t.Fatalf("RecordLogin with the registry off: %v, want ErrRegistryOff", err)
	}
	if got := s.Logins("alice"); got != nil {
		t.Fatalf("Logins with the registry off: %v", got)
	}
}

func TestLoginsRecordListReopen(t *testing.T) {
	clk := fake.NewClock(time.Now())
	cfg := revocation.Config{LoginsPerUser: 3, Now: clk.Now}
	s, dir := revocationtest.Open(t, cfg)
	t0 := clk.Now()
	record(t, s, 1, "alice", t0.Add(-2*time.Minute), "Firefox on Linux")
	record(t, s, 2, "alice", t0.Add(-1*time.Minute), "Safari on iOS")
	record(t, s, 3, "bob", t0, "Chrome on Windows")
	got := s.Logins("alice")
	if string(loginIDs(got)) != "\x02\x01" || got[0].Device != "Safari on iOS" || got[1].User != "alice" {
		t.Fatalf("Logins(alice) = %+v, want sessions 2 then 1", got)
	}
	if !got[1].Created.Equal(t0.Add(-2 * time.Minute)) {
		t.Fatalf("created %v, want %v", got[1].Created, t0.Add(-2*time.Minute))
	}
	if err := s.AddLogin(context.Background(), revocation.Login{Session: sid(9), Created: t0}); !errors.Is(err, revocation.ErrInvalid) {
		t.Fatalf("RecordLogin without a user: %v, want ErrInvalid", err)
	}
	s = revocationtest.Reopen(t, s, dir, cfg)
	if got := loginIDs(s.Logins("alice")); string(got) != "\x02\x01" {
		t.Fatalf("after reopen Logins(alice) = %v, want [2 1]", got)
	}
	if got := loginIDs(s.Logins("bob")); string(got) != "\x03" {
		t.Fatalf("after reopen Logins(bob) = %v, want [3]", got)
	}
}

func TestLoginsBoundPerUserAndTotal(t *testing.T) {
	clk := fake.NewClock(time.Now())
	cfg := revocation.Config{LoginsPerUser: 2, MaxLogins: 3, Now: clk.Now}
	s, dir := revocationtest.Open(t, cfg)
	t0 := clk.Now().Add(-time.Hour)
	for i := range byte(4) {
		record(t, s, i+1, "alice", t0.Add(time.Duration(i)*time.Minute), "d")
	}
	if got := loginIDs(s.Logins("alice")); string(got) != "\x04\x03" {
		t.Fatalf("Logins(alice) = %v, want the newest two [4 3]", got)
	}
	record(t, s, 5, "bob", t0.Add(10*time.Minute), "d")
	record(t, s, 6, "carol", t0.Add(11*time.Minute), "d")
	// Four entries over a bound of three: alice's oldest (3) goes.
	if got := loginIDs(s.Logins("alice")); string(got) != "\x04" {
		t.Fatalf("Logins(alice) = %v, want [4] once the total bound is reached", got)
	}
	if n := revocation.LoginKeys(t, s); n != 3 {
		t.Fatalf("%d login keys in Badger, want 3", n)
	}
	s = revocationtest.Reopen(t, s, dir, cfg)
	n := len(s.Logins("alice")) + len(s.Logins("bob")) + len(s.Logins("carol"))
	if n != 3 {
		t.Fatalf("after reopen %d logins, want 3: dropped entries must leave the disk too", n)
	}
}

func TestLoginsDroppedWhenRevokedOrExpired(t *testing.T) {
	clk := fake.NewClock(time.Now())
	cfg := revocation.Config{LoginsPerUser: 10, AbsoluteLifetime: time.Hour, Now: clk.Now, GCInterval: -1}
	s, dir := revocationtest.Open(t, cfg)
	ctx := context.Background()
	t0 := clk.Now()
	record(t, s, 1, "alice", t0.Add(-50*time.Minute), "old")
	record(t, s, 2, "alice", t0.Add(-time.Minute), "a")
	record(t, s, 3, "alice", t0, "b")
	record(t, s, 4, "bob", t0, "c")
	if err := s.RevokeSession(ctx, sid(2), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := loginIDs(s.Logins("alice")); string(got) != "\x03\x01" {
		t.Fatalf("after revoking session 2: %v, want [3 1]", got)
	}
	clk.Advance(11 * time.Minute) // session 1 is past its absolute lifetime
	if got := loginIDs(s.Logins("alice")); string(got) != "\x03" {
		t.Fatalf("after session 1's lifetime: %v, want [3]", got)
	}
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeUser(ctx, "bob", clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got := s.Logins("bob"); len(got) != 0 {
		t.Fatalf("bob revoked, Logins(bob) = %v", got)
	}
	// A login recorded after the user's cut-off is alive.
	record(t, s, 5, "bob", clk.Advance(time.Second), "d")
	if got := loginIDs(s.Logins("bob")); string(got) != "\x05" {
		t.Fatalf("Logins(bob) = %v, want [5]", got)
	}
	// A login of an already revoked session is not recorded.
	record(t, s, 2, "alice", t0.Add(-time.Minute), "a")
	if err := s.RevokeAll(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Logins("alice")) + len(s.Logins("bob")); got != 0 {
		t.Fatalf("after RevokeAll, %d logins", got)
	}
	// Every entry left the disk too: the revoked ones at once, session 1
	// (expired) at the GC run, session 2 (revoked) with RevokeAll's prune.
	if n := revocation.LoginKeys(t, s); n != 0 {
		t.Fatalf("%d login keys left in Badger, want 0", n)
	}
	s = revocationtest.Reopen(t, s, dir, cfg)
	if got := len(s.Logins("alice")) + len(s.Logins("bob")); got != 0 {
		t.Fatalf("after reopen, %d logins", got)
	}
}

func TestLoginsDeviceCut(t *testing.T) {
	s, _ := revocationtest.Open(t, revocation.Config{LoginsPerUser: 1})
	long := fmt.Sprintf("%0200d", 7)
	if err := s.AddLogin(context.Background(), revocation.Login{Session: sid(1), User: "u", Created: time.Now(), Device: long}); err != nil {
		t.Fatal(err)
	}
	if got := s.Logins("u"); len(got) != 1 || len(got[0].Device) != revocation.MaxDeviceLen {
		t.Fatalf("Logins = %+v, want one with a device of %d bytes", got, revocation.MaxDeviceLen)
	}
}

func TestLoginsBoundFlag(t *testing.T) {
	cfg := revocation.Config{LoginsPerUser: 4}
	s, dir := revocationtest.Open(t, cfg)
	ctx := context.Background()
	t0 := time.Now().Add(-time.Minute)
	if err := s.RecordLogin(ctx, sid(1), "alice", t0, "Chrome on Windows", true); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordLogin(ctx, sid(2), "alice", t0.Add(time.Second), "Firefox on Linux", false); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		bound := map[byte]bool{}
		s.EachLogin("alice", func(session [16]byte, _ time.Time, _ string, b bool) bool {
			bound[session[0]] = b
			return true
		})
		if len(bound) != 2 || !bound[1] || bound[2] {
			t.Fatalf("%s: bound flags by session %v, want 1 bound and 2 not", when, bound)
		}
	}
	check("recorded")
	s = revocationtest.Reopen(t, s, dir, cfg)
	check("after reopen")
}

// TestLoginsUndecodableDropped: a login entry that does not decode (a
// damaged directory, a build before the flags byte) is dropped at Open
// with a warning, not a refused Open: the registry decides nothing about
// serving.
func TestLoginsUndecodableDropped(t *testing.T) {
	clk := fake.NewClock(time.Now())
	var logs fake.Buffer
	cfg := revocation.Config{LoginsPerUser: 3, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	s, dir := revocationtest.Open(t, cfg)
	record(t, s, 1, "alice", clk.Now().Add(-time.Minute), "Firefox on Linux")
	id := sid(2)
	if err := revocation.PutRawLogin(s, append(id[:], "alice"...), []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	s = revocationtest.Reopen(t, s, dir, cfg)
	if got := loginIDs(s.Logins("alice")); string(got) != "\x01" {
		t.Fatalf("after reopen Logins(alice) = %v, want [1]", got)
	}
	const warn = "login registry entries that do not decode"
	if n := strings.Count(logs.String(), warn); n != 1 {
		t.Fatalf("%d warnings about undecodable entries after the first reopen, want 1; log:\n%s", n, logs.String())
	}
	// Deleted from disk too: a second open finds nothing to drop.
	s = revocationtest.Reopen(t, s, dir, cfg)
	if got := loginIDs(s.Logins("alice")); string(got) != "\x01" {
		t.Fatalf("after a second reopen Logins(alice) = %v, want [1]", got)
	}
	if n := strings.Count(logs.String(), warn); n != 1 {
		t.Fatalf("%d warnings after the second reopen, want still 1: the entry was not deleted", n)
	}
}

// TestLoginsLoweredBoundSaysSo: an Open with a lower LoginsPerUser than
// the entries were recorded under drops the oldest beyond it from disk,
// and says so in the log rather than silently.
func TestLoginsLoweredBoundSaysSo(t *testing.T) {
	clk := fake.NewClock(time.Now())
	var logs fake.Buffer
	cfg := revocation.Config{LoginsPerUser: 3, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	s, dir := revocationtest.Open(t, cfg)
	for n := byte(1); n <= 3; n++ {
		record(t, s, n, "alice", clk.Now().Add(time.Duration(n)*time.Second-time.Minute), "Firefox on Linux")
	}
	const warn = "beyond LoginsPerUser or MaxLogins"
	s = revocationtest.Reopen(t, s, dir, cfg)
	if strings.Contains(logs.String(), warn) {
		t.Fatalf("a reopen under the same bound warned:\n%s", logs.String())
	}
	cfg.LoginsPerUser = 1
	s = revocationtest.Reopen(t, s, dir, cfg)
	if got := loginIDs(s.Logins("alice")); string(got) != "\x03" {
		t.Fatalf("Logins(alice) under a bound of 1 = %v, want the newest, [3]", got)
	}
	if !strings.Contains(logs.String(), warn) || !strings.Contains(logs.String(), "entries=2") {
		t.Fatalf("no warning naming the 2 dropped entries; log:\n%s", logs.String())
	}
}
