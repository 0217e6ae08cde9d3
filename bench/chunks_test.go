package bench

import (
	"net/http"
	"testing"

	"github.com/sealedsessions/sealed/sessions"
)

// largeSizes are payloads over one cookie: 40 and 80 values of 100 bytes,
// sealed with as many cookies as they need (2 and 4) and a Cookie header
// budget of 16 KB, as gorilla's limit is lifted to measure it; a real
// deployment needs proxies that accept such a Cookie header. sealed runs
// without its verified-value cache in these benchmarks: every request
// verifies its cookies, as gorilla's does.
var largeSizes = []struct {
	name string
	n    int
	cfg  sessions.Config
}{
	{"4KB", 40, sessions.Config{MaxCookies: 2, MaxCookieHeader: 16 << 10}},
	{"8KB", 80, sessions.Config{MaxCookies: 4, MaxCookieHeader: 16 << 10}},
}

// BenchmarkLargeRoundTrip: RoundTrip with 4 KB and 8 KB of data, sealed
// over several cookies (2 and 4), gorilla in one cookie over its limit.
func BenchmarkLargeRoundTrip(b *testing.B) {
	for _, sz := range largeSizes {
		b.Run("sealed/"+sz.name, func(b *testing.B) {
			_, h, req := sealedSetupWith(b, sz.n, true, false, sz.cfg)
			run(b, h, req, true)
			reportCookies(b, req)
		})
		b.Run("gorilla/"+sz.name, func(b *testing.B) {
			h, req := gorillaSetup(b, sz.n, true)
			run(b, h, req, true)
			reportCookies(b, req)
		})
	}
}

// BenchmarkLargeReadOnly: ReadOnly with 4 KB and 8 KB of data.
func BenchmarkLargeReadOnly(b *testing.B) {
	for _, sz := range largeSizes {
		b.Run("sealed/"+sz.name, func(b *testing.B) {
			_, h, req := sealedSetupWith(b, sz.n, false, false, sz.cfg)
			run(b, h, req, false)
		})
		b.Run("gorilla/"+sz.name, func(b *testing.B) {
			h, req := gorillaSetup(b, sz.n, false)
			run(b, h, req, false)
		})
	}
}

// BenchmarkChunkingCost: a 2 KB session (one cookie either way) with
// MaxCookies 1 and with MaxCookies 4, whose reads look for chunk cookies
// and whose saves also delete the three unused chunk names.
func BenchmarkChunkingCost(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  sessions.Config
	}{{"one-cookie", sessions.Config{}}, {"max-cookies-4", sessions.Config{MaxCookies: 4}}} {
		b.Run("RoundTrip/"+c.name, func(b *testing.B) {
			_, h, req := sealedSetupWith(b, 20, true, false, c.cfg)
			run(b, h, req, true)
		})
		b.Run("ReadOnly/"+c.name, func(b *testing.B) {
			_, h, req := sealedSetupWith(b, 20, false, false, c.cfg)
			run(b, h, req, false)
		})
	}
}

// reportCookies reports the request's cookies and the bytes of its Cookie
// header.
func reportCookies(b *testing.B, req *http.Request) {
	b.ReportMetric(float64(len(req.Cookies())), "cookies")
	b.ReportMetric(float64(len(req.Header.Get("Cookie"))), "cookie-bytes")
}
