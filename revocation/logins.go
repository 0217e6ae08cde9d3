package revocation

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// The login registry: an opt-in list of the sessions users logged in
// with, for a "where you're signed in" page. It sits beside the revocation
// list in the same Badger store, under its own key prefix, and in memory
// per user. Nothing on the request path reads it.

// ErrRegistryOff is returned by AddLogin and RecordLogin when Config.LoginsPerUser is 0.
var ErrRegistryOff = errors.New("revocation: login registry off")

// MaxDeviceLen bounds Login.Device; AddLogin cuts longer ones.
const MaxDeviceLen = 128

// DefaultMaxLogins is Config.MaxLogins's default when the registry is on.
const DefaultMaxLogins = 1 << 20

// Login is one entry of the registry: a session a user logged in with.
// User must not be empty; Device is cut to MaxDeviceLen bytes.
type Login struct {
	Session [16]byte  // the session ID
	User    string    // the user ID
	Created time.Time // when the session was created
	Device  string    // a short description of the device
	Bound   bool      // the session is device bound (DBSC)
}

// loginKey is 'l' session(16) user: unique per session, and the user
// comes back with the key when the registry loads.
func loginKey(l *Login) []byte {
	k := make([]byte, 0, 1+16+len(l.User))
	k = append(k, prefixLogin)
	k = append(k, l.Session[:]...)
	return append(k, l.User...)
}

// Flags of a login entry's value.
const (
	loginBound      byte = 1 << 0     // Login.Bound
	loginKnownFlags      = loginBound // any other bit is invalid
)

// loginValue is created(8, Unix nanoseconds) flags(1) device.
func loginValue(l *Login) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(l.Device)), uint64(l.Created.UnixNano()))
	var flags byte
	if l.Bound {
		flags |= loginBound
	}
	v = append(v, flags)
	return append(v, l.Device...)
}

// decodeLogin decodes a login key and value; it copies both. A value too
// short or with an unknown flag is an error wrapping ErrInvalid.
func decodeLogin(key, val []byte) (Login, error) {
	if len(key) < 18 || len(val) < 9 {
		return Login{}, fmt.Errorf("%w: login entry of %d+%d bytes", ErrInvalid, len(key), len(val))
	}
	if flags := val[8]; flags&^loginKnownFlags != 0 {
		return Login{}, fmt.Errorf("%w: login entry with unknown flags %#x", ErrInvalid, flags)
	}
	return Login{
		Session: [16]byte(key[1:17]),
		User:    string(key[17:]),
		Created: time.Unix(0, int64(binary.BigEndian.Uint64(val))),
		Device:  string(val[9:]),
		Bound:   val[8]&loginBound != 0,
	}, nil
}

// loginSet is the registry in memory: each user's logins, oldest first.
type loginSet struct {
	mu      sync.Mutex
	perUser int // 0: the registry is off
	max     int
	byUser  map[string][]Login
	total   int
}

func newLoginSet(perUser, maxTotal int) *loginSet {
	if perUser <= 0 {
		return &loginSet{}
	}
	return &loginSet{perUser: perUser, max: maxTotal, byUser: make(map[string][]Login)}
}

// add inserts l (replacing an entry of the same session) and returns the
// entries it pushes out: the user's oldest beyond perUser, then the
// store's oldest beyond max.
func (x *loginSet) add(l Login) (dropped []Login) {
	x.mu.Lock()
	defer x.mu.Unlock()
	list := x.byUser[l.User]
	if i := slices.IndexFunc(list, func(o Login) bool { return o.Session == l.Session }); i >= 0 {
		list = slices.Delete(list, i, i+1)
		x.total--
	}
	i, _ := slices.BinarySearchFunc(list, l.Created, func(o Login, t time.Time) int { return o.Created.Compare(t) })
	list = slices.Insert(list, i, l)
	x.total++
	if n := len(list) - x.perUser; n > 0 {
		dropped = append(dropped, list[:n]...)
		list = slices.Delete(list, 0, n)
		x.total -= n
	}
	x.byUser[l.User] = list
	for x.total > x.max {
		dropped = append(dropped, x.dropOldest())
	}
	return dropped
}

// dropOldest removes the oldest entry of the store. It walks every user:
// only a store at its total bound pays for it.
func (x *loginSet) dropOldest() Login {
	var user string
	var oldest time.Time
	for u, list := range x.byUser {
		if user == "" || list[0].Created.Before(oldest) {
			user, oldest = u, list[0].Created
		}
	}
	list := x.byUser[user]
	l := list[0]
	x.removeAt(user, list, 0)
	return l
}

func (x *loginSet) removeAt(user string, list []Login, i int) {
	list = slices.Delete(list, i, i+1)
	x.total--
	if len(list) == 0 {
		delete(x.byUser, user)
		return
	}
	x.byUser[user] = list
}

// remove drops the entries keep refuses, across users if user is empty,
// and returns them.
func (x *loginSet) remove(user string, keep func(*Login) bool) (dropped []Login) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for u, list := range x.byUser {
		if user != "" && u != user {
			continue
		}
		for i := len(list) - 1; i >= 0; i-- {
			if !keep(&list[i]) {
				dropped = append(dropped, list[i])
				x.removeAt(u, list, i)
				list = x.byUser[u]
			}
		}
	}
	return dropped
}

// list returns a copy of user's entries, oldest first.
func (x *loginSet) list(user string) []Login {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.byUser[user])
}

// RecordLogin is AddLogin in the shape sessions.Registry asks for, so that
// a *Store is a sessions.Config.Registry without either package importing
// the other.
func (s *Store) RecordLogin(ctx context.Context, session [16]byte, user string, created time.Time, device string, bound bool) error {
	return s.AddLogin(ctx, Login{Session: session, User: user, Created: created, Device: device, Bound: bound})
}

// EachLogin calls fn with user's live registered sessions, newest first,
// until fn returns false: Logins in the shape sessions.Registry asks for.
func (s *Store) EachLogin(user string, fn func(session [16]byte, created time.Time, device string, bound bool) bool) {
	for _, l := range s.Logins(user) {
		if !fn(l.Session, l.Created, l.Device, l.Bound) {
			return
		}
	}
}

// AddLogin adds l to the login registry (replacing an entry of the same
// session), dropping the user's oldest beyond Config.LoginsPerUser and the
// store's oldest beyond Config.MaxLogins. The entry lives on disk until
// l.Created+AbsoluteLifetime. A login that is already revoked or expired
// is not recorded. With Config.Outbox, a KindLogin event goes to the
// outbox with it, in the same transaction, for replication to carry to
// the other instances' registries. It fails with ErrRegistryOff when the registry is off
// and with ErrInvalid for an empty user or a zero creation time; a Device
// longer than MaxDeviceLen is cut. It returns once the entry is synced.
func (s *Store) AddLogin(ctx context.Context, l Login) error {
	const op = "revocation: record login"
	if s.logins.perUser == 0 {
		return fmt.Errorf("%s: %w", op, ErrRegistryOff)
	}
	if l.User == "" || l.Created.IsZero() {
		return fmt.Errorf("%s: %w: empty user or creation time", op, ErrInvalid)
	}
	if len(l.Device) > MaxDeviceLen {
		l.Device = strings.ToValidUTF8(l.Device[:MaxDeviceLen], "")
	}
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer s.end()
	if !s.loginAlive(&l, s.now()) {
		return nil
	}
	if err := s.writeLogin(l); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Logins returns user's registered sessions that are still alive (not
// revoked, not past their absolute lifetime), newest first. It returns
// nil when the registry is off.
func (s *Store) Logins(user string) []Login {
	if s.logins.perUser == 0 {
		return nil
	}
	now := s.now()
	list := s.logins.list(user)
	out := make([]Login, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		if s.loginAlive(&list[i], now) {
			out = append(out, list[i])
		}
	}
	return out
}

// loginAlive reports whether l's session can still be alive at now.
func (s *Store) loginAlive(l *Login, now int64) bool {
	created := l.Created.UnixNano()
	if created+int64(s.cfg.AbsoluteLifetime) <= now {
		return false
	}
	return !s.index.revoked(&l.Session, l.User, created)
}

// dropRevokedLogins drops from memory and disk the logins that user and
// all entries just applied kill. The login of a revoked session stays
// until the next housekeeping run (finding it would need an index by
// session ID); Logins leaves it out meanwhile. Called with the store's
// write guard held.
func (s *Store) dropRevokedLogins(entries []entry) {
	if s.logins.perUser == 0 {
		return
	}
	for _, e := range entries {
		switch e.kind {
		case KindAll:
			s.pruneLogins("")
			return
		case KindUser:
			s.pruneLogins(string(e.key[1:]))
		}
	}
}

// pruneLogins drops the logins (of user, or of everyone if empty) that
// can no longer be alive, from memory and from disk. A failed delete is
// logged: Badger's TTL removes the entry in the end, and Logins filters
// it meanwhile.
func (s *Store) pruneLogins(user string) {
	now := s.now()
	dropped := s.logins.remove(user, func(l *Login) bool { return s.loginAlive(l, now) })
	if err := s.deleteLogins(dropped); err != nil {
		s.log.Warn("revocation: could not delete dropped logins; their TTL will", "err", err)
	}
}

// deleteLogins deletes the entries of ls from Badger.
func (s *Store) deleteLogins(ls []Login) error {
	if len(ls) == 0 {
		return nil
	}
	return s.update(func(txn *badger.Txn) error {
		for i := range ls {
			if err := txn.Delete(loginKey(&ls[i])); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadLogins reads the registry from Badger into memory; with the registry
// off it reads nothing. An entry that does not decode (a damaged directory,
// a build before the flags byte) is dropped with a warning rather than
// refusing the Open: the registry is informational, and nothing it holds
// decides whether a session is served.
func (s *Store) loadLogins() error {
	if s.logins.perUser == 0 {
		return nil
	}
	now := s.now()
	var dropped []Login
	var bad [][]byte
	err := s.eachLoginItem(func(item *badger.Item) error {
		val, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		l, err := decodeLogin(item.Key(), val)
		if err != nil {
			bad = append(bad, item.KeyCopy(nil))
			return nil
		}
		if s.loginAlive(&l, now) {
			dropped = append(dropped, s.logins.add(l)...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logins: %w", err)
	}
	if len(bad) > 0 {
		s.log.Warn("revocation: dropping login registry entries that do not decode", "entries", len(bad))
		if err := s.update(func(txn *badger.Txn) error {
			for _, k := range bad {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("logins: drop undecodable entries: %w", err)
		}
	}
	if len(dropped) > 0 {
		s.log.Warn("revocation: dropping login registry entries beyond LoginsPerUser or MaxLogins (lowered since they were recorded?)",
			"entries", len(dropped), "logins_per_user", s.logins.perUser, "max_logins", s.logins.max)
	}
	return s.deleteLogins(dropped)
}

// eachLoginItem calls fn with every login entry in Badger.
func (s *Store) eachLoginItem(fn func(*badger.Item) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixLogin}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := fn(it.Item()); err != nil {
				return err
			}
		}
		return nil
	})
}
