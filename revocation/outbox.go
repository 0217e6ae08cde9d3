package revocation

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// outbox mirrors the outbox records in Badger: which local events wait for
// a replicator to publish them.
type outbox struct {
	mu      sync.Mutex
	pending map[[16]byte]uint64 // event ID -> outbox sequence
	seq     uint64              // the highest sequence used
	ready   chan struct{}       // capacity 1; see Store.OutboxReady
}

func newOutbox() outbox {
	return outbox{pending: make(map[[16]byte]uint64), ready: make(chan struct{}, 1)}
}

func outboxKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixOutbox}, seq)
}

// loadRecord learns of an outbox record while the store loads; it ignores
// items of other kinds.
func (o *outbox) loadRecord(item *badger.Item) error {
	key := item.Key()
	if key[0] != prefixOutbox {
		return nil
	}
	if len(key) != 9 {
		return fmt.Errorf("outbox key of %d bytes, want 9", len(key))
	}
	seq := binary.BigEndian.Uint64(key[1:])
	var ev Event
	if err := item.Value(ev.UnmarshalBinary); err != nil {
		return fmt.Errorf("outbox record %d: %w", seq, err)
	}
	o.pending[ev.ID] = seq
	o.seq = max(o.seq, seq)
	return nil
}

// nextSeq returns an outbox sequence number above every earlier one, taken
// from the real clock so it keeps rising across restarts.
func (o *outbox) nextSeq() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq = max(o.seq+1, uint64(time.Now().UnixNano()))
	return o.seq
}

// add records a committed outbox record and wakes the replicator.
func (o *outbox) add(id [16]byte, seq uint64) {
	o.mu.Lock()
	o.pending[id] = seq
	o.mu.Unlock()
	o.signal()
}

func (o *outbox) signal() {
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// signalIfPending wakes the replicator if records are pending (after Open).
func (o *outbox) signalIfPending() {
	if o.depth() > 0 {
		o.signal()
	}
}

func (o *outbox) depth() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// oldest returns when the oldest pending record was queued (outbox
// sequences are real-clock Unix nanoseconds), zero if none.
func (o *outbox) oldest() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	var low uint64
	for _, seq := range o.pending {
		if low == 0 || seq < low {
			low = seq
		}
	}
	if low == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(low))
}

// lookup returns the sequences of the pending events among ids.
func (o *outbox) lookup(ids [][16]byte) map[[16]byte]uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	seqs := make(map[[16]byte]uint64, len(ids))
	for _, id := range ids {
		if seq, ok := o.pending[id]; ok {
			seqs[id] = seq
		}
	}
	return seqs
}

func (o *outbox) remove(ids [][16]byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, id := range ids {
		delete(o.pending, id)
	}
}

// Outbox returns up to max pending local events, oldest first (max <= 0
// means 100). A record stays until AckOutbox removes it.
func (s *Store) Outbox(ctx context.Context, max int) ([]Event, error) {
	if err := s.begin(ctx); err != nil {
		return nil, fmt.Errorf("revocation: outbox: %w", err)
	}
	defer s.end()
	if max <= 0 {
		max = 100
	}
	var evs []Event
	err := s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixOutbox}
		opt.PrefetchValues = false
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid() && len(evs) < max; it.Next() {
			var ev Event
			if err := it.Item().Value(ev.UnmarshalBinary); err != nil {
				return fmt.Errorf("record %x: %w", it.Item().Key(), err)
			}
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("revocation: outbox: %w", err)
	}
	return evs, nil
}

// AckOutbox removes the outbox records of the events with these IDs, once
// they are published. Unknown IDs are ignored.
func (s *Store) AckOutbox(ctx context.Context, ids ...[16]byte) error {
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("revocation: ack outbox: %w", err)
	}
	defer s.end()
	seqs := s.out.lookup(ids)
	pending := make([][16]byte, 0, len(seqs))
	for id := range seqs {
		pending = append(pending, id)
	}
	const chunk = 1000 // deletions a transaction, far below Badger's limit
	for len(pending) > 0 {
		part := pending[:min(chunk, len(pending))]
		pending = pending[len(part):]
		err := s.update(func(txn *badger.Txn) error {
			for _, id := range part {
				if err := txn.Delete(outboxKey(seqs[id])); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("revocation: ack outbox: %w", err)
		}
		s.out.remove(part)
	}
	return nil
}

// OutboxReady receives (non-blocking, capacity 1) whenever an outbox record
// is added, and once after Open if records are pending.
func (s *Store) OutboxReady() <-chan struct{} { return s.out.ready }
