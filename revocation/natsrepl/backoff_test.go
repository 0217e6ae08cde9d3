package natsrepl

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestBackoff(t *testing.T) {
	var b backoff
	step := backoffMin
	for i := range 12 {
		d := b.next()
		if d < step/2 || d > step {
			t.Fatalf("wait %d = %v, want within [%v, %v]", i, d, step/2, step)
		}
		step = min(2*step, backoffMax)
	}
	b.reset()
	if d := b.next(); d > backoffMin {
		t.Errorf("after reset: wait %v, want at most %v", d, backoffMin)
	}
	// Jitter: many draws at the top step are not all equal.
	b.step = backoffMax
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[b.next()] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 waits at the top step all equal %v: no jitter", b.next())
	}
}

// nats.go's reconnect waits follow the same steps, whatever the count
// it passes.
func TestReconnectDelay(t *testing.T) {
	step := backoffMin
	for attempts := 1; attempts <= 12; attempts++ {
		if d := reconnectDelay(attempts); d < step/2 || d > step {
			t.Fatalf("reconnectDelay(%d) = %v, want within [%v, %v]", attempts, d, step/2, step)
		}
		step = min(2*step, backoffMax)
	}
	for _, attempts := range []int{0, -1, 63, 64, 1 << 40} {
		want := backoffMax
		if attempts < 1 {
			want = backoffMin
		}
		if d := reconnectDelay(attempts); d < want/2 || d > want {
			t.Errorf("reconnectDelay(%d) = %v, want within [%v, %v]", attempts, d, want/2, want)
		}
	}
}

func TestWait(t *testing.T) {
	wake := make(chan nats.Status, 1)
	wake <- nats.CONNECTED
	if !wait(context.Background(), time.Hour, wake) {
		t.Error("wait woken by a reconnect reported a closed context")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if wait(ctx, time.Hour, nil) {
		t.Error("wait with a cancelled context reported true")
	}
	if !wait(context.Background(), time.Millisecond, nil) {
		t.Error("wait that ran its course reported false")
	}
}
