package keyring

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"log/slog"
	"time"

	"github.com/gorilla/securecookie"
)

// State is a key's role in a keyring.
type State string

const (
	// Primary keys seal and open. A keyring has exactly one.
	Primary State = "primary"
	// Enabled keys only open: cookies sealed under them still work, and
	// callers re-seal them under the primary.
	Enabled State = "enabled"
)

// SecretLen is the length in bytes of a key's secret.
const SecretLen = 32

// Labels for HKDF-SHA256. Each derived key has its own label, so the HMAC
// key and the AES key are independent even though both come from one secret.
const (
	hmacLabel  = "sealed/keyring/v1 hmac-sha256"
	aesLabel   = "sealed/keyring/v1 aes-256-ctr"
	eventLabel = "sealed/keyring/v1 revocation-event hmac-sha256"
)

// codecName is the cookie name handed to securecookie for every value. The
// caller's cookie name travels inside the authenticated plaintext instead,
// so a value moved to another cookie name is told apart (ErrWrongName) from
// a forged one (ErrTampered) while the name stays authenticated.
const codecName = "sealed/v1"

// idAlphabet is lowercase RFC 4648 base32: IDs never contain '.', so the
// first '.' of a sealed value always ends the key ID.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

var idEncoding = base32.NewEncoding(idAlphabet).WithPadding(base32.NoPadding)

// idBytes random bytes give an 8-character ID (40 bits).
const idBytes = 5

// Key describes one key of a keyring. Its secret is not exported and is
// never printed: String, Format (every fmt verb, including %#v) and
// LogValue show only the ID, state and times. Encoding a Key with
// encoding/json also leaves the secret out.
type Key struct {
	ID       string    `json:"id"`
	State    State     `json:"state"`
	Created  time.Time `json:"created"`
	Promoted time.Time `json:"promoted,omitzero"` // zero if never promoted
	Demoted  time.Time `json:"demoted,omitzero"`  // zero if never demoted

	m *material // never nil in a Key that came from a Keyring
}

// material is a key's secret and the codec derived from it. It is shared,
// read-only, between keyrings derived from one another.
//
// The secret sits behind a second pointer on purpose: if a Key is ever
// printed by reflection (an unexported field of a caller's struct, or a
// bad fmt verb), fmt expands at most one pointer level, so it shows an
// address rather than the bytes.
type material struct {
	secret   *[SecretLen]byte
	codec    *securecookie.SecureCookie
	eventKey *[32]byte // HMAC-SHA256 key for revocation events (see SignEvent)
}

// String, Format and GoString make accidental printing of material show
// nothing secret even if it escapes through reflection.
func (m *material) String() string                { return "[secret]" }
func (m *material) GoString() string              { return "[secret]" }
func (m *material) Format(f fmt.State, verb rune) { fmt.Fprint(f, "[secret]") }
func (m *material) LogValue() slog.Value          { return slog.StringValue("[secret]") }
func (m *material) MarshalText() ([]byte, error)  { return []byte("[secret]"), nil }
func (m *material) equal(o *material) bool        { return *m.secret == *o.secret }

// newMaterial derives the HMAC and AES keys from secret with HKDF-SHA256 and
// builds the securecookie codec that seals and opens under them.
func newMaterial(secret [SecretLen]byte) (*material, error) {
	hashKey, err := hkdf.Key(sha256.New, secret[:], nil, hmacLabel, 64)
	if err != nil {
		return nil, fmt.Errorf("keyring: derive hmac key: %w", err)
	}
	blockKey, err := hkdf.Key(sha256.New, secret[:], nil, aesLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("keyring: derive aes key: %w", err)
	}
	eventKey, err := hkdf.Key(sha256.New, secret[:], nil, eventLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("keyring: derive event key: %w", err)
	}
	c := securecookie.New(hashKey, blockKey)
	c.SetSerializer(securecookie.NopEncoder{})
	c.MaxAge(0)    // the keyring checks age itself, against its own clock
	c.MaxLength(0) // the keyring checks length itself, on the whole value
	return &material{secret: &secret, codec: c, eventKey: (*[32]byte)(eventKey)}, nil
}

// newSecret returns SecretLen bytes from crypto/rand.
func newSecret() ([SecretLen]byte, error) {
	var s [SecretLen]byte
	if _, err := rand.Read(s[:]); err != nil {
		return s, fmt.Errorf("keyring: read random secret: %w", err)
	}
	return s, nil
}

// newID returns a random key ID.
func newID() (string, error) {
	var b [idBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("keyring: read random key ID: %w", err)
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// validID reports whether id may name a key: 1 to 32 characters of
// lowercase base32 (a-z, 2-7).
func validID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// String describes the key without its secret.
func (k Key) String() string {
	s := "key " + k.ID + " (" + string(k.State) + ", created " + fmtTime(k.Created)
	if !k.Promoted.IsZero() {
		s += ", promoted " + fmtTime(k.Promoted)
	}
	if !k.Demoted.IsZero() {
		s += ", demoted " + fmtTime(k.Demoted)
	}
	return s + ")"
}

// GoString is used by %#v; it leaves the secret out.
func (k Key) GoString() string {
	return fmt.Sprintf("keyring.Key{ID:%q, State:%q, Created:%q, Promoted:%q, Demoted:%q}",
		k.ID, k.State, fmtTime(k.Created), fmtTime(k.Promoted), fmtTime(k.Demoted))
}

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s,
// %x, %q, ...) prints the description from String or GoString, never the
// secret.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, k.GoString())
		return
	}
	fmt.Fprint(f, k.String())
}

// LogValue implements slog.LogValuer: ID, state and times, never the secret.
func (k Key) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", k.ID),
		slog.String("state", string(k.State)),
		slog.Time("created", k.Created),
	}
	if !k.Promoted.IsZero() {
		attrs = append(attrs, slog.Time("promoted", k.Promoted))
	}
	if !k.Demoted.IsZero() {
		attrs = append(attrs, slog.Time("demoted", k.Demoted))
	}
	return slog.GroupValue(attrs...)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// normTime drops the monotonic reading and sub-second part and moves t to
// UTC, so times survive a round trip through the file unchanged.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second)
}
