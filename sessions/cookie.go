package sessions

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

// setCookie seals s's payload and adds its Set-Cookie header, built in one
// pooled buffer, in place of any this session added before. Callers hold
// s.mu.
func (m *Manager) setCookie(h http.Header, s *Session, now time.Time) error {
	p := &s.p
	lp := m.bufs.Get().(*[]byte)
	defer m.bufs.Put(lp)
	b := append((*lp)[:0], m.cfg.CookieName...)
	b = append(b, '=')
	b, err := m.appendSealed(b, p)
	*lp = b
	if err != nil {
		return err
	}
	if !m.browserClose(p) {
		exp := m.expiresAt(p, now.UnixNano())
		secs := (exp - now.UnixNano() + int64(time.Second) - 1) / int64(time.Second)
		b = append(b, "; Expires="...)
		b = time.Unix(0, exp).UTC().AppendFormat(b, http.TimeFormat)
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, max(secs, 1), 10)
	}
	b = m.appendAttrs(b)
	*lp = b
	s.putLine(h, string(b))
	addNoCacheSetCookie(h)
	return nil
}

// deleteCookie adds a Set-Cookie header that deletes the cookie, in place
// of any this session added before. Callers hold s.mu.
func (m *Manager) deleteCookie(h http.Header, s *Session) {
	b := make([]byte, 0, len(m.cfg.CookieName)+160)
	b = append(b, m.cfg.CookieName...)
	b = append(b, "=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"...)
	b = m.appendAttrs(b)
	s.putLine(h, string(b))
	m.st.deleted.Add(1)
	addNoCacheSetCookie(h)
}

// putLine adds line to h's Set-Cookie headers, replacing the line this
// session added before (a Save by the handler, then the middleware's), so
// a response carries at most one session cookie. Callers hold s.mu.
func (s *Session) putLine(h http.Header, line string) {
	s.dropLine(h)
	h.Add("Set-Cookie", line)
	s.line = line
}

// dropLine removes the Set-Cookie line this session added to h, if it is
// still there. Callers hold s.mu.
func (s *Session) dropLine(h http.Header) {
	if s.line == "" {
		return
	}
	lines := h["Set-Cookie"]
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] == s.line {
			lines = slices.Delete(lines, i, i+1)
			if len(lines) == 0 {
				h.Del("Set-Cookie")
			} else {
				h["Set-Cookie"] = lines
			}
			break
		}
	}
	s.line = ""
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
