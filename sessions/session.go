package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Session is one request's view of a user's session: its data, bound user,
// expiry and flash messages. Get one from [Manager.Session] inside
// [Manager.Handler], or from [Manager.Load].
//
// Reading (Get, Lookup, Has, Keys, Len, ...) marks the session accessed;
// writing (Set, Delete, Pop of a present key, Clear, SetExpiry, ...) marks
// it modified, as in Django. Only a modified session is saved, unless
// Config.SaveEveryRequest is set.
//
// A Session is meant for the goroutines of one request. Its methods lock a
// mutex, so it is safe to share between them, but the order of their
// changes is theirs to arrange.
type Session struct {
	m *Manager

	mu       sync.Mutex
	p        payload
	keyID    string     // key that sealed the incoming cookie
	origin   origin     // what the request brought (state.go)
	status   status     // what happened since load or the last commit (state.go)
	accessed bool       // read or changed during the request: Django's accessed
	sent     sentCookie // the Set-Cookie line commit last added to the response
	handled  bool       // a Handler of the Manager saves this session

	// dropRefused: every cookie of the name was refused, none because the
	// revocation list failed or the ID was revoked: a response that writes
	// no cookie deletes it.
	dropRefused bool
	// retire is an issued ID that a narrowing of the expiry replaced, to
	// revoke at commit (SetExpiry has no context to revoke it with).
	retire retired
	// offer: Login ran; the response offers DBSC registration (dbsc.go).
	offer bool
	// unbound: the request brought a device-bound session without a live
	// bound cookie (dbsc.go).
	unbound bool
	// rebind: the ID changed and the device key stayed (EndOtherSessions,
	// a narrowed expiry); the response carries a bound cookie for the new
	// ID if the request proved that key (dbsc.go).
	rebind bool
	// proved is the device key the request's live bound cookie proved, or
	// "" (dbsc.go).
	proved string
}

// retired is an ID to revoke at commit, and until when.
type retired struct {
	id    [16]byte
	until time.Time
	set   bool
}

// ID returns the session ID in hexadecimal. It changes on Flush, CycleID,
// Login and Logout.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return hex.EncodeToString(s.p.id[:])
}

// Created returns when the session was created, or last bound to a user by
// Login. The absolute lifetime counts from it.
func (s *Session) Created() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(0, s.p.created)
}

// KeyID returns the ID of the key that sealed the incoming cookie, or ""
// for a new session.
func (s *Session) KeyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyID
}

// IsNew reports whether the request brought no valid session cookie (none,
// or every one was refused), so the session started empty. It does not
// change during the request.
func (s *Session) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.origin.loaded()
}

// Modified reports whether the session was changed during this request.
func (s *Session) Modified() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.modified()
}

// Accessed reports whether the session was read or changed during this
// request. The middleware then adds "Vary: Cookie" to the response.
func (s *Session) Accessed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessed
}

// MarkModified marks the session modified, so it is saved: Django's
// session.modified = True. Values are encoded when set, so a value changed
// in place after Set (a map or slice it held) is not in the session: Set
// it again. MarkModified is for the rest, such as sliding the idle expiry
// on this response without SaveEveryRequest.
func (s *Session) MarkModified() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.markChanged()
}

// find returns the index of key, or where it would be inserted.
func (s *Session) find(key string) (int, bool) {
	return sort.Find(len(s.p.entries), func(i int) int { return strings.Compare(key, s.p.entries[i].key) })
}

// lookup returns a copy of key's entry and marks the session accessed.
func (s *Session) lookup(key string) (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	i, ok := s.find(key)
	if !ok {
		return entry{}, false
	}
	return s.p.entries[i], true
}

// put stores an encoded value. Callers hold s.mu.
func (s *Session) put(key string, tag byte, raw string) {
	i, ok := s.find(key)
	if ok {
		s.p.entries[i] = entry{key: key, tag: tag, raw: raw}
	} else {
		s.p.entries = slices.Insert(s.p.entries, i, entry{key: key, tag: tag, raw: raw})
	}
	s.markChanged()
}

// markChanged marks the session accessed and changed, keeping its ID.
// Callers hold s.mu.
func (s *Session) markChanged() {
	s.accessed = true
	s.status = s.status.withChange()
}

// Set stores value under key. The value is encoded now: strings, bools,
// every integer and float type, []byte and time.Time in a compact binary
// form that Get returns with the same type; anything else as JSON, whose
// encoding error is returned here (the session is then unchanged).
func (s *Session) Set(key string, value any) error {
	tag, raw, err := encodeValue(value)
	if err != nil {
		return fmt.Errorf("sessions: set %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(key, tag, raw)
	return nil
}

// Update sets every key of values, or none of them if one can't be encoded.
func (s *Session) Update(values map[string]any) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	enc := make([]entry, len(keys))
	for i, k := range keys {
		tag, raw, err := encodeValue(values[k])
		if err != nil {
			return fmt.Errorf("sessions: update %q: %w", k, err)
		}
		enc[i] = entry{key: k, tag: tag, raw: raw}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	for _, e := range enc {
		s.put(e.key, e.tag, e.raw)
	}
	return nil
}

// Lookup returns the value under key as a T, and whether it is present and
// is (or converts losslessly to) a T. Integers convert between integer
// types when the value fits, and to float64 when exact; values stored as
// JSON decode into T with encoding/json; T = any gives the stored type.
func Lookup[T any](s *Session, key string) (T, bool) {
	e, ok := s.lookup(key)
	if !ok {
		var zero T
		return zero, false
	}
	return decodeAs[T](&e)
}

// Get returns the value under key as a T, or def if it is absent or is not
// a T (see [Lookup] for the conversions). Django: session.get(key, default).
func Get[T any](s *Session, key string, def T) T {
	if v, ok := Lookup[T](s, key); ok {
		return v
	}
	return def
}

// Pop removes key and returns its value as a T, or def if it was absent or
// not a T. Removing a present key marks the session modified.
func Pop[T any](s *Session, key string, def T) T {
	s.mu.Lock()
	s.accessed = true
	i, ok := s.find(key)
	var e entry
	if ok {
		e = s.p.entries[i]
		s.p.entries = slices.Delete(s.p.entries, i, i+1)
		s.markChanged()
	}
	s.mu.Unlock()
	if !ok {
		return def
	}
	if v, ok := decodeAs[T](&e); ok {
		return v
	}
	return def
}

// SetDefault returns the value under key if present; otherwise it stores
// def and returns it. A present value that is not a T gives def and an
// error matching ErrTypeMismatch, and leaves the session unchanged.
func SetDefault[T any](s *Session, key string, def T) (T, error) {
	tag, raw, encErr := encodeValue(def)
	s.mu.Lock()
	s.accessed = true
	i, ok := s.find(key)
	if !ok {
		if encErr != nil {
			s.mu.Unlock()
			return def, fmt.Errorf("sessions: setdefault %q: %w", key, encErr)
		}
		s.put(key, tag, raw)
		s.mu.Unlock()
		return def, nil
	}
	e := s.p.entries[i]
	s.mu.Unlock()
	if v, ok := decodeAs[T](&e); ok {
		return v, nil
	}
	return def, fmt.Errorf("sessions: setdefault %q: %w", key, ErrTypeMismatch)
}

// Delete removes key. Removing a present key marks the session modified.
func (s *Session) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	if i, ok := s.find(key); ok {
		s.p.entries = slices.Delete(s.p.entries, i, i+1)
		s.markChanged()
	}
}

// Has reports whether key is present. Django: key in session.
func (s *Session) Has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	_, ok := s.find(key)
	return ok
}

// Keys returns the keys, sorted.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	keys := make([]string, len(s.p.entries))
	for i, e := range s.p.entries {
		keys[i] = e.key
	}
	return keys
}

// Values returns the values in key order, each with the type it was set
// with (JSON-stored values as decoded by encoding/json into an any).
func (s *Session) Values() []any {
	entries := s.snapshot()
	vals := make([]any, len(entries))
	for i := range entries {
		vals[i], _ = entries[i].natural()
	}
	return vals
}

// Items returns a copy of the data as a map (values as in Values).
func (s *Session) Items() map[string]any {
	entries := s.snapshot()
	items := make(map[string]any, len(entries))
	for i := range entries {
		items[entries[i].key], _ = entries[i].natural()
	}
	return items
}

// snapshot returns a copy of the entries, to decode outside the lock, and
// marks the session accessed.
func (s *Session) snapshot() []entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	return slices.Clone(s.p.entries)
}

// Len returns the number of keys.
func (s *Session) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	return len(s.p.entries)
}

// Clear removes every key and pending flash message. It keeps the session
// ID and the bound user: use Logout or Flush to end the session.
func (s *Session) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.entries = nil
	s.p.flashes = nil
	s.markChanged()
}

// AddFlash queues a message for the next Flashes call, which may be in a
// later request.
func (s *Session) AddFlash(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.flashes = append(s.p.flashes, msg)
	s.markChanged()
}

// Flashes returns the queued flash messages and removes them: each message
// is returned by exactly one call.
func (s *Session) Flashes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	f := s.p.flashes
	if len(f) > 0 {
		s.p.flashes = nil
		s.markChanged()
	}
	return f
}

// UserID returns the user bound by Login, or "" for an anonymous session.
func (s *Session) UserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	return s.p.userID
}

// Flush deletes the session's data and user, revokes its ID on the server
// and starts a new, empty session with a new ID. If nothing is stored
// afterwards, the response deletes the cookie. Django: session.flush().
//
// The session is flushed in any case; an error means the old ID could not
// be recorded as revoked, so a copy of the old cookie may still open:
// respond with an error status (which saves nothing, leaving the old cookie
// in place) or retry.
func (s *Session) Flush(ctx context.Context) error {
	return s.replaceID(ctx, "flush", func() {
		s.p = payload{created: s.m.stamp()}
		s.status = statusFlushed
	})
}

// Logout ends the session, as Flush does.
func (s *Session) Logout(ctx context.Context) error {
	return s.Flush(ctx)
}

// CycleID gives the session a new ID, keeps its data and user, and revokes
// the old ID on the server, so a cookie captured before stops opening. It
// ends a device binding (DBSC), as Login, Flush and Logout do.
// Django: session.cycle_key(), the defence against session fixation. Login
// calls it. An error is as for Flush; the ID has changed in any case.
func (s *Session) CycleID(ctx context.Context) error {
	return s.replaceID(ctx, "cycle", func() { s.status = s.status.withNewID() })
}

// Login binds userID to the session with a new ID and a new creation time,
// revoking the old ID. If another user was bound, the data is flushed
// first, as Django's login does. A "log out everywhere" (Manager.RevokeUser)
// made before Login on this Manager does not affect the new session. An
// error is as for Flush; the user is bound in any case.
func (s *Session) Login(ctx context.Context, userID string) error {
	if userID == "" {
		return fmt.Errorf("sessions: login: %w", ErrEmptyUserID)
	}
	return s.replaceID(ctx, "login", func() {
		if s.p.userID != "" && s.p.userID != userID {
			s.p = payload{}
			s.status = statusFlushed
		} else {
			s.status = s.status.withNewID()
		}
		s.p.userID = userID
		s.p.created = s.m.stamp()
		s.offer = true
	})
}

// replaceID runs change under the lock, gives the session a new random ID
// and revokes the old one, if a cookie carried it, as op.
func (s *Session) replaceID(ctx context.Context, op string, change func()) error {
	s.mu.Lock()
	old, until, issued := s.p.id, s.m.revokeUntil(&s.p), s.status.issued()
	change()
	s.p.device = "" // a new ID ends a device binding (DBSC)
	rand.Read(s.p.id[:])
	s.accessed = true
	s.mu.Unlock()
	return s.m.revokeID(ctx, op, old, until, issued)
}

// empty reports whether there is nothing worth a cookie. Callers hold s.mu.
func (s *Session) empty() bool {
	return len(s.p.entries) == 0 && len(s.p.flashes) == 0 && s.p.userID == ""
}
