package revocation_test

import (
	"context"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

func TestLatenciesBuckets(t *testing.T) {
	var l revocation.Latencies
	for _, d := range []time.Duration{-time.Second, 0, 100 * time.Microsecond, 101 * time.Microsecond, 3 * time.Millisecond, time.Hour} {
		l.Observe(d)
	}
	s := l.Snapshot()
	if s.Count != 6 || s.Sum != 100*time.Microsecond+101*time.Microsecond+3*time.Millisecond+time.Hour {
		t.Errorf("Count %d, Sum %v; want 6 and the sum of the non-negative durations", s.Count, s.Sum)
	}
	want := map[time.Duration]uint64{ // cumulative counts at some bounds
		100 * time.Microsecond:  3, // -1s (as 0), 0, 100µs: bounds are inclusive
		250 * time.Microsecond:  4,
		2500 * time.Microsecond: 4,
		5 * time.Millisecond:    5,
		time.Minute:             5, // the hour is past every bound
	}
	for i, b := range s.Bounds {
		if w, ok := want[b]; ok && s.Cumulative[i] != w {
			t.Errorf("Cumulative at %v = %d, want %d", b, s.Cumulative[i], w)
		}
	}
}

func TestWriteStats(t *testing.T) {
	s, _ := revocationtest.Open(t, revocation.Config{})
	ctx := context.Background()
	base := s.WriteStats() // Open may write too
	if err := s.RevokeUser(ctx, "ann", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, [16]byte{1}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ws := s.WriteStats()
	if ws.Writes-base.Writes != 2 || ws.WriteErrors != 0 || ws.Latency.Count-base.Latency.Count != 2 || ws.Latency.Sum <= base.Latency.Sum {
		t.Errorf("after two revocations: %d writes, %d errors, %d latencies; want 2, 0, 2 more than after Open, taking time", ws.Writes-base.Writes, ws.WriteErrors, ws.Latency.Count-base.Latency.Count)
	}
	if err := revocation.CloseBadger(s); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAll(ctx, time.Now()); err == nil {
		t.Fatal("RevokeAll on a broken store succeeded")
	}
	if ws := s.WriteStats(); ws.Writes-base.Writes != 3 || ws.WriteErrors != 1 {
		t.Errorf("after a failed write: %d writes, %d errors; want 3, 1", ws.Writes-base.Writes, ws.WriteErrors)
	}
}
