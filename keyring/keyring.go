package keyring

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// DefaultMaxAge is the oldest sealed value Open accepts unless
// [Keyring.WithMaxAge] says otherwise: 400 days, the longest lifetime
// browsers allow a cookie (RFC 6265bis caps Expires and Max-Age there).
// It is a backstop, not the session lifetime: package sessions enforces
// idle and absolute expiry from inside the sealed payload. securecookie's
// own default of 30 days would silently end long sessions, so it is off.
const DefaultMaxAge = 400 * 24 * time.Hour

// Errors for keyring edits.
var (
	// ErrKeyNotFound: Promote or Retire named an ID that is not in the ring.
	ErrKeyNotFound = errors.New("keyring: no such key")
	// ErrRetirePrimary: Retire named the primary key. Promote another
	// key first.
	ErrRetirePrimary = errors.New("keyring: cannot retire the primary key")
)

// Keyring is an immutable set of keys with exactly one primary. Every edit
// (Add, Promote, Rotate, Retire, Prune) returns a new Keyring and leaves the
// receiver as it was, so a *Keyring may be shared between goroutines and
// swapped atomically (see [Watcher]).
//
// String, Format and LogValue list key IDs and states, never secrets.
// Marshal, by contrast, is the keyring file and does contain the
// secrets: store it like a private key. A *Keyring is not a json.Marshaler,
// so encoding/json writes it as {}.
type Keyring struct {
	keys    []Key          // sorted by ID
	byID    map[string]int // index into keys
	primary int            // index into keys
	maxAge  time.Duration  // 0: no age check
	now     func() time.Time
}

// Source gives the keyring in force now. *Keyring returns itself;
// *Watcher returns the latest good keyring read from its file.
type Source interface {
	Keyring() *Keyring
}

// Keyring returns k, so a *Keyring is a [Source].
func (k *Keyring) Keyring() *Keyring { return k }

// New returns a keyring holding one fresh primary key created at now.
func New(now time.Time) (*Keyring, error) {
	now = normTime(now)
	id, err := newID()
	if err != nil {
		return nil, err
	}
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	m, err := newMaterial(secret)
	if err != nil {
		return nil, err
	}
	return build([]Key{{ID: id, State: Primary, Created: now, Promoted: now, m: m}}, DefaultMaxAge, nil)
}

// build checks keys and makes a Keyring of them. keys is taken over.
func build(keys []Key, maxAge time.Duration, now func() time.Time) (*Keyring, error) {
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.ID, b.ID) })
	k := &Keyring{keys: keys, byID: make(map[string]int, len(keys)), primary: -1, maxAge: maxAge, now: now}
	for i, key := range keys {
		if _, dup := k.byID[key.ID]; dup {
			return nil, fmt.Errorf("keyring: duplicate key ID %q", key.ID)
		}
		k.byID[key.ID] = i
		if key.State == Primary {
			if k.primary >= 0 {
				return nil, fmt.Errorf("keyring: two primary keys, %q and %q", keys[k.primary].ID, key.ID)
			}
			k.primary = i
		}
	}
	if k.primary < 0 {
		return nil, errors.New("keyring: no primary key")
	}
	return k, nil
}

// edit returns a copy of k's keys, for building a new Keyring.
func (k *Keyring) edit() []Key { return slices.Clone(k.keys) }

// Add returns a keyring with one more key, enabled (it opens but does not
// seal), created at now, and that key. Add it on every instance before
// promoting it anywhere.
func (k *Keyring) Add(now time.Time) (*Keyring, Key, error) {
	var id string
	for {
		var err error
		if id, err = newID(); err != nil {
			return nil, Key{}, err
		}
		if _, taken := k.byID[id]; !taken {
			break
		}
	}
	secret, err := newSecret()
	if err != nil {
		return nil, Key{}, err
	}
	m, err := newMaterial(secret)
	if err != nil {
		return nil, Key{}, err
	}
	key := Key{ID: id, State: Enabled, Created: normTime(now), m: m}
	nk, err := build(append(k.edit(), key), k.maxAge, k.now)
	if err != nil {
		return nil, Key{}, err
	}
	return nk, key, nil
}

// Promote returns a keyring in which the key id is primary (promoted at
// now) and the previous primary is enabled (demoted at now). Promoting the
// primary returns k unchanged.
func (k *Keyring) Promote(id string, now time.Time) (*Keyring, error) {
	i, ok := k.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrKeyNotFound, id)
	}
	if i == k.primary {
		return k, nil
	}
	now = normTime(now)
	keys := k.edit()
	keys[k.primary].State = Enabled
	keys[k.primary].Demoted = now
	keys[i].State = Primary
	keys[i].Promoted = now
	keys[i].Demoted = time.Time{}
	return build(keys, k.maxAge, k.now)
}

// Rotate adds a key and promotes it at once: Add then Promote. With more
// than one instance, prefer Add everywhere, then Promote, so no instance
// meets a cookie sealed under a key it does not have yet.
func (k *Keyring) Rotate(now time.Time) (*Keyring, Key, error) {
	nk, key, err := k.Add(now)
	if err != nil {
		return nil, Key{}, err
	}
	if nk, err = nk.Promote(key.ID, now); err != nil {
		return nil, Key{}, err
	}
	return nk, nk.keys[nk.primary], nil
}

// Retire returns a keyring without the key id: values sealed under it no
// longer open (ErrUnknownKey). The primary cannot be retired
// (ErrRetirePrimary).
func (k *Keyring) Retire(id string) (*Keyring, error) {
	i, ok := k.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrKeyNotFound, id)
	}
	if i == k.primary {
		return nil, fmt.Errorf("%w %q", ErrRetirePrimary, id)
	}
	keys := slices.Delete(k.edit(), i, i+1)
	return build(keys, k.maxAge, k.now)
}

// Prune retires every enabled key demoted more than olderThan before now,
// and returns the new keyring with the IDs it removed. Keys that were added
// but never promoted are kept: they may be waiting for promotion. Choose
// olderThan at least as long as the longest session lifetime.
func (k *Keyring) Prune(olderThan time.Duration, now time.Time) (*Keyring, []string, error) {
	if olderThan <= 0 {
		return nil, nil, fmt.Errorf("keyring: prune: age %v must be positive", olderThan)
	}
	var keep []Key
	var gone []string
	for _, key := range k.keys {
		if key.State == Enabled && !key.Demoted.IsZero() && now.Sub(key.Demoted) > olderThan {
			gone = append(gone, key.ID)
			continue
		}
		keep = append(keep, key)
	}
	if len(gone) == 0 {
		return k, nil, nil
	}
	nk, err := build(keep, k.maxAge, k.now)
	if err != nil {
		return nil, nil, err
	}
	return nk, gone, nil
}

// Keys returns the keys, sorted by ID.
func (k *Keyring) Keys() []Key { return slices.Clone(k.keys) }

// Primary returns the key that seals; a zero Key for a Keyring that was
// not made by New, Parse or Load (which has none).
func (k *Keyring) Primary() Key {
	if k == nil || len(k.keys) == 0 {
		return Key{}
	}
	return k.keys[k.primary]
}

// Key returns the key with the given ID.
func (k *Keyring) Key(id string) (Key, bool) {
	i, ok := k.byID[id]
	if !ok {
		return Key{}, false
	}
	return k.keys[i], true
}

// Len returns the number of keys.
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.keys)
}

// WithMaxAge returns a keyring with the same keys whose Open refuses values
// sealed more than d ago (ErrExpired). 0 turns the age check off. The
// default is [DefaultMaxAge]. Ages are counted in whole seconds, as
// securecookie stamps them.
func (k *Keyring) WithMaxAge(d time.Duration) *Keyring {
	c := *k
	c.maxAge = d
	return &c
}

// MaxAge returns the age limit Open applies (0: none).
func (k *Keyring) MaxAge() time.Duration { return k.maxAge }

// WithClock returns a keyring with the same keys whose Open reads the
// current time from now (for the age check); nil means time.Now. Sealing
// always stamps values with the real time, as securecookie does.
func (k *Keyring) WithClock(now func() time.Time) *Keyring {
	c := *k
	c.now = now
	return &c
}

func (k *Keyring) clock() time.Time {
	if k.now != nil {
		return k.now()
	}
	return time.Now()
}

// String lists the keys' IDs and states, never secrets. String, GoString
// and Format have value receivers so that a dereferenced Keyring prints
// the same way.
func (k Keyring) String() string {
	var b strings.Builder
	b.WriteString("keyring[")
	for i, key := range k.keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(key.ID)
		b.WriteString(":")
		b.WriteString(string(key.State))
	}
	b.WriteString("]")
	return b.String()
}

// GoString is used by %#v; like String it shows no secret.
func (k Keyring) GoString() string { return "&keyring.Keyring{" + k.String() + "}" }

// Format implements fmt.Formatter: every verb prints String (or GoString
// for %#v), never secrets.
func (k Keyring) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, k.GoString())
		return
	}
	fmt.Fprint(f, k.String())
}

// LogValue implements slog.LogValuer: the primary's ID and every key's
// metadata, never secrets.
func (k *Keyring) LogValue() slog.Value {
	if k == nil || len(k.keys) == 0 {
		return slog.StringValue("keyring(empty)")
	}
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.ID
	}
	return slog.GroupValue(
		slog.String("primary", k.keys[k.primary].ID),
		slog.Any("keys", ids),
	)
}
