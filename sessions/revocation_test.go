package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// TestReplayRefused: a cookie copied before a flush, cycle, logout, "log
// out everywhere" or global revocation is refused afterwards, with the
// reason counted as revoked.
func TestReplayRefused(t *testing.T) {
	type S = sessions.Session
	tests := []struct {
		name string
		kill func(t *testing.T, e *env, v string) // v: the live cookie
	}{
		{"Flush", func(t *testing.T, e *env, v string) {
			e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Flush(r.Context())) })
		}},
		{"CycleID", func(t *testing.T, e *env, v string) {
			e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.CycleID(r.Context())) })
		}},
		{"Login again", func(t *testing.T, e *env, v string) {
			e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Login(r.Context(), "alice")) })
		}},
		{"Logout", func(t *testing.T, e *env, v string) {
			e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Logout(r.Context())) })
		}},
		{"RevokeUser", func(t *testing.T, e *env, v string) {
			must(t, e.m.RevokeUser(context.Background(), "alice"))
		}},
		{"RevokeAll", func(t *testing.T, e *env, v string) {
			must(t, e.m.RevokeAll(context.Background()))
		}},
		{"SetExpiry in the past", func(t *testing.T, e *env, v string) {
			e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { s.SetExpiry(-time.Second) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			copied := e.login("alice").value()
			if _, user, _, _ := e.load(copied); user != "alice" {
				t.Fatalf("login cookie loads user %q", user)
			}
			tt.kill(t, e, copied)
			_, user, k, isNew := e.load(copied)
			if !isNew || user != "" || k != "" {
				t.Errorf("replayed cookie: new %v user %q k %q, want a fresh session", isNew, user, k)
			}
			if got := e.m.Stats().Invalid.Revoked; got != 1 {
				t.Errorf("Invalid.Revoked = %d, want 1", got)
			}
		})
	}
}

func TestRevokeBeforeLoginSameTick(t *testing.T) {
	e := newEnv(t) // the fake clock never moves in this test
	old := e.login("alice").value()
	must(t, e.m.RevokeUser(context.Background(), "alice"))
	fresh := e.login("alice").value()
	if _, user, _, _ := e.load(old); user != "" {
		t.Error("session from before RevokeUser survived")
	}
	if _, user, _, _ := e.load(fresh); user != "alice" {
		t.Error("login right after RevokeUser, same clock reading, was killed")
	}
	must(t, e.m.RevokeAll(context.Background()))
	after := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Set("k", "v")) }).value()
	if _, user, _, _ := e.load(fresh); user != "" {
		t.Error("session from before RevokeAll survived")
	}
	if _, _, k, _ := e.load(after); k != "v" {
		t.Error("anonymous session right after RevokeAll, same clock reading, was killed")
	}
	// Other users are not affected by RevokeUser.
	bob := e.login("bob").value()
	must(t, e.m.RevokeUser(context.Background(), "alice"))
	if _, user, _, _ := e.load(bob); user != "bob" {
		t.Error("RevokeUser(alice) killed bob's session")
	}
}

func TestRevokeUntil(t *testing.T) {
	e := newEnv(t)
	v := e.login("alice")
	e.clock.Advance(time.Hour)
	e.withCookie(v.value(), func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Flush(r.Context())) })
	got := e.rev.Sessions()
	if len(got) != 1 {
		t.Fatalf("%d revoked sessions, want 1", len(got))
	}
	for _, until := range got {
		// Login stamped the session's creation a nanosecond or so after t0.
		if want := t0.Add(sessions.DefaultAbsoluteLifetime); until.Before(want) || until.After(want.Add(time.Microsecond)) {
			t.Errorf("until %v, want the end of the absolute lifetime %v", until, want)
		}
	}
}

// A session ID can be carried by several cookies over its life, with
// different expiries: a "remember me" cookie with a long custom expiry,
// then a later one back on the default. Revoking the ID from the later
// cookie must also outlive the earlier, longer-lived copy.
func TestRevocationOutlivesEarlierLongerCookie(t *testing.T) {
	e := newEnv(t)
	long := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Login(r.Context(), "alice"))
		s.SetExpiry(29 * 24 * time.Hour) // remember me
	}).value()
	e.clock.Advance(time.Hour)
	short := e.withCookie(long, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		s.ResetExpiry() // remember me turned off; same session ID
	}).value()
	if short == "" {
		t.Fatal("ResetExpiry saved no cookie")
	}
	e.clock.Advance(time.Hour)
	e.withCookie(short, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Logout(r.Context()))
	})
	for _, d := range []time.Duration{time.Hour, sessions.DefaultCookieAge, 10 * time.Hour} {
		e.clock.Advance(d)
		if _, user, _, _ := e.load(long); user != "" {
			t.Fatalf("%v after logout, the earlier remember-me cookie is logged in as %q again", e.clock.Now().Sub(t0), user)
		}
	}
}

// A keyring.Source that returns nil or a zero keyring.Keyring (no keys)
// is refused by New, and if it does so later, requests still get a fresh
// session and a 200, never a panic.
func TestEmptyKeyringSource(t *testing.T) {
	for _, kr := range []*keyring.Keyring{nil, {}} {
		_, err := sessions.New(sessions.Config{Keys: newRingSource(kr), InsecureNoRevocation: true})
		if !errors.Is(err, sessions.ErrInvalidConfig) {
			t.Errorf("New with keyring %v = %v, want ErrInvalidConfig", kr, err)
		}
	}
	var saveErrs []error
	e := newEnv(t, func(c *sessions.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { saveErrs = append(saveErrs, err) }
	})
	v, _ := e.saved(map[string]any{"k": "v"})
	for _, kr := range []*keyring.Keyring{nil, {}} {
		e.keys.set(kr)
		saveErrs = nil
		res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			if !s.IsNew() {
				t.Error("a cookie opened under an empty keyring")
			}
			must(t, s.Set("k", "v2"))
		})
		if res.rec.Code != http.StatusOK || res.cookie != nil {
			t.Errorf("keyring %v: status %d, cookie %v; want 200 and no cookie", kr, res.rec.Code, res.cookie)
		}
		if len(saveErrs) != 1 {
			t.Errorf("keyring %v: save errors %v, want one", kr, saveErrs)
		}
	}
}

func TestRevokerFailure(t *testing.T) {
	t.Run("fail closed", func(t *testing.T) {
		e := newEnv(t)
		v := e.login("alice").value()
		e.rev.SetFailing(true)
		if _, user, _, isNew := e.load(v); !isNew || user != "" {
			t.Error("session accepted while the revocation list failed")
		}
		st := e.m.Stats()
		if st.Invalid.RevokerError != 1 || st.RevokerErrors != 1 {
			t.Errorf("stats %+v, want one revoker error", st)
		}
		if !strings.Contains(e.log.String(), "level=WARN") {
			t.Error("revoker failure not logged at Warn")
		}
	})
	t.Run("InsecureFailOpen", func(t *testing.T) {
		e := newEnv(t, func(c *sessions.Config) { c.InsecureFailOpen = true })
		v := e.login("alice").value()
		e.rev.SetFailing(true)
		if _, user, _, _ := e.load(v); user != "alice" {
			t.Error("fail-open Manager refused the session")
		}
		if st := e.m.Stats(); st.RevokerErrors != 1 || st.Invalid.Total() != 0 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("record errors are returned", func(t *testing.T) {
		e := newEnv(t)
		v := e.login("alice").value()
		e.rev.SetFailing(true)
		ops := map[string]func(ctx context.Context, s *sessions.Session) error{
			"Flush":   func(ctx context.Context, s *sessions.Session) error { return s.Flush(ctx) },
			"CycleID": func(ctx context.Context, s *sessions.Session) error { return s.CycleID(ctx) },
			"Login":   func(ctx context.Context, s *sessions.Session) error { return s.Login(ctx, "alice") },
			"Logout":  func(ctx context.Context, s *sessions.Session) error { return s.Logout(ctx) },
		}
		for name, op := range ops {
			e.rev.SetFailing(false)
			r, s := e.m.Load(cookieRequest("session", v))
			e.rev.SetFailing(true)
			if err := op(r.Context(), s); !errors.Is(err, testutil.ErrRevokerDown) {
				t.Errorf("%s: err = %v, want the revoker's error", name, err)
			}
		}
		if err := e.m.RevokeUser(context.Background(), "alice"); !errors.Is(err, testutil.ErrRevokerDown) {
			t.Errorf("RevokeUser: err = %v", err)
		}
		if err := e.m.RevokeAll(context.Background()); !errors.Is(err, testutil.ErrRevokerDown) {
			t.Errorf("RevokeAll: err = %v", err)
		}
	})
}

func TestInsecureNoRevocation(t *testing.T) {
	e := newEnv(t, func(c *sessions.Config) { c.Revoker = nil; c.InsecureNoRevocation = true })
	v := e.login("alice").value()
	e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Logout(r.Context())) })
	if _, user, _, _ := e.load(v); user != "alice" {
		t.Error("without a revocation list a copied cookie should still open (documented weakness)")
	}
	if err := e.m.RevokeUser(context.Background(), "alice"); !errors.Is(err, sessions.ErrNoRevocation) {
		t.Errorf("RevokeUser err = %v, want ErrNoRevocation", err)
	}
}

// TestBadCookies: whatever the cookie, the request gets a fresh session,
// never a 500, and the refusal is counted with the right reason.
func TestBadCookies(t *testing.T) {
	e := newEnv(t)
	good := e.login("alice").value()
	other, err := sessions.New(sessions.Config{Keys: e.keys, Revoker: e.rev, CookieName: "other", Now: e.clock.Now})
	must(t, err)
	r, s := other.Load(cookieRequest("x", ""))
	must(t, s.Login(r.Context(), "alice"))
	w := newHeaderWriter()
	must(t, other.Save(w, r, s))
	otherValue := sessionCookie(t, w.Header(), other).Value

	foreign, err := keyring.New(t0)
	must(t, err)
	foreignValue, err := foreign.Seal("session", []byte("\x01whatever"))
	must(t, err)
	dot := strings.IndexByte(good, '.')

	tests := []struct {
		name    string
		headers []string
		reason  func(sessions.InvalidStats) uint64
	}{
		{"garbage", []string{"session=%%%garbage"}, func(s sessions.InvalidStats) uint64 { return s.UnknownKey + s.Malformed }},
		{"no dot", []string{"session=abcdef"}, func(s sessions.InvalidStats) uint64 { return s.Malformed }},
		{"binary", []string{"session=\x00\xff\x01.\x80"}, func(s sessions.InvalidStats) uint64 { return s.UnknownKey + s.Malformed }},
		{"too long", []string{"session=" + strings.Repeat("a", 5000)}, func(s sessions.InvalidStats) uint64 { return s.Oversize }},
		{"tampered", []string{"session=" + good[:len(good)-8] + "AAAAAAAA"}, func(s sessions.InvalidStats) uint64 { return s.Tampered }},
		{"bit flip in token", []string{"session=" + good[:dot+20] + flip(good[dot+20]) + good[dot+21:]}, func(s sessions.InvalidStats) uint64 { return s.Tampered + s.Malformed }},
		{"other cookie name", []string{"session=" + otherValue}, func(s sessions.InvalidStats) uint64 { return s.WrongName }},
		{"foreign keyring", []string{"session=" + foreignValue}, func(s sessions.InvalidStats) uint64 { return s.UnknownKey }},
		{"forged key ID", []string{"session=" + foreign.Primary().ID + good[dot:]}, func(s sessions.InvalidStats) uint64 { return s.UnknownKey }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.m.Stats().Invalid
			res := e.do(tt.headers, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
				if s.UserID() != "" || !s.IsNew() {
					t.Error("bad cookie gave an authenticated session")
				}
			})
			if res.rec.Code != http.StatusOK {
				t.Errorf("status %d", res.rec.Code)
			}
			after := e.m.Stats().Invalid
			if got := tt.reason(after) - tt.reason(before); got != 1 {
				t.Errorf("reason counter moved by %d, want 1 (before %+v after %+v)", got, before, after)
			}
			if after.Total()-before.Total() != 1 {
				t.Errorf("total invalid moved by %d, want 1", after.Total()-before.Total())
			}
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestDuplicateCookies(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice").value()
	bob := e.login("bob").value()
	tests := []struct {
		name        string
		headers     []string
		wantUser    string
		wantInvalid uint64
	}{
		{"bad then good, one header", []string{"session=bad.value; session=" + alice}, "alice", 1},
		{"bad then good, two headers", []string{"session=bad.value", "session=" + alice}, "alice", 1},
		{"two good: first wins", []string{"session=" + bob + "; session=" + alice}, "bob", 0},
		{"other cookies around", []string{"a=1; session=" + alice + "; b=2"}, "alice", 0},
		{"quoted", []string{`session="` + alice + `"`}, "alice", 0},
		{"five bad, then good: only four tried", []string{"session=1; session=2; session=3; session=4; session=" + alice}, "", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.m.Stats().Invalid.Total()
			var user string
			e.do(tt.headers, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { user = s.UserID() })
			if user != tt.wantUser {
				t.Errorf("user %q, want %q", user, tt.wantUser)
			}
			if got := e.m.Stats().Invalid.Total() - before; got != tt.wantInvalid {
				t.Errorf("invalid counted %d, want %d", got, tt.wantInvalid)
			}
		})
	}
}

func TestExpiredAndReplayedCountedReasons(t *testing.T) {
	e := newEnv(t)
	v := e.login("alice").value()
	e.clock.Advance(sessions.DefaultCookieAge + time.Second)
	if _, user, _, _ := e.load(v); user != "" {
		t.Error("expired cookie opened")
	}
	if got := e.m.Stats().Invalid.Expired; got != 1 {
		t.Errorf("Invalid.Expired = %d, want 1", got)
	}
}

func TestConfigValidation(t *testing.T) {
	kr := testutil.Keyring(t)
	rev := testutil.NewMemRevoker(nil)
	tests := []struct {
		name string
		cfg  sessions.Config
		ok   bool
	}{
		{"minimal", sessions.Config{Keys: kr, Revoker: rev}, true},
		{"no keys", sessions.Config{Revoker: rev}, false},
		{"no revoker", sessions.Config{Keys: kr}, false},
		{"InsecureNoRevocation", sessions.Config{Keys: kr, InsecureNoRevocation: true}, true},
		{"revoker and InsecureNoRevocation", sessions.Config{Keys: kr, Revoker: rev, InsecureNoRevocation: true}, false},
		{"SameSite None secure", sessions.Config{Keys: kr, Revoker: rev, SameSite: http.SameSiteNoneMode}, true},
		{"SameSite None insecure", sessions.Config{Keys: kr, Revoker: rev, SameSite: http.SameSiteNoneMode, InsecureCookies: true}, false},
		{"Partitioned insecure", sessions.Config{Keys: kr, Revoker: rev, Partitioned: true, InsecureCookies: true}, false},
		{"bad name", sessions.Config{Keys: kr, Revoker: rev, CookieName: "a b"}, false},
		{"bad path", sessions.Config{Keys: kr, Revoker: rev, Path: "/a;b"}, false},
		{"bad domain", sessions.Config{Keys: kr, Revoker: rev, Domain: "ex ample.com"}, false},
		{"negative age", sessions.Config{Keys: kr, Revoker: rev, CookieAge: -1}, false},
		{"age over lifetime", sessions.Config{Keys: kr, Revoker: rev, CookieAge: 40 * 24 * time.Hour}, false},
		{"age and lifetime", sessions.Config{Keys: kr, Revoker: rev, CookieAge: 40 * 24 * time.Hour, AbsoluteLifetime: 90 * 24 * time.Hour}, true},
		{"__Host- prefix", sessions.Config{Keys: kr, Revoker: rev, CookieName: "__Host-session"}, true},
		{"__Host- prefix with Domain", sessions.Config{Keys: kr, Revoker: rev, CookieName: "__Host-session", Domain: "example.com"}, false},
		{"__Host- prefix with Path", sessions.Config{Keys: kr, Revoker: rev, CookieName: "__Host-session", Path: "/app"}, false},
		{"__Host- prefix insecure", sessions.Config{Keys: kr, Revoker: rev, CookieName: "__Host-session", InsecureCookies: true}, false},
		{"__Secure- prefix", sessions.Config{Keys: kr, Revoker: rev, CookieName: "__Secure-session", Domain: "example.com"}, true},
		{"__Secure- prefix insecure", sessions.Config{Keys: kr, Revoker: rev, CookieName: "__Secure-session", InsecureCookies: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sessions.New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, sessions.ErrInvalidConfig) {
				t.Errorf("err %v does not match ErrInvalidConfig", err)
			}
			if err != nil && strings.Count(err.Error(), "sessions:") != 1 {
				t.Errorf("err %q repeats its package prefix", err)
			}
		})
	}
}

// TestConcurrentUse runs many requests through one Manager at once, and
// several goroutines on one Session, for the race detector.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	v := e.login("alice").value()
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.m.Session(r)
		if err != nil {
			t.Error(err)
			return
		}
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = s.Set(fmt.Sprint("k", i), i)
				_ = sessions.Get(s, "k", "")
				_ = s.Keys()
			}()
		}
		wg.Wait()
		if s.Len() < 5 {
			t.Errorf("Len %d, want at least 5", s.Len())
		}
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, cookieRequest("session", v))
				if rec.Code != http.StatusOK || len(rec.Header().Values("Set-Cookie")) != 1 {
					t.Errorf("status %d, cookies %q", rec.Code, rec.Header().Values("Set-Cookie"))
				}
			}
		}()
	}
	wg.Wait()
	if got := e.m.Stats().Opened; got < 160 {
		t.Errorf("Opened = %d, want at least 160", got)
	}
}

// Every Session method at once from several goroutines, with saves in
// between (run with -race): no race or panic, and each flash message is
// handed out exactly once across all Flashes calls and the final cookie.
func TestConcurrentSessionMethods(t *testing.T) {
	e := newEnv(t)
	v := e.login("alice").value()
	const workers, rounds = 6, 50
	var got sync.Map // flash message -> times returned
	count := func(msgs []string) {
		for _, m := range msgs {
			n, _ := got.LoadOrStore(m, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
		}
	}
	res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		var wg sync.WaitGroup
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					key := fmt.Sprint("k", g%3)
					s.AddFlash(fmt.Sprint(g, "/", i))
					_ = s.Set(key, i)
					_ = sessions.Get(s, key, 0)
					_, _ = sessions.SetDefault(s, "d", g)
					_ = sessions.Pop(s, key, 0)
					_ = s.Update(map[string]any{key: "x", "y": i})
					_, _, _ = s.Keys(), s.Values(), s.Items()
					_, _ = s.ExpiryAge(), s.ExpiryDate()
					switch i % 10 {
					case 1:
						count(s.Flashes())
					case 3:
						s.SetExpiry(time.Hour)
					case 5:
						_ = s.CycleID(r.Context())
					case 7:
						h := http.Header{}
						_ = e.m.Save(headerOnly{h}, r, s)
					case 9:
						s.Delete("y")
					}
				}
			}()
		}
		wg.Wait()
	})
	if res.cookie == nil {
		t.Fatal("no cookie saved")
	}
	e.withCookie(res.value(), func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		count(s.Flashes())
	})
	n := 0
	got.Range(func(k, c any) bool {
		n++
		if c.(*atomic.Int32).Load() != 1 {
			t.Errorf("flash %v returned %d times, want once", k, c.(*atomic.Int32).Load())
		}
		return true
	})
	if n != workers*rounds {
		t.Errorf("%d distinct flashes returned, want %d", n, workers*rounds)
	}
}

// headerOnly is a ResponseWriter whose headers are h, for Save.
type headerOnly struct{ h http.Header }

func (w headerOnly) Header() http.Header         { return w.h }
func (w headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w headerOnly) WriteHeader(int)             {}
