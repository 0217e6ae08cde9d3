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
	half := b.step / 2
	return half + rand.N(half+1) // math/rand: the jitter needs no secrecy
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
