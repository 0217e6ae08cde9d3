package sessiontest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/sealedsessions/sealed/sessions"
)

// An Option shapes the session a Kit puts in a request: its user, values,
// flash messages or expiry.
type Option struct {
	apply  func(s *sessions.Session) error
	stores bool // gives the session something worth a cookie
}

// User binds userID to the session, as Session.Login does.
func User(userID string) Option {
	return Option{func(s *sessions.Session) error { return s.Login(context.Background(), userID) }, true}
}

// Values stores each value under its key, as Session.Update does.
func Values(values map[string]any) Option {
	return Option{func(s *sessions.Session) error { return s.Update(values) }, len(values) > 0}
}

// Flash queues flash messages, as Session.AddFlash does.
func Flash(msgs ...string) Option {
	return Option{func(s *sessions.Session) error {
		for _, m := range msgs {
			s.AddFlash(m)
		}
		return nil
	}, len(msgs) > 0}
}

// ExpiresIn gives the session a custom idle expiry, as Session.SetExpiry does.
func ExpiresIn(idle time.Duration) Option {
	return Option{apply: func(s *sessions.Session) error { s.SetExpiry(idle); return nil }}
}

// ExpiresAt gives the session a custom expiry date, as Session.SetExpiryAt does.
func ExpiresAt(t time.Time) Option {
	return Option{apply: func(s *sessions.Session) error { s.SetExpiryAt(t); return nil }}
}

// ExpireAtBrowserClose makes the cookie a browser-session cookie, as
// Session.SetExpireAtBrowserClose does.
func ExpireAtBrowserClose() Option {
	return Option{apply: func(s *sessions.Session) error { s.SetExpireAtBrowserClose(); return nil }}
}

// placeholder is the value a session gets when no option stores anything:
// an empty session has no cookie.
var placeholder = Values(map[string]any{"sessiontest": true})

// Request returns a request for method and target (as httptest.NewRequest
// takes them, body nil) that carries a session shaped by opts, sealed by
// the Kit's Manager at the clock's current time. When no option stores a
// user, value or flash, the session holds the value "sessiontest": true,
// since an empty session has no cookie.
//
// The cookie is made by the Manager itself (Load, the options, Save), so
// it is what a browser would hold after an earlier response of the
// application: Manager.Stats counts one new session and one save for it.
func (k *Kit) Request(method, target string, opts ...Option) *http.Request {
	k.t.Helper()
	return k.RequestBody(method, target, nil, opts...)
}

// RequestBody is Request with a body.
func (k *Kit) RequestBody(method, target string, body io.Reader, opts ...Option) *http.Request {
	k.t.Helper()
	req := httptest.NewRequest(method, target, body)
	for _, c := range k.Cookies(opts...) {
		req.AddCookie(c)
	}
	return req
}

// Cookies returns the cookies that carry a session shaped by opts, as
// Request makes it (several with Config.MaxCookies, for a large session):
// to put in a request or a Client's jar.
func (k *Kit) Cookies(opts ...Option) []*http.Cookie {
	k.t.Helper()
	if !slices.ContainsFunc(opts, func(o Option) bool { return o.stores }) {
		opts = append(slices.Clone(opts), placeholder)
	}
	r, s := k.Manager.Load(httptest.NewRequest(http.MethodGet, "/", nil))
	for _, opt := range opts {
		if err := opt.apply(s); err != nil {
			k.t.Fatalf("sessiontest: shape the session: %v", err)
		}
	}
	rec := httptest.NewRecorder()
	if err := k.Manager.Save(rec, r, s); err != nil {
		k.t.Fatalf("sessiontest: seal the session: %v", err)
	}
	w := k.decode(rec.Header())
	if w.Outcome != Saved {
		k.t.Fatalf("sessiontest: the options left the session with %v (an expiry in the past?)", w.Outcome)
	}
	live := w.Cookies[:0:0]
	for _, c := range w.Cookies {
		if alive(c) { // not the deletion of a chunk a larger session had
			live = append(live, c)
		}
	}
	return live
}
