package sessions_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// loggedIn returns an env and the cookie value of a session holding
// user and cart.
func loggedIn(t *testing.T, opts ...func(*sessions.Config)) (*env, string) {
	t.Helper()
	e := newEnv(t, opts...)
	res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if err := s.Login(r.Context(), "alice"); err != nil {
			t.Fatal(err)
		}
		if err := s.Set("cart", []string{"beans", "mug"}); err != nil {
			t.Fatal(err)
		}
	})
	if res.value() == "" {
		t.Fatal("no cookie after login")
	}
	return e, res.value()
}

// readCart opens v and returns the session's user and cart.
func readCart(e *env, v string) (user string, cart []string) {
	e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		user, cart = s.UserID(), sessions.Get(s, "cart", []string(nil))
	})
	return user, cart
}

// A repeat request with the same value is served from the cache, with the
// same session.
func TestVerifiedCacheHit(t *testing.T) {
	e, v := loggedIn(t)
	for i := range 3 {
		if user, cart := readCart(e, v); user != "alice" || len(cart) != 2 {
			t.Fatalf("request %d: user %q cart %v", i, user, cart)
		}
	}
	st := e.m.Stats()
	if st.CacheHits < 2 || st.Opened != 3 {
		t.Errorf("stats %+v: want 3 opened, at least 2 from the cache", st)
	}
}

// What the cache can't know is checked on every hit: the revocation list,
// the session's expiry, the keyring in use and its max age.
func TestVerifiedCacheStillChecks(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(t *testing.T, e *env, v string)
		want  func(sessions.InvalidStats) uint64
	}{
		{"revoked", func(t *testing.T, e *env, v string) {
			if err := e.m.RevokeUser(context.Background(), "alice"); err != nil {
				t.Fatal(err)
			}
		}, func(s sessions.InvalidStats) uint64 { return s.Revoked }},
		{"idle expiry", func(t *testing.T, e *env, v string) {
			e.clock.Advance(15 * 24 * time.Hour)
		}, func(s sessions.InvalidStats) uint64 { return s.Expired }},
		{"key retired", func(t *testing.T, e *env, v string) {
			k := e.keys.Keyring()
			rotated, _, err := k.Rotate(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			retired, err := rotated.Retire(k.Primary().ID)
			if err != nil {
				t.Fatal(err)
			}
			e.keys.set(retired)
		}, func(s sessions.InvalidStats) uint64 { return s.UnknownKey }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, v := loggedIn(t)
			if user, _ := readCart(e, v); user != "alice" {
				t.Fatal("not cached: the first read failed")
			}
			readCart(e, v) // now a cache hit
			tc.spoil(t, e, v)
			if user, _ := readCart(e, v); user != "" {
				t.Fatalf("served %q from the cache after the change", user)
			}
			if got := tc.want(e.m.Stats().Invalid); got != 1 {
				t.Errorf("refusal not counted under its reason: %+v", e.m.Stats().Invalid)
			}
		})
	}
}

// The keyring's max age is checked on a hit too: the same keyring, later.
func TestVerifiedCacheKeyringMaxAge(t *testing.T) {
	// securecookie stamps values by the real clock; the keyring's clock
	// runs ahead of it by ahead.
	var ahead atomic.Int64
	e, v := loggedIn(t, func(c *sessions.Config) {
		src := c.Keys.(*ringSource)
		k := src.Keyring()
		src.set(k.WithMaxAge(time.Hour).WithClock(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }))
	})
	readCart(e, v)
	if user, _ := readCart(e, v); user != "alice" || e.m.Stats().CacheHits == 0 {
		t.Fatal("not served from the cache")
	}
	ahead.Store(int64(2 * time.Hour))
	if user, _ := readCart(e, v); user != "" {
		t.Fatal("a value past the keyring's max age was served from the cache")
	}
	if e.m.Stats().Invalid.Expired != 1 {
		t.Errorf("stats %+v", e.m.Stats().Invalid)
	}
}

// A handler that edits a session taken from the cache, and whose change is
// not saved, leaves the cached value as it was.
func TestVerifiedCacheCopiesPayload(t *testing.T) {
	e, v := loggedIn(t)
	readCart(e, v)
	e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if err := s.Set("cart", []string{"changed"}); err != nil {
			t.Fatal(err)
		}
		s.Delete("cart")
		if err := s.Set("zz", 1); err != nil {
			t.Fatal(err)
		}
		w.WriteHeader(http.StatusInternalServerError) // nothing saved
	})
	if _, cart := readCart(e, v); len(cart) != 2 || cart[0] != "beans" {
		t.Fatalf("cart after an unsaved edit: %v", cart)
	}
	if e.m.Stats().CacheHits < 2 {
		t.Fatal("the reads did not come from the cache")
	}
}

// Off, nothing is cached.
func TestVerifiedCacheOff(t *testing.T) {
	e, v := loggedIn(t, func(c *sessions.Config) { c.VerifiedCacheEntries = -1 })
	readCart(e, v)
	readCart(e, v)
	if st := e.m.Stats(); st.CacheHits != 0 || st.CacheMisses != 0 {
		t.Errorf("cache off, stats %+v", st)
	}
}

// Many sessions at once, read and edited concurrently (run with -race).
func TestVerifiedCacheConcurrent(t *testing.T) {
	e := newEnv(t, func(c *sessions.Config) { c.VerifiedCacheEntries = 64 })
	var vals []string
	for range 40 {
		res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { _ = s.Set("n", 1) })
		vals = append(vals, res.value())
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 400 {
				v := vals[(i*7+g)%len(vals)]
				res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
					if sessions.Get(s, "n", 0) != 1 {
						t.Error("session lost its value")
					}
					_ = s.Set("n", 1)
				})
				_ = res
			}
		}()
	}
	wg.Wait()
	if e.m.Stats().CacheHits == 0 {
		t.Error("no cache hits")
	}
}
