package revocation

import (
	"crypto/rand"
	"testing"
)

// TestSessionIndexModel drives the index and a plain map with the same
// random operations and compares them.
func TestSessionIndexModel(t *testing.T) {
	x := newSessionIndex()
	model := map[[16]byte]int64{}
	ids := make([][16]byte, 20000)
	for i := range ids {
		rand.Read(ids[i][:])
	}
	// Some IDs differing only in their last byte, and the zero ID.
	for i := range 50 {
		ids[i] = [16]byte{15: byte(i)}
	}
	for round := range 3 {
		for i, id := range ids {
			v := int64(1 + (i*7919+round*104729)%1000)
			x.put(id, v)
			model[id] = max(model[id], v)
		}
		x.put([16]byte{1}, 0) // ignored: 0 marks an empty slot
		now := int64(200 + round*300)
		if got := x.sweep(now); got != countAbove(model, now) {
			t.Fatalf("round %d: sweep left %d entries, want %d", round, got, countAbove(model, now))
		}
		for id, v := range model {
			if v <= now {
				delete(model, id)
			}
		}
		if x.len() != len(model) {
			t.Fatalf("round %d: len = %d, want %d", round, x.len(), len(model))
		}
		for _, id := range ids {
			got, ok := x.get(&id)
			want, wok := model[id]
			if ok != wok || got != want {
				t.Fatalf("round %d: get(%x) = %d, %v; want %d, %v", round, id, got, ok, want, wok)
			}
		}
	}
	var miss [16]byte
	rand.Read(miss[:])
	if _, ok := x.get(&miss); ok {
		t.Error("a random ID was found")
	}
}

func countAbove(m map[[16]byte]int64, now int64) int {
	n := 0
	for _, v := range m {
		if v > now {
			n++
		}
	}
	return n
}

func TestSessionIndexReserve(t *testing.T) {
	x := newSessionIndex()
	x.reserve(100000)
	before := len(x.shards[0].slots)
	ids := make([][16]byte, 50000)
	for i := range ids {
		rand.Read(ids[i][:])
		x.put(ids[i], 1)
	}
	if after := len(x.shards[0].slots); after != before {
		t.Errorf("shard 0 grew from %d to %d slots within its reservation", before, after)
	}
	for _, id := range ids {
		if _, ok := x.get(&id); !ok {
			t.Fatalf("%x lost", id)
		}
	}
}

func TestUserIndex(t *testing.T) {
	x := newUserIndex()
	if _, ok := x.get("alice"); ok {
		t.Fatal("empty index found alice")
	}
	x.put("alice", 10)
	x.put("alice", 5)
	x.put("bob", 20)
	if at, ok := x.get("alice"); !ok || at != 10 {
		t.Errorf("alice = %d, %v; want 10 (the later cut-off)", at, ok)
	}
	x.sweep(25, 10) // alice's entry ends at 20, bob's at 30
	if _, ok := x.get("alice"); ok || x.len() != 1 {
		t.Errorf("after sweep: alice present %v, len %d; want absent, 1", ok, x.len())
	}
	if at, ok := x.get("bob"); !ok || at != 20 {
		t.Errorf("bob = %d, %v; want 20", at, ok)
	}
}
