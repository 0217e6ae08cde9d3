package revocation

import (
	"context"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// ExportLive returns one event for every entry of the list alive at the
// store's now (each revoked session, user cut-off and global cut-off), as
// RepublishLive would queue them, pending or not. Applying them with Apply
// to an empty store recreates the list: this is how a replicator snapshots
// the list for instances that join later. Everything committed before the
// call is in the result.
func (s *Store) ExportLive(ctx context.Context) ([]Event, error) {
	evs, err := s.allLive(ctx)
	if err != nil {
		return nil, fmt.Errorf("revocation: export: %w", err)
	}
	return evs, nil
}

// allLive returns an event for every entry alive at the store's now.
func (s *Store) allLive(ctx context.Context) ([]Event, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.end()
	now := s.now()
	at := s.cfg.Now()
	var evs []Event
	err := s.db.View(func(txn *badger.Txn) error {
		return s.scan(txn, func(e entry) error {
			if e.exp > now {
				evs = append(evs, s.eventOf(e, at))
			}
			return nil
		}, nil)
	})
	return evs, err
}
