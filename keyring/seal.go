package keyring

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
)

// MaxValueLen is the longest sealed value, in bytes, that Seal produces and
// Open accepts: one cookie's worth (RFC 6265 asks browsers for at least
// 4096 bytes per cookie).
const MaxValueLen = 4096

// Reasons a value does not open. Errors returned by Open match exactly one
// of them with errors.Is, while their Error text is always the same opaque
// "keyring: cookie does not open", so nothing about which check failed
// leaks by accident into a response.
var (
	// ErrMalformed: the value is not "<keyID>.<token>" or the token is not
	// base64.
	ErrMalformed = errors.New("keyring: malformed value")
	// ErrUnknownKey: no key in the ring has the value's key ID (never
	// existed, or retired).
	ErrUnknownKey = errors.New("keyring: unknown key")
	// ErrTampered: the MAC does not verify under the key the value names.
	ErrTampered = errors.New("keyring: tampered value")
	// ErrWrongName: the value is authentic but was sealed for another
	// cookie name.
	ErrWrongName = errors.New("keyring: sealed for another name")
	// ErrExpired: the value is authentic but older than the keyring's max
	// age.
	ErrExpired = errors.New("keyring: expired value")
	// ErrTooLong: longer than MaxValueLen (Open refuses it before any
	// crypto; Seal refuses to produce it).
	ErrTooLong = errors.New("keyring: value too long")
)

// openError is what Open returns: an opaque message, and the reason for
// errors.Is.
type openError struct{ reason error }

func (e *openError) Error() string { return "keyring: cookie does not open" }
func (e *openError) Unwrap() error { return e.reason }

// Preallocated so that a failed Open allocates nothing for its error.
var (
	errOpenMalformed  error = &openError{ErrMalformed}
	errOpenUnknownKey error = &openError{ErrUnknownKey}
	errOpenTampered   error = &openError{ErrTampered}
	errOpenWrongName  error = &openError{ErrWrongName}
	errOpenExpired    error = &openError{ErrExpired}
	errOpenTooLong    error = &openError{ErrTooLong}
)

// innerPool recycles Seal's plaintext buffers. Buffers grow to at most
// about MaxValueLen, since longer plaintexts are refused first.
var innerPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

var errNoKeys = errors.New("keyring: seal: empty keyring (make one with New, Parse or Load)")

// Opened is what Open found in a value.
type Opened struct {
	Plaintext []byte    // what was sealed; the caller owns it
	KeyID     string    // the key that sealed it
	Primary   bool      // whether that key is the primary; if not, re-seal
	Sealed    time.Time // when it was sealed (whole seconds)
}

// SealedLen returns the length of the value Seal(name, p) would return for
// a p of plaintextLen bytes, for the current primary key and a timestamp of
// ten digits (until the year 2286).
func (k *Keyring) SealedLen(name string, plaintextLen int) int {
	return k.sealedLen(len(k.Primary().ID), name, plaintextLen, 10)
}

func (k *Keyring) sealedLen(idLen int, name string, plaintextLen, tsLen int) int {
	inner := uvarintLen(uint64(len(name))) + len(name) + plaintextLen
	enc := base64.URLEncoding.EncodedLen(16 + inner)                 // IV + AES-CTR ciphertext
	token := base64.URLEncoding.EncodedLen(tsLen + 1 + enc + 1 + 32) // "ts|enc|mac"
	return idLen + 1 + token
}

// Seal encrypts and authenticates plaintext for the cookie name under the
// primary key and returns "<keyID>.<securecookie token>". A result longer
// than MaxValueLen is refused with an error matching ErrTooLong, before any
// crypto. Seal does not modify plaintext.
func (k *Keyring) Seal(name string, plaintext []byte) (string, error) {
	id, token, err := k.seal(name, plaintext)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(id) + 1 + len(token))
	b.WriteString(id)
	b.WriteByte('.')
	b.WriteString(token)
	return b.String(), nil
}

// AppendSeal is Seal appending the value to dst, for callers that build a
// header line around it (it saves Seal's copy of the token). On error it
// returns dst unchanged.
func (k *Keyring) AppendSeal(dst []byte, name string, plaintext []byte) ([]byte, error) {
	id, token, err := k.seal(name, plaintext)
	if err != nil {
		return dst, err
	}
	dst = append(dst, id...)
	dst = append(dst, '.')
	return append(dst, token...), nil
}

// seal returns the primary key's ID and the securecookie token for
// plaintext under name, refusing a value longer than MaxValueLen.
func (k *Keyring) seal(name string, plaintext []byte) (id, token string, err error) {
	if k == nil || len(k.keys) == 0 {
		return "", "", errNoKeys
	}
	p := &k.keys[k.primary]
	// securecookie stamps Unix seconds: ten digits until the year 2286. The
	// check after sealing catches anything this estimate misses.
	if n := k.sealedLen(len(p.ID), name, len(plaintext), 10); n > MaxValueLen {
		return "", "", fmt.Errorf("keyring: seal: value for %q would be %d bytes, over %d: %w", name, n, MaxValueLen, ErrTooLong)
	}
	// securecookie encrypts in place: build our own buffer, never hand it
	// the caller's slice. securecookie copies the ciphertext out (IV +
	// ciphertext in a new slice), so the buffer is free again afterwards.
	bp := innerPool.Get().(*[]byte)
	inner := binary.AppendUvarint((*bp)[:0], uint64(len(name)))
	inner = append(inner, name...)
	inner = append(inner, plaintext...)
	token, err = p.m.codec.Encode(codecName, inner)
	clear(inner) // it held plaintext, now ciphertext; leave neither in the pool
	*bp = inner
	innerPool.Put(bp)
	if err != nil {
		return "", "", fmt.Errorf("keyring: seal: %w", err)
	}
	if n := len(p.ID) + 1 + len(token); n > MaxValueLen { // clock passed a digit boundary since the check
		return "", "", fmt.Errorf("keyring: seal: value for %q is %d bytes, over %d: %w", name, n, MaxValueLen, ErrTooLong)
	}
	return p.ID, token, nil
}

// Open checks and decrypts a value made by Seal for the cookie name. The
// key is looked up by the ID the value carries, never by trying each key.
// On failure the error's text is opaque and errors.Is tells the reason:
// ErrTooLong, ErrMalformed, ErrUnknownKey, ErrTampered, ErrWrongName or
// ErrExpired. Open never panics, whatever value it is given.
func (k *Keyring) Open(name, value string) (Opened, error) {
	if len(value) > MaxValueLen {
		return Opened{}, errOpenTooLong
	}
	if k == nil {
		return Opened{}, errOpenUnknownKey
	}
	dot := strings.IndexByte(value, '.')
	if dot <= 0 || dot == len(value)-1 {
		return Opened{}, errOpenMalformed
	}
	i, ok := k.byID[value[:dot]]
	if !ok {
		return Opened{}, errOpenUnknownKey
	}
	key := &k.keys[i]
	token := value[dot+1:]
	var inner []byte
	if err := key.m.codec.Decode(codecName, token, &inner); err != nil {
		if errors.Is(err, securecookie.ErrMacInvalid) {
			return Opened{}, errOpenTampered
		}
		return Opened{}, errOpenMalformed
	}
	// The MAC verified: what follows was made by Seal under this key.
	n, vl := binary.Uvarint(inner)
	if vl <= 0 || n > uint64(len(inner)-vl) {
		return Opened{}, errOpenMalformed
	}
	if string(inner[vl:vl+int(n)]) != name {
		return Opened{}, errOpenWrongName
	}
	ts, ok := tokenTime(token)
	if !ok {
		return Opened{}, errOpenMalformed
	}
	if !k.Fresh(time.Unix(ts, 0)) {
		return Opened{}, errOpenExpired
	}
	return Opened{
		Plaintext: inner[vl+int(n):],
		KeyID:     key.ID,
		Primary:   i == k.primary,
		Sealed:    time.Unix(ts, 0).UTC(),
	}, nil
}

// Fresh reports whether a value sealed at sealed (Opened.Sealed) is still
// within the keyring's max age, as Open checks: for callers that cache what
// Open returned.
func (k *Keyring) Fresh(sealed time.Time) bool {
	return k.maxAge <= 0 || k.clock().Unix()-sealed.Unix() <= int64(k.maxAge/time.Second)
}

// uvarintLen is len(binary.AppendUvarint(nil, x)), without allocating.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// tokenTime reads the timestamp securecookie put at the start of token:
// base64("<unix seconds>|<ciphertext>|<mac>"). Only the first 16 base64
// characters are decoded. Call it only after the MAC verified.
func tokenTime(token string) (int64, bool) {
	if len(token) < 16 {
		return 0, false
	}
	var buf [12]byte
	if _, err := base64.URLEncoding.Decode(buf[:], []byte(token[:16])); err != nil {
		return 0, false
	}
	var ts int64
	for i, c := range buf {
		if c == '|' {
			return ts, i > 0
		}
		if c < '0' || c > '9' || i >= 11 {
			return 0, false
		}
		ts = ts*10 + int64(c-'0')
	}
	return 0, false
}
