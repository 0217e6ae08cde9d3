package sessions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

// FuzzLoad sends arbitrary Cookie header values through the middleware:
// it never panics, never answers 500 and never yields an authenticated
// session (no value the fuzzer makes can be sealed under the Manager's
// key). Seeds include real cookies sealed under another keyring and under
// another name, and their mutations.
func FuzzLoad(f *testing.F) {
	kr := testutil.Keyring(f)
	rev := testutil.NewMemRevoker(nil)
	m := quietManager(f, kr, rev)

	// Real cookies from another keyring: structurally valid, never openable.
	otherKR, err := keyring.New(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	other := quietManager(f, otherKR, rev)
	r, s := other.Load(httptest.NewRequest("GET", "/", nil))
	if err := s.Login(r.Context(), "alice"); err != nil {
		f.Fatal(err)
	}
	must(f, s.Set("k", "v"))
	w := newHeaderWriter()
	must(f, other.Save(w, r, s))
	foreign := sessionCookie(f, w.Header(), other).Value

	for _, seed := range []string{
		"session=" + foreign,
		"session=" + otherKR.Primary().ID + ".",
		"session=" + kr.Primary().ID + "." + foreign[strings.IndexByte(foreign, '.')+1:],
		"session=" + kr.Primary().ID + ".AAAA",
		"session=a; session=b; session=" + foreign,
		"session=\"" + foreign + "\"",
		"session=",
		"session",
		";;;=;",
		"other=1; session=%00%ff",
		"session=" + strings.Repeat("A", 4100),
	} {
		f.Add(seed)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Session(r)
		if err != nil {
			panic("no session in middleware")
		}
		if s.UserID() != "" || !s.IsNew() {
			panic("fuzzed cookie yielded a loaded session")
		}
		sessions.Get(s, "k", "")
	}))
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Cookie"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d for %q", rec.Code, header)
		}
	})
}

// FuzzSealedPayload seals arbitrary payload bytes under the Manager's own
// key, as someone holding a leaked key could, and runs the result through
// the middleware with a handler that uses every Session method: nothing
// may panic, answer 500 or allocate without bound, whatever the payload
// claims (counts, lengths, tags, times).
func FuzzSealedPayload(f *testing.F) {
	kr := testutil.Keyring(f)
	rev := testutil.NewMemRevoker(nil)
	m := quietManager(f, kr, rev)
	// Seeds: real payloads, opened back out of cookies this Manager wrote.
	seal := func(fn func(s *sessions.Session)) {
		r, s := m.Load(httptest.NewRequest("GET", "/", nil))
		fn(s)
		w := newHeaderWriter()
		must(f, m.Save(w, r, s))
		o, err := kr.Open("session", sessionCookie(f, w.Header(), m).Value)
		must(f, err)
		f.Add(o.Plaintext)
	}
	seal(func(s *sessions.Session) { must(f, s.Set("k", "v")) })
	seal(func(s *sessions.Session) {
		must(f, s.Login(context.Background(), "alice"))
		must(f, s.Update(map[string]any{"i": -3, "u": uint8(7), "f": 1.5, "b": true, "t": time.Unix(1, 2), "j": []int{1}, "raw": []byte{0}}))
		s.AddFlash("hi")
		s.SetExpiry(time.Hour)
	})
	seal(func(s *sessions.Session) { must(f, s.Set("x", 1)); s.SetExpiryAt(time.Now().Add(time.Hour)) })
	seal(func(s *sessions.Session) { must(f, s.Set("x", 1)); s.SetExpireAtBrowserClose() })
	f.Add([]byte{1})

	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Session(r)
		if err != nil {
			panic("no session in middleware")
		}
		_, _, _ = s.ID(), s.UserID(), s.Created()
		_, _ = s.ExpiryAge(), s.ExpiryDate()
		_ = s.ExpireAtBrowserClose()
		for _, k := range s.Keys() {
			sessions.Get(s, k, 0)
			sessions.Get(s, k, uint8(0))
			sessions.Get(s, k, 0.0)
			sessions.Get(s, k, "")
			sessions.Get(s, k, time.Time{})
			sessions.Get(s, k, []byte(nil))
			sessions.Get(s, k, map[string]any(nil))
			sessions.Lookup[any](s, k)
		}
		_, _ = s.Values(), s.Items()
		_ = s.Flashes()
		_ = s.Set("zz-new", "v")
		if s.Len() > 0 {
			s.Delete(s.Keys()[0])
		}
	}))
	f.Fuzz(func(t *testing.T, payload []byte) {
		v, err := kr.Seal("session", payload)
		if err != nil {
			return // too long for a cookie
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", "session="+v)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
