package natsrepl

import (
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Republishing after a stream loss: the store queues its live entries in
// the outbox at most republishBatch every republishEvery (10,000 a
// second), and the publisher drains them with the local events.
const (
	republishBatch = 500
	republishEvery = 50 * time.Millisecond
)

// purgeMargin: a stream whose last message is younger than MaxAge minus
// this and that holds no message was purged (or its messages deleted); its
// messages did not age out.
const purgeMargin = time.Minute

// requestRepublish asks the republish loop to queue the store's live
// entries; requests made while one runs are folded into one more run.
func (r *Replicator) requestRepublish() {
	select {
	case r.republishCh <- struct{}{}:
	default:
	}
}

// republishLoop runs RepublishLive whenever the consume loop found the
// stream lost (deleted, recreated, purged or truncated), so that instances
// that never saw the lost events, or come new, converge from the new
// stream.
func (r *Replicator) republishLoop() {
	defer r.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.republishCh:
		}
		start := time.Now()
		n, err := r.store.RepublishLive(r.ctx, republishBatch, republishEvery)
		r.republished.Add(uint64(n))
		switch {
		case r.ctx.Err() != nil:
			return
		case err != nil:
			r.log.Error("natsrepl: re-publishing the live entries after a stream loss failed", "queued", n, "err", err)
		default:
			r.log.Info("natsrepl: queued the live entries for re-publishing after a stream loss", "events", n, "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

// purged reports whether info shows a stream emptied before its messages
// could age out (a purge, or every message deleted by hand), judged by the
// server's clock.
func (cfg *Config) purged(info *jetstream.StreamInfo) bool {
	st := info.State
	if st.Msgs != 0 || st.LastSeq == 0 || st.LastTime.IsZero() {
		return false
	}
	now := info.TimeStamp
	if now.IsZero() {
		now = cfg.Now()
	}
	return now.Sub(st.LastTime) < cfg.MaxAge-purgeMargin
}

// errPurged restarts the consumer so that reconcile handles the purge.
var errPurged = errors.New("stream was purged")
