// Package bench compares sealed's session middleware with gorilla/sessions'
// CookieStore and with bare securecookie, in one run. It is its own module
// so gorilla/sessions never enters the main go.mod.
//
//	cd bench && go test -run x -bench . -benchmem -count 6
package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	gsessions "github.com/gorilla/sessions"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/sessions"
)

// sizes are the raw payload sizes: maps of 100-byte string values.
var sizes = []struct {
	name string
	n    int // number of 100-byte values
}{{"100B", 1}, {"1KB", 10}, {"2KB", 20}}

func payload(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("key%02d", i)] = strings.Repeat(string(rune('a'+i%26)), 100)
	}
	return m
}

// discardWriter is a ResponseWriter that keeps headers and drops the body.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// sealedSetup returns the middleware-wrapped handler and a request carrying
// a cookie with the payload; write says whether the handler sets a value.
func sealedSetup(b *testing.B, n int, write, cached bool) (*keyring.Keyring, http.Handler, *http.Request) {
	kr, err := keyring.New(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	// The real revocation list (Badger in a temp dir, checked from its
	// in-memory index), holding some revoked sessions and users so the
	// check does real lookups.
	store, err := revocation.Open(b.TempDir(), revocation.Config{GCInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	ctx := context.Background()
	for i := range 100 {
		var id [16]byte
		rand.Read(id[:])
		if err := store.RevokeSession(ctx, id, time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := store.RevokeUser(ctx, fmt.Sprintf("user-%d", i), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	cfg := sessions.Config{Keys: kr, Revoker: store, Logger: slog.New(slog.DiscardHandler)}
	if !cached {
		cfg.VerifiedCacheEntries = -1
	}
	m, err := sessions.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	r, s := m.Load(httptest.NewRequest("GET", "/", nil))
	if err := s.Login(r.Context(), "user-1234"); err != nil {
		b.Fatal(err)
	}
	for k, v := range payload(n) {
		if err := s.Set(k, v); err != nil {
			b.Fatal(err)
		}
	}
	w := &discardWriter{h: http.Header{}}
	if err := m.Save(w, r, s); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", strings.SplitN(w.h.Get("Set-Cookie"), ";", 2)[0])
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := m.Session(r)
		if sessions.Get(s, "key00", "") == "" {
			panic("value missing")
		}
		if write {
			if err := s.Set("visits", 1); err != nil {
				panic(err)
			}
		}
	}))
	return kr, h, req
}

func gorillaSetup(b *testing.B, n int, write bool) (http.Handler, *http.Request) {
	hashKey, blockKey := make([]byte, 64), make([]byte, 32) // the sizes keyring derives
	rand.Read(hashKey)
	rand.Read(blockKey)
	store := gsessions.NewCookieStore(hashKey, blockKey)
	for _, c := range store.Codecs {
		// A 2 KB payload does not fit gorilla's 4096-byte limit; lift it so
		// the work can still be measured (browsers would drop that cookie).
		c.(*securecookie.SecureCookie).MaxLength(0)
	}
	r := httptest.NewRequest("GET", "/", nil)
	s, _ := store.Get(r, "session")
	s.Values["user"] = "user-1234"
	for k, v := range payload(n) {
		s.Values[k] = v
	}
	w := &discardWriter{h: http.Header{}}
	if err := s.Save(r, w); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", strings.SplitN(w.h.Get("Set-Cookie"), ";", 2)[0])
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, "session")
		if err != nil || s.IsNew {
			panic(fmt.Sprint("cookie did not open: ", err))
		}
		if v, _ := s.Values["key00"].(string); v == "" {
			panic("value missing")
		}
		if write {
			s.Values["visits"] = 1
			if err := s.Save(r, w); err != nil {
				panic(err)
			}
		}
	})
	return h, req
}

// run serves a fresh shallow copy of base per iteration (gorilla caches its
// registry in the request) and checks a cookie was written when expected.
func run(b *testing.B, h http.Handler, base *http.Request, wantCookie bool) {
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		clear(w.h)
		req := *base
		h.ServeHTTP(w, &req)
	}
	cpu.report(b)
	if got := w.h.Get("Set-Cookie") != ""; got != wantCookie {
		b.Fatalf("cookie written %v, want %v", got, wantCookie)
	}
}

// BenchmarkRoundTrip: request with a cookie, read a value, set a value,
// response cookie.
func BenchmarkRoundTrip(b *testing.B) {
	for _, sz := range sizes {
		b.Run("sealed/"+sz.name, func(b *testing.B) {
			_, h, req := sealedSetup(b, sz.n, true, true)
			run(b, h, req, true)
		})
		b.Run("sealed-uncached/"+sz.name, func(b *testing.B) {
			_, h, req := sealedSetup(b, sz.n, true, false)
			run(b, h, req, true)
		})
		b.Run("gorilla/"+sz.name, func(b *testing.B) {
			h, req := gorillaSetup(b, sz.n, true)
			run(b, h, req, true)
		})
	}
}

// BenchmarkReadOnly: request with a cookie, read a value, no cookie written.
func BenchmarkReadOnly(b *testing.B) {
	for _, sz := range sizes {
		b.Run("sealed/"+sz.name, func(b *testing.B) {
			_, h, req := sealedSetup(b, sz.n, false, true)
			run(b, h, req, false)
		})
		b.Run("sealed-uncached/"+sz.name, func(b *testing.B) {
			_, h, req := sealedSetup(b, sz.n, false, false)
			run(b, h, req, false)
		})
		b.Run("gorilla/"+sz.name, func(b *testing.B) {
			h, req := gorillaSetup(b, sz.n, false)
			run(b, h, req, false)
		})
	}
}

// BenchmarkSecurecookieFloor: bare securecookie Encode+Decode (NopEncoder,
// the same key sizes) of exactly the bytes sealed seals for that payload.
func BenchmarkSecurecookieFloor(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			kr, _, req := sealedSetup(b, sz.n, false, false)
			c, _ := req.Cookie("session")
			opened, err := kr.Open("session", c.Value)
			if err != nil {
				b.Fatal(err)
			}
			plain := opened.Plaintext
			hashKey, blockKey := make([]byte, 64), make([]byte, 32)
			rand.Read(hashKey)
			rand.Read(blockKey)
			sc := securecookie.New(hashKey, blockKey).SetSerializer(securecookie.NopEncoder{})
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				v, err := sc.Encode("session", plain)
				if err != nil {
					b.Fatal(err)
				}
				var out []byte
				if err := sc.Decode("session", v, &out); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(len(plain)), "payload-bytes")
		})
	}
}

var _ io.Writer = (*discardWriter)(nil)

// cpuClock measures the process's CPU time (user+system, GC included)
// across a benchmark loop. The machine these figures come from is shared,
// so wall time per op swings with the other jobs; CPU time per op much
// less. Reported as cpu-ns/op beside ns/op.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
	}
}
