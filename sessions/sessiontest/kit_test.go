package sessiontest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/sessions"
	"github.com/sealedsessions/sealed/sessions/sessiontest"
)

var _ sessions.Revoker = (*sessiontest.MemRevoker)(nil)

// TestLightDeps pins the promise of the package doc: a test that uses the
// kit links no Badger, NATS, browser or Prometheus.
func TestLightDeps(t *testing.T) {
	heavy := []string{"github.com/dgraph-io/", "github.com/nats-io/", "github.com/chromedp/", "github.com/prometheus/", "go.opentelemetry.io/"}
	out, err := exec.Command("go", "list", "-deps", "-test", "github.com/sealedsessions/sealed/sessions/sessiontest").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps -test printed %d packages, want the kit and its dependencies", len(deps))
	}
	for _, dep := range deps {
		for _, h := range heavy {
			if strings.HasPrefix(dep, h) {
				t.Errorf("a test using sessiontest links %s", dep)
			}
		}
	}
}

// The in-memory list honours the contract the Badger store honours.
func TestMemRevokerContract(t *testing.T) {
	testutil.RevokerContract(t, func(t *testing.T, now func() time.Time) sessions.Revoker {
		return sessiontest.NewMemRevoker(now)
	})
}

func TestRequestOptions(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		opts  []sessiontest.Option
		check func(t *testing.T, s *sessions.Session)
	}{
		{"no options: a session with a cookie", nil, func(t *testing.T, s *sessions.Session) {
			if s.IsNew() || s.UserID() != "" {
				t.Errorf("IsNew %v, user %q: want an opened anonymous session", s.IsNew(), s.UserID())
			}
		}},
		{"user", []sessiontest.Option{sessiontest.User("alice")}, func(t *testing.T, s *sessions.Session) {
			if got := s.UserID(); got != "alice" {
				t.Errorf("UserID = %q, want alice", got)
			}
		}},
		{"values keep their types", []sessiontest.Option{sessiontest.Values(map[string]any{"n": 3, "tags": []string{"a"}})}, func(t *testing.T, s *sessions.Session) {
			if n, ok := sessions.Lookup[int](s, "n"); !ok || n != 3 {
				t.Errorf("n = %v, %v; want 3, true", n, ok)
			}
			if tags := sessions.Get(s, "tags", []string(nil)); len(tags) != 1 || tags[0] != "a" {
				t.Errorf("tags = %q, want [a]", tags)
			}
		}},
		{"flashes", []sessiontest.Option{sessiontest.Flash("one", "two")}, func(t *testing.T, s *sessions.Session) {
			if got := s.Flashes(); len(got) != 2 || got[0] != "one" || got[1] != "two" {
				t.Errorf("Flashes = %q, want [one two]", got)
			}
		}},
		{"idle expiry", []sessiontest.Option{sessiontest.ExpiresIn(time.Hour)}, func(t *testing.T, s *sessions.Session) {
			if got := s.ExpiryAge(); got != time.Hour {
				t.Errorf("ExpiryAge = %v, want 1h", got)
			}
		}},
		{"expiry date", []sessiontest.Option{sessiontest.ExpiresAt(at)}, func(t *testing.T, s *sessions.Session) {
			if got := s.ExpiryDate(); got.After(at) {
				t.Errorf("ExpiryDate = %v, want at most %v", got, at)
			}
		}},
		{"browser close", []sessiontest.Option{sessiontest.ExpireAtBrowserClose()}, func(t *testing.T, s *sessions.Session) {
			if !s.ExpireAtBrowserClose() {
				t.Error("ExpireAtBrowserClose = false")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := sessiontest.New(t, sessions.Config{})
			ran := false
			h := k.Manager.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, err := k.Manager.Session(r)
				if err != nil {
					t.Fatal(err)
				}
				ran = true
				tt.check(t, s)
			}))
			h.ServeHTTP(httptest.NewRecorder(), k.Request("GET", "/", tt.opts...))
			if !ran {
				t.Fatal("the handler did not run")
			}
		})
	}
}

// fatalTB records the first Fatalf and stops the kit's method there.
type fatalTB struct {
	testing.TB
	msg string
}

func (*fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

// fails runs fn with a kit on a fatalTB and returns the failure message.
func fails(t *testing.T, cfg sessions.Config, fn func(k *sessiontest.Kit)) (msg string) {
	t.Helper()
	tb := &fatalTB{TB: t}
	k := sessiontest.New(tb, cfg)
	defer func() {
		if r := recover(); r != nil && r != any(tb) {
			panic(r)
		}
		msg = tb.msg
	}()
	fn(k)
	return ""
}

func TestKitFailsTheTest(t *testing.T) {
	tests := []struct {
		name, want string
		fn         func(k *sessiontest.Kit)
	}{
		{"an option that errs", "shape the session", func(k *sessiontest.Kit) { k.Request("GET", "/", sessiontest.User("")) }},
		{"an expiry in the past", "left the session with no cookie", func(k *sessiontest.Kit) {
			k.Cookies(sessiontest.User("a"), sessiontest.ExpiresIn(-time.Second))
		}},
		{"a cookie that does not open", "does not open", func(k *sessiontest.Kit) {
			k.Written(http.Header{"Set-Cookie": {"session=forged; Path=/"}})
		}},
		{"two session cookies", "twice", func(k *sessiontest.Kit) {
			k.Written(http.Header{"Set-Cookie": {"session=a", "session=b"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fails(t, sessions.Config{}, tt.fn); !strings.Contains(got, tt.want) {
				t.Errorf("failure %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestWrittenIgnoresOtherCookies(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{CookieName: "__Host-s"})
	h := http.Header{"Set-Cookie": {"theme=dark; Path=/"}}
	if w := k.Written(h); w.Outcome != sessiontest.NoCookie || len(w.Cookies) != 0 {
		t.Errorf("Written = %v with %d cookies, want no cookie", w.Outcome, len(w.Cookies))
	}
	for _, c := range k.Cookies(sessiontest.User("ann")) {
		h.Add("Set-Cookie", c.String())
	}
	w := k.Written(h)
	if w.Outcome != sessiontest.Saved || w.Session.UserID != "ann" {
		t.Errorf("Written = %v for user %q, want saved for ann", w.Outcome, w.Session.UserID)
	}
}

func TestLiveRefusesExpiredAndRevoked(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{CookieAge: time.Hour})
	cookies := k.Cookies(sessiontest.User("ann"))
	if _, live := k.Live(cookies); !live {
		t.Fatal("a fresh session is not live")
	}
	k.Clock.Advance(time.Hour)
	if _, live := k.Live(cookies); live {
		t.Error("a session idle for CookieAge is live")
	}
	k.Clock.Advance(-time.Hour)
	k.Revocations.SetFailing(true)
	if _, live := k.Live(cookies); live {
		t.Error("a session is live while the revocation list can't answer")
	}
	k.Revocations.SetFailing(false)
	if _, live := k.Live(nil); live {
		t.Error("no cookies is a live session")
	}
}

func TestStatsCountTheKitsCookies(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{})
	c := k.Cookies(sessiontest.User("ann"))
	k.Live(c)
	k.Written(http.Header{"Set-Cookie": {c[0].String()}})
	if st := k.Manager.Stats(); st.New != 1 || st.Saved != 1 || st.Opened != 0 {
		t.Errorf("Stats = New %d, Saved %d, Opened %d; want 1, 1, 0 (as the package doc says)", st.New, st.Saved, st.Opened)
	}
}

func TestClientFlow(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{})
	c := k.Client(shop(k.Manager))
	if r := c.Get("/"); r.Body != "hello guest, 0 in cart" || r.Written.Outcome != sessiontest.NoCookie {
		t.Fatalf("guest page: %q, %v", r.Body, r.Written.Outcome)
	}
	r := c.PostForm("/login", url.Values{"user": {"alice"}})
	if r.StatusCode != http.StatusSeeOther || r.Written.Outcome != sessiontest.Saved || r.Written.Session.UserID != "alice" {
		t.Fatalf("login: status %d, %v for %q", r.StatusCode, r.Written.Outcome, r.Written.Session.UserID)
	}
	if info, live := c.Session(); !live || info.UserID != "alice" {
		t.Fatalf("after login the jar holds %q live %v", info.UserID, live)
	}
	old := c.Cookies()
	if r := c.PostForm("/logout", nil); r.Written.Outcome != sessiontest.Deleted {
		t.Fatalf("logout wrote %v, want deleted", r.Written.Outcome)
	}
	if len(c.Cookies()) != 0 {
		t.Errorf("the jar keeps %d session cookies after logout", len(c.Cookies()))
	}
	c.SetCookies(old)
	if _, live := c.Session(); live {
		t.Error("the cookie copied before logout is live")
	}
	if r := c.Get("/"); r.Body != "hello guest, 0 in cart" {
		t.Errorf("replay of the old cookie: %q, want a guest", r.Body)
	}
}

// A session over several cookies is the Manager's cookie and its chunks
// NAME.1 to NAME.8; a chunk a response deletes is not part of the session
// it saves.
func TestWrittenChunkCookies(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{})
	valid := k.Cookies(sessiontest.User("ann"))[0].Value
	h := http.Header{"Set-Cookie": {
		"session.1=; Max-Age=0", "session=" + valid, "session.9=x", "session.10=x", "sessionx=x", "theme=dark",
	}}
	w := k.Written(h)
	if w.Outcome != sessiontest.Saved || w.Session.UserID != "ann" {
		t.Errorf("Written = %v for %q, want saved for ann", w.Outcome, w.Session.UserID)
	}
	if len(w.Cookies) != 2 || w.Cookies[0].Name != "session" || w.Cookies[1].Name != "session.1" {
		t.Errorf("session cookies %v, want session then session.1", w.Cookies)
	}
	del := k.Written(http.Header{"Set-Cookie": {"session.1=; Max-Age=0", "session=; Max-Age=0"}})
	if del.Outcome != sessiontest.Deleted {
		t.Errorf("every chunk deleted: %v, want deleted", del.Outcome)
	}
}

// A session over several cookies (Config.MaxCookies) is built, decoded
// and checked whole; without one of its cookies it is no session.
func TestChunkedSession(t *testing.T) {
	k := sessiontest.New(t, sessions.Config{MaxCookies: 3})
	big := strings.Repeat("x", 3000)
	opts := []sessiontest.Option{sessiontest.User("ann"), sessiontest.Values(map[string]any{"big": big})}
	cookies := k.Cookies(opts...)
	if len(cookies) < 2 {
		t.Fatalf("a 3 KB session in %d cookie(s), want several", len(cookies))
	}
	if info, live := k.Live(cookies); !live || info.Data["big"] != big {
		t.Errorf("Live of the whole session: %v, data of %d bytes", live, len(fmt.Sprint(info.Data["big"])))
	}
	if _, live := k.Live(cookies[:1]); live {
		t.Error("the session without its chunks is live")
	}
	h := k.Manager.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := k.Manager.Session(r)
		if err != nil || sessions.Get(s, "big", "") != big {
			t.Errorf("the handler got the session without its data (%v)", err)
		}
		if err := s.Set("n", 1); err != nil {
			t.Error(err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, k.Request("GET", "/", opts...))
	w := k.Written(rec.Header())
	if w.Outcome != sessiontest.Saved || len(w.Cookies) < 2 || w.Session.Data["big"] != big || w.Session.UserID != "ann" {
		t.Errorf("the response wrote %v in %d cookies for %q", w.Outcome, len(w.Cookies), w.Session.UserID)
	}
}
