package revocation

import (
	"context"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Cursor is a replication consumer's position, stored with Apply.
type Cursor struct {
	Name  string // which consumer; empty means don't store a cursor
	Value []byte // opaque to the Store
}

func cursorKey(name string) []byte { return append([]byte{prefixCursor}, name...) }

// Apply applies events from another instance and stores cur, in one synced
// transaction, so a crash loses or keeps both together. Applying is
// idempotent and order-insensitive (session entries keep the latest until,
// user and all entries the latest cut-off). Apply writes no outbox
// records. A malformed event is logged and skipped, so one bad message
// can't stop replication. A batch too big for one Badger transaction is
// split; the cursor goes with the last part.
//
// KindLogin events are recorded in the login registry, as AddLogin does,
// before the revocations and the cursor (a crash in between applies them
// again); with the registry off they are skipped, not an error.
func (s *Store) Apply(ctx context.Context, events []Event, cur Cursor) error {
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("revocation: apply: %w", err)
	}
	defer s.end()
	entries, logins := s.entriesOf(events)
	if err := s.applyLogins(logins); err != nil {
		return fmt.Errorf("revocation: apply: logins: %w", err)
	}
	if err := s.applyEntries(entries, cur); err != nil {
		return fmt.Errorf("revocation: apply: %w", err)
	}
	return nil
}

// entriesOf works out the entries of remote events, and the logins of
// KindLogin events, skipping (and logging) malformed ones and those that
// change nothing.
func (s *Store) entriesOf(events []Event) ([]entry, []Login) {
	now := s.cfg.Now()
	entries := make([]entry, 0, len(events))
	var logins []Login
	for _, ev := range events {
		err := ev.validate()
		live := false
		if err == nil {
			ev, live, err = s.clamp(ev, now)
		}
		if err != nil {
			s.log.Warn("skipping a malformed replicated event", "event", fmt.Sprintf("%x", ev.ID), "origin", ev.Origin, "err", err)
			continue
		}
		switch {
		case !live:
		case ev.Kind == KindLogin:
			logins = append(logins, loginOf(&ev))
		default:
			entries = append(entries, entryOf(&ev))
		}
	}
	return entries, logins
}

// clamp applies Event.Clamp with the store's lifetime and skew, and warns
// when it lowers a future cut-off.
func (s *Store) clamp(ev Event, now time.Time) (Event, bool, error) {
	c, live, err := ev.Clamp(now, s.cfg.AbsoluteLifetime, s.cfg.MaxClockSkew)
	if err == nil && !c.At.Equal(ev.At) {
		s.log.Warn("revocation: lowered a cut-off in the future to now plus the allowed clock skew",
			"kind", ev.Kind.String(), "origin", ev.Origin, "cut_off", ev.At, "lowered_to", c.At, "max_clock_skew", s.cfg.MaxClockSkew)
	}
	return c, live, err
}

func (s *Store) applyEntries(entries []entry, cur Cursor) error {
	err := s.update(func(txn *badger.Txn) error {
		for _, e := range entries {
			if err := writeEntry(txn, e); err != nil {
				return err
			}
		}
		if cur.Name != "" {
			return txn.Set(cursorKey(cur.Name), append([]byte(nil), cur.Value...))
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) && len(entries) > 1 {
		// Applying is idempotent: a crash between the halves replays both.
		half := len(entries) / 2
		if err := s.applyEntries(entries[:half], Cursor{}); err != nil {
			return err
		}
		return s.applyEntries(entries[half:], cur)
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		s.index.apply(e)
	}
	s.dropRevokedLogins(entries)
	return nil
}

// Cursor returns the value stored by Apply under name, or nil, nil if none.
func (s *Store) Cursor(name string) ([]byte, error) {
	if err := s.begin(context.Background()); err != nil {
		return nil, fmt.Errorf("revocation: cursor: %w", err)
	}
	defer s.end()
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		v, _, err = getValue(txn, cursorKey(name))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("revocation: cursor %q: %w", name, err)
	}
	return v, nil
}
