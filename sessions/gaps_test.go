package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// The gaps a Django user hits (issue 12, part 2): one test per gap, named
// after Django's test where one exists.

// logOf returns what fn logged.
func (e *env) logOf(fn func()) string {
	before := len(e.log.String())
	fn()
	return e.log.String()[before:]
}

// TestForgedCookieIsSecurityEvent: a bad MAC, a value sealed for another
// cookie name and an unknown key ID are logged at Warn with the reason and
// the key ID the cookie names, never the value; malformed and expired stay
// at Debug, revoked at Info. Django: test_decode_failure_logged_to_security.
func TestForgedCookieIsSecurityEvent(t *testing.T) {
	e := newEnv(t)
	good := e.login("alice").value()
	dot := strings.IndexByte(good, '.')
	other, err := sessions.New(sessions.Config{Keys: e.keys, Revoker: e.rev, CookieName: "other", Now: e.clock.Now, Logger: discardLogger()})
	must(t, err)
	r, s := other.Load(cookieRequest("x", ""))
	must(t, s.Set("k", "v"))
	w := newHeaderWriter()
	must(t, other.Save(w, r, s))
	wrongName := sessionCookie(t, w.Header(), other).Value
	foreign, err := keyring.New(t0)
	must(t, err)
	revoked := e.login("bob").value()
	e.withCookie(revoked, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Logout(r.Context())) })
	expired := e.login("carol").value()

	tests := []struct {
		name, value, level, keyID string
	}{
		{"tampered", good[:len(good)-8] + "AAAAAAAA", "WARN", good[:dot]},
		{"wrong name", wrongName, "WARN", good[:dot]},
		{"unknown key", foreign.Primary().ID + good[dot:], "WARN", foreign.Primary().ID},
		{"malformed", "nodot", "DEBUG", ""},
		{"revoked", revoked, "INFO", ""},
		{"expired", expired, "DEBUG", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "expired" {
				e.clock.Advance(sessions.DefaultCookieAge + time.Second)
			}
			e.clock.Advance(2 * time.Second) // past the Warn limiter's interval
			log := e.logOf(func() { e.withCookie(tt.value, nil) })
			if !strings.Contains(log, "level="+tt.level) || !strings.Contains(log, "reason=") {
				t.Errorf("log %q, want the reason at %s", log, tt.level)
			}
			if tt.keyID != "" && !strings.Contains(log, "key_id="+tt.keyID) {
				t.Errorf("log %q does not name key ID %s", log, tt.keyID)
			}
			if len(tt.value) > dot+30 && strings.Contains(log, tt.value[dot+1:dot+30]) {
				t.Errorf("log %q contains the cookie value", log)
			}
		})
	}
}

// TestForgedCookieFloodBoundedLog: under a flood of forged cookies the
// Warn lines are one per reason per second, the next one counting the
// suppressed ones, while the counters stay exact.
func TestForgedCookieFloodBoundedLog(t *testing.T) {
	e := newEnv(t)
	good := e.login("alice").value()
	tampered := good[:len(good)-8] + "AAAAAAAA"
	const n = 500
	log := e.logOf(func() {
		for i := range n {
			e.withCookie(tampered, nil)
			if i%100 == 99 {
				e.clock.Advance(100 * time.Millisecond) // 500 requests in half a second
			}
		}
	})
	if got := strings.Count(log, "level=WARN"); got != 1 {
		t.Errorf("%d Warn lines for a flood within one second, want 1", got)
	}
	if got := e.m.Stats().Invalid.Tampered; got != n {
		t.Errorf("Invalid.Tampered = %d, want %d", got, n)
	}
	e.clock.Advance(time.Second)
	log = e.logOf(func() { e.withCookie(tampered, nil) })
	if !strings.Contains(log, fmt.Sprintf("suppressed=%d", n-1)) {
		t.Errorf("next line %q, want suppressed=%d", log, n-1)
	}
	// Another reason has its own budget.
	log = e.logOf(func() { e.withCookie("x"+good[strings.IndexByte(good, '.'):], nil) })
	if got := strings.Count(log, "level=WARN"); got != 1 {
		t.Errorf("%d Warn lines after an unknown key, want 2", got)
	}
}

// TestSessionInterruptedMiddleware: a request whose session another
// request logged out meanwhile writes no cookie, keeps the handler's
// status, and hands ErrSessionInterrupted to the ErrorHandler. Both a
// session revocation and "log out everywhere" interrupt it.
func TestSessionInterruptedMiddleware(t *testing.T) {
	for _, how := range []string{"logout", "revoke user"} {
		t.Run(how, func(t *testing.T) {
			var handled error
			e := newEnv(t, func(c *sessions.Config) {
				c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { handled = err }
			})
			v := e.login("alice").value()
			res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
				if how == "logout" {
					e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Logout(r.Context())) })
				} else {
					must(t, e.m.RevokeUser(r.Context(), "alice"))
				}
				must(t, s.Set("cart", 3))
				w.WriteHeader(http.StatusSeeOther)
			})
			if !errors.Is(handled, sessions.ErrSessionInterrupted) {
				t.Errorf("ErrorHandler got %v, want ErrSessionInterrupted", handled)
			}
			if res.cookie != nil {
				t.Errorf("interrupted session wrote %v", res.cookie)
			}
			if res.rec.Code != http.StatusSeeOther {
				t.Errorf("status %d, want the handler's 303", res.rec.Code)
			}
		})
	}
	t.Run("revocation list down fails closed", func(t *testing.T) {
		e := newEnv(t)
		v := e.login("alice").value()
		r, s := e.m.Load(cookieRequest(e.name(), v))
		must(t, s.Set("k", "w"))
		e.rev.SetFailing(true)
		w := newHeaderWriter()
		if err := e.m.Save(w, r, s); !errors.Is(err, testutil.ErrRevokerDown) {
			t.Errorf("Save with the list down: %v, want its error", err)
		}
		if c := sessionCookie(t, w.Header(), e.m); c != nil {
			t.Errorf("wrote %v", c)
		}
	})
}

// TestSetExpiryZeroIsBrowserClose: SetExpiry(0) means what Django's
// set_expiry(0) means, a cookie until the browser closes; it does not log
// the user out. Django: test_get_expire_at_browser_close.
func TestSetExpiryZeroIsBrowserClose(t *testing.T) {
	e := newEnv(t)
	res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Set("k", "v"))
		s.SetExpiry(0)
		if !s.ExpireAtBrowserClose() {
			t.Error("SetExpiry(0): ExpireAtBrowserClose false")
		}
		if got := s.ExpiryAge(); got != sessions.DefaultCookieAge {
			t.Errorf("SetExpiry(0): ExpiryAge %v, want the idle age %v on the server", got, sessions.DefaultCookieAge)
		}
	})
	if res.cookie == nil || res.cookie.MaxAge != 0 || !res.cookie.Expires.IsZero() {
		t.Fatalf("SetExpiry(0) wrote %v, want a browser-session cookie", res.cookie)
	}
	if _, _, k, isNew := e.load(res.value()); isNew || k != "v" {
		t.Error("SetExpiry(0) ended the session")
	}
}

// TestMarkModified: Django's session.modified = True saves an untouched
// session, sliding its idle expiry.
func TestMarkModified(t *testing.T) {
	e := newEnv(t)
	v, _ := e.saved(map[string]any{"k": "v"})
	e.clock.Advance(time.Hour)
	res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if s.Modified() {
			t.Error("loaded session modified")
		}
		s.MarkModified()
		if !s.Modified() {
			t.Error("MarkModified: Modified() false")
		}
	})
	if res.cookie == nil {
		t.Fatal("MarkModified saved nothing")
	}
	if want := e.clock.Now().Add(sessions.DefaultCookieAge); !res.cookie.Expires.Equal(want.Truncate(time.Second)) {
		t.Errorf("Expires %v, want the slid %v", res.cookie.Expires, want)
	}
	if res := e.withCookie(v, nil); res.cookie != nil {
		t.Errorf("untouched session wrote %v", res.cookie)
	}
}

// TestFromContext: code with only a context reaches the session, through
// derived contexts, and with two Managers gets the innermost's session
// while each Manager.Session keeps its own.
func TestFromContext(t *testing.T) {
	e := newEnv(t)
	inner := newEnv(t, func(c *sessions.Config) { c.CookieName = "inner" })
	service := func(ctx context.Context) *sessions.Session {
		s, ok := sessions.FromContext(ctx)
		if !ok {
			t.Fatal("FromContext found no session")
		}
		return s
	}
	var outerS, innerS, fromCtx *sessions.Session
	h := e.m.Handler(inner.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outerS, _ = e.m.Session(r)
		innerS, _ = inner.m.Session(r)
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		fromCtx = service(context.WithValue(ctx, otherKey{}, 1))
		must(t, fromCtx.Set("k", "v"))
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if outerS == nil || innerS == nil || outerS == innerS {
		t.Fatalf("Managers share or miss sessions: %p %p", outerS, innerS)
	}
	if fromCtx != innerS {
		t.Error("FromContext did not return the innermost Manager's session")
	}
	if !strings.Contains(strings.Join(rec.Result().Header.Values("Set-Cookie"), "\n"), "inner=") {
		t.Error("the session found through the context was not saved")
	}
	if _, ok := sessions.FromContext(context.Background()); ok {
		t.Error("FromContext found a session in a bare context")
	}
	r, s := e.m.Load(httptest.NewRequest("GET", "/", nil))
	if got, ok := sessions.FromContext(r.Context()); !ok || got != s {
		t.Error("FromContext after Load did not find Load's session")
	}
}

// TestRefusedCookieDeleted: a refused cookie is deleted on that response,
// so the browser stops sending it, except when the revocation list failed
// (the session may be valid), another cookie of the name opened, or the
// cookie was revoked (a concurrent response may just have replaced it).
func TestRefusedCookieDeleted(t *testing.T) {
	e := newEnv(t)
	expired := e.login("carol").value()
	e.clock.Advance(sessions.DefaultCookieAge + time.Second)
	good := e.login("alice").value()
	revoked := e.login("bob").value()
	e.withCookie(revoked, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Logout(r.Context())) })
	tampered := good[:len(good)-8] + "AAAAAAAA"
	name := e.name() + "="

	for _, tt := range []struct {
		name    string
		headers []string
	}{
		{"tampered", []string{name + tampered}},
		{"expired", []string{name + expired}},
		{"malformed", []string{name + "garbage"}},
		{"two refused", []string{name + tampered, name + expired}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			deleted := e.m.Stats().Deleted
			res := e.do(tt.headers, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { _ = s.Has("k") })
			if !deletes(res.cookie) {
				t.Errorf("Set-Cookie %v, want the refused cookie deleted", res.cookie)
			}
			if got := e.m.Stats().Deleted - deleted; got != 1 {
				t.Errorf("Stats.Deleted moved by %d, want 1", got)
			}
		})
	}
	// A revoked ID is often one a login, CycleID or DBSC registration
	// replaced a moment ago, in a response racing this one: a deletion
	// arriving last would log the user out of the new session.
	for _, headers := range [][]string{{name + revoked}, {name + tampered, name + revoked}} {
		t.Run("revoked kept", func(t *testing.T) {
			deleted, refused := e.m.Stats().Deleted, e.m.Stats().Invalid.Revoked
			res := e.do(headers, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { _ = s.Has("k") })
			if res.cookie != nil {
				t.Errorf("Set-Cookie %v, want none for a revoked cookie", res.cookie)
			}
			if got := e.m.Stats().Deleted - deleted; got != 0 {
				t.Errorf("Stats.Deleted moved by %d, want 0", got)
			}
			if got := e.m.Stats().Invalid.Revoked - refused; got != 1 {
				t.Errorf("Stats.Refused.Revoked moved by %d, want 1", got)
			}
		})
	}
	t.Run("written session replaces it", func(t *testing.T) {
		res := e.do([]string{name + tampered}, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Set("k", "new")) })
		if res.cookie == nil || deletes(res.cookie) {
			t.Errorf("Set-Cookie %v, want the new session's cookie only", res.cookie)
		}
	})
	t.Run("another cookie opened", func(t *testing.T) {
		res := e.do([]string{name + tampered, name + good}, nil)
		if res.cookie != nil {
			t.Errorf("Set-Cookie %v, want none: a cookie of the name opened", res.cookie)
		}
	})
	t.Run("revocation list failed", func(t *testing.T) {
		e.rev.SetFailing(true)
		defer e.rev.SetFailing(false)
		res := e.do([]string{name + good}, nil)
		if res.cookie != nil {
			t.Errorf("Set-Cookie %v, want none: fail closed must not delete a possibly valid session", res.cookie)
		}
		res = e.do([]string{name + tampered, name + good}, nil)
		if res.cookie != nil {
			t.Errorf("Set-Cookie %v, want none when one refusal was the list's", res.cookie)
		}
	})
}

// TestNarrowedExpiryReachesOlderCopies: shortening the session's life
// (SetExpiry to less, browser close) gives it a new ID and revokes the old
// one, so the copy of the cookie issued earlier with its 14-day expiry
// stops opening; lengthening keeps the ID.
func TestNarrowedExpiryReachesOlderCopies(t *testing.T) {
	narrow := map[string]func(s *sessions.Session){
		"SetExpiry(5m)":           func(s *sessions.Session) { s.SetExpiry(5 * time.Minute) },
		"SetExpiry(0)":            func(s *sessions.Session) { s.SetExpiry(0) },
		"SetExpireAtBrowserClose": func(s *sessions.Session) { s.SetExpireAtBrowserClose() },
		"SetExpiryAt(+1h)":        func(s *sessions.Session) { s.SetExpiryAt(t0.Add(time.Hour)) },
	}
	for name, fn := range narrow {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			old := e.login("alice")
			res := e.withCookie(old.value(), func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { fn(s) })
			if res.cookie == nil || res.id == old.id {
				t.Fatalf("narrowing wrote %v with ID %s (old %s), want a new ID", res.cookie, res.id, old.id)
			}
			e.clock.Advance(10 * time.Minute)
			if _, user, _, isNew := e.load(old.value()); !isNew || user != "" {
				t.Error("the earlier 14-day copy still opens after the session was narrowed")
			}
			if got := e.m.Stats().Invalid.Revoked; got != 1 {
				t.Errorf("Invalid.Revoked = %d, want 1", got)
			}
		})
	}
	t.Run("widening keeps the ID", func(t *testing.T) {
		e := newEnv(t)
		old := e.login("alice")
		res := e.withCookie(old.value(), func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { s.SetExpiry(20 * 24 * time.Hour) })
		if res.id != old.id {
			t.Error("a longer expiry changed the ID")
		}
	})
	t.Run("revocation failure saves nothing", func(t *testing.T) {
		e := newEnv(t)
		old := e.login("alice")
		r, s := e.m.Load(cookieRequest(e.name(), old.value()))
		s.SetExpiry(5 * time.Minute)
		e.rev.SetFailing(true)
		w := newHeaderWriter()
		if err := e.m.Save(w, r, s); !errors.Is(err, testutil.ErrRevokerDown) {
			t.Errorf("Save: %v, want the revoker's error", err)
		}
		if c := sessionCookie(t, w.Header(), e.m); c != nil {
			t.Errorf("wrote %v", c)
		}
		e.rev.SetFailing(false)
		must(t, e.m.Save(w, r, s))
		if _, _, _, isNew := e.load(old.value()); !isNew {
			t.Error("a retried save did not retire the old ID")
		}
	})
}

// TestFlashesBounded: flash messages never make a session too large: the
// oldest go first, as Django's cookie message storage drops them, and are
// counted. Django: test_max_cookie_length (messages' CookieTests).
func TestFlashesBounded(t *testing.T) {
	e := newEnv(t)
	v := ""
	const posts = 150
	for i := range posts { // cart POSTs without a following GET
		res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Set("cart", i))
			s.AddFlash(fmt.Sprintf("Added item %03d to your cart.", i))
		})
		if res.cookie == nil {
			t.Fatalf("post %d: nothing saved", i)
		}
		v = res.value()
	}
	dropped := e.m.Stats().FlashDropped
	if dropped == 0 || e.m.Stats().TooLarge != 0 {
		t.Fatalf("stats %+v, want flashes dropped and no save refused", e.m.Stats())
	}
	var got []string
	var cart int
	e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		got, cart = s.Flashes(), sessions.Get(s, "cart", -1)
	})
	if cart != posts-1 {
		t.Errorf("cart = %d, want %d", cart, posts-1)
	}
	if uint64(len(got))+dropped != posts {
		t.Errorf("%d kept + %d dropped != %d", len(got), dropped, posts)
	}
	for i, f := range got { // the newest kept, in order
		if want := fmt.Sprintf("Added item %03d to your cart.", posts-len(got)+i); f != want {
			t.Fatalf("flash %d = %q, want %q", i, f, want)
		}
	}
}

// TestTooLargeCountsFlashes: a session too large even without its flashes
// keeps them all, and the error names them among the largest keys.
func TestTooLargeCountsFlashes(t *testing.T) {
	e := newEnv(t)
	r, s := e.m.Load(httptest.NewRequest("GET", "/", nil))
	must(t, s.Set("cart", "small"))
	must(t, s.Set("big", strings.Repeat("x", 3500)))
	for i := range 40 {
		s.AddFlash(fmt.Sprintf("message number %d, long enough", i))
	}
	err := e.m.Save(newHeaderWriter(), r, s)
	var tl *sessions.TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("Save: %v, want *TooLargeError", err)
	}
	if len(tl.Keys) < 2 || tl.Keys[0] != "big" || tl.Keys[1] != sessions.FlashKey {
		t.Errorf("largest keys %q, want big then the flashes", tl.Keys)
	}
	if got := len(s.Flashes()); got != 40 {
		t.Errorf("%d flashes left after a refused save, want 40", got)
	}
	if got := e.m.Stats().FlashDropped; got != 0 {
		t.Errorf("FlashDropped = %d after a refused save, want 0", got)
	}
}

// otherKey is a context key of another package.
type otherKey struct{}
