package sessions

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A session travels in one cookie of the Manager's name: the value the
// keyring sealed, with the attributes from Config. This file reads those
// cookies from the request and writes Set-Cookie lines into the response;
// it neither seals nor opens (save.go, open.go do). The sizes a sealed
// value may have are decided here (fit), and the lines a session put in
// the response are tracked here (sentCookie), so a value split across
// several cookies would change this file only.

// cookieValues finds the values of the cookies named name in the Cookie
// headers, in order, up to len(dst). present reports whether any cookie of
// that name was sent (even past len(dst)).
func cookieValues(h http.Header, name string, dst []string) (n int, present bool) {
	for _, line := range h["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || strings.TrimSpace(k) != name {
				continue
			}
			present = true
			v = strings.TrimSpace(v)
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if n < len(dst) {
				dst[n] = v
				n++
			}
		}
	}
	return n, present
}

// fit returns how many bytes the browser stores for a sealed value of n
// bytes (cookie name plus value), and whether that is within MaxCookieSize.
func (m *Manager) fit(n int) (size int, ok bool) {
	size = len(m.cfg.CookieName) + n
	return size, size <= MaxCookieSize
}

// setCookie puts the cookie carrying the sealed value v in the response,
// in place of any this session put there before. Its Max-Age and Expires
// mirror the session's expiry from now. Callers hold s.mu.
func (m *Manager) setCookie(h http.Header, s *Session, v []byte, now int64) {
	lp := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(lp)
	b := append((*lp)[:0], m.cfg.CookieName...)
	b = append(b, '=')
	b = append(b, v...)
	if !m.browserClose(&s.p) {
		exp := m.expiresAt(&s.p, now)
		secs := (exp - now + int64(time.Second) - 1) / int64(time.Second)
		b = append(b, "; Expires="...)
		b = time.Unix(0, exp).UTC().AppendFormat(b, http.TimeFormat)
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, max(secs, 1), 10)
	}
	b = m.appendAttrs(b)
	*lp = b
	s.sent.replace(h, string(b))
	addNoCacheSetCookie(h)
}

// deleteCookie puts a Set-Cookie line that deletes the cookie in the
// response, in place of any this session put there before. Callers hold
// s.mu.
func (m *Manager) deleteCookie(h http.Header, s *Session) {
	b := make([]byte, 0, len(m.cfg.CookieName)+160)
	b = append(b, m.cfg.CookieName...)
	b = append(b, "=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"...)
	b = m.appendAttrs(b)
	s.sent.replace(h, string(b))
	m.st.deleted.Add(1)
	addNoCacheSetCookie(h)
}

// appendAttrs appends the cookie attributes shared by set and delete.
func (m *Manager) appendAttrs(b []byte) []byte {
	b = append(b, "; Path="...)
	b = append(b, m.cfg.Path...)
	if m.cfg.Domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, m.cfg.Domain...)
	}
	if !m.cfg.InsecureScriptAccess {
		b = append(b, "; HttpOnly"...)
	}
	if !m.cfg.InsecureCookies {
		b = append(b, "; Secure"...)
	}
	switch m.cfg.SameSite {
	case http.SameSiteLaxMode:
		b = append(b, "; SameSite=Lax"...)
	case http.SameSiteStrictMode:
		b = append(b, "; SameSite=Strict"...)
	case http.SameSiteNoneMode:
		b = append(b, "; SameSite=None"...)
	}
	if m.cfg.Partitioned {
		b = append(b, "; Partitioned"...)
	}
	return b
}

// sentCookie is the Set-Cookie line a session put in the response, so that
// saving again (a handler's Save, then the middleware's) replaces it and a
// response carries at most one session cookie. Its Session's mutex guards
// it.
type sentCookie struct{ line string }

// replace adds line to h's Set-Cookie headers in place of the one sent
// before.
func (c *sentCookie) replace(h http.Header, line string) {
	c.drop(h)
	h.Add("Set-Cookie", line)
	c.line = line
}

// drop removes the line sent before from h, if it is still there.
func (c *sentCookie) drop(h http.Header) {
	if c.line == "" {
		return
	}
	lines := h["Set-Cookie"]
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] == c.line {
			lines = slices.Delete(lines, i, i+1)
			if len(lines) == 0 {
				h.Del("Set-Cookie")
			} else {
				h["Set-Cookie"] = lines
			}
			break
		}
	}
	c.line = ""
}

// addVary adds "Cookie" to the Vary header unless it is there.
func addVary(h http.Header) {
	for _, v := range h["Vary"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, "Cookie") || f == "*" {
				return
			}
		}
	}
	h.Add("Vary", "Cookie")
}

// addNoCacheSetCookie keeps shared caches from storing the Set-Cookie
// header: Cache-Control: no-cache="Set-Cookie", merged into an existing
// Cache-Control.
func addNoCacheSetCookie(h http.Header) {
	const directive = `no-cache="Set-Cookie"`
	cc := h.Get("Cache-Control")
	switch {
	case cc == "":
		h.Set("Cache-Control", directive)
	case strings.Contains(strings.ToLower(cc), "no-cache") || strings.Contains(strings.ToLower(cc), "no-store") || strings.Contains(strings.ToLower(cc), "private"):
		// Already keeps shared caches from reusing the response.
	default:
		h.Set("Cache-Control", cc+", "+directive)
	}
}
