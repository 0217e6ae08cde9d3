package revocation

import (
	"context"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// The write path of a local revocation: RevokeSession, RevokeUser and
// RevokeAll make an event; local guards it against Close; commitLocal
// works out its entry and writes the entry and (with Config.Outbox) its
// outbox record in one synced Badger transaction; then the index and the
// outbox map learn of it.

// RevokeSession records that session id is dead until until, when the
// session expires anyway. An until in the past is a no-op; one beyond
// now+AbsoluteLifetime is clamped to it; zero means now+AbsoluteLifetime.
// It returns once the entry is synced to disk.
func (s *Store) RevokeSession(ctx context.Context, id [16]byte, until time.Time) error {
	return s.local(ctx, Event{Kind: KindSession, Session: id, Until: until})
}

// RevokeUser kills every session of userID created at or before at. A
// later call with an earlier at changes nothing (the latest cut-off wins).
// The entry lives until at+AbsoluteLifetime.
func (s *Store) RevokeUser(ctx context.Context, userID string, at time.Time) error {
	if userID == "" {
		return fmt.Errorf("revocation: revoke user: %w: empty user ID", ErrInvalid)
	}
	return s.local(ctx, Event{Kind: KindUser, User: userID, At: at})
}

// RevokeAll kills every session created at or before at.
func (s *Store) RevokeAll(ctx context.Context, at time.Time) error {
	return s.local(ctx, Event{Kind: KindAll, At: at})
}

// local records a local revocation under the Close guard.
func (s *Store) local(ctx context.Context, ev Event) error {
	op := "revocation: revoke " + ev.Kind.String()
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer s.end()
	if err := s.commitLocal(ev); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// commitLocal completes ev (times by Clamp, then ID and origin) and writes
// it. An event that changes nothing (its entry would already have expired)
// writes nothing.
func (s *Store) commitLocal(ev Event) error {
	now := s.cfg.Now()
	if ev.Kind == KindSession {
		ev.At = now
	}
	ev, live, err := s.clamp(ev, now)
	if err != nil || !live {
		return err // !live: nothing it could match is alive
	}
	if ev, err = ev.made(s.cfg.Node); err != nil {
		return err
	}
	return s.write(ev, entryOf(&ev))
}

// write writes e, and with Config.Outbox ev's outbox record, in one synced
// transaction, then updates the index and the outbox map.
func (s *Store) write(ev Event, e entry) error {
	var rec []byte
	var seq uint64
	if s.cfg.Outbox {
		var err error
		if rec, err = ev.MarshalBinary(); err != nil {
			return err
		}
		seq = s.out.nextSeq()
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := writeEntry(txn, e); err != nil {
			return err
		}
		if rec != nil {
			return txn.Set(outboxKey(seq), rec)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.index.apply(e)
	s.dropRevokedLogins([]entry{e})
	if rec != nil {
		s.out.add(ev.ID, seq)
	}
	return nil
}
