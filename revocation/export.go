package revocation

import (
	"context"
	"crypto/sha256"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// ExportLive returns one event for every entry of the list alive at the
// store's now (each revoked session, user cut-off and global cut-off) and,
// with the login registry on, one KindLogin event for every login that can
// still be alive, as RepublishLive would queue them, pending or not.
// Applying them with Apply to an empty store recreates the list (and the
// registry, if it is on there): this is how a replicator snapshots
// the list for instances that join later. Everything committed before the
// call is in the result. EachLive does the same without holding the whole
// list in memory (an Event is about 120 bytes).
func (s *Store) ExportLive(ctx context.Context) ([]Event, error) {
	evs, err := s.allLive(ctx)
	if err != nil {
		return nil, fmt.Errorf("revocation: export: %w", err)
	}
	return evs, nil
}

// EachLive calls fn with the events ExportLive would return, one at a
// time, from one consistent read of the store; it stops at the first error
// fn returns and returns it, wrapped. fn must not write to the store, and
// Close waits until EachLive returns.
func (s *Store) EachLive(ctx context.Context, fn func(Event) error) error {
	if err := s.eachLive(ctx, fn); err != nil {
		return fmt.Errorf("revocation: export: %w", err)
	}
	return nil
}

// allLive returns an event for every entry alive at the store's now.
func (s *Store) allLive(ctx context.Context) ([]Event, error) {
	var evs []Event
	err := s.eachLive(ctx, func(ev Event) error {
		evs = append(evs, ev)
		return nil
	})
	return evs, err
}

// eachLive calls fn with an event for every entry alive at the store's
// now.
func (s *Store) eachLive(ctx context.Context, fn func(Event) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.end()
	now := s.now()
	at := s.cfg.Now()
	var logins func(*badger.Item) error
	if s.logins.perUser > 0 {
		logins = func(item *badger.Item) error {
			if item.Key()[0] != prefixLogin {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			ev, ok, err := s.loginEventOf(item, now)
			if err != nil || !ok {
				return err
			}
			return fn(ev)
		}
	}
	return s.db.View(func(txn *badger.Txn) error {
		return s.scan(txn, func(e entry) error {
			if e.exp <= now {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(s.eventOf(e, at))
		}, logins)
	})
}

// loginEventOf returns the KindLogin event that recreates the login entry
// of item, with an ID derived from the entry, or false for an entry that
// does not decode (Open drops those) or whose session can no longer be
// alive.
func (s *Store) loginEventOf(item *badger.Item, now int64) (Event, bool, error) {
	val, err := item.ValueCopy(nil)
	if err != nil {
		return Event{}, false, err
	}
	l, err := decodeLogin(item.Key(), val)
	if err != nil || !s.loginAlive(&l, now) {
		return Event{}, false, nil
	}
	ev := loginEvent(&l)
	ev.Origin = s.cfg.Node
	h := sha256.New()
	h.Write([]byte("sealed/revocation/v1 republish login\x00"))
	h.Write(item.Key())
	h.Write(val)
	copy(ev.ID[:], h.Sum(nil))
	return ev, true, nil
}
