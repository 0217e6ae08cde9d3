package sessiontest

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sealedsessions/sealed/sessions"
)

// Outcome is what a response did to the session cookie.
type Outcome int

const (
	// NoCookie: the response set no session cookie; the browser keeps the
	// one it had, if any.
	NoCookie Outcome = iota
	// Saved: the response set a session cookie.
	Saved
	// Deleted: the response deleted the session cookie.
	Deleted
)

func (o Outcome) String() string {
	switch o {
	case NoCookie:
		return "no cookie"
	case Saved:
		return "saved"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Written is what a response wrote for the session: the outcome, and for a
// saved session what its cookie holds.
type Written struct {
	Outcome Outcome
	// Session describes the saved session (user, data, flashes, expiry,
	// key), decoded with Manager.Inspect; zero unless Outcome is Saved.
	Session sessions.CookieInfo
	// Cookies are the session's Set-Cookie lines, parsed: its cookie, then
	// its chunk cookies in order, deletions of stale chunks included.
	Cookies []*http.Cookie
}

// Written decodes the session cookie in a response's headers
// (httptest.ResponseRecorder.Header, or http.Response.Header): saved (and
// what it holds), deleted, or not written. A session over several cookies
// (Config.MaxCookies) is decoded from all of them. A Set-Cookie line of the
// session's name that does not open under the Kit's keyring fails the
// test.
func (k *Kit) Written(h http.Header) Written {
	k.t.Helper()
	return k.decode(h)
}

// decode is Written. It and sessionCookies are the one place that knows
// how a session maps to cookies: the cookie of the Manager's name, and the
// chunk cookies NAME.1 to NAME.8 that a session over several cookies adds.
func (k *Kit) decode(h http.Header) Written {
	k.t.Helper()
	var w Written
	var cookies []*http.Cookie
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			k.t.Fatalf("sessiontest: a Set-Cookie line does not parse: %v", err)
		}
		cookies = append(cookies, c)
	}
	w.Cookies = k.sessionCookies(cookies)
	var live []string
	for i, c := range w.Cookies {
		if i > 0 && c.Name == w.Cookies[i-1].Name {
			k.t.Fatalf("sessiontest: the response sets the session cookie %q twice", c.Name)
		}
		if alive(c) {
			live = append(live, c.Value)
		}
	}
	switch {
	case len(w.Cookies) == 0:
		return w
	case len(live) == 0:
		w.Outcome = Deleted
		return w
	}
	info, err := k.inspect(live)
	if err != nil {
		k.t.Fatalf("sessiontest: the response's session cookie does not open: %v", err)
	}
	w.Outcome, w.Session = Saved, info
	return w
}

// alive reports whether a Set-Cookie line keeps its cookie, rather than
// deleting it.
func alive(c *http.Cookie) bool { return c.MaxAge >= 0 && c.Value != "" }

// sessionCookies returns the cookies of the session among cookies: the
// Manager's name first, then its chunks in order (stable for repeats).
func (k *Kit) sessionCookies(cookies []*http.Cookie) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range cookies {
		if k.chunkIndex(c.Name) >= 0 {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *http.Cookie) int { return k.chunkIndex(a.Name) - k.chunkIndex(b.Name) })
	return out
}

// chunkIndex is 0 for the Manager's cookie name, i for NAME.i (1 to 8),
// and -1 for any other name.
func (k *Kit) chunkIndex(name string) int {
	if name == k.cookieName {
		return 0
	}
	rest, ok := strings.CutPrefix(name, k.cookieName+".")
	if !ok || len(rest) != 1 || rest[0] < '1' || rest[0] > '8' {
		return -1
	}
	return int(rest[0] - '0')
}

// inspect describes the session the values of its cookies carry, in
// order.
func (k *Kit) inspect(values []string) (sessions.CookieInfo, error) {
	return k.Manager.Inspect(values...)
}

// Live reports whether cookies (a Client's, or an earlier response's) carry
// a session the Manager would accept now: it opens, has not expired and is
// not revoked. A guest's cookies, or none, give false. It changes no
// counter of Manager.Stats.
func (k *Kit) Live(cookies []*http.Cookie) (sessions.CookieInfo, bool) {
	k.t.Helper()
	var values []string
	for _, c := range k.sessionCookies(cookies) {
		if c.Value != "" {
			values = append(values, c.Value)
		}
	}
	if len(values) == 0 {
		return sessions.CookieInfo{}, false
	}
	info, err := k.inspect(values)
	if err != nil || info.Expired {
		return sessions.CookieInfo{}, false
	}
	var id [16]byte
	if n, err := hex.Decode(id[:], []byte(info.ID)); err != nil || n != len(id) {
		k.t.Fatalf("sessiontest: Inspect gave a session ID %q that is not 16 bytes of hex", info.ID)
	}
	if revoked, err := k.Revocations.Revoked(id, info.UserID, info.Created); err != nil || revoked {
		return sessions.CookieInfo{}, false
	}
	return info, true
}
