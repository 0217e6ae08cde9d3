package revocation

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Key layout in Badger. One-byte prefixes; values are big-endian.
const (
	prefixSession = 's' // 's' id(16) -> until(8); TTL until
	prefixUser    = 'u' // 'u' user -> at(8); TTL at+AbsoluteLifetime
	prefixAll     = 'a' // 'a' -> at(8); TTL at+AbsoluteLifetime
	prefixCursor  = 'c' // 'c' name -> value; no TTL
	prefixOutbox  = 'o' // 'o' seq(8) -> Event; no TTL
	prefixMeta    = 'm' // 'm' name -> value; no TTL
	prefixLogin   = 'l' // 'l' id(16) user -> created(8) flags(1) device; TTL created+AbsoluteLifetime
)

// entry is one key of the list, what an event does to it: the key set to
// at least val, kept until exp.
type entry struct {
	kind Kind
	key  []byte
	val  int64 // session: until; user/all: cut-off; Unix nanoseconds
	exp  int64 // when the entry may go, Unix nanoseconds
}

// entryOf returns the entry of an event that Clamp has settled.
func entryOf(ev *Event) entry {
	until, _ := nanos(ev.Until)
	switch ev.Kind {
	case KindSession:
		return entry{kind: KindSession, key: append([]byte{prefixSession}, ev.Session[:]...), val: until, exp: until}
	case KindUser:
		at, _ := nanos(ev.At)
		return entry{kind: KindUser, key: append([]byte{prefixUser}, ev.User...), val: at, exp: until}
	default:
		at, _ := nanos(ev.At)
		return entry{kind: KindAll, key: []byte{prefixAll}, val: at, exp: until}
	}
}

// writeEntry writes e in txn, keeping the larger value if the key exists.
func writeEntry(txn *badger.Txn, e entry) error {
	old, found, err := getValue(txn, e.key)
	if err != nil {
		return err
	}
	if found && len(old) == 8 && int64(binary.BigEndian.Uint64(old)) >= e.val {
		return nil
	}
	val := binary.BigEndian.AppendUint64(nil, uint64(e.val))
	// Badger's TTL has one-second granularity: round up, never drop early.
	expSec := (e.exp + int64(time.Second) - 1) / int64(time.Second)
	return txn.SetEntry(&badger.Entry{Key: e.key, Value: val, ExpiresAt: uint64(expSec)})
}

// getValue returns a copy of key's value in txn; found is false if the key
// is missing.
func getValue(txn *badger.Txn, key []byte) (_ []byte, found bool, _ error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err := item.ValueCopy(nil)
	return v, err == nil, err
}

// scan calls entryFn with every entry of the list in txn (session, user
// and all keys, decoded), expired ones included: Badger drops them by the
// real clock, the index by Config.Now. other, if not nil, gets every other
// item.
func (s *Store) scan(txn *badger.Txn, entryFn func(entry) error, other func(*badger.Item) error) error {
	return s.iterate(txn, keysOnly(), false, entryFn, other)
}

// scanOthers is scan without the session entries, which it skips with one
// seek: what a snapshot of the session index leaves to read.
func (s *Store) scanOthers(txn *badger.Txn, entryFn func(entry) error, other func(*badger.Item) error) error {
	return s.iterate(txn, keysOnly(), true, entryFn, other)
}

// scanSessionsSince calls entryFn with the session entries Badger wrote
// after version; Badger skips the tables that hold nothing newer.
func (s *Store) scanSessionsSince(txn *badger.Txn, version uint64, entryFn func(entry) error) error {
	opt := keysOnly()
	opt.Prefix = []byte{prefixSession}
	opt.SinceTs = version // Badger reads versions above SinceTs
	return s.iterate(txn, opt, false, entryFn, nil)
}

func keysOnly() badger.IteratorOptions {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	return opt
}

func (s *Store) iterate(txn *badger.Txn, opt badger.IteratorOptions, skipSessions bool, entryFn func(entry) error, other func(*badger.Item) error) error {
	it := txn.NewIterator(opt)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		key := item.Key()
		if len(key) == 0 {
			continue
		}
		if skipSessions && key[0] == prefixSession {
			if it.Seek([]byte{prefixSession + 1}); !it.Valid() {
				break
			}
			item, key = it.Item(), it.Item().Key()
		}
		if err := s.visit(item, key, entryFn, other); err != nil {
			return err
		}
	}
	return nil
}

// visit hands one item to entryFn (a list entry) or other (anything else).
func (s *Store) visit(item *badger.Item, key []byte, entryFn func(entry) error, other func(*badger.Item) error) error {
	switch key[0] {
	case prefixSession, prefixUser, prefixAll:
		e, err := s.decodeEntry(item)
		if err != nil {
			return err
		}
		return entryFn(e)
	default:
		if other != nil {
			return other(item)
		}
		return nil
	}
}

// decodeEntry decodes a session, user or all entry. Its key is Badger's:
// valid only until the iteration moves on.
func (s *Store) decodeEntry(item *badger.Item) (entry, error) {
	key := item.Key()
	var v int64
	err := item.Value(func(val []byte) error {
		if len(val) != 8 {
			return fmt.Errorf("entry %q: value of %d bytes, want 8", key, len(val))
		}
		v = int64(binary.BigEndian.Uint64(val))
		return nil
	})
	if err != nil {
		return entry{}, err
	}
	life := int64(s.cfg.AbsoluteLifetime)
	switch key[0] {
	case prefixSession:
		if len(key) != 17 {
			return entry{}, fmt.Errorf("session entry key of %d bytes, want 17", len(key))
		}
		return entry{kind: KindSession, key: key, val: v, exp: v}, nil
	case prefixUser:
		return entry{kind: KindUser, key: key, val: v, exp: v + life}, nil
	default:
		return entry{kind: KindAll, key: key, val: v, exp: v + life}, nil
	}
}
