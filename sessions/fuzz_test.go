package sessions_test

import (
	"log/slog"
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
	m, err := sessions.New(sessions.Config{Keys: kr, Revoker: rev, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}

	// Real cookies from another keyring: structurally valid, never openable.
	otherKR, err := keyring.New(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	other, err := sessions.New(sessions.Config{Keys: otherKR, Revoker: rev, Logger: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
