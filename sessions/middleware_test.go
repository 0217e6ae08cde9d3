package sessions_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// TestDjangoSessionMiddlewareTests mirrors Django's SessionMiddlewareTests.
func TestDjangoSessionMiddlewareTests(t *testing.T) {
	type S = sessions.Session
	setHello := func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Set("hello", "world")) }
	tests := []struct {
		name string
		opts func(*sessions.Config)
		run  func(t *testing.T, e *env)
	}{
		{"test_secure_session_cookie", nil, func(t *testing.T, e *env) {
			if c := e.do(nil, setHello).cookie; c == nil || !c.Secure {
				t.Errorf("cookie %v, want Secure", c)
			}
		}},
		{"test_secure_session_cookie/InsecureCookies", func(c *sessions.Config) { c.InsecureCookies = true }, func(t *testing.T, e *env) {
			if c := e.do(nil, setHello).cookie; c == nil || c.Secure {
				t.Errorf("cookie %v, want not Secure", c)
			}
		}},
		{"test_httponly_session_cookie", nil, func(t *testing.T, e *env) {
			res := e.do(nil, setHello)
			if c := res.cookie; c == nil || !c.HttpOnly || !strings.Contains(res.rec.Header().Get("Set-Cookie"), "; HttpOnly") {
				t.Errorf("cookie %v, want HttpOnly", c)
			}
		}},
		{"test_no_httponly_session_cookie", func(c *sessions.Config) { c.InsecureScriptAccess = true }, func(t *testing.T, e *env) {
			res := e.do(nil, setHello)
			if c := res.cookie; c == nil || c.HttpOnly || strings.Contains(res.rec.Header().Get("Set-Cookie"), "HttpOnly") {
				t.Errorf("cookie %v, want no HttpOnly", c)
			}
		}},
		{"test_samesite_session_cookie", nil, func(t *testing.T, e *env) {
			if c := e.do(nil, setHello).cookie; c == nil || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie %v, want SameSite=Lax", c)
			}
		}},
		{"test_samesite_session_cookie/Strict", func(c *sessions.Config) { c.SameSite = http.SameSiteStrictMode }, func(t *testing.T, e *env) {
			if c := e.do(nil, setHello).cookie; c == nil || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("cookie %v, want SameSite=Strict", c)
			}
		}},
		{"test_session_save_on_500", nil, func(t *testing.T, e *env) {
			res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *S) {
				setHello(w, r, s)
				w.WriteHeader(http.StatusInternalServerError)
			})
			if res.cookie != nil {
				t.Errorf("500 response set %v", res.cookie)
			}
		}},
		{"test_session_save_on_5xx", nil, func(t *testing.T, e *env) {
			v, _ := e.saved(map[string]any{"k": "v"})
			res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) {
				must(t, s.Set("k", "changed"))
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
			})
			if res.cookie != nil {
				t.Errorf("503 response set %v", res.cookie)
			}
			if _, _, k, _ := e.load(v); k != "v" {
				t.Errorf("k = %q, want v", k)
			}
		}},
		{"test_session_delete_on_end", nil, func(t *testing.T, e *env) {
			v, _ := e.saved(map[string]any{"k": "v"})
			res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Flush(r.Context())) })
			want := "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"
			if got := res.rec.Header().Get("Set-Cookie"); got != want {
				t.Errorf("Set-Cookie = %q, want %q", got, want)
			}
		}},
		{"test_session_delete_on_end_with_custom_domain_and_path", func(c *sessions.Config) {
			c.Domain = ".example.local"
			c.Path = "/example/"
		}, func(t *testing.T, e *env) {
			// Django only needs some cookie to be present.
			res := e.withCookie("abc", func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Flush(r.Context())) })
			want := "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; Domain=.example.local; HttpOnly; Secure; SameSite=Lax"
			if got := res.rec.Header().Get("Set-Cookie"); got != want {
				t.Errorf("Set-Cookie = %q, want %q", got, want)
			}
		}},
		{"test_flush_empty_without_session_cookie_doesnt_set_cookie", nil, func(t *testing.T, e *env) {
			res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Flush(r.Context())) })
			if got := res.rec.Header().Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("Set-Cookie = %q, want none", got)
			}
			if got := res.rec.Header().Get("Vary"); got != "Cookie" {
				t.Errorf("Vary = %q, want Cookie", got)
			}
			if len(e.rev.Sessions()) != 0 {
				t.Error("flush of a never-issued session recorded a revocation")
			}
		}},
		{"test_empty_session_saved", nil, func(t *testing.T, e *env) {
			v, _ := e.saved(map[string]any{"foo": "bar"})
			res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *S) { sessions.Pop(s, "foo", "") })
			if res.cookie == nil || res.cookie.MaxAge <= 0 {
				t.Fatalf("emptied session not saved: %v", res.cookie)
			}
			if got := res.rec.Header().Get("Vary"); got != "Cookie" {
				t.Errorf("Vary = %q, want Cookie", got)
			}
			res = e.withCookie(res.value(), func(w http.ResponseWriter, r *http.Request, s *S) { must(t, s.Flush(r.Context())) })
			if res.cookie == nil || res.cookie.MaxAge >= 0 {
				t.Errorf("flush after emptying: cookie %v, want deletion", res.cookie)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*sessions.Config)
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			tt.run(t, newEnv(t, opts...))
		})
	}
}

func TestUntouchedAndAccessedHeaders(t *testing.T) {
	e := newEnv(t)
	v, _ := e.saved(map[string]any{"k": "v"})
	tests := []struct {
		name                 string
		fn                   func(w http.ResponseWriter, r *http.Request, s *sessions.Session)
		wantCookie, wantVary bool
		wantCacheControl     string
		presetCacheControl   string
	}{
		{name: "untouched", fn: nil},
		{name: "read", fn: func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { sessions.Get(s, "k", "") }, wantVary: true},
		{name: "written", fn: func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Set("k", "w")) },
			wantCookie: true, wantVary: true, wantCacheControl: `no-cache="Set-Cookie"`},
		{name: "written with Cache-Control", presetCacheControl: "public, max-age=60",
			fn:         func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Set("k", "w")) },
			wantCookie: true, wantVary: true, wantCacheControl: `public, max-age=60, no-cache="Set-Cookie"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
				if tt.presetCacheControl != "" {
					w.Header().Set("Cache-Control", tt.presetCacheControl)
				}
				if tt.fn != nil {
					tt.fn(w, r, s)
				}
			})
			h := res.rec.Header()
			if got := res.cookie != nil; got != tt.wantCookie {
				t.Errorf("cookie written %v, want %v", got, tt.wantCookie)
			}
			if got := h.Get("Vary") == "Cookie"; got != tt.wantVary {
				t.Errorf("Vary %q, want Cookie: %v", h.Get("Vary"), tt.wantVary)
			}
			if got := h.Get("Cache-Control"); tt.wantCacheControl != "" && got != tt.wantCacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCacheControl)
			}
		})
	}
}

func TestCookieWrittenBeforeBody(t *testing.T) {
	e := newEnv(t)
	res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Set("before", 1))
		io.WriteString(w, "body")
		must(t, s.Set("after", 2)) // too late for this response
	})
	if res.cookie == nil {
		t.Fatal("no cookie in the headers sent with the body")
	}
	e.withCookie(res.value(), func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if !s.Has("before") || s.Has("after") {
			t.Errorf("keys %v, want [before]", s.Keys())
		}
	})
	if got := res.rec.Body.String(); got != "body" {
		t.Errorf("body %q", got)
	}
}

func TestFlushThroughResponseController(t *testing.T) {
	e := newEnv(t)
	res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Set("k", "v"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok {
			t.Error("wrapped writer has no Unwrap")
		}
		w.(http.Flusher).Flush()
	})
	if !res.rec.Flushed {
		t.Error("recorder not flushed")
	}
	if res.cookie == nil {
		t.Error("flush sent headers without the session cookie")
	}
}

func TestHandlerTwiceSavesOnce(t *testing.T) {
	e := newEnv(t)
	h := e.m.Handler(e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.m.Session(r)
		must(t, err)
		must(t, s.Set("k", "v"))
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := len(rec.Header().Values("Set-Cookie")); got != 1 {
		t.Errorf("%d Set-Cookie headers, want 1", got)
	}
}

// A handler that calls Save and then changes the session again must not
// send two cookies of one name (or a cookie for a session it then
// flushed): the middleware's save replaces the handler's.
func TestSaveThenMiddlewareOneCookie(t *testing.T) {
	tests := []struct {
		name     string
		incoming bool
		fn       func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session)
		want     string // "set" (with keys a and b), "delete" or "none"
	}{
		{"set again", false, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Set("a", 1))
			must(t, e.m.Save(w, r, s))
			must(t, s.Set("b", 2))
		}, "set"},
		{"flush after save, no cookie came in", false, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Set("a", 1))
			must(t, e.m.Save(w, r, s))
			must(t, s.Flush(r.Context()))
		}, "none"},
		{"flush after save, a cookie came in", true, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Set("a", 1))
			must(t, e.m.Save(w, r, s))
			must(t, s.Flush(r.Context()))
		}, "delete"},
		{"set after a saved logout", true, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Logout(r.Context()))
			must(t, e.m.Save(w, r, s))
			must(t, s.Set("a", 1))
			must(t, s.Set("b", 2))
		}, "set"},
		{"save after flush, a cookie came in", true, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Flush(r.Context()))
			must(t, e.m.Save(w, r, s))
		}, "delete"},
		{"save after expiring, a cookie came in", true, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			s.SetExpiry(-1)
			must(t, e.m.Save(w, r, s))
		}, "delete"},
		{"expired after save, no cookie came in", false, func(t *testing.T, e *env, w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Set("a", 1))
			must(t, e.m.Save(w, r, s))
			s.SetExpiry(-1)
		}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var in string
			if tt.incoming {
				in, _ = e.saved(map[string]any{"k": "v"})
			}
			req := httptest.NewRequest(http.MethodGet, "https://example.test/", nil)
			if in != "" {
				req.Header.Set("Cookie", "session="+in)
			}
			rec := httptest.NewRecorder()
			e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, err := e.m.Session(r)
				must(t, err)
				http.SetCookie(w, &http.Cookie{Name: "other", Value: "1"})
				tt.fn(t, e, w, r, s)
			})).ServeHTTP(rec, req)
			var lines []string
			for _, l := range rec.Header().Values("Set-Cookie") {
				if strings.HasPrefix(l, "other=") {
					continue
				}
				lines = append(lines, l)
			}
			if got := len(rec.Header().Values("Set-Cookie")) - len(lines); got != 1 {
				t.Errorf("the handler's own cookie appears %d times, want 1", got)
			}
			switch tt.want {
			case "none":
				if len(lines) != 0 {
					t.Fatalf("Set-Cookie %q, want none", lines)
				}
			case "delete":
				if len(lines) != 1 || !strings.Contains(lines[0], "Max-Age=0") {
					t.Fatalf("Set-Cookie %q, want one deletion", lines)
				}
			case "set":
				if len(lines) != 1 {
					t.Fatalf("Set-Cookie %q, want one", lines)
				}
				c, err := http.ParseSetCookie(lines[0])
				must(t, err)
				e.withCookie(c.Value, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
					if got := s.Keys(); !slices.Equal(got, []string{"a", "b"}) {
						t.Errorf("saved keys %q, want [a b]", got)
					}
				})
			}
		})
	}
}

// "A response with status 500 or more saves nothing" holds for a cookie
// the handler's own Save put in the headers before the error.
func TestErrorStatusDropsHandlerSave(t *testing.T) {
	e := newEnv(t)
	res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		http.SetCookie(w, &http.Cookie{Name: "other", Value: "1"})
		must(t, s.Set("cart", "3 items"))
		must(t, e.m.Save(w, r, s))
		w.WriteHeader(http.StatusInternalServerError)
	})
	if got := res.rec.Header().Values("Set-Cookie"); len(got) != 1 || !strings.HasPrefix(got[0], "other=") {
		t.Errorf("Set-Cookie %q, want only the handler's other=1", got)
	}
	if res.rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d", res.rec.Code)
	}
}

// A session loaded by code outside the Handler (m.Load in an outer
// middleware, say to log the user) is still saved by the Handler: it used
// to see the session in the context, assume an outer Handler would save
// it, and drop every change.
func TestHandlerSavesSessionLoadedOutside(t *testing.T) {
	e := newEnv(t)
	inner := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.m.Session(r)
		must(t, err)
		must(t, s.Set("k", "v"))
	}))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, s := e.m.Load(r)
		_ = s.UserID()
		inner.ServeHTTP(w, r)
	})
	rec := httptest.NewRecorder()
	outer.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	c := sessionCookie(t, rec.Header(), e.m)
	if c == nil {
		t.Fatal("the change made inside the Handler was not saved")
	}
	if _, _, k, _ := e.load(c.Value); k != "v" {
		t.Errorf("saved k = %q, want v", k)
	}
}

func TestSessionWithoutMiddleware(t *testing.T) {
	e := newEnv(t)
	if _, err := e.m.Session(httptest.NewRequest("GET", "/", nil)); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("err = %v, want ErrNoSession", err)
	}
	if _, err := e.m.Session(nil); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("nil request: err = %v, want ErrNoSession", err)
	}
	if err := e.m.Save(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), nil); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("Save(nil Session) = %v, want ErrNoSession", err)
	}
	// Save only needs the request for its context: a nil one does not
	// panic, even on the path that revokes (an expiry set in the past).
	v, _ := e.saved(map[string]any{"k": "v"})
	_, s := e.m.Load(cookieRequest("session", v))
	s.SetExpiry(-1)
	if err := e.m.Save(httptest.NewRecorder(), nil, s); err != nil {
		t.Errorf("Save(nil request) = %v", err)
	}
	if len(e.rev.Sessions()) != 1 {
		t.Errorf("expired session not revoked by Save(nil request)")
	}
	// Another Manager's session is not visible.
	other := newEnv(t)
	r, _ := other.m.Load(httptest.NewRequest("GET", "/", nil))
	if _, err := e.m.Session(r); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("another Manager's session: err = %v, want ErrNoSession", err)
	}
}

func TestCookieExpiryMirrorsPayload(t *testing.T) {
	tests := []struct {
		name        string
		opts        func(*sessions.Config)
		fn          func(s *sessions.Session)
		wantMaxAge  int
		wantExpires bool
	}{
		{"default", nil, func(*sessions.Session) {}, int(sessions.DefaultCookieAge / time.Second), true},
		{"custom idle", nil, func(s *sessions.Session) { s.SetExpiry(time.Hour) }, 3600, true},
		{"custom date", nil, func(s *sessions.Session) { s.SetExpiryAt(t0.Add(90 * time.Minute)) }, 5400, true},
		{"date past absolute lifetime", nil, func(s *sessions.Session) { s.SetExpiryAt(t0.Add(90 * 24 * time.Hour)) },
			int(sessions.DefaultAbsoluteLifetime / time.Second), true},
		{"browser close", nil, func(s *sessions.Session) { s.SetExpireAtBrowserClose() }, 0, false},
		{"browser close by config", func(c *sessions.Config) { c.ExpireAtBrowserClose = true }, func(*sessions.Session) {}, 0, false},
		{"short config age", func(c *sessions.Config) { c.CookieAge = time.Hour; c.AbsoluteLifetime = 2 * time.Hour }, func(*sessions.Session) {}, 3600, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*sessions.Config)
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			e := newEnv(t, opts...)
			res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
				must(t, s.Set("k", "v"))
				tt.fn(s)
			})
			c := res.cookie
			if c == nil {
				t.Fatal("no cookie")
			}
			if c.MaxAge != tt.wantMaxAge {
				t.Errorf("Max-Age %d, want %d", c.MaxAge, tt.wantMaxAge)
			}
			if got := c.RawExpires != ""; got != tt.wantExpires {
				t.Errorf("Expires present %v, want %v", got, tt.wantExpires)
			}
			if tt.wantExpires && !c.Expires.Equal(t0.Add(time.Duration(tt.wantMaxAge)*time.Second)) {
				t.Errorf("Expires %v, want now + Max-Age", c.Expires)
			}
		})
	}
}

func TestServerSideExpiry(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		e := newEnv(t)
		v, _ := e.saved(map[string]any{"k": "v"})
		e.clock.Advance(sessions.DefaultCookieAge - time.Nanosecond)
		if _, _, k, _ := e.load(v); k != "v" {
			t.Fatal("expired before its idle age")
		}
		e.clock.Advance(time.Nanosecond)
		if _, _, k, _ := e.load(v); k != "" {
			t.Fatal("alive after its idle age")
		}
		if got := e.m.Stats().Invalid.Expired; got != 1 {
			t.Errorf("Invalid.Expired = %d, want 1", got)
		}
	})
	t.Run("browser close sessions expire on the server too", func(t *testing.T) {
		e := newEnv(t, func(c *sessions.Config) { c.ExpireAtBrowserClose = true })
		v, _ := e.saved(map[string]any{"k": "v"})
		e.clock.Advance(sessions.DefaultCookieAge)
		if _, _, k, _ := e.load(v); k != "" {
			t.Fatal("browser-close session alive after its idle age")
		}
	})
	t.Run("SaveEveryRequest slides up to the absolute lifetime", func(t *testing.T) {
		e := newEnv(t, func(c *sessions.Config) { c.SaveEveryRequest = true })
		first, _ := e.saved(map[string]any{"k": "v"})
		v := first
		for day := 10; day <= 29; day += 10 {
			e.clock.Advance(10 * 24 * time.Hour) // days 10, 20: within the idle age of the last save
			res := e.withCookie(v, nil)
			if res.cookie == nil {
				t.Fatalf("day %d: untouched session not re-saved", day)
			}
			v = res.value()
		}
		if _, _, k, _ := e.load(first); k != "" {
			t.Error("first cookie alive after 20 days")
		}
		e.clock.Advance(9 * 24 * time.Hour) // day 29
		if _, _, k, _ := e.load(v); k != "v" {
			t.Error("slid session dead at day 29")
		}
		e.clock.Advance(24 * time.Hour) // day 30
		if _, _, k, _ := e.load(v); k != "" {
			t.Error("session alive past the absolute lifetime")
		}
	})
	t.Run("an expired save is deleted once, even with SaveEveryRequest", func(t *testing.T) {
		e := newEnv(t, func(c *sessions.Config) { c.SaveEveryRequest = true })
		v, _ := e.saved(map[string]any{"k": "v"})
		res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			s.SetExpiry(-time.Second)
			must(t, e.m.Save(w, r, s)) // then the middleware commits again
		})
		if res.cookie == nil || res.cookie.MaxAge >= 0 {
			t.Fatalf("cookie not deleted: %v", res.cookie)
		}
		if got := e.m.Stats().Deleted; got != 1 {
			t.Errorf("Deleted = %d, want 1", got)
		}
	})
	t.Run("custom date beyond absolute lifetime is capped", func(t *testing.T) {
		e := newEnv(t)
		res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
			must(t, s.Set("k", "v"))
			s.SetExpiryAt(t0.Add(365 * 24 * time.Hour))
			if got, want := s.ExpiryDate(), s.Created().Add(sessions.DefaultAbsoluteLifetime); !got.Equal(want) {
				t.Errorf("ExpiryDate %v, want %v", got, want)
			}
		})
		e.clock.Advance(sessions.DefaultAbsoluteLifetime)
		if _, _, k, _ := e.load(res.value()); k != "" {
			t.Error("session alive past the absolute lifetime")
		}
	})
}

// SetExpiryAt takes any time.Time: dates UnixNano can't represent (before
// 1678, after 2262) must not wrap around, which used to turn the year 3000
// into "expired now" and the year 1500 into a 30-day session.
func TestSetExpiryAtExtremes(t *testing.T) {
	tests := []struct {
		name      string
		at        time.Time
		wantSaved bool          // false: expires now, no cookie
		wantAge   time.Duration // ExpiryAge when saved
	}{
		{"zero time", time.Time{}, false, 0},
		{"year 1500", time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), false, 0},
		{"year 1600", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), false, 0},
		{"one second ago", t0.Add(-time.Second), false, 0},
		{"one hour ahead", t0.Add(time.Hour), true, time.Hour},
		{"year 2263", time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC), true, sessions.DefaultAbsoluteLifetime},
		{"year 3000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), true, sessions.DefaultAbsoluteLifetime},
		{"max time", time.Unix(1<<62, 0), true, sessions.DefaultAbsoluteLifetime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var age time.Duration
			res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
				must(t, s.Set("k", "v"))
				s.SetExpiryAt(tt.at)
				age = s.ExpiryAge()
			})
			if got := res.cookie != nil; got != tt.wantSaved {
				t.Fatalf("cookie written %v, want %v (ExpiryAge %v)", got, tt.wantSaved, age)
			}
			if !tt.wantSaved {
				if age > 0 {
					t.Errorf("ExpiryAge %v, want <= 0", age)
				}
				return
			}
			// Creation is stamped a nanosecond or so after t0.
			if d := tt.wantAge - age; d < 0 || d > time.Microsecond {
				t.Errorf("ExpiryAge %v, want %v", age, tt.wantAge)
			}
			if _, _, k, _ := e.load(res.value()); k != "v" {
				t.Error("saved session does not load")
			}
		})
	}
}

func TestResealUnderPrimary(t *testing.T) {
	e := newEnv(t)
	old := e.keys.Keyring()
	v, id := e.saved(map[string]any{"k": "v"})
	rotated, newKey, err := old.Rotate(t0)
	must(t, err)
	e.keys.set(rotated)
	res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		if s.KeyID() != old.Primary().ID {
			t.Errorf("KeyID %q, want %q", s.KeyID(), old.Primary().ID)
		}
	})
	if res.cookie == nil || !strings.HasPrefix(res.value(), newKey.ID+".") {
		t.Fatalf("not re-sealed under the new primary %s: %v", newKey.ID, res.cookie)
	}
	if got := e.m.Stats().Resealed; got != 1 {
		t.Errorf("Resealed = %d, want 1", got)
	}
	// The re-sealed cookie carries the same session and data.
	if gotID, _, k, _ := e.load(res.value()); gotID != id || k != "v" {
		t.Errorf("re-sealed session: id %s k %q", gotID, k)
	}
	// Once the old key is retired its cookies stop opening.
	retired, err := rotated.Retire(old.Primary().ID)
	must(t, err)
	e.keys.set(retired)
	if _, _, k, isNew := e.load(v); !isNew || k != "" {
		t.Error("cookie under a retired key opened")
	}
	if got := e.m.Stats().Invalid.UnknownKey; got != 1 {
		t.Errorf("Invalid.UnknownKey = %d, want 1", got)
	}
}

func TestTooLarge(t *testing.T) {
	var handled error
	e := newEnv(t, func(c *sessions.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { handled = err }
	})
	v, _ := e.saved(map[string]any{"k": "v"})
	res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Set("big", strings.Repeat("x", 3000)))
		must(t, s.Set("small", "y"))
	})
	if res.cookie != nil {
		t.Errorf("oversized session wrote %v", res.cookie)
	}
	var tl *sessions.TooLargeError
	if !errors.As(handled, &tl) || !errors.Is(handled, sessions.ErrTooLarge) {
		t.Fatalf("ErrorHandler got %v, want *TooLargeError", handled)
	}
	if len(tl.Keys) == 0 || tl.Keys[0] != "big" || tl.Size <= sessions.MaxCookieSize {
		t.Errorf("TooLargeError %+v, want big first and size over the limit", tl)
	}
	if !strings.Contains(handled.Error(), `"big"`) {
		t.Errorf("message %q does not name the key", handled)
	}
	if got := e.m.Stats().TooLarge; got != 1 {
		t.Errorf("TooLarge = %d, want 1", got)
	}
	if _, _, k, _ := e.load(v); k != "v" {
		t.Error("previous cookie no longer works")
	}

	// Without an ErrorHandler the error is logged; Save returns it.
	e2 := newEnv(t)
	e2.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Set("huge", strings.Repeat("z", 5000)))
	})
	if log := e2.log.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "huge") {
		t.Errorf("log %q does not report the oversized key", log)
	}
	r, s := e2.m.Load(httptest.NewRequest("GET", "/", nil))
	must(t, s.Set("huge", strings.Repeat("z", 5000)))
	if err := e2.m.Save(newHeaderWriter(), r, s); !errors.Is(err, sessions.ErrTooLarge) {
		t.Errorf("Save err = %v, want ErrTooLarge", err)
	}
}

func TestFlashes(t *testing.T) {
	e := newEnv(t)
	v := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		s.AddFlash("saved")
		s.AddFlash("twice")
	}).value()
	var got []string
	res := e.withCookie(v, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { got = s.Flashes() })
	if strings.Join(got, ",") != "saved,twice" {
		t.Errorf("Flashes = %q, want [saved twice]", got)
	}
	e.withCookie(res.value(), func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { got = s.Flashes() })
	if len(got) != 0 {
		t.Errorf("second read: Flashes = %q, want none", got)
	}
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name string
		opts func(*sessions.Config)
		want string
	}{
		{"defaults", func(*sessions.Config) {}, "; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"SameSite None, Partitioned", func(c *sessions.Config) { c.SameSite = http.SameSiteNoneMode; c.Partitioned = true },
			"; Path=/; HttpOnly; Secure; SameSite=None; Partitioned"},
		{"no SameSite attribute", func(c *sessions.Config) { c.SameSite = http.SameSiteDefaultMode }, "; Path=/; HttpOnly; Secure"},
		{"name, domain, path, plain HTTP", func(c *sessions.Config) {
			c.CookieName, c.Domain, c.Path, c.InsecureCookies = "sid", "example.test", "/app", true
		}, "; Path=/app; Domain=example.test; HttpOnly; SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			res := e.do(nil, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) { must(t, s.Set("k", 1)) })
			got := res.rec.Header().Get("Set-Cookie")
			if !strings.HasPrefix(got, e.name()+"=") || !strings.HasSuffix(got, tt.want) {
				t.Errorf("Set-Cookie %q, want name %q and attributes ending %q", got, e.name(), tt.want)
			}
		})
	}
}

// Responses that are not a plain 200 through a real server: informational
// 1xx responses go out before the session is saved and without its
// cookie; a handler that panics saves nothing, whether a recovering
// middleware sits outside or inside the session Handler; HEAD saves like
// GET.
func TestMiddlewareEdgeResponses(t *testing.T) {
	e := newEnv(t, func(c *sessions.Config) { c.InsecureCookies = true })
	recoverTo500 := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if recover() != nil {
					http.Error(w, "oops", http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.m.Session(r)
		must(t, err)
		must(t, s.Set("k", r.URL.Path))
		switch strings.TrimPrefix(r.URL.Path, "/outer") {
		case "/hints":
			w.Header().Set("Link", "</style.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			io.WriteString(w, "body")
		case "/panic":
			panic("handler bug")
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/outer/", recoverTo500(e.m.Handler(app)))
	mux.Handle("/", e.m.Handler(recoverTo500(app)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path string, hints *[]http.Header) *http.Response {
		t.Helper()
		ctx := context.Background()
		if hints != nil {
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				*hints = append(*hints, http.Header(h))
				return nil
			}})
		}
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
		must(t, err)
		resp, err := srv.Client().Do(req)
		must(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	var hints []http.Header
	resp := do("GET", "/hints", &hints)
	if len(hints) != 1 || hints[0].Get("Link") == "" {
		t.Fatalf("103 responses %v, want one with the Link header", hints)
	}
	if got := hints[0].Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("103 Early Hints carried Set-Cookie %q", got)
	}
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 1 {
		t.Errorf("final response: status %d, cookies %v; want 200 and the session cookie", resp.StatusCode, resp.Cookies())
	}

	for _, path := range []string{"/panic", "/outer/panic"} {
		resp := do("GET", path, nil)
		if resp.StatusCode != http.StatusInternalServerError || len(resp.Cookies()) != 0 {
			t.Errorf("%s: status %d, cookies %v; want 500 and no cookie", path, resp.StatusCode, resp.Cookies())
		}
	}

	if resp := do("HEAD", "/head", nil); resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 1 {
		t.Errorf("HEAD: status %d, cookies %v; want 200 and the session cookie", resp.StatusCode, resp.Cookies())
	}
}
