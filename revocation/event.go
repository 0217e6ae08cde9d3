package revocation

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Kind is the scope of a revocation.
type Kind uint8

// The three scopes of the revocation list, and KindLogin.
const (
	KindSession Kind = 1 // one session ID is dead
	KindUser    Kind = 2 // every session of one user created at or before At is dead
	KindAll     Kind = 3 // every session created at or before At is dead
	// KindLogin is not a revocation: a login recorded in the login
	// registry (Store.AddLogin), carried by the same stream so that every
	// instance's registry lists it.
	KindLogin Kind = 4
)

// String returns "session", "user", "all" or "login".
func (k Kind) String() string {
	switch k {
	case KindSession:
		return "session"
	case KindUser:
		return "user"
	case KindAll:
		return "all"
	case KindLogin:
		return "login"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Limits on the variable-length fields of an Event.
const (
	MaxUserLen   = 4096 // longest user ID, in bytes
	MaxOriginLen = 255  // longest origin node name, in bytes
)

// cutOrigin cuts a node name to MaxOriginLen bytes.
func cutOrigin(node string) string {
	if len(node) > MaxOriginLen {
		return node[:MaxOriginLen]
	}
	return node
}

// Event is one change to the revocation list, or (KindLogin) to the login
// registry. Every local revocation is an event, and with Config.Outbox so
// is every login recorded; replication carries events between instances
// and applies them with [Store.Apply]. Applying an event twice, or events
// in any order, gives the same state.
type Event struct {
	ID      [16]byte  // event ID (random), for deduplication
	Kind    Kind      // scope
	Session [16]byte  // the revoked session ID (KindSession), the login's (KindLogin); zero otherwise
	User    string    // the revoked user ID (KindUser), the login's (KindLogin); empty otherwise
	At      time.Time // when revoked; the cut-off for KindUser and KindAll; the session's creation for KindLogin
	Until   time.Time // when the entry may be dropped; zero means "as late as allowed"
	Origin  string    // name of the node that made it
	Device  string    // KindLogin: Login.Device (at most MaxDeviceLen bytes); empty otherwise
	Bound   bool      // KindLogin: Login.Bound; false otherwise
}

// SessionEvent returns a new event by origin, made at now, that revokes
// session id until until, when the session expires anyway. A zero until
// means as late as the store applying it allows; each store clamps until
// by [Event.Clamp]. The event has a random ID; origin is cut to
// MaxOriginLen bytes. An error wraps [ErrInvalid] for a malformed event.
func SessionEvent(origin string, id [16]byte, now, until time.Time) (Event, error) {
	return newEvent(Event{Kind: KindSession, Session: id, At: now, Until: until}, origin)
}

// UserEvent returns a new event by origin that revokes every session of
// user created at or before at; see SessionEvent.
func UserEvent(origin, user string, at time.Time) (Event, error) {
	return newEvent(Event{Kind: KindUser, User: user, At: at}, origin)
}

// AllEvent returns a new event by origin that revokes every session
// created at or before at; see SessionEvent.
func AllEvent(origin string, at time.Time) (Event, error) {
	return newEvent(Event{Kind: KindAll, At: at}, origin)
}

func newEvent(e Event, origin string) (Event, error) {
	e, err := e.made(origin)
	if err != nil {
		return e, fmt.Errorf("revocation: new %s event: %w", e.Kind, err)
	}
	return e, nil
}

// made gives e a random ID and its origin and checks it.
func (e Event) made(origin string) (Event, error) {
	if _, err := rand.Read(e.ID[:]); err != nil {
		return e, fmt.Errorf("event ID: %w", err)
	}
	e.Origin = cutOrigin(origin)
	return e, e.validate()
}

// Clamp is the list's one lifetime and clock rule. For a store whose
// absolute lifetime is life and whose clock may trail other instances' by
// up to skew (revocation.Config.MaxClockSkew), at now, it returns e with
// Until set to when e's entry may go:
//
//   - session: an until that is zero or beyond now+life becomes now+life;
//   - user and all: a cut-off later than now+skew is lowered to now+skew,
//     so that no event, mistaken or forged, revokes sessions created more
//     than skew after the store sees it; the entry lives until At+life,
//     when every session the cut-off can match has expired;
//   - login: the registry entry lives until At (the session's creation)
//     plus life, when the session has expired.
//
// live is false when the entry would already have expired: the event
// changes nothing. A user or all event without a cut-off, or of an unknown
// kind, is an error wrapping [ErrInvalid].
func (e Event) Clamp(now time.Time, life, skew time.Duration) (_ Event, live bool, _ error) {
	latest := now.Add(life)
	switch e.Kind {
	case KindSession:
		if e.Until.IsZero() || e.Until.After(latest) {
			e.Until = latest
		}
	case KindUser, KindAll:
		if e.At.IsZero() {
			return e, false, fmt.Errorf("%w: at time %v out of range", ErrInvalid, e.At)
		}
		if bound := now.Add(max(skew, 0)); e.At.After(bound) {
			e.At = bound
		}
		e.Until = e.At.Add(life)
	case KindLogin:
		if e.At.IsZero() {
			return e, false, fmt.Errorf("%w: login without a creation time", ErrInvalid)
		}
		e.Until = e.At.Add(life)
	default:
		return e, false, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint8(e.Kind))
	}
	return e, e.Until.After(now), nil
}

// eventVersion is the first byte of every encoded Event.
const eventVersion = 1

// minEventLen is the length of the smallest valid encoding (KindAll, empty origin).
const minEventLen = 1 + 1 + 16 + 8 + 8 + 1

// validate reports whether e can be encoded. MarshalBinary and
// UnmarshalBinary apply the same rules, so whatever decodes re-encodes to
// the same bytes.
func (e *Event) validate() error {
	if err := e.validateKind(); err != nil {
		return err
	}
	if e.Kind != KindLogin && (e.Device != "" || e.Bound) {
		return fmt.Errorf("%w: %s event with a device", ErrInvalid, e.Kind)
	}
	if len(e.Origin) > MaxOriginLen {
		return fmt.Errorf("%w: origin longer than %d bytes", ErrInvalid, MaxOriginLen)
	}
	if _, ok := nanos(e.At); !ok || e.At.IsZero() {
		return fmt.Errorf("%w: at time %v out of range", ErrInvalid, e.At)
	}
	if _, ok := nanos(e.Until); !ok {
		return fmt.Errorf("%w: until time %v out of range", ErrInvalid, e.Until)
	}
	return nil
}

// validateKind checks the fields that depend on e's kind.
func (e *Event) validateKind() error {
	switch e.Kind {
	case KindSession:
		if e.User != "" {
			return fmt.Errorf("%w: session event with a user", ErrInvalid)
		}
	case KindUser:
		if e.User == "" {
			return fmt.Errorf("%w: user event without a user", ErrInvalid)
		}
		if len(e.User) > MaxUserLen {
			return fmt.Errorf("%w: user ID longer than %d bytes", ErrInvalid, MaxUserLen)
		}
		if e.Session != ([16]byte{}) {
			return fmt.Errorf("%w: user event with a session ID", ErrInvalid)
		}
	case KindAll:
		if e.User != "" || e.Session != ([16]byte{}) {
			return fmt.Errorf("%w: all event with a user or session ID", ErrInvalid)
		}
	case KindLogin:
		if e.User == "" || len(e.User) > MaxUserLen {
			return fmt.Errorf("%w: login event with a user ID of %d bytes", ErrInvalid, len(e.User))
		}
		if len(e.Device) > MaxDeviceLen {
			return fmt.Errorf("%w: login event with a device longer than %d bytes", ErrInvalid, MaxDeviceLen)
		}
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint8(e.Kind))
	}
	return nil
}

// nanos returns t as Unix nanoseconds, 0 for the zero time. ok is false for
// times before 1970 or past 2262, which have no positive int64 form.
func nanos(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, true
	}
	n := t.UnixNano()
	if n <= 0 || !time.Unix(0, n).Equal(t) {
		return 0, false
	}
	return n, true
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// MarshalBinary encodes e in a compact versioned binary form:
//
//	version(1)=1 kind(1) id(16) body at(8) until(8) originlen(1) origin
//
// where body is, by kind: session(16) for KindSession; userlen(2) user for
// KindUser; nothing for KindAll; session(16) userlen(2) user flags(1)
// devicelen(1) device for KindLogin (flags: bit 0 Bound; the others are
// zero, and a decoder refuses them).
//
// Integers are big-endian; times are Unix nanoseconds (0 for the zero
// time). It returns an error wrapping [ErrInvalid] for an event that is not
// well formed.
func (e Event) MarshalBinary() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("revocation: marshal event: %w", err)
	}
	n := minEventLen + len(e.Origin) + 16 + 2 + len(e.User) + 2 + len(e.Device)
	b := make([]byte, 0, n)
	b = append(b, eventVersion, byte(e.Kind))
	b = append(b, e.ID[:]...)
	switch e.Kind {
	case KindSession:
		b = append(b, e.Session[:]...)
	case KindUser:
		b = appendUser(b, e.User)
	case KindLogin:
		b = append(b, e.Session[:]...)
		b = appendUser(b, e.User)
		var flags byte
		if e.Bound {
			flags |= loginBound
		}
		b = append(b, flags, byte(len(e.Device)))
		b = append(b, e.Device...)
	}
	at, _ := nanos(e.At)
	until, _ := nanos(e.Until)
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint64(b, uint64(until))
	b = append(b, byte(len(e.Origin)))
	b = append(b, e.Origin...)
	return b, nil
}

func appendUser(b []byte, user string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(user)))
	return append(b, user...)
}

var errShort = errors.New("truncated")

// UnmarshalBinary decodes what MarshalBinary produced. Any other input,
// including trailing bytes, is an error wrapping [ErrInvalid]; it never
// panics. Times decode in UTC.
func (e *Event) UnmarshalBinary(b []byte) error {
	var d Event
	err := d.decode(b)
	if err == nil {
		err = d.validate()
	}
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			err = fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return fmt.Errorf("revocation: unmarshal event: %w", err)
	}
	*e = d
	return nil
}

func (e *Event) decode(b []byte) error {
	if len(b) < minEventLen {
		return errShort
	}
	if b[0] != eventVersion {
		return fmt.Errorf("unknown version %d", b[0])
	}
	e.Kind = Kind(b[1])
	copy(e.ID[:], b[2:18])
	b, err := e.decodeBody(b[18:])
	if err != nil {
		return err
	}
	if len(b) < 17 {
		return errShort
	}
	at := int64(binary.BigEndian.Uint64(b))
	until := int64(binary.BigEndian.Uint64(b[8:]))
	if at <= 0 || until < 0 {
		return errors.New("time out of range")
	}
	e.At, e.Until = fromNanos(at), fromNanos(until)
	n := int(b[16])
	b = b[17:]
	if len(b) != n {
		if len(b) < n {
			return errShort
		}
		return errors.New("trailing bytes")
	}
	e.Origin = string(b)
	return nil
}

// decodeBody decodes the kind-dependent part of an encoded event and
// returns what follows it.
func (e *Event) decodeBody(b []byte) ([]byte, error) {
	var err error
	switch e.Kind {
	case KindSession:
		return e.decodeSession(b)
	case KindUser:
		return e.decodeUser(b)
	case KindAll:
		return b, nil
	case KindLogin:
		if b, err = e.decodeSession(b); err == nil {
			b, err = e.decodeUser(b)
		}
		if err != nil {
			return nil, err
		}
		if len(b) < 2 {
			return nil, errShort
		}
		flags, n := b[0], int(b[1])
		if flags&^loginKnownFlags != 0 {
			return nil, fmt.Errorf("unknown login flags %#x", flags)
		}
		if b = b[2:]; len(b) < n {
			return nil, errShort
		}
		e.Bound, e.Device = flags&loginBound != 0, string(b[:n])
		return b[n:], nil
	}
	return nil, fmt.Errorf("unknown kind %d", uint8(e.Kind))
}

func (e *Event) decodeSession(b []byte) ([]byte, error) {
	if len(b) < 16 {
		return nil, errShort
	}
	copy(e.Session[:], b[:16])
	return b[16:], nil
}

func (e *Event) decodeUser(b []byte) ([]byte, error) {
	if len(b) < 2 {
		return nil, errShort
	}
	n := int(binary.BigEndian.Uint16(b))
	if b = b[2:]; len(b) < n {
		return nil, errShort
	}
	e.User = string(b[:n])
	return b[n:], nil
}
