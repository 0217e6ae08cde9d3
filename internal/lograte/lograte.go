// Package lograte bounds the log lines of a flood (forged cookies, forged
// replication events): one line per interval, the next one saying how many
// were suppressed, without a lock. It imports only the standard library.
package lograte

import (
	"sync/atomic"
	"time"
)

// Interval is the least time between two lines a Limit lets through.
const Interval = time.Second

// Limit lets one log line through per Interval and counts the others. The
// zero value is ready; use one per reason, so that one reason's flood does
// not hide another's first line.
type Limit struct {
	next       atomic.Int64  // Unix nanoseconds before which lines are suppressed
	suppressed atomic.Uint64 // lines suppressed since the last one let through
}

// Allow reports whether a line at now (Unix nanoseconds, from the caller's
// clock) may be logged, and how many were suppressed before it.
func (l *Limit) Allow(now int64) (bool, uint64) {
	next := l.next.Load()
	// A clock set back by more than the interval lets a line through.
	if (now >= next || now < next-int64(Interval)) && l.next.CompareAndSwap(next, now+int64(Interval)) {
		return true, l.suppressed.Swap(0)
	}
	l.suppressed.Add(1)
	return false, 0
}
