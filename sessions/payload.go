package sessions

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// The sealed payload is a compact binary record, version 1 or 2:
//
//	byte     version (1, or 2 for a device-bound session)
//	[16]byte session ID
//	uvarint  len(user ID), user ID bytes
//	varint   created-at, unix nanoseconds
//	varint   saved-at, unix nanoseconds
//	byte     expiry kind (0 default, 1 idle duration, 2 absolute time, 3 browser close)
//	varint   expiry value (kinds 1 and 2 only: nanoseconds / unix nanoseconds)
//	uvarint  number of flash messages, then each as uvarint length + bytes
//	uvarint  number of entries, then each entry:
//	         uvarint len(key), key bytes, byte tag, uvarint len(value), value bytes
//	version 2 only:
//	uvarint  len(device key), device key bytes (not empty): the canonical
//	         JWK (RFC 7638) of the public key the session is bound to (dbsc.go)
//
// A session that is not device bound is written as version 1, exactly as
// before version 2 existed, so every cookie sealed earlier still opens.
// Entries are sorted by key, strictly increasing (no duplicates); the decoder
// rejects anything else, trailing bytes included, so every session has exactly
// one encoding. Values are kept in their encoded form inside a Session from
// Set to Save, so saving is a concatenation.
const (
	payloadVersion      = 1
	payloadVersionBound = 2
)

// Expiry kinds stored in the payload.
const (
	expiryDefault      byte = 0
	expiryIdle         byte = 1
	expiryAt           byte = 2
	expiryBrowserClose byte = 3
)

// Limits on decoded payloads. A sealed cookie can't exceed 4 KB anyway; these
// only bound work on hostile input that somehow passes the MAC.
const (
	maxPayloadEntries = 4096
	maxPayloadFlashes = 4096
	maxDeviceKey      = 2048 // a canonical RSA-4096 JWK is about 750 bytes
)

// errPayload is the error the decoder wraps for every malformed payload.
var errPayload = errors.New("sessions: malformed payload")

// entry is one stored value: its key, type tag and encoded bytes.
type entry struct {
	key string
	tag byte
	raw string // immutable: readers share it
}

// payload is the decoded content of a session cookie.
type payload struct {
	id      [16]byte
	userID  string
	created int64 // unix nanoseconds
	saved   int64 // unix nanoseconds
	expKind byte
	expVal  int64
	flashes []string
	entries []entry // sorted by key, unique
	device  string  // canonical JWK of the bound device key; "" if not bound
}

// size returns an upper bound of the encoded length.
func (p *payload) size() int {
	n := 1 + 16 + binary.MaxVarintLen64*7 + len(p.userID) + len(p.device)
	for _, f := range p.flashes {
		n += binary.MaxVarintLen64 + len(f)
	}
	for _, e := range p.entries {
		n += 1 + 2*binary.MaxVarintLen64 + len(e.key) + len(e.raw)
	}
	return n
}

// appendPayload appends the encoding of p to dst.
func appendPayload(dst []byte, p *payload) []byte {
	if p.device == "" {
		dst = append(dst, payloadVersion)
	} else {
		dst = append(dst, payloadVersionBound)
	}
	dst = append(dst, p.id[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(p.userID)))
	dst = append(dst, p.userID...)
	dst = binary.AppendVarint(dst, p.created)
	dst = binary.AppendVarint(dst, p.saved)
	dst = append(dst, p.expKind)
	if p.expKind == expiryIdle || p.expKind == expiryAt {
		dst = binary.AppendVarint(dst, p.expVal)
	}
	dst = binary.AppendUvarint(dst, uint64(len(p.flashes)))
	for _, f := range p.flashes {
		dst = binary.AppendUvarint(dst, uint64(len(f)))
		dst = append(dst, f...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(p.entries)))
	for _, e := range p.entries {
		dst = binary.AppendUvarint(dst, uint64(len(e.key)))
		dst = append(dst, e.key...)
		dst = append(dst, e.tag)
		dst = binary.AppendUvarint(dst, uint64(len(e.raw)))
		dst = append(dst, e.raw...)
	}
	if p.device != "" {
		dst = binary.AppendUvarint(dst, uint64(len(p.device)))
		dst = append(dst, p.device...)
	}
	return dst
}

// payloadReader walks an encoded payload. Strings (the user ID, keys,
// values, flashes) are cut from str, the input itself seen as a string, so
// decoding copies none of them.
type payloadReader struct {
	b   []byte
	str string
	off int
	err error
}

func (r *payloadReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", errPayload, what, r.off)
	}
}

func (r *payloadReader) byte1(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail(what)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *payloadReader) uvarint(what string) uint64 { return readVarint(r, what, binary.Uvarint) }

func (r *payloadReader) varint(what string) int64 { return readVarint(r, what, binary.Varint) }

// readVarint reads one varint with decode (binary.Uvarint or Varint),
// refusing an overflow or a longer encoding than needed.
func readVarint[T int64 | uint64](r *payloadReader, what string, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.b[r.off:])
	if n <= 0 || (n > 1 && r.b[r.off+n-1] == 0) { // overflow, or not minimal
		r.fail(what)
		return 0
	}
	r.off += n
	return v
}

// span reads a length-prefixed field and returns its bounds.
func (r *payloadReader) span(what string) (start, end int) {
	n := r.uvarint(what)
	if r.err != nil {
		return 0, 0
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(what)
		return 0, 0
	}
	start = r.off
	r.off += int(n)
	return start, r.off
}

func (r *payloadReader) str1(what string) string {
	s, e := r.span(what)
	if r.err != nil {
		return ""
	}
	return r.str[s:e]
}

// decodePayload decodes b into p. It never panics; on error p is
// unspecified. The payload's strings (its values too) share b's bytes
// without a copy: b must be a buffer of the caller's own that nobody
// modifies afterwards, as keyring.Opened.Plaintext is (a new slice per
// Open, which the caller owns and sessions never writes).
func decodePayload(b []byte, p *payload) error {
	if len(b) < 1+16 {
		return fmt.Errorf("%w: %d bytes is too short", errPayload, len(b))
	}
	if b[0] != payloadVersion && b[0] != payloadVersionBound {
		return fmt.Errorf("%w: unknown version %d", errPayload, b[0])
	}
	r := payloadReader{b: b, str: ownedString(b), off: 17}
	copy(p.id[:], b[1:17])
	p.userID = r.str1("user ID")
	p.created = r.varint("created-at")
	p.saved = r.varint("saved-at")
	p.expKind = r.byte1("expiry kind")
	p.expVal = 0
	switch p.expKind {
	case expiryDefault, expiryBrowserClose:
	case expiryIdle, expiryAt:
		p.expVal = r.varint("expiry value")
	default:
		r.fail("expiry kind")
	}
	r.flashes(p)
	r.entries(p)
	p.device = ""
	if b[0] == payloadVersionBound {
		p.device = r.str1("device key")
		if r.err == nil && (p.device == "" || len(p.device) > maxDeviceKey) {
			r.fail("device key")
		}
	}
	if r.err != nil {
		return r.err
	}
	if r.off != len(b) {
		return fmt.Errorf("%w: %d trailing bytes", errPayload, len(b)-r.off)
	}
	return nil
}

// ownedString returns b's bytes as a string without copying them. Strings
// are immutable, so b must never be written again, by anyone: call it only
// on a buffer the caller made or was handed to own (never one from a pool,
// nor one a caller passed in to read), and drop every []byte view of it.
func ownedString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// count reads a count of items that each take at least one byte.
func (r *payloadReader) count(what string, limit uint64) uint64 {
	n := r.uvarint(what)
	if r.err == nil && (n > limit || n > uint64(len(r.b)-r.off)) {
		r.fail(what)
	}
	return n
}

func (r *payloadReader) flashes(p *payload) {
	nf := r.count("flash count", maxPayloadFlashes)
	p.flashes = p.flashes[:0]
	if r.err == nil && nf > 0 {
		p.flashes = make([]string, 0, nf)
	}
	for i := uint64(0); r.err == nil && i < nf; i++ {
		p.flashes = append(p.flashes, r.str1("flash"))
	}
}

func (r *payloadReader) entries(p *payload) {
	ne := r.count("entry count", maxPayloadEntries)
	p.entries = p.entries[:0]
	if r.err == nil && ne > 0 && cap(p.entries) < int(ne) {
		p.entries = make([]entry, 0, ne+1) // room for one Set of a new key
	}
	for i := uint64(0); r.err == nil && i < ne; i++ {
		key := r.str1("key")
		tag := r.byte1("tag")
		s, e := r.span("value")
		if r.err != nil {
			break
		}
		if !validTag(tag) {
			r.fail("value tag")
			break
		}
		if n := len(p.entries); n > 0 && p.entries[n-1].key >= key {
			r.fail("key order")
			break
		}
		p.entries = append(p.entries, entry{key: key, tag: tag, raw: r.str[s:e]})
	}
}
