package natsrepl

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
)

// Limits of the retry backoff of the consume and publish loops.
const (
	backoffMin = 50 * time.Millisecond
	backoffMax = 5 * time.Second
)

// backoff is an exponential backoff from backoffMin to backoffMax, with
// jitter: each wait is drawn from the upper half of the current step, so
// instances that failed together (a NATS restart) don't retry in step.
type backoff struct{ step time.Duration }

func (b *backoff) reset() { b.step = 0 }

// next returns how long to wait before the next try.
func (b *backoff) next() time.Duration {
	b.step = min(max(2*b.step, backoffMin), backoffMax)
	return jitter(b.step)
}

// jitter draws a wait from the upper half of step.
func jitter(step time.Duration) time.Duration {
	half := step / 2
	return half + rand.N(half+1) // math/rand: the jitter needs no secrecy
}

// reconnectDelay is how long nats.go waits, on a connection Start
// dialled, after its attempts-th failed round of the servers (from 1):
// the same jittered backoff, from backoffMin up to backoffMax, so a
// refused login (bad credentials) or a server down is retried for good
// without hammering the servers.
func reconnectDelay(attempts int) time.Duration {
	step := backoffMax
	if n := attempts - 1; n < 16 {
		step = min(backoffMin<<max(n, 0), backoffMax)
	}
	return jitter(step)
}

// wait waits d, and reports false if ctx ended first. A message on wake
// (a reconnect) ends the wait early: there is no point waiting longer.
func wait(ctx context.Context, d time.Duration, wake <-chan nats.Status) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}
