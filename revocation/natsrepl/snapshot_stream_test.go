package natsrepl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/revocationtest"
	"github.com/sealedsessions/sealed/revocation"
)

// exportRefused is a store whose ExportLive fails: a snapshot of it must
// come from EachLive, one event at a time.
type exportRefused struct{ *revocation.Store }

func (exportRefused) ExportLive(context.Context) ([]revocation.Event, error) {
	return nil, errors.New("ExportLive called: the whole list held in memory")
}

// TestSnapshotStreamsTheExport: a snapshot of a store that has EachLive is
// encoded from it, event by event, and holds the same list ExportLive
// returns.
func TestSnapshotStreamsTheExport(t *testing.T) {
	ctx := context.Background()
	st, _ := revocationtest.Open(t, revocation.Config{GCInterval: -1, Node: "a"})
	for range 50 {
		if err := st.RevokeSession(ctx, newID(t), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RevokeUser(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	enc, err := exportSnapshot(ctx, exportRefused{st}, newSnapEncoder(7, now, now, sizeHint(st)))
	if err != nil {
		t.Fatal(err)
	}
	sn, err := decodeSnapshot(enc.bytes())
	if err != nil {
		t.Fatal(err)
	}
	want, err := st.ExportLive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sn.seq != 7 || len(sn.events) != len(want) || len(want) != 51 {
		t.Fatalf("snapshot of seq %d with %d events; want seq 7 and the %d ExportLive returns (51)", sn.seq, len(sn.events), len(want))
	}
	for i, ev := range sn.events {
		if ev.Kind != want[i].Kind || ev.Session != want[i].Session || ev.User != want[i].User {
			t.Errorf("event %d: %+v in the snapshot, %+v exported", i, ev, want[i])
		}
	}
}

// TestSnapshotEachChunk: a snapshot's records are decoded chunk by chunk,
// in order, the last call marked, and an empty snapshot still makes one
// (last) call, which carries the position.
func TestSnapshotEachChunk(t *testing.T) {
	now := time.Now()
	evs := sessionEvents(t, 2*snapChunk+3, "x")
	body, err := encodeSnapshot(listSnapshot{seq: 9, created: now, made: now, events: evs})
	if err != nil {
		t.Fatal(err)
	}
	sn, err := parseSnapshot(body)
	if err != nil {
		t.Fatal(err)
	}
	if sn.events != nil || sn.count != uint64(len(evs)) {
		t.Fatalf("parseSnapshot decoded %d events and counted %d; want none decoded and %d counted", len(sn.events), sn.count, len(evs))
	}
	var sizes []int
	var lasts []bool
	i := 0
	err = sn.each(snapChunk, func(chunk []revocation.Event, last bool) error {
		sizes, lasts = append(sizes, len(chunk)), append(lasts, last)
		for _, ev := range chunk {
			if ev.Session != evs[i].Session {
				t.Fatalf("event %d: session %x, want %x", i, ev.Session, evs[i].Session)
			}
			i++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || sizes[0] != snapChunk || sizes[1] != snapChunk || sizes[2] != 3 || lasts[0] || lasts[1] || !lasts[2] {
		t.Errorf("chunks %v, last %v; want [%d %d 3], only the third last", sizes, lasts, snapChunk, snapChunk)
	}

	empty, err := encodeSnapshot(listSnapshot{seq: 9, created: now, made: now})
	if err != nil {
		t.Fatal(err)
	}
	if sn, err = parseSnapshot(empty); err != nil {
		t.Fatal(err)
	}
	calls := 0
	if err := sn.each(snapChunk, func(chunk []revocation.Event, last bool) error {
		if calls++; len(chunk) != 0 || !last {
			t.Errorf("empty snapshot: a chunk of %d, last %v", len(chunk), last)
		}
		return nil
	}); err != nil || calls != 1 {
		t.Errorf("empty snapshot: %d calls, %v; want one", calls, err)
	}
}
