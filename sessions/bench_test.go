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
// holding n values of size bytes each.
func benchManager(b *testing.B, size int) (*sessions.Manager, string) {
	b.Helper()
	m := quietManager(b, testutil.Keyring(b), testutil.NewMemRevoker(nil))
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

func BenchmarkLoad(b *testing.B) {
	for _, size := range sizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			m, v := benchManager(b, size)
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
}

func BenchmarkSave(b *testing.B) {
	for _, size := range sizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			m, v := benchManager(b, size)
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
}

// BenchmarkRoundTrip: request with a cookie through the middleware, read a
// value, set a value, response cookie written.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range sizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			m, v := benchManager(b, size)
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
}
