package sessions_test

import (
	"errors"
	"fmt"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// jar is a browser's cookie store for one site, enough for chunk tests:
// Set-Cookie lines set or (Max-Age=0) delete cookies by name.
type jar map[string]string

// apply stores the response's Set-Cookie lines, failing on a line that
// does not parse.
func (j jar) apply(t testing.TB, h http.Header) {
	t.Helper()
	for _, c := range setCookies(t, h) {
		if c.MaxAge < 0 {
			delete(j, c.Name)
		} else {
			j[c.Name] = c.Value
		}
	}
}

// setCookies parses the response's Set-Cookie lines, failing on a line that
// does not parse.
func setCookies(t testing.TB, h http.Header) []*http.Cookie {
	t.Helper()
	var cs []*http.Cookie
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("bad Set-Cookie %q: %v", line, err)
		}
		cs = append(cs, c)
	}
	return cs
}

// header is the Cookie header the browser sends, names in order.
func (j jar) header() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(j)) {
		parts = append(parts, k+"="+j[k])
	}
	return strings.Join(parts, "; ")
}

// chunked is an env whose Manager spans up to three cookies, with a header
// budget that allows all three.
func chunked(t testing.TB, opts ...func(*sessions.Config)) *env {
	t.Helper()
	return newEnv(t, append([]func(*sessions.Config){func(c *sessions.Config) {
		c.MaxCookies = 3
		c.MaxCookieHeader = 3*4097 + 4
	}}, opts...)...)
}

// text is n bytes of data that the sealed form roughly doubles.
func text(n int) string { return strings.Repeat("chunk me ", n/9+1)[:n] }

// save runs a request carrying the jar's cookies whose handler sets "data"
// to n bytes, and applies the response to the jar.
func (e *env) save(j jar, n int) http.Header {
	e.t.Helper()
	res := e.send(j, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(e.t, s.Set("data", text(n)))
	})
	return res
}

// send runs a request carrying the jar's cookies and applies the response.
func (e *env) send(j jar, fn func(w http.ResponseWriter, r *http.Request, s *sessions.Session)) http.Header {
	e.t.Helper()
	var hdr []string
	if len(j) > 0 {
		hdr = []string{j.header()}
	}
	res := e.doRaw(hdr, fn)
	h := res.Result().Header
	j.apply(e.t, h)
	return h
}

// dataLen opens the session the header carries and returns the length of
// its "data" and whether it was new.
func (e *env) dataLen(header string) (n int, isNew bool) {
	e.t.Helper()
	e.doRaw([]string{header}, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		n, isNew = len(sessions.Get(s, "data", "")), s.IsNew()
	})
	return n, isNew
}

// names returns the cookie names the Set-Cookie lines set (set) and
// delete (del).
func names(t testing.TB, h http.Header) (set, del []string) {
	t.Helper()
	for _, c := range setCookies(t, h) {
		if c.MaxAge < 0 {
			del = append(del, c.Name)
		} else {
			set = append(set, c.Name)
		}
	}
	return set, del
}

func TestChunksRoundTrip(t *testing.T) {
	e := chunked(t)
	j := jar{}
	h := e.save(j, 3000)
	set, del := names(t, h)
	if !slices.Equal(set, []string{"session", "session.1"}) || !slices.Equal(del, []string{"session.2"}) {
		t.Fatalf("set %q, deleted %q; want session and session.1 set, session.2 deleted", set, del)
	}
	if !strings.HasPrefix(j["session"], "2~") {
		t.Errorf("first cookie %.10q..., want the count 2~ first", j["session"])
	}
	// Every chunk carries the same attributes as the first.
	lines := h.Values("Set-Cookie")
	_, attrs0, _ := strings.Cut(lines[0], ";")
	_, attrs1, _ := strings.Cut(lines[1], ";")
	if attrs0 != attrs1 || !strings.Contains(attrs0, "Max-Age=") || !strings.Contains(attrs0, "Secure") {
		t.Errorf("attributes differ or lack expiry: %q vs %q", attrs0, attrs1)
	}
	for _, l := range lines[:2] {
		if len(l[:strings.IndexByte(l, ';')]) > sessions.MaxCookieSize+1 {
			t.Errorf("cookie %.20q... is %d bytes, over a cookie's limit", l, strings.IndexByte(l, ';'))
		}
	}
	if n, isNew := e.dataLen(j.header()); isNew || n != 3000 {
		t.Errorf("reopened: %d bytes of data, new %v; want 3000 from the chunks", n, isNew)
	}
	// Growing to three cookies, then back to one, deletes what is unused.
	e.save(j, 5000)
	if len(j) != 3 || !strings.HasPrefix(j["session"], "3~") {
		t.Fatalf("after growing: cookies %q, want three with count 3", slices.Sorted(maps.Keys(j)))
	}
	h = e.save(j, 10)
	if set, del := names(t, h); !slices.Equal(set, []string{"session"}) || !slices.Equal(del, []string{"session.1", "session.2"}) {
		t.Errorf("shrinking: set %q, deleted %q; want session set and both chunks deleted", set, del)
	}
	if len(j) != 1 || strings.Contains(j["session"], "~") {
		t.Errorf("after shrinking: jar %q, want one cookie without a count", slices.Sorted(maps.Keys(j)))
	}
	if n, isNew := e.dataLen(j.header()); isNew || n != 10 {
		t.Errorf("after shrinking: %d bytes, new %v; want 10", n, isNew)
	}
}

// TestChunksSplice: chunks of two sessions, or of two saves of one
// session, never make a session: the one MAC covers all of them.
func TestChunksSplice(t *testing.T) {
	e := chunked(t)
	a, b := jar{}, jar{}
	e.save(a, 3000)
	e.save(b, 3000)
	older := maps.Clone(a)
	e.save(a, 3001) // the same session, saved again
	for _, tt := range []struct {
		name   string
		header string
	}{
		{"first of a, second of b", "session=" + a["session"] + "; session.1=" + b["session.1"]},
		{"first of b, second of a", "session=" + b["session"] + "; session.1=" + a["session.1"]},
		{"new first, older second", "session=" + a["session"] + "; session.1=" + older["session.1"]},
		{"older first, new second", "session=" + older["session"] + "; session.1=" + a["session.1"]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.m.Stats().Invalid.Tampered
			if n, isNew := e.dataLen(tt.header); !isNew || n != 0 {
				t.Errorf("spliced chunks opened: %d bytes, new %v", n, isNew)
			}
			if got := e.m.Stats().Invalid.Tampered; got != before+1 {
				t.Errorf("Invalid.Tampered %d -> %d, want one more", before, got)
			}
		})
	}
	for name, j := range map[string]jar{"a": a, "b": b, "older a": older} {
		if _, isNew := e.dataLen(j.header()); isNew {
			t.Errorf("%s's own chunks do not open", name)
		}
	}
}

// TestChunksMissingExtra: a chunk missing, duplicated or beyond the count
// gives a fresh session, status 200, counted as Invalid.Chunks.
func TestChunksMissingExtra(t *testing.T) {
	e := chunked(t)
	two, one := jar{}, jar{}
	e.save(two, 3000)
	e.save(one, 10)
	first, second := "session="+two["session"], "session.1="+two["session.1"]
	for _, tt := range []struct{ name, header string }{
		{"chunk missing", first},
		{"first missing", second},
		{"chunk duplicated", first + "; " + second + "; " + second},
		{"chunk beyond the count", first + "; " + second + "; session.2=AAAA"},
		{"chunk beside a one-cookie session", "session=" + one["session"] + "; session.1=AAAA"},
		{"count larger than MaxCookies", "session=4~" + two["session"][2:] + "; " + second + "; session.2=A; session.3=A"},
		{"count 1", "session=1~" + one["session"]},
		{"count not a digit", "session=x~" + one["session"]},
		{"count alone", "session=2~; session.1="},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.m.Stats().Invalid
			rec := e.doRaw([]string{tt.header}, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
				if !s.IsNew() || sessions.Get(s, "data", "") != "" {
					t.Errorf("session opened from %.60q...", tt.header)
				}
			})
			if rec.Code != http.StatusOK {
				t.Errorf("status %d, want 200", rec.Code)
			}
			// The refused cookies are deleted, chunks and all, so the
			// browser stops sending them.
			if set, del := names(t, rec.Result().Header); len(set) != 0 || !slices.Equal(del, []string{"session", "session.1", "session.2"}) {
				t.Errorf("response set %q, deleted %q; want every session cookie deleted", set, del)
			}
			after := e.m.Stats().Invalid
			if after.Total() == before.Total() {
				t.Errorf("refusal not counted")
			}
			if tt.name != "count alone" && after.Chunks != before.Chunks+1 {
				t.Errorf("Invalid.Chunks %d -> %d, want one more", before.Chunks, after.Chunks)
			}
		})
	}
	// The same chunks, complete, open.
	if _, isNew := e.dataLen(first + "; " + second); isNew {
		t.Error("the complete chunks do not open")
	}
}

// TestChunksConcurrentSaves: two requests carrying the same chunks save
// at once, one growing the session to three cookies, the other keeping two;
// whichever response the browser stores last, its cookies form a session.
func TestChunksConcurrentSaves(t *testing.T) {
	e := chunked(t)
	start := jar{}
	e.save(start, 3000)
	for _, order := range []string{"grown first", "grown last"} {
		t.Run(order, func(t *testing.T) {
			grow, keep := maps.Clone(start), maps.Clone(start)
			hGrow, hKeep := e.save(grow, 5000), e.save(keep, 3001)
			j := maps.Clone(start)
			want := 3001
			if order == "grown first" {
				j.apply(t, hGrow)
				j.apply(t, hKeep)
			} else {
				j.apply(t, hKeep)
				j.apply(t, hGrow)
				want = 5000
			}
			if n, isNew := e.dataLen(j.header()); isNew || n != want {
				t.Errorf("%d bytes, new %v; want the last response's %d", n, isNew, want)
			}
		})
	}
}

// TestChunksFlushDeletesAll: Logout deletes the first cookie and every
// chunk cookie, with the attributes they were set with.
func TestChunksFlushDeletesAll(t *testing.T) {
	e := chunked(t, func(c *sessions.Config) { c.Domain = "example.test"; c.Path = "/app" })
	j := jar{}
	e.save(j, 5000)
	h := e.send(j, func(w http.ResponseWriter, r *http.Request, s *sessions.Session) {
		must(t, s.Logout(r.Context()))
	})
	set, del := names(t, h)
	if len(set) != 0 || !slices.Equal(del, []string{"session", "session.1", "session.2"}) {
		t.Errorf("logout set %q, deleted %q; want all three deleted", set, del)
	}
	for _, l := range h.Values("Set-Cookie") {
		if !strings.Contains(l, "; Path=/app; Domain=example.test;") {
			t.Errorf("deletion %q lacks the cookie's Path and Domain", l)
		}
	}
	if len(j) != 0 {
		t.Errorf("jar after logout: %q", slices.Sorted(maps.Keys(j)))
	}
}

// TestChunksHeaderBudget: a session over MaxCookieHeader, or needing more
// than MaxCookies cookies, is refused with a TooLargeError and the
// browser keeps its previous cookies.
func TestChunksHeaderBudget(t *testing.T) {
	for _, tt := range []struct {
		name      string
		cfg       func(*sessions.Config)
		n         int // data that fits
		wantLimit int
	}{
		{"default budget", func(c *sessions.Config) { c.MaxCookies = 3 }, 3000, sessions.DefaultMaxCookieHeader},
		{"MaxCookies", func(c *sessions.Config) { c.MaxCookies = 2; c.MaxCookieHeader = 1 << 20 }, 3000, 2*4097 + 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var handled error
			e := newEnv(t, tt.cfg, func(c *sessions.Config) {
				c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { handled = err }
			})
			j := jar{}
			e.save(j, tt.n)
			kept := maps.Clone(j)
			h := e.save(j, 5000)
			var tl *sessions.TooLargeError
			if !errors.As(handled, &tl) || !errors.Is(handled, sessions.ErrTooLarge) {
				t.Fatalf("ErrorHandler got %v, want a TooLargeError", handled)
			}
			if tl.Limit != tt.wantLimit || tl.Size <= tl.Limit || tl.Keys[0] != "data" {
				t.Errorf("TooLargeError %+v, want limit %d, size over it, data largest", tl, tt.wantLimit)
			}
			if len(h.Values("Set-Cookie")) != 0 || !maps.Equal(j, kept) {
				t.Errorf("a refused save wrote %q", h.Values("Set-Cookie"))
			}
			if e.m.Stats().TooLarge != 1 {
				t.Errorf("Stats.TooLarge = %d, want 1", e.m.Stats().TooLarge)
			}
		})
	}
}

// TestChunksHostPrefix: chunk names keep the "__Host-" prefix, so every
// chunk is Secure, Path=/ and host-only, as the browser demands of it.
func TestChunksHostPrefix(t *testing.T) {
	e := chunked(t, func(c *sessions.Config) { c.CookieName = "__Host-s" })
	j := jar{}
	h := e.save(j, 5000)
	set, _ := names(t, h)
	if !slices.Equal(set, []string{"__Host-s", "__Host-s.1", "__Host-s.2"}) {
		t.Fatalf("set %q, want __Host-s, __Host-s.1, __Host-s.2", set)
	}
	for _, line := range h.Values("Set-Cookie") {
		c, _ := http.ParseSetCookie(line)
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" || c.Valid() != nil {
			t.Errorf("%q breaks the __Host- rules", line)
		}
	}
	if n, isNew := e.dataLen(j.header()); isNew || n != 5000 {
		t.Errorf("reopened %d bytes, new %v", n, isNew)
	}
}

func TestChunksConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  func(*sessions.Config)
	}{
		{"MaxCookies negative", func(c *sessions.Config) { c.MaxCookies = -1 }},
		{"MaxCookies 10", func(c *sessions.Config) { c.MaxCookies = 10 }},
		{"MaxCookieHeader negative", func(c *sessions.Config) { c.MaxCookieHeader = -1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newEnv(t).cfg
			tt.cfg(&cfg)
			if _, err := sessions.New(cfg); !errors.Is(err, sessions.ErrInvalidConfig) {
				t.Errorf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
	// MaxCookies 1 (the default) ignores chunk cookies and writes no count.
	e := newEnv(t)
	j := jar{}
	e.save(j, 1000)
	if len(j) != 1 || strings.Contains(j["session"], "~") {
		t.Errorf("MaxCookies 1 wrote %q", j)
	}
	if _, isNew := e.dataLen(j.header() + "; session.1=AAAA"); isNew {
		t.Error("with MaxCookies 1 a stray session.1 cookie refused the session")
	}
}

func TestJoinChunks(t *testing.T) {
	e := chunked(t)
	j := jar{}
	e.save(j, 5000)
	vals := sessions.ChunkValues("Cookie: other=1; "+j.header(), "session")
	if len(vals) != 3 || vals[0] != j["session"] || vals[2] != j["session.2"] {
		t.Fatalf("ChunkValues = %d values, want the three cookies in order", len(vals))
	}
	sealed, err := sessions.JoinChunks(vals...)
	if err != nil || sealed != j["session"][2:]+j["session.1"]+j["session.2"] {
		t.Errorf("JoinChunks = %.20q..., %v; want the chunks joined without the count", sealed, err)
	}
	info, err := e.m.Inspect(vals...)
	if err != nil || len(info.Data["data"].(string)) != 5000 {
		t.Errorf("Inspect(chunks) = %v; want the 5000-byte session", err)
	}
	for _, bad := range [][]string{nil, vals[:2], append(slices.Clone(vals), "x"), {"1~" + vals[1]}} {
		if _, err := sessions.JoinChunks(bad...); !errors.Is(err, sessions.ErrChunks) {
			t.Errorf("JoinChunks(%d values) = %v, want ErrChunks", len(bad), err)
		}
		if _, err := e.m.Inspect(bad...); !errors.Is(err, sessions.ErrChunks) {
			t.Errorf("Inspect(%d values) = %v, want ErrChunks", len(bad), err)
		}
	}
}

// With MaxCookies above 1, a session too big for one cookie is split
// across NAME, NAME.1, ...; ChunkValues finds them in a Cookie header, and
// JoinChunks (or Manager.Inspect) puts them back together.
func ExampleChunkValues() {
	keys, err := keyring.New(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	m, err := sessions.New(sessions.Config{
		Keys: keys, Revoker: testutil.NewMemRevoker(nil), CookieName: "__Host-s", MaxCookies: 2,
	})
	if err != nil {
		log.Fatal(err)
	}
	r, s := m.Load(httptest.NewRequest("GET", "https://example.com/", nil))
	if err := s.Set("notes", strings.Repeat("a long free-text answer ", 100)); err != nil {
		log.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		log.Fatal(err)
	}
	var header []string
	for _, c := range w.Result().Cookies() {
		fmt.Println("cookie", c.Name)
		header = append(header, c.Name+"="+c.Value)
	}

	values := sessions.ChunkValues(strings.Join(header, "; "), "__Host-s")
	info, err := m.Inspect(values...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(values), "values,", len(info.Data["notes"].(string)), "bytes of notes")
	// Output:
	// cookie __Host-s
	// cookie __Host-s.1
	// 2 values, 2400 bytes of notes
}
