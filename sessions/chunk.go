package sessions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sealedsessions/sealed/keyring"
)

// A session may span several cookies (Config.MaxCookies above 1). It is
// sealed once, and the sealed value is cut into chunks:
//
//	NAME=<n>~<chunk 0>; NAME.1=<chunk 1>; ...; NAME.<n-1>=<chunk n-1>
//
// so the one MAC covers every chunk: chunks of two sessions, or of two
// saves of one session, put together fail it. A session that fits one
// cookie is written as without chunking, NAME=<sealed value>. The count n
// (2 to 9, one digit) says how many cookies to expect, so a missing or an
// extra one is caught before any crypto; '~' never occurs in a sealed
// value (a base32 key ID, '.', base64url), so a count is never mistaken for
// one. The chunk names extend NAME, so a "__Host-" or "__Secure-" name
// keeps its prefix, and the browser its rules, on every chunk.

// maxChunks is the largest Config.MaxCookies: the count is one digit.
const maxChunks = 9

// countSep ends the count at the start of a chunked session's first
// cookie.
const countSep = '~'

// DefaultMaxCookieHeader is Config.MaxCookieHeader's default: nginx's
// default buffer for one request header line is 8 KB (Apache's
// LimitRequestFieldSize 8190), and the session leaves 1 KB of it to the
// "Cookie: " prefix and the site's other cookies.
const DefaultMaxCookieHeader = 7 << 10

// ErrChunks: the cookies given to JoinChunks or Manager.Inspect are not
// those the first one's count announces (one missing, one too many, or a
// count that is not 2 to 9).
var ErrChunks = errors.New("sessions: cookies do not match the chunk count")

// chunkDefaults checks and fills in MaxCookies and MaxCookieHeader.
func (c *Config) chunkDefaults() error {
	if c.MaxCookies == 0 {
		c.MaxCookies = 1
	}
	if c.MaxCookies < 1 || c.MaxCookies > maxChunks {
		return invalid("MaxCookies %d: want 1 to %d", c.MaxCookies, maxChunks)
	}
	if c.MaxCookieHeader == 0 {
		c.MaxCookieHeader = DefaultMaxCookieHeader
	}
	if c.MaxCookieHeader < 0 {
		return invalid("MaxCookieHeader must not be negative")
	}
	return nil
}

// chunkCap is the most bytes of the sealed value each cookie of a chunked
// session carries: a cookie holds MaxCookieSize bytes of name and value,
// and the first cookie's count ("n~") and the others' suffix (".i") both
// take two.
func chunkCap(name string) int { return MaxCookieSize - len(name) - 2 }

// layout returns how many cookies a sealed value of n bytes takes under
// name, and what they take in a Cookie header: names, '=', values and the
// "; " between them.
func layout(name string, n int) (cookies, header int) {
	if len(name)+n <= MaxCookieSize {
		return 1, len(name) + 1 + n
	}
	c := chunkCap(name)
	if c < 1 {
		return maxChunks + 1, n
	}
	k := (n + c - 1) / c
	return k, k*(len(name)+3) + n + 2*(k-1)
}

// sizeLimit is the most fit allows, in fit's units: TooLargeError.Limit.
func (m *Manager) sizeLimit() int {
	most := m.cfg.MaxCookies
	if most == 1 {
		return MaxCookieSize
	}
	return min(m.cfg.MaxCookieHeader, most*(MaxCookieSize+1)+2*(most-1))
}

// maxSealed is the longest sealed value the Manager seals or opens.
func (m *Manager) maxSealed() int {
	if m.cfg.MaxCookies == 1 {
		return keyring.MaxValueLen
	}
	return m.sizeLimit()
}

// tooLarge is the error for a session whose cookies would take size bytes.
func (m *Manager) tooLarge(p *payload, size int) *TooLargeError {
	e := tooLarge(p, size)
	e.Limit = m.sizeLimit()
	return e
}

// parseCount splits a first cookie's value into the number of cookies the
// session spans and its first chunk. A value without a count is a whole
// sealed value: one cookie.
func parseCount(v string) (n int, first string, ok bool) {
	i := strings.IndexByte(v, countSep)
	if i < 0 {
		return 1, v, true
	}
	if i != 1 || v[0] < '2' || v[0] > '0'+maxChunks {
		return 0, "", false
	}
	return int(v[0] - '0'), v[2:], true
}

// chunkIndex returns i if k is name's chunk cookie name.i (1 to 8), or 0.
func chunkIndex(k, name string) int {
	if len(k) != len(name)+2 || k[len(name)] != '.' || !strings.HasPrefix(k, name) {
		return 0
	}
	if d := k[len(name)+1]; d >= '1' && d < '0'+maxChunks {
		return int(d - '0')
	}
	return 0
}

// requestCookies are the session's cookies in a request: the values of up
// to maxCandidates cookies named NAME, and of the chunk cookies NAME.1 to
// NAME.<MaxCookies-1>.
type requestCookies struct {
	first   [maxCandidates]string
	n       int  // values in first
	present bool // whether any cookie named NAME was sent (even past n)
	chunk   [maxChunks]string
	seen    [maxChunks]uint8 // how many cookies named NAME.i were sent, up to 2
}

// read collects the cookies of name, and its chunks below most, from h.
func (c *requestCookies) read(h map[string][]string, name string, most int) {
	for k, v := range cookiePairs(h) {
		switch {
		case k == name:
			c.present = true
			if c.n < len(c.first) {
				c.first[c.n] = v
				c.n++
			}
		case most > 1:
			if i := chunkIndex(k, name); i > 0 && i < most {
				c.chunk[i] = v
				c.seen[i] = min(c.seen[i]+1, 2)
			}
		}
	}
}

// orphans reports chunk cookies without a first cookie.
func (c *requestCookies) orphans() bool {
	return c.n == 0 && c.seen != [maxChunks]uint8{}
}

// assemble returns the sealed value whose first cookie has value v: v
// itself, or v's first chunk joined with the chunk cookies its count asks
// for. The request must carry each of those once and no other chunk
// cookie below most (reasonChunks), and their total length must be within
// maxLen (reasonOversize). buf is scratch space for the join.
func (c *requestCookies) assemble(buf *[]byte, v string, most, maxLen int) (string, reason) {
	if most == 1 {
		return v, reasonOK
	}
	n, first, ok := parseCount(v)
	if !ok || n > most {
		return "", reasonChunks
	}
	total := len(first)
	for i := 1; i < most; i++ {
		if want := b2u(i < n); c.seen[i] != want {
			return "", reasonChunks
		}
		total += len(c.chunk[i])
	}
	if n == 1 {
		return first, reasonOK
	}
	if total > maxLen {
		return "", reasonOversize
	}
	b := append((*buf)[:0], first...)
	for _, part := range c.chunk[1:n] {
		b = append(b, part...)
	}
	*buf = b
	return string(b), reasonOK
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// JoinChunks returns the sealed value a session's cookies carry, given
// their values in order: NAME's, then NAME.1's, NAME.2's and so on (for a
// session in one cookie, that one value). If the first value's count does
// not match the number of values, the error matches ErrChunks. sealctl
// inspect uses it; Manager.Inspect takes the values themselves.
func JoinChunks(values ...string) (string, error) {
	v, err := joinChunks(values)
	if err != nil {
		return "", fmt.Errorf("sessions: join chunks: %w", err)
	}
	return v, nil
}

// joinChunks is JoinChunks without the error's prefix.
func joinChunks(values []string) (string, error) {
	if len(values) == 0 {
		return "", fmt.Errorf("no cookie values: %w", ErrChunks)
	}
	n, first, ok := parseCount(values[0])
	if !ok || n != len(values) {
		return "", fmt.Errorf("%d cookie values, the first does not say so: %w", len(values), ErrChunks)
	}
	if n == 1 {
		return first, nil
	}
	return first + strings.Join(values[1:], ""), nil
}

// ChunkValues returns, from a Cookie header's text (with or without the
// "Cookie:" prefix), the values of the first cookie named name and of its
// chunk cookies name.1 to name.8 in order, stopping at the first one
// missing: what JoinChunks and Manager.Inspect take.
func ChunkValues(header, name string) []string {
	header = strings.TrimSpace(header)
	if k, v, ok := strings.Cut(header, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Cookie") {
		header = v
	}
	var c requestCookies
	c.read(map[string][]string{"Cookie": {header}}, name, maxChunks)
	if c.n == 0 {
		return nil
	}
	vals := []string{c.first[0]}
	for i := 1; i < maxChunks && c.seen[i] > 0; i++ {
		vals = append(vals, c.chunk[i])
	}
	return vals
}

// cookieLines returns the Set-Cookie lines for the sealed value v, given
// as line, "NAME=" then v, in a buffer seal made (the caller gives it up):
// one line per chunk, then, with MaxCookies above 1, one deleting each
// chunk cookie v does not use, so no chunk of an earlier save, or of a
// concurrent request's, stays beside it. attrs is what follows each value.
// The lines are appended to dst, which has room for maxChunks.
func (m *Manager) cookieLines(dst []string, line, attrs []byte) []string {
	name := m.cfg.CookieName
	v := line[len(name)+1:]
	k, _ := layout(name, len(v))
	if k == 1 {
		// line is seal's buffer, ours alone and dropped here: with attrs
		// after the value, it is the Set-Cookie line, taken without a copy.
		dst = append(dst, ownedString(append(line, attrs...)))
	} else {
		c := chunkCap(name)
		for i := range k {
			part := v[i*c : min((i+1)*c, len(v))]
			count := 0
			if i == 0 {
				count = k
			}
			dst = append(dst, cookieLine(name, i, count, part, attrs))
		}
	}
	return m.deleteLines(dst, k)
}

// deleteLines appends lines deleting the chunk cookies from NAME.from on.
func (m *Manager) deleteLines(dst []string, from int) []string {
	if from >= m.cfg.MaxCookies {
		return dst
	}
	attrs := m.appendAttrs([]byte(deleteAttrs))
	for i := from; i < m.cfg.MaxCookies; i++ {
		dst = append(dst, cookieLine(m.cfg.CookieName, i, 0, nil, attrs))
	}
	return dst
}

// deleteAttrs expire a cookie at once.
const deleteAttrs = "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"

// cookieLine is one Set-Cookie line: name (or name.i for i above 0), then
// '=', the count and its separator if count is above 0, val and attrs.
func cookieLine(name string, i, count int, val, attrs []byte) string {
	var b strings.Builder
	b.Grow(len(name) + 5 + len(val) + len(attrs))
	b.WriteString(name)
	if i > 0 {
		b.WriteByte('.')
		b.WriteByte(byte('0' + i))
	}
	b.WriteByte('=')
	if count > 0 {
		b.WriteByte(byte('0' + count))
		b.WriteByte(countSep)
	}
	b.Write(val)
	b.Write(attrs)
	return b.String()
}
