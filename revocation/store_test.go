package revocation_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// start is near the real time: Badger's on-disk TTL uses the real clock, so
// entries made at a fake time far from it would vanish on reopen.
func newClock() *fake.Clock { return fake.NewClock(time.Now().Truncate(time.Second)) }

func newID(t testing.TB) [16]byte {
	t.Helper()
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return id
}

func mustRevoked(t *testing.T, s *revocation.Store, id [16]byte, user string, created time.Time) bool {
	t.Helper()
	got, err := s.Revoked(id, user, created)
	if err != nil {
		t.Fatalf("Revoked(%x, %q, %v): %v", id, user, created, err)
	}
	return got
}

func TestScopes(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now})
	now := clock.Now()
	dead, alive := newID(t), newID(t)
	if err := s.RevokeSession(ctx, dead, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	cut := now.Add(-time.Minute)
	if err := s.RevokeUser(ctx, "alice", cut); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      [16]byte
		user    string
		created time.Time
		want    bool
	}{
		{"revoked session ID", dead, "", now, true},
		{"revoked session ID with a user", dead, "bob", now.Add(time.Hour), true},
		{"other session ID", alive, "", now, false},
		{"user session created before the cut-off", alive, "alice", cut.Add(-time.Second), true},
		{"user session created at the cut-off", alive, "alice", cut, true},
		{"user session created 1ns after the cut-off", alive, "alice", cut.Add(time.Nanosecond), false},
		{"other user's old session", alive, "bob", cut.Add(-time.Hour), false},
		{"anonymous old session", alive, "", cut.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRevoked(t, s, tt.id, tt.user, tt.created); got != tt.want {
				t.Errorf("Revoked = %v, want %v", got, tt.want)
			}
		})
	}

	allCut := now.Add(-30 * time.Second)
	if err := s.RevokeAll(ctx, allCut); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		user    string
		created time.Time
		want    bool
	}{
		{"anonymous before all", "", allCut.Add(-time.Nanosecond), true},
		{"anonymous at all", "", allCut, true},
		{"anonymous after all", "", allCut.Add(time.Nanosecond), false},
		{"bob before all", "bob", allCut.Add(-time.Hour), true},
		{"alice after her cut-off but before all", "alice", allCut.Add(-time.Second), true},
	} {
		if got := mustRevoked(t, s, alive, tt.user, tt.created); got != tt.want {
			t.Errorf("%s: Revoked = %v, want %v", tt.name, got, tt.want)
		}
	}
	st := s.Stats()
	if st.Sessions != 1 || st.Users != 1 || !st.All.Equal(allCut) {
		t.Errorf("Stats = %+v, want 1 session, 1 user, all at %v", st, allCut)
	}
}

// A login right after "log out everywhere" on the same clock survives,
// even within the same second; everything created before is dead.
func TestSameSecondLoginSurvives(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s, dir := revocationtest.Open(t, revocation.Config{Now: clock.Now})
	at := clock.Now().Add(123456789 * time.Nanosecond)
	if err := s.RevokeUser(ctx, "alice", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAll(ctx, at); err != nil {
		t.Fatal(err)
	}
	check := func(s *revocation.Store) {
		t.Helper()
		id := newID(t)
		for _, user := range []string{"alice", ""} {
			if got := mustRevoked(t, s, id, user, at.Add(time.Nanosecond)); got {
				t.Errorf("user %q: session created 1ns after the cut-off is revoked", user)
			}
			if got := mustRevoked(t, s, id, user, at); !got {
				t.Errorf("user %q: session created at the cut-off survives", user)
			}
			if got := mustRevoked(t, s, id, user, at.Truncate(time.Second)); !got {
				t.Errorf("user %q: session created earlier in the same second survives", user)
			}
		}
	}
	check(s)
	check(revocationtest.Reopen(t, s, dir, revocation.Config{Now: clock.Now}))
}

func TestLatestCutoffWins(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s, dir := revocationtest.Open(t, revocation.Config{Now: clock.Now})
	now := clock.Now()
	late, early := now.Add(-time.Minute), now.Add(-time.Hour)
	for _, at := range []time.Time{late, early} {
		if err := s.RevokeUser(ctx, "alice", at); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAll(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	between := now.Add(-30 * time.Minute)
	for pass := range 2 {
		if pass == 1 {
			s = revocationtest.Reopen(t, s, dir, revocation.Config{Now: clock.Now})
		}
		if !mustRevoked(t, s, newID(t), "alice", between) {
			t.Error("an earlier cut-off written second replaced the later one (user)")
		}
		if !mustRevoked(t, s, newID(t), "", between) {
			t.Error("an earlier cut-off written second replaced the later one (all)")
		}
		if got := s.Stats().All; !got.Equal(late) {
			t.Errorf("Stats().All = %v, want %v", got, late)
		}
	}
}

func TestRevokeSessionUntil(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	life := 24 * time.Hour
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, AbsoluteLifetime: life, GCInterval: -1})
	past, soon, absurd, zero := newID(t), newID(t), newID(t), newID(t)
	now := clock.Now()
	for id, until := range map[[16]byte]time.Time{
		past:   now.Add(-time.Second),
		soon:   now.Add(time.Hour),
		absurd: now.Add(100 * 365 * 24 * time.Hour),
		zero:   {},
	} {
		if err := s.RevokeSession(ctx, id, until); err != nil {
			t.Fatal(err)
		}
	}
	if mustRevoked(t, s, past, "", now) {
		t.Error("an until in the past was recorded")
	}
	if got := s.Stats().Sessions; got != 3 {
		t.Errorf("Stats().Sessions = %d, want 3", got)
	}

	clock.Advance(2 * time.Hour)
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if mustRevoked(t, s, soon, "", now) {
		t.Error("session entry survived its until")
	}
	if !mustRevoked(t, s, absurd, "", now) || !mustRevoked(t, s, zero, "", now) {
		t.Error("clamped entries expired too early")
	}

	clock.Set(now.Add(life + time.Second))
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if mustRevoked(t, s, absurd, "", now) {
		t.Error("an until beyond now+AbsoluteLifetime was not clamped")
	}
	if mustRevoked(t, s, zero, "", now) {
		t.Error("a zero until outlived the absolute lifetime")
	}
	if st := s.Stats(); st.Sessions != 0 || st.LastGC.IsZero() {
		t.Errorf("Stats = %+v, want no sessions and a GC time", st)
	}
}

func TestUserAndAllExpire(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	life := time.Hour
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, AbsoluteLifetime: life, GCInterval: -1})
	at := clock.Now()
	if err := s.RevokeUser(ctx, "alice", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAll(ctx, at); err != nil {
		t.Fatal(err)
	}
	created := at.Add(-time.Minute)
	clock.Set(at.Add(life - time.Second))
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Users != 1 || st.All.IsZero() {
		t.Fatalf("before at+lifetime: Stats = %+v, want the user and all entries", st)
	}
	if !mustRevoked(t, s, newID(t), "alice", created) {
		t.Error("entries dropped before at+lifetime")
	}
	clock.Set(at.Add(life))
	if err := s.RunGC(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Users != 0 || !st.All.IsZero() {
		t.Errorf("at at+lifetime: Stats = %+v, want no user or all entries", st)
	}

	// A cut-off so old that every session it could match has expired is a no-op.
	if err := s.RevokeUser(ctx, "bob", clock.Now().Add(-life-time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Users; got != 0 {
		t.Errorf("an expired cut-off was recorded: %d users", got)
	}
}

func TestInvalidArguments(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now})
	tests := []struct {
		name string
		err  error
	}{
		{"empty user", s.RevokeUser(ctx, "", clock.Now())},
		{"zero user cut-off", s.RevokeUser(ctx, "alice", time.Time{})},
		{"zero all cut-off", s.RevokeAll(ctx, time.Time{})},
		{"user too long", s.RevokeUser(ctx, strings.Repeat("x", revocation.MaxUserLen+1), clock.Now())},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, revocation.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, tt.err)
		}
	}
	if st := s.Stats(); st.Users != 0 || !st.All.IsZero() {
		t.Errorf("invalid calls changed the list: %+v", st)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.RevokeSession(cctx, newID(t), time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestRestartPersistence(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	cfg := revocation.Config{Now: clock.Now}
	s, dir := revocationtest.Open(t, cfg)
	ids := make([][16]byte, 50)
	for i := range ids {
		ids[i] = newID(t)
		if err := s.RevokeSession(ctx, ids[i], clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	at := clock.Now()
	if err := s.RevokeUser(ctx, "alice", at); err != nil {
		t.Fatal(err)
	}
	s = revocationtest.Reopen(t, s, dir, cfg)
	for _, id := range ids {
		if !mustRevoked(t, s, id, "", at) {
			t.Fatalf("session %x lost on restart", id)
		}
	}
	if !mustRevoked(t, s, newID(t), "alice", at) {
		t.Error("user cut-off lost on restart")
	}
	if st := s.Stats(); st.Sessions != len(ids) || st.Users != 1 || st.DiskBytes <= 0 {
		t.Errorf("Stats after restart = %+v", st)
	}

	// Reopened after the entries' time has passed (by the injected clock),
	// the index leaves them out.
	clock.Advance(2 * time.Hour)
	s = revocationtest.Reopen(t, s, dir, cfg)
	if got := s.Stats().Sessions; got != 0 {
		t.Errorf("after expiry, reopened index has %d sessions, want 0", got)
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, _ := revocationtest.Open(t, revocation.Config{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoked(newID(t), "", time.Now()); !errors.Is(err, revocation.ErrClosed) {
		t.Errorf("Revoked after Close: err = %v, want ErrClosed", err)
	}
	errs := map[string]error{
		"RevokeSession": s.RevokeSession(ctx, newID(t), time.Time{}),
		"RevokeUser":    s.RevokeUser(ctx, "alice", time.Now()),
		"RevokeAll":     s.RevokeAll(ctx, time.Now()),
		"Apply":         s.Apply(ctx, nil, revocation.Cursor{}),
		"AckOutbox":     s.AckOutbox(ctx, newID(t)),
		"RunGC":         s.RunGC(ctx),
	}
	_, errs["Cursor"] = s.Cursor("x")
	_, errs["Outbox"] = s.Outbox(ctx, 1)
	for name, err := range errs {
		if !errors.Is(err, revocation.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// When Badger fails under the store, Revoked reports an error (so sessions
// fails closed) and writes return theirs.
func TestBadgerFailure(t *testing.T) {
	ctx := context.Background()
	s, _ := revocationtest.Open(t, revocation.Config{})
	id := newID(t)
	if err := s.RevokeSession(ctx, id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := revocation.CloseBadger(s); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoked(id, "", time.Now()); err == nil {
		t.Error("Revoked answered with Badger closed underneath")
	}
	err := s.RevokeSession(ctx, newID(t), time.Time{})
	if err == nil {
		t.Fatal("RevokeSession succeeded with Badger closed underneath")
	}
	if _, err := s.Revoked(newID(t), "", time.Now()); !errors.Is(err, revocation.ErrFailed) {
		t.Errorf("after a failed write, Revoked err = %v, want ErrFailed", err)
	}
}

func TestLocked(t *testing.T) {
	_, dir := revocationtest.Open(t, revocation.Config{})
	s, err := revocation.Open(dir, revocation.Config{})
	if err == nil {
		s.Close()
		t.Fatal("second Open of a held directory succeeded")
	}
	if !errors.Is(err, revocation.ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
	// The library names the directory; advice (sealctl's --nats) is the
	// caller's to add.
	if !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "--") {
		t.Errorf("err = %q, want it to name the directory and give no CLI advice", err)
	}
}

func TestOpenBadDirectory(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(tmp, "corrupt")
	if err := os.Mkdir(corrupt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, "MANIFEST"), []byte("this is not a badger manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string
	}{
		{"a file", file, "not a directory"},
		{"a file as parent", filepath.Join(file, "sub"), "not a directory"},
		{"corrupt MANIFEST", corrupt, "damaged"},
		{"empty name", "", "empty directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := revocation.Open(tt.dir, revocation.Config{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.dir) {
				t.Errorf("err = %q, want it to name %q and say %q", err, tt.dir, tt.want)
			}
		})
	}

	// A missing directory is created, its missing parents too, all 0700.
	fresh := filepath.Join(tmp, "new", "parent", "fresh")
	s, err := revocation.Open(fresh, revocation.Config{})
	if err != nil {
		t.Fatalf("Open of a new directory: %v", err)
	}
	defer s.Close()
	for _, d := range []string{fresh, filepath.Dir(fresh), filepath.Join(tmp, "new")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("created directory %s: %v, %v; want mode 0700", d, fi, err)
		}
	}
}

func TestConcurrentRevokes(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s, dir := revocationtest.Open(t, revocation.Config{Now: clock.Now})
	base := clock.Now().Add(-time.Hour)
	var wg sync.WaitGroup
	ids := make([][16]byte, 16)
	for i := range ids {
		ids[i] = newID(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.RevokeUser(ctx, "alice", base.Add(time.Duration(i)*time.Second)); err != nil {
				t.Error(err)
			}
			if err := s.RevokeSession(ctx, ids[i], time.Time{}); err != nil {
				t.Error(err)
			}
			s.Revoked(ids[i], "alice", base)
		}()
	}
	wg.Wait()
	latest := base.Add(15 * time.Second)
	for pass := range 2 {
		if pass == 1 {
			s = revocationtest.Reopen(t, s, dir, revocation.Config{Now: clock.Now})
		}
		if !mustRevoked(t, s, newID(t), "alice", latest) || mustRevoked(t, s, newID(t), "alice", latest.Add(1)) {
			t.Error("the latest of concurrent cut-offs did not win")
		}
		for _, id := range ids {
			if !mustRevoked(t, s, id, "", time.Now()) {
				t.Errorf("session %x lost", id)
			}
		}
	}
}

func TestRevokedAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := revocationtest.Open(t, revocation.Config{})
	hit := newID(t)
	if err := s.RevokeSession(ctx, hit, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeUser(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	miss := newID(t)
	created := time.Now()
	for _, tt := range []struct {
		name string
		id   [16]byte
		user string
	}{{"miss", miss, "bob"}, {"hit", hit, ""}, {"user", miss, "alice"}} {
		if n := testing.AllocsPerRun(1000, func() { s.Revoked(tt.id, tt.user, created) }); n != 0 {
			t.Errorf("%s: Revoked allocates %v times per call, want 0", tt.name, n)
		}
	}
}

// A very long absolute lifetime must not overflow the clamping arithmetic
// (now + lifetime in Unix nanoseconds wraps past 2262), which silently
// dropped replicated revocations. Up to MaxAbsoluteLifetime works; beyond
// it Open refuses.
func TestLongAbsoluteLifetime(t *testing.T) {
	ctx := context.Background()
	year := 365 * 24 * time.Hour
	if _, err := revocation.Open(filepath.Join(t.TempDir(), "r"), revocation.Config{AbsoluteLifetime: 250 * year}); !errors.Is(err, revocation.ErrInvalid) {
		t.Fatalf("Open with a 250-year lifetime: err %v, want ErrInvalid", err)
	}

	clock := newClock()
	s, _ := revocationtest.Open(t, revocation.Config{Now: clock.Now, AbsoluteLifetime: revocation.MaxAbsoluteLifetime})
	local, remote, user := newID(t), newID(t), "alice"
	if err := s.RevokeSession(ctx, local, time.Time{}); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	now := clock.Now()
	evs := []revocation.Event{
		{ID: newID(t), Kind: revocation.KindSession, Session: remote, At: now, Until: now.Add(time.Hour), Origin: "b"},
		{ID: newID(t), Kind: revocation.KindUser, User: user, At: now, Origin: "b"},
	}
	if err := s.Apply(ctx, evs, revocation.Cursor{}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for _, c := range []struct {
		name string
		id   [16]byte
		user string
	}{{"local session", local, ""}, {"remote session", remote, ""}, {"remote user", newID(t), user}} {
		if !mustRevoked(t, s, c.id, c.user, now.Add(-time.Second)) {
			t.Errorf("%s not revoked with a %v lifetime", c.name, revocation.MaxAbsoluteLifetime)
		}
	}
}

// A store records its absolute lifetime; opening the directory without one
// uses it, and an explicit one replaces it.
func TestAbsoluteLifetimeRecorded(t *testing.T) {
	const day = 24 * time.Hour
	store, dir := revocationtest.Open(t, revocation.Config{AbsoluteLifetime: 90 * day, GCInterval: -1})
	steps := []struct {
		give, want time.Duration
	}{
		{0, 90 * day},        // recorded
		{45 * day, 45 * day}, // explicit wins and is recorded
		{0, 45 * day},
	}
	for _, st := range steps {
		store = revocationtest.Reopen(t, store, dir, revocation.Config{AbsoluteLifetime: st.give, GCInterval: -1})
		if got := store.AbsoluteLifetime(); got != st.want {
			t.Errorf("reopened with AbsoluteLifetime %v: got %v, want %v", st.give, got, st.want)
		}
	}
	fresh, _ := revocationtest.Open(t, revocation.Config{GCInterval: -1})
	if got := fresh.AbsoluteLifetime(); got != revocation.DefaultAbsoluteLifetime {
		t.Errorf("a new directory: %v, want the default %v", got, revocation.DefaultAbsoluteLifetime)
	}
}
