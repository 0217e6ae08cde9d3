package sessions_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/sessions"
)

// readSnapshot is what a handler read from its session, kept past the
// request.
type readSnapshot struct {
	user    string
	s       string
	b       []byte
	j       map[string]any
	keys    []string
	flashes []string
	line    string // the response's Set-Cookie line
}

// TestReadsOutliveLaterRequests: strings read from a session share the
// opened cookie's bytes (and, with the verified-value cache, those of every
// request bringing the same cookie), and the Set-Cookie line is the buffer
// the value was sealed into. None of it may change afterwards: not when
// the reader changes a []byte it got, nor when concurrent requests with
// the same cookie read, set, delete and save (reusing the Manager's
// buffers), nor when other sessions are saved. Run with -race.
func TestReadsOutliveLaterRequests(t *testing.T) {
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("cached=%v", cached), func(t *testing.T) {
			cfg := sessions.Config{Keys: testutil.Keyring(t), Revoker: testutil.NewMemRevoker(nil), Logger: discardLogger()}
			if !cached {
				cfg.VerifiedCacheEntries = -1
			}
			m, err := sessions.New(cfg)
			must(t, err)
			want := readSnapshot{
				user: "alice", s: strings.Repeat("s", 300), b: []byte("bytes"),
				j: map[string]any{"k": "v"}, keys: []string{"b", "j", "s"}, flashes: []string{"hello"},
			}
			r, s := m.Load(httptest.NewRequest("GET", "/", nil))
			must(t, s.Login(r.Context(), want.user))
			must(t, s.Update(map[string]any{"s": want.s, "b": want.b, "j": want.j}))
			s.AddFlash(want.flashes[0])
			w := newHeaderWriter()
			must(t, m.Save(w, r, s))
			cookie := sessionCookie(t, w.Header(), m).Value

			got := readOnce(t, m, cookie)
			lineThen := strings.Clone(got.line)
			got.b[0] = 'X' // the reader's own copy: no other request may see it
			hammer(t, m, cookie, want)

			if got.user != want.user || got.s != want.s || !slices.Equal(got.keys, want.keys) ||
				!slices.Equal(got.flashes, want.flashes) || fmt.Sprint(got.j) != fmt.Sprint(want.j) {
				t.Errorf("values read earlier changed: %+v", got)
			}
			if string(got.b) != "Xytes" {
				t.Errorf("the []byte read earlier is %q, want the reader's own edit", got.b)
			}
			if got.line != lineThen {
				t.Errorf("the Set-Cookie line written earlier changed:\n%q\nwas\n%q", got.line, lineThen)
			}
		})
	}
}

// readOnce serves one request with cookie through m's middleware; the
// handler reads everything and changes the session, so a cookie is
// written.
func readOnce(t *testing.T, m *sessions.Manager, cookie string) readSnapshot {
	t.Helper()
	var got readSnapshot
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Session(r)
		must(t, err)
		got.user, got.keys, got.flashes = s.UserID(), s.Keys(), s.Flashes()
		got.s = sessions.Get(s, "s", "")
		got.b = sessions.Get(s, "b", []byte(nil))
		got.j = sessions.Get(s, "j", map[string]any(nil))
		must(t, s.Set("s", "changed by the reader"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, cookieRequest("session", cookie))
	if got.line = rec.Header().Get("Set-Cookie"); got.line == "" {
		t.Fatal("no cookie written")
	}
	return got
}

// hammer serves concurrent requests: with cookie, checking that what each
// reads is want (so no reader's edit leaked) and then changing and saving
// their session; and new sessions saving large values of other bytes.
func hammer(t *testing.T, m *sessions.Manager, cookie string, want readSnapshot) {
	t.Helper()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Session(r)
		must(t, err)
		if s.IsNew() {
			must(t, s.Set("s", strings.Repeat("z", 1200)))
			must(t, s.Set("b", []byte(strings.Repeat("y", 300))))
			return
		}
		if got := sessions.Get(s, "s", ""); got != want.s {
			t.Errorf("read %q, want %q", got, want.s)
		}
		b := sessions.Get(s, "b", []byte(nil))
		if string(b) != string(want.b) {
			t.Errorf("read %q, want %q", b, want.b)
		}
		clear(b)
		must(t, s.Set("s", strings.Repeat("w", 1000)))
		s.Delete("j")
		_ = s.Flashes()
		s.AddFlash("other")
	}))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 40 {
				req := httptest.NewRequest("GET", "/", nil)
				if g%2 == 0 {
					req = cookieRequest("session", cookie)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Header().Get("Set-Cookie") == "" {
					t.Error("no cookie written")
				}
			}
		})
	}
	wg.Wait()
}
