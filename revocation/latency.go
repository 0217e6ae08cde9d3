package revocation

import (
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds of the buckets a [Latencies] counts
// into: from 100µs (a synced write on a fast disk) to a minute (an event
// that waited for a partition to heal).
var LatencyBounds = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second,
	10 * time.Second, 30 * time.Second, time.Minute,
}

// Latencies counts durations into the buckets of [LatencyBounds], for
// metrics. Observe takes no lock and allocates nothing. The zero value is
// ready to use; safe for concurrent use.
type Latencies struct {
	buckets [len(LatencyBounds) + 1]atomic.Uint64 // the last one: past every bound
	sum     atomic.Int64                          // nanoseconds
}

// Observe counts d (a negative d counts as zero).
func (l *Latencies) Observe(d time.Duration) {
	d = max(d, 0)
	i := 0
	for i < len(LatencyBounds) && d > LatencyBounds[i] {
		i++
	}
	l.buckets[i].Add(1)
	l.sum.Add(int64(d))
}

// Snapshot returns the counts so far.
func (l *Latencies) Snapshot() LatencySnapshot {
	s := LatencySnapshot{Bounds: LatencyBounds[:], Cumulative: make([]uint64, len(LatencyBounds))}
	for i := range LatencyBounds {
		s.Count += l.buckets[i].Load()
		s.Cumulative[i] = s.Count
	}
	s.Count += l.buckets[len(LatencyBounds)].Load()
	s.Sum = time.Duration(l.sum.Load())
	return s
}

// LatencySnapshot is a histogram of durations, in the form Prometheus and
// OpenTelemetry take.
type LatencySnapshot struct {
	Bounds     []time.Duration // upper bound of each bucket: LatencyBounds
	Cumulative []uint64        // Cumulative[i]: durations at most Bounds[i]
	Count      uint64          // every duration observed
	Sum        time.Duration   // their sum
}

// WriteStats counts the store's synced Badger transactions: local
// revocations, replicated events applied, outbox records acknowledged.
type WriteStats struct {
	Writes      uint64          // transactions committed or failed
	WriteErrors uint64          // transactions that failed (conflicts retried in vain included)
	Latency     LatencySnapshot // time to commit, fsync included, retries included
}

// writeStats is the Store's side of WriteStats.
type writeStats struct {
	writes, errors atomic.Uint64
	latency        Latencies
}

// done counts one write that began at start and ended with *err; it is
// deferred, hence the pointer.
func (w *writeStats) done(start time.Time, err *error) {
	w.writes.Add(1)
	if *err != nil {
		w.errors.Add(1)
	}
	w.latency.Observe(time.Since(start))
}

// WriteStats returns the counts of the store's writes since Open.
func (s *Store) WriteStats() WriteStats {
	return WriteStats{Writes: s.writes.writes.Load(), WriteErrors: s.writes.errors.Load(), Latency: s.writes.latency.Snapshot()}
}
