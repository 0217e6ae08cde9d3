package sessiontest

import (
	"encoding/hex"
	"fmt"
	"net/http"

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
	// Cookies are the session's Set-Cookie lines, parsed.
	Cookies []*http.Cookie
}

// Written decodes the session cookie in a response's headers
// (httptest.ResponseRecorder.Header, or http.Response.Header): saved (and
// what it holds), deleted, or not written. A Set-Cookie line of the
// session's name that does not open under the Kit's keyring fails the
// test.
func (k *Kit) Written(h http.Header) Written {
	k.t.Helper()
	return k.decode(h)
}

// decode is Written; it is the one place that knows how a session maps to
// Set-Cookie lines.
func (k *Kit) decode(h http.Header) Written {
	k.t.Helper()
	var w Written
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			k.t.Fatalf("sessiontest: a Set-Cookie line does not parse: %v", err)
		}
		if c.Name == k.cookieName {
			w.Cookies = append(w.Cookies, c)
		}
	}
	switch {
	case len(w.Cookies) == 0:
		return w
	case len(w.Cookies) > 1:
		k.t.Fatalf("sessiontest: the response sets the session cookie %q %d times", k.cookieName, len(w.Cookies))
	case w.Cookies[0].MaxAge < 0 || w.Cookies[0].Value == "":
		w.Outcome = Deleted
		return w
	}
	info, err := k.Manager.Inspect(w.Cookies[0].Value)
	if err != nil {
		k.t.Fatalf("sessiontest: the response's session cookie does not open: %v", err)
	}
	w.Outcome, w.Session = Saved, info
	return w
}

// Live reports whether cookies (a Client's, or an earlier response's) carry
// a session the Manager would accept now: it opens, has not expired and is
// not revoked. A guest's cookies, or none, give false. It changes no
// counter of Manager.Stats.
func (k *Kit) Live(cookies []*http.Cookie) (sessions.CookieInfo, bool) {
	k.t.Helper()
	for _, c := range cookies {
		if c.Name != k.cookieName || c.Value == "" {
			continue
		}
		info, err := k.Manager.Inspect(c.Value)
		if err != nil || info.Expired {
			continue
		}
		var id [16]byte
		if n, err := hex.Decode(id[:], []byte(info.ID)); err != nil || n != len(id) {
			k.t.Fatalf("sessiontest: Inspect gave a session ID %q that is not 16 bytes of hex", info.ID)
		}
		revoked, err := k.Revocations.Revoked(id, info.UserID, info.Created)
		if err == nil && !revoked {
			return info, true
		}
	}
	return sessions.CookieInfo{}, false
}
