package sessions

import (
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A session travels in one cookie of the Manager's name, or with
// Config.MaxCookies above 1 in up to that many (chunk.go): the value the
// keyring sealed, with the attributes from Config. This file reads those
// cookies from the request and writes Set-Cookie lines into the response;
// it neither seals nor opens (save.go, open.go do). The sizes a sealed
// value may have are decided here (fit), and the lines a session put in
// the response are tracked here (sentCookie).

// cookiePairs yields the name and value of each cookie in the Cookie
// headers, in order; a value in double quotes loses them.
func cookiePairs(h map[string][]string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, line := range h["Cookie"] {
			for len(line) > 0 {
				var part string
				part, line, _ = strings.Cut(line, ";")
				k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
				if !ok {
					continue
				}
				v = strings.TrimSpace(v)
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				if !yield(strings.TrimSpace(k), v) {
					return
				}
			}
		}
	}
}

// fit returns how many bytes the browser stores for a sealed value of n
// bytes, and whether that is within the limits: with MaxCookies 1 the
// cookie's name plus value, within MaxCookieSize; above 1, what the
// session's cookies take in a Cookie header, within MaxCookies cookies and
// MaxCookieHeader (chunk.go).
func (m *Manager) fit(n int) (size int, ok bool) {
	if m.cfg.MaxCookies == 1 {
		size = len(m.cfg.CookieName) + n
		return size, size <= MaxCookieSize
	}
	k, size := layout(m.cfg.CookieName, n)
	return size, k <= m.cfg.MaxCookies && size <= m.cfg.MaxCookieHeader
}

// setCookie puts the cookies carrying a sealed value in the response, in
// place of any this session put there before: line is "NAME=" and the
// value, as seal made it, and attrs the cookies' attributes (appendExpiry,
// appendAttrs). Callers hold s.mu.
func (m *Manager) setCookie(h http.Header, s *Session, line, attrs []byte) {
	var lines [maxChunks]string
	s.sent.replace(h, m.cookieLines(lines[:0], line, attrs))
	addNoCacheSetCookie(h, &s.sent.slots)
}

// appendExpiry appends the Expires and Max-Age attributes of a cookie
// saved now for p: its expiry from now, none for a session that ends when
// the browser closes.
func (m *Manager) appendExpiry(b []byte, p *payload, now int64) []byte {
	if m.browserClose(p) {
		return b
	}
	exp := m.expiresAt(p, now)
	secs := (exp - now + int64(time.Second) - 1) / int64(time.Second)
	b = append(b, "; Expires="...)
	b = time.Unix(0, exp).UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, "; Max-Age="...)
	return strconv.AppendInt(b, max(secs, 1), 10)
}

// deleteCookie puts Set-Cookie lines that delete the session's cookie, and
// its chunk cookies, in the response, in place of any this session put
// there before. Callers hold s.mu.
func (m *Manager) deleteCookie(h http.Header, s *Session) {
	var lines [maxChunks]string
	s.sent.replace(h, m.deleteLines(lines[:0], 0))
	m.st.deleted.Add(1)
	addNoCacheSetCookie(h, &s.sent.slots)
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

// sentCookie holds the Set-Cookie lines a session put in the response, so
// that saving again (a handler's Save, then the middleware's) replaces them
// and a response carries one set of session cookies. Its Session's mutex
// guards it.
type sentCookie struct {
	lines [maxChunks]string
	n     int
	slots headerSlots
}

// replace adds lines to h's Set-Cookie headers in place of those sent
// before.
func (c *sentCookie) replace(h http.Header, lines []string) {
	c.drop(h)
	for _, l := range lines {
		c.slots.add(h, "Set-Cookie", slotSetCookie, l)
	}
	c.n = copy(c.lines[:], lines)
}

// headerSlots spare the []string that http.Header.Add allocates for a
// header the response does not carry yet: the first value of each header
// a session writes goes in an array of the session's own, which the
// header then owns. Each place is handed out once per session, as a
// slice of one element and capacity one, so an append to the header
// reallocates, nothing a caller keeps from the header is ever written
// again by this package, and a later value for the same header (a second
// save) is added as usual. Its Session's mutex guards it.
type headerSlots struct {
	vals [slotCount]string
	used [slotCount]bool
}

// The headers with a place in headerSlots.
const (
	slotSetCookie = iota
	slotVary
	slotCacheControl
	slotCount
)

// add adds v to the header k (canonical), in place i when h has no
// value for k and place i was never handed out, else as h.Add does.
func (hs *headerSlots) add(h http.Header, k string, i int, v string) {
	if len(h[k]) > 0 || hs.used[i] {
		h[k] = append(h[k], v)
		return
	}
	hs.used[i] = true
	hs.vals[i] = v
	h[k] = hs.vals[i : i+1 : i+1]
}

// drop removes the lines sent before from h, those still there.
func (c *sentCookie) drop(h http.Header) {
	for _, line := range c.lines[:c.n] {
		lines := h["Set-Cookie"]
		if i := slices.Index(lines, line); i >= 0 {
			lines = slices.Delete(lines, i, i+1)
			if len(lines) == 0 {
				h.Del("Set-Cookie")
			} else {
				h["Set-Cookie"] = lines
			}
		}
	}
	clear(c.lines[:c.n])
	c.n = 0
}

// addVary adds "Cookie" to the Vary header unless it is there, in a
// place of slots.
func addVary(h http.Header, slots *headerSlots) {
	for _, v := range h["Vary"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, "Cookie") || f == "*" {
				return
			}
		}
	}
	slots.add(h, "Vary", slotVary, "Cookie")
}

// addNoCacheSetCookie keeps shared caches from storing the Set-Cookie
// header: Cache-Control: no-cache="Set-Cookie", merged into an existing
// Cache-Control, in a place of slots when there is none.
func addNoCacheSetCookie(h http.Header, slots *headerSlots) {
	const directive = `no-cache="Set-Cookie"`
	cc := h.Get("Cache-Control")
	switch {
	case cc == "":
		delete(h, "Cache-Control") // an empty value, if any, is replaced, as h.Set does
		slots.add(h, "Cache-Control", slotCacheControl, directive)
	case strings.Contains(strings.ToLower(cc), "no-cache") || strings.Contains(strings.ToLower(cc), "no-store") || strings.Contains(strings.ToLower(cc), "private"):
		// Already keeps shared caches from reusing the response.
	default:
		h.Set("Cache-Control", cc+", "+directive)
	}
}
