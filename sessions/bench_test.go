package sessions_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/sessions"
)

// benchManager returns a Manager with the in-memory revoker and a cookie
// holding n values of size bytes each; cached says whether the Manager
// keeps its verified-value cache (the default) or opens every cookie.
func benchManager(b *testing.B, size int, cached bool) (*sessions.Manager, string) {
	b.Helper()
	cfg := sessions.Config{Keys: testutil.Keyring(b), Revoker: testutil.NewMemRevoker(nil), Logger: discardLogger()}
	if !cached {
		cfg.VerifiedCacheEntries = -1
	}
	m, err := sessions.New(cfg)
	must(b, err)
	r, s := m.Load(httptest.NewRequest("GET", "/", nil))
	must(b, s.Login(r.Context(), "user-1234"))
	for i := 0; i < size/100; i++ {
		must(b, s.Set(fmt.Sprintf("key%02d", i), strings.Repeat("v", 100)))
	}
	w := newHeaderWriter()
	must(b, m.Save(w, r, s))
	return m, sessionCookie(b, w.Header(), m).Value
}

var sizes = []int{100, 1024, 2048}

// benchCases runs bench for each size, with and without the
// verified-value cache: the uncached runs are the ones that decode.
func benchCases(b *testing.B, bench func(b *testing.B, size int, cached bool)) {
	for _, size := range sizes {
		for _, cached := range []bool{true, false} {
			name := fmt.Sprintf("%dB", size)
			if !cached {
				name += "-uncached"
			}
			b.Run(name, func(b *testing.B) { bench(b, size, cached) })
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	benchCases(b, func(b *testing.B, size int, cached bool) {
		m, v := benchManager(b, size, cached)
		req := cookieRequest("session", v)
		b.ReportAllocs()
		for b.Loop() {
			_, s := m.Load(req)
			if s.IsNew() {
				b.Fatal("cookie did not open")
			}
		}
	})
}

func BenchmarkSave(b *testing.B) {
	benchCases(b, func(b *testing.B, size int, cached bool) {
		m, v := benchManager(b, size, cached)
		r, s := m.Load(cookieRequest("session", v))
		w := newHeaderWriter()
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			must(b, s.Set("counter", 1))
			must(b, m.Save(w, r, s))
		}
	})
}

// BenchmarkRoundTrip: request with a cookie through the middleware, read a
// value, set a value, response cookie written.
func BenchmarkRoundTrip(b *testing.B) {
	benchCases(b, func(b *testing.B, size int, cached bool) {
		m, v := benchManager(b, size, cached)
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := m.Session(r)
			_ = sessions.Get(s, "key00", "")
			_ = s.Set("last", time.Unix(0, 0))
		}))
		req := cookieRequest("session", v)
		w := newHeaderWriter()
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
		if len(w.h["Set-Cookie"]) != 1 {
			b.Fatal("no cookie written")
		}
	})
}
