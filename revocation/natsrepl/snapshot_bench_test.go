package natsrepl

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
)

// BenchmarkJoin measures how long an empty instance takes, from Start, to
// catch up with a stream of revocations: replay, n events and no snapshot
// in the bucket; snapshot, a snapshot covering those n and 1,000 events
// after it, the tail it replays. n is 100,000, or SEALED_JOIN_EVENTS
// (1,000,000 takes minutes to set up on 2 shared cores).
func BenchmarkJoin(b *testing.B) {
	n := 100_000
	if v := os.Getenv("SEALED_JOIN_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2000 {
			b.Fatalf("SEALED_JOIN_EVENTS=%q: want a number of at least 2000", v)
		}
	}
	b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
		const tail = 1000
		// About 300 bytes of stream file a signed event, and room to spare:
		// the test server's default 256 MB holds under a million.
		srv := natstest.Start(b, func(o *server.Options) { o.JetStreamMaxStore = max(o.JetStreamMaxStore, int64(n)<<10) })
		a := newInstance(b, srv.URL(), "a", quiet, func(c *Config) { c.SnapshotEvery = -1 })
		_, js := connect(b, srv.URL())
		publishAll(b, js, a.cfg, sessionEvents(b, n-tail, "elsewhere"))
		waitCaughtUp(b, a, 5*time.Minute)
		publishAll(b, js, a.cfg, sessionEvents(b, tail, "elsewhere"))
		waitCaughtUp(b, a, time.Minute)
		b.Run("replay", func(b *testing.B) { benchJoin(b, a, n, false) })
		// The snapshot covers the n events; 1,000 more follow it.
		if err := a.repl.PublishSnapshot(context.Background()); err != nil {
			b.Fatal(err)
		}
		publishAll(b, js, a.cfg, sessionEvents(b, tail, "elsewhere"))
		waitCaughtUp(b, a, time.Minute)
		b.Run("snapshot", func(b *testing.B) { benchJoin(b, a, n+tail, true) })
	})
}

// benchJoin starts empty instances like a until they hold the stream's
// want events, and checks whether they joined from a snapshot.
func benchJoin(b *testing.B, a *instance, want int, fromSnapshot bool) {
	for b.Loop() {
		b.StopTimer()
		in := &instance{t: b, node: "c", dir: b.TempDir() + "/c", cfg: a.cfg}
		in.cfg.Node = "c"
		b.StartTimer()
		in.start()
		waitCaughtUp(b, in, 5*time.Minute)
		b.StopTimer()
		h := in.repl.Health()
		if h.AppliedSeq != uint64(want) || (h.SnapshotSeq != 0) != fromSnapshot {
			b.Fatalf("applied %d (want %d), joined from snapshot seq %d (want a snapshot: %v)", h.AppliedSeq, want, h.SnapshotSeq, fromSnapshot)
		}
		in.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Millisecond), "ms/join")
}
