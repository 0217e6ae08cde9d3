package natsrepl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/internal/testutil/natstest"
	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// failingApply is a Store whose Apply fails once for a batch reaching
// stream sequence failAt (0: never): the consumer restarts from the
// unchanged position and the batch is delivered again.
type failingApply struct {
	Store
	failAt atomic.Uint64
	failed atomic.Int32
}

func (s *failingApply) Apply(ctx context.Context, evs []revocation.Event, cur revocation.Cursor) error {
	if at := s.failAt.Load(); at != 0 && cur.Value != nil {
		if seq, _, err := decodeCursor(cur.Value); err == nil && seq >= at && s.failAt.CompareAndSwap(at, 0) {
			s.failed.Add(1)
			return errors.New("injected apply failure")
		}
	}
	return s.Store.Apply(ctx, evs, cur)
}

// A forged event delivered twice (the store refused the batch the first
// time, so the restarted consumer delivers it again) is counted once.
func TestRejectedCountedOncePerSequence(t *testing.T) {
	srv := natstest.Start(t)
	st, _ := revocationtest.Open(t, revocation.Config{Outbox: true, GCInterval: -1, Logger: testLogger(t)})
	fs := &failingApply{Store: st}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := Start(ctx, fs, Config{URL: srv.URL(), Node: "b", Heartbeat: 500 * time.Millisecond,
		Staleness: 2 * time.Second, Logger: testLogger(t), Keys: clusterKeys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	_, js := connect(t, srv.URL())
	forged := streamInfo(t, js, DefaultStream).State.LastSeq + 1
	fs.failAt.Store(forged)
	all, err := revocation.AllEvent("forger", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if seq := publishRaw(t, js, &nats.Msg{Subject: subject(DefaultSubjectPrefix, revocation.KindAll), Data: encode(t, all)}); seq != forged {
		t.Fatalf("forged event at sequence %d, want %d", seq, forged)
	}
	eventually(t, 10*time.Second, "never moved past the forged event", func() bool { return r.Health().AppliedSeq >= forged })
	if n := fs.failed.Load(); n != 1 {
		t.Fatalf("the injected failure hit %d times, want 1: the forged event was not delivered twice", n)
	}
	if h := r.Health(); h.RejectedEvents != 1 {
		t.Errorf("RejectedEvents %d after one forged event delivered twice, want 1", h.RejectedEvents)
	}
}

// The counting is per stream: the same sequence in a recreated stream is
// another message, and a sequence below the highest counted is not.
func TestRejectedSeqs(t *testing.T) {
	var s rejectedSeqs
	t1 := time.Unix(100, 0)
	t2 := time.Unix(200, 0)
	for _, c := range []struct {
		created time.Time
		seq     uint64
		want    bool
	}{
		{t1, 3, true}, {t1, 3, false}, {t1, 2, false}, {t1, 4, true},
		{t2, 1, true}, {t2, 1, false}, {t2, 4, true},
	} {
		if got := s.first(c.created, c.seq); got != c.want {
			t.Errorf("first(%v, %d) = %v, want %v", c.created.Unix(), c.seq, got, c.want)
		}
	}
}

// A flood of forged events logs one Warn line per reason per second, the
// next line saying how many were suppressed, while RejectedEvents counts
// every one.
func TestRejectedFloodBoundedLog(t *testing.T) {
	clock := fake.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	r, _ := bareReplicator(t, Config{Now: clock.Now})
	var buf fake.Buffer
	r.log = slog.New(slog.NewTextHandler(&buf, nil))
	r.state.created = clock.Now()
	var consSeq, streamSeq uint64
	unsigned := func() delivery {
		consSeq++
		streamSeq++
		return delivery{consSeq: consSeq, streamSeq: streamSeq, subject: "sealed.revocations.all", data: []byte("forged")}
	}
	var lastCons uint64
	const n = 300
	for i := range n {
		if _, err := r.applyBatch([]delivery{unsigned()}, &lastCons); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			clock.Advance(100 * time.Millisecond)
		}
	}
	if got := strings.Count(buf.String(), "level=WARN"); got != 1 {
		t.Errorf("%d Warn lines for a flood within one second, want 1:\n%s", got, buf.String())
	}
	if got := r.rejected.Load(); got != n {
		t.Errorf("rejected %d, want %d", got, n)
	}
	// Another reason has its own budget.
	consSeq++
	streamSeq++
	garbage := signed(consSeq, streamSeq, 0, []byte("not an event"))
	if _, err := r.applyBatch([]delivery{garbage}, &lastCons); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "level=WARN"); got != 2 {
		t.Errorf("%d Warn lines after a signed non-event, want 2", got)
	}
	clock.Advance(time.Second)
	if _, err := r.applyBatch([]delivery{unsigned()}, &lastCons); err != nil {
		t.Fatal(err)
	}
	var warns []string
	for line := range strings.Lines(buf.String()) {
		if strings.Contains(line, "level=WARN") {
			warns = append(warns, line)
		}
	}
	if last := warns[len(warns)-1]; len(warns) != 3 || !strings.Contains(last, fmt.Sprintf("suppressed=%d", n-1)) {
		t.Errorf("%d Warn lines, the last %q; want 3, the last with suppressed=%d", len(warns), last, n-1)
	}
	if got := r.rejected.Load(); got != n+2 {
		t.Errorf("rejected %d, want %d", got, n+2)
	}
}
