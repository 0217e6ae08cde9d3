package revocation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// housekeeping runs RunGC in the background every Config.GCInterval.
type housekeeping struct {
	stop chan struct{}
	done chan struct{} // closed when the background run has stopped
	mu   sync.Mutex    // one RunGC at a time
	last atomic.Int64  // when RunGC last completed, Unix nanoseconds
}

func newHousekeeping() housekeeping {
	return housekeeping{stop: make(chan struct{}), done: make(chan struct{})}
}

// start starts the background run; every <= 0 means none.
func (h *housekeeping) start(s *Store, every time.Duration) {
	if every <= 0 {
		close(h.done)
		return
	}
	go h.loop(s, every)
}

func (h *housekeeping) loop(s *Store, every time.Duration) {
	defer close(h.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			if err := s.RunGC(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn("revocation housekeeping failed", "err", err)
			}
			if err := s.saveSnapshot(); err != nil {
				s.log.Warn("revocation: index snapshot not written", "err", err)
			}
		}
	}
}

func (h *housekeeping) stopAndWait() {
	close(h.stop)
	<-h.done
}

// RunGC runs housekeeping now: drops entries expired by Config.Now from
// the index and runs Badger's value-log GC (Badger drops expired entries on
// disk by itself, by the real clock, during compaction). It runs in the
// background every Config.GCInterval.
func (s *Store) RunGC(ctx context.Context) error {
	if err := s.begin(ctx); err != nil {
		return fmt.Errorf("revocation: gc: %w", err)
	}
	defer s.end()
	s.gc.mu.Lock()
	defer s.gc.mu.Unlock()
	now := s.now()
	s.index.sweep(now, int64(s.cfg.AbsoluteLifetime))
	if s.logins.perUser > 0 {
		s.pruneLogins("")
	}
	for ctx.Err() == nil {
		err := s.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			break
		}
		if err != nil {
			return fmt.Errorf("revocation: gc: %w", err)
		}
	}
	s.gc.last.Store(now)
	return ctx.Err()
}
