package natsrepl

import (
	"context"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
)

// An event made on A reaches B: B counts one propagation delay, measured
// from the event's time; A, whose own event comes back, counts none.
func TestPropagationDelays(t *testing.T) {
	srv := natstest.Start(t)
	a := newInstance(t, srv.URL(), "a")
	b := newInstance(t, srv.URL(), "b")
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)

	before := time.Now()
	if err := a.repl.RevokeUser(context.Background(), "alice", before); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "B does not apply A's event", func() bool {
		dead, err := b.repl.Revoked(newID(t), "alice", before)
		return err == nil && dead
	})
	elapsed := time.Since(before)
	d := b.repl.PropagationDelays()
	if d.Count != 1 || d.Sum < 0 || d.Sum > elapsed {
		t.Errorf("B: %d delays summing %v, want 1 between 0 and %v", d.Count, d.Sum, elapsed)
	}
	eventually(t, 5*time.Second, "A's own event does not come back", func() bool {
		return a.repl.Health().OutboxDepth == 0 && a.repl.Health().Lag == 0
	})
	if n := a.repl.PropagationDelays().Count; n != 0 {
		t.Errorf("A counted %d delays for its own event, want 0", n)
	}
}
