package sessions_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sealedsessions/sealed/sessions"
)

// benchRequest is a request carrying the browser's cookies (all, or only
// the session cookie).
func benchRequest(br *browser, withBound bool) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: br.cookies["session"]})
	if withBound {
		req.AddCookie(&http.Cookie{Name: "session_bound", Value: br.cookies["session_bound"]})
	}
	return req
}

// BenchmarkDBSCLoad: what a bound session adds to every request: one more
// sealed cookie to open, and the key's thumbprint to hash. "unbound" is
// the same Manager loading a session that never registered.
func BenchmarkDBSCLoad(b *testing.B) {
	e, srv := dbscEnv(b)
	bound := boundBrowser(b, srv, newECDevice(b))
	plain := newBrowser(b, srv, nil)
	plain.do(http.MethodPost, "/login", nil)
	for _, tc := range []struct {
		name string
		req  *http.Request
	}{{"unbound", benchRequest(plain, false)}, {"bound", benchRequest(bound, true)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, s := e.m.Load(tc.req); s.IsNew() {
					b.Fatal("session not served")
				}
			}
		})
	}
}

// BenchmarkDBSCRefresh: the server's side of one refresh: open the session,
// verify the proof's signature (ES256, RS256), check the challenge, seal
// the next bound cookie and challenge. The browser's signing is not in it.
func BenchmarkDBSCRefresh(b *testing.B) {
	for _, tc := range []struct {
		name string
		dev  func(testing.TB) *device
	}{{"ES256", newECDevice}, {"RS256", newRSADevice}} {
		b.Run(tc.name, func(b *testing.B) {
			e, srv := dbscEnv(b)
			br := boundBrowser(b, srv, tc.dev(b))
			req := benchRequest(br, true)
			req.Method = http.MethodPost
			req.Header.Set(sessions.HeaderSessionID, `"`+br.sessionID+`"`)
			req.Header.Set(sessions.HeaderSessionResponse, `"`+br.dev.refreshProof(b, br.chal)+`"`)
			h := e.m.DBSCHandler()
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("refresh: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
