package revocation

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// RepublishLive queues in the outbox one event for every live entry of the
// list (each revoked session, user cut-off and global cut-off that can
// still match a live cookie), whichever instance made it: after the
// replication stream was lost, this is how the entries reach the
// instances that never saw them. It writes batch records a transaction
// (batch <= 0 means 500) and waits every between transactions, so that the
// publisher drains them at a bounded rate and local revocations made
// meanwhile don't wait behind all of them. It returns how many it queued.
//
// Each event's ID is derived from its entry, so calling it again while
// they are still pending queues nothing new, and instances republishing
// the same entry publish the same message ID (the stream deduplicates
// it). Applying them changes nothing where the entries exist already. The
// store must have been opened with Config.Outbox.
func (s *Store) RepublishLive(ctx context.Context, batch int, every time.Duration) (int, error) {
	if !s.cfg.Outbox {
		return 0, fmt.Errorf("revocation: republish: %w: the store was opened without Config.Outbox", ErrInvalid)
	}
	if batch <= 0 {
		batch = 500
	}
	evs, err := s.liveEvents(ctx)
	if err != nil {
		return 0, fmt.Errorf("revocation: republish: %w", err)
	}
	queued := 0
	for len(evs) > 0 {
		part := evs[:min(batch, len(evs))]
		evs = evs[len(part):]
		n, err := s.enqueue(ctx, part)
		queued += n
		if err != nil {
			return queued, fmt.Errorf("revocation: republish: %w", err)
		}
		if len(evs) > 0 && every > 0 {
			t := time.NewTimer(every)
			select {
			case <-ctx.Done():
				t.Stop()
				return queued, fmt.Errorf("revocation: republish: %w", ctx.Err())
			case <-t.C:
			}
		}
	}
	return queued, nil
}

// liveEvents returns an event for every entry alive at the store's now
// whose event is not already pending in the outbox.
func (s *Store) liveEvents(ctx context.Context) ([]Event, error) {
	evs, err := s.allLive(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([][16]byte, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	pending := s.out.lookup(ids)
	fresh := evs[:0]
	for _, ev := range evs {
		if _, ok := pending[ev.ID]; !ok {
			fresh = append(fresh, ev)
		}
	}
	return fresh, nil
}

// eventOf returns the event that recreates entry e, made at now, with an
// ID derived from the entry (its key and value).
func (s *Store) eventOf(e entry, now time.Time) Event {
	ev := Event{Kind: e.kind, At: fromNanos(e.val), Origin: s.cfg.Node}
	switch e.kind {
	case KindSession:
		copy(ev.Session[:], e.key[1:])
		ev.At, ev.Until = now, fromNanos(e.val)
	case KindUser:
		ev.User = string(e.key[1:])
	}
	h := sha256.New()
	h.Write([]byte("sealed/revocation/v1 republish\x00"))
	h.Write(e.key)
	h.Write(fromNanos(e.val).AppendFormat(nil, time.RFC3339Nano))
	copy(ev.ID[:], h.Sum(nil))
	return ev
}

// enqueue writes outbox records for evs in one synced transaction and
// tells the outbox map; it returns how many it wrote.
func (s *Store) enqueue(ctx context.Context, evs []Event) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	defer s.end()
	recs := make([][]byte, len(evs))
	seqs := make([]uint64, len(evs))
	for i, ev := range evs {
		rec, err := ev.MarshalBinary()
		if err != nil {
			return 0, err
		}
		recs[i], seqs[i] = rec, s.out.nextSeq()
	}
	err := s.update(func(txn *badger.Txn) error {
		for i := range recs {
			if err := txn.Set(outboxKey(seqs[i]), recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for i, ev := range evs {
		s.out.add(ev.ID, seqs[i])
	}
	return len(evs), nil
}
