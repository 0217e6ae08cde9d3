package sessions_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/internal/testutil"
	"github.com/sealedsessions/sealed/sessions"
)

// FuzzChunks sends arbitrary Cookie headers to a Manager whose sessions
// span up to four cookies. The seeds hold a real three-cookie session, its
// parts altered, dropped, doubled, reordered and quoted, and stray chunks.
// Nothing panics or answers 500, and a session opens only when the header
// holds every one of the real cookies' values: the real session, never one
// made of other pieces.
func FuzzChunks(f *testing.F) {
	rev := testutil.NewMemRevoker(nil)
	m, err := sessions.New(sessions.Config{
		Keys: testutil.Keyring(f), Revoker: rev, Logger: discardLogger(),
		MaxCookies: 4, MaxCookieHeader: 4*4097 + 6,
	})
	must(f, err)
	r, s := m.Load(httptest.NewRequest("GET", "/", nil))
	must(f, s.Set("data", text(5000)))
	w := newHeaderWriter()
	must(f, m.Save(w, r, s))
	id := s.ID()
	j := jar{}
	j.apply(f, w.Header())
	if len(j) != 3 {
		f.Fatalf("seed session in %d cookies, want 3", len(j))
	}
	real := []string{j["session"], j["session.1"], j["session.2"]}
	sealed, err := sessions.JoinChunks(real...)
	must(f, err)
	first, c1, c2 := "session="+real[0], "session.1="+real[1], "session.2="+real[2]
	for _, seed := range []string{
		j.header(),
		c2 + "; " + c1 + "; " + first,
		first + "; " + c1,
		first + "; " + c1 + "; " + c2 + "; session.3=A",
		first + "; " + c1 + "; " + c1 + "; " + c2,
		"session=x; " + first + "; " + c1 + "; " + c2,
		`session="` + real[0] + `"; ` + c1 + "; " + c2,
		"session=4~" + real[0][2:] + "; " + c1 + "; " + c2,
		"session=2~" + real[0][2:] + "; " + c1 + real[2],
		c1 + "; " + c2,
		"session.1=; session.2=; session=3~",
		"session=9~",
		"session.8=x; session.0=y; session.10=z",
	} {
		f.Add(seed)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Session(r)
		if err != nil {
			panic("no session in middleware")
		}
		if s.IsNew() {
			return
		}
		hdr := r.Header.Get("Cookie")
		if s.ID() != id || len(sessions.Get(s, "data", "")) != 5000 {
			panic("a session other than the sealed one opened from " + hdr)
		}
		if !carries(hdr, sealed) {
			panic("the session opened from cookies that do not carry its sealed value: " + hdr)
		}
	}))
	fuzzCookieHeader(f, h)
}

// carries reports whether one of the cookies named session in a Cookie
// header, with the header's session.1, session.2, ..., joins into sealed.
func carries(header, sealed string) bool {
	chunks := sessions.ChunkValues(header, "session")
	if len(chunks) == 0 {
		return false
	}
	for part := range strings.SplitSeq(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if v = strings.TrimSpace(v); len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if strings.TrimSpace(k) != "session" {
			continue
		}
		if got, err := sessions.JoinChunks(append([]string{v}, chunks[1:]...)...); err == nil && got == sealed {
			return true
		}
	}
	return false
}
