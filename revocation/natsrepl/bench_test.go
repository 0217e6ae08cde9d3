package natsrepl

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/revocation"
)

func quiet(c *Config) { c.Logger = slog.New(slog.DiscardHandler) }

// BenchmarkPropagation measures how long a revocation takes from the call
// on one instance until it is applied (committed in Badger and in force in
// memory) on each of the two others: three instances, one JetStream
// server, loopback. It reports the 50th and 99th percentiles.
func BenchmarkPropagation(b *testing.B) {
	srv := natstest.Start(b)
	ins := []*instance{
		newInstance(b, srv.URL(), "a", quiet),
		newInstance(b, srv.URL(), "b", quiet),
		newInstance(b, srv.URL(), "c", quiet),
	}
	for _, in := range ins {
		waitCaughtUp(b, in, 5*time.Second)
	}
	ctx := context.Background()
	lat := make([]time.Duration, 0, 2*b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		from := ins[i%3]
		id := newID(b)
		start := time.Now()
		if err := from.repl.RevokeSession(ctx, id, time.Time{}); err != nil {
			b.Fatal(err)
		}
		for _, to := range ins {
			if to == from {
				continue
			}
			deadline := start.Add(10 * time.Second)
			for !to.revoked(id) {
				if time.Now().After(deadline) {
					b.Fatalf("%s never got the revocation from %s", to.node, from.node)
				}
				time.Sleep(20 * time.Microsecond)
			}
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkCatchUp measures how long a new instance takes, from Start,
// to apply a stream of 10,000 revocations.
func BenchmarkCatchUp(b *testing.B) {
	const events = 10000
	srv := natstest.Start(b)
	a := newInstance(b, srv.URL(), "a", quiet)
	_, js := connect(b, srv.URL())
	publishAll(b, js, a.cfg, sessionEvents(b, events, "elsewhere"))
	waitCaughtUp(b, a, 10*time.Second)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		in := &instance{t: b, node: "c", dir: b.TempDir() + "/c", cfg: a.cfg}
		in.cfg.Node = "c"
		b.StartTimer()
		in.start()
		waitCaughtUp(b, in, 30*time.Second)
		b.StopTimer()
		if got := in.repl.Health().AppliedSeq; got != events {
			b.Fatalf("applied %d, want %d", got, events)
		}
		in.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Millisecond), "ms/catch-up")
}

// BenchmarkRevoked is the request-path check through a Replicator that
// fails closed when stale: memory only, no allocations.
func BenchmarkRevoked(b *testing.B) {
	srv := natstest.Start(b)
	a := newInstance(b, srv.URL(), "a", quiet, func(c *Config) { c.FailClosedWhenStale = true })
	waitCaughtUp(b, a, 5*time.Second)
	id, created := newID(b), time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if dead, err := a.repl.Revoked(id, "user", created); dead || err != nil {
			b.Fatal(dead, err)
		}
	}
}

// BenchmarkSignVerify is the MAC cost per event: signing on the publisher
// and verifying on each consumer.
func BenchmarkSignVerify(b *testing.B) {
	ring := clusterRing()
	data := encode(b, sessionEvents(b, 1, "a")[0])
	subj := subject(DefaultSubjectPrefix, revocation.KindSession)
	b.ReportAllocs()
	for b.Loop() {
		m := sign(ring, subj, data)
		if err := verify(ring, m.Subject, m.Header, m.Data); err != nil {
			b.Fatal(err)
		}
	}
}
