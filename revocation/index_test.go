package revocation

import (
	"crypto/rand"
	"runtime"
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
			// Untils in nanoseconds, some on a whole second, most not:
			// the index keeps them rounded up to the second.
			v := int64(1+(i*7919+round*104729)%1000)*1e9 - int64(i%4)*3e8
			x.put(id, v)
			model[id] = max(model[id], (v+1e9-1)/1e9*1e9)
		}
		x.put([16]byte{1}, 0) // ignored: no until
		now := int64(200+round*300)*1e9 + 5e8
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

// TestSessionIndexRoundsUp: an entry never expires before its until, and
// outlives it by less than a second.
func TestSessionIndexRoundsUp(t *testing.T) {
	x := newSessionIndex()
	id := [16]byte{7}
	until := int64(1_700_000_000_123_456_789)
	x.put(id, until)
	if got, ok := x.get(&id); !ok || got < until || got-until >= 1e9 {
		t.Fatalf("get = %d, %v; want an until in [%d, %d)", got, ok, until, until+1e9)
	}
	if x.sweep(until-1) != 1 {
		t.Fatal("swept before its until")
	}
	if x.sweep(until+1e9) != 0 {
		t.Fatal("kept a second past its until")
	}
}

// TestSessionIndexFull: shards stay correct at the highest fill they
// reach, with Robin Hood displacement on every insert.
func TestSessionIndexFull(t *testing.T) {
	x := newSessionIndex()
	ids := make([][16]byte, 100_000)
	for i := range ids {
		rand.Read(ids[i][:])
		x.put(ids[i], int64(i+1)*1e9)
	}
	for i := range x.shards {
		sh := &x.shards[i]
		if sh.n*100 > len(sh.slots)*maxFill {
			t.Fatalf("shard %d: %d entries in %d slots, past %d%%", i, sh.n, len(sh.slots), maxFill)
		}
	}
	for i, id := range ids {
		if got, ok := x.get(&id); !ok || got != int64(i+1)*1e9 {
			t.Fatalf("get(%d) = %d, %v", i, got, ok)
		}
	}
	misses := 0
	for range 100_000 {
		var id [16]byte
		rand.Read(id[:])
		if _, ok := x.get(&id); ok {
			misses++
		}
	}
	if misses != 0 {
		t.Errorf("%d random IDs found", misses)
	}
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

// BenchmarkSessionIndex measures the index alone at 1M and 10M entries:
// memory per entry (reserved as Open reserves, and grown one put at a
// time) and lookups over IDs spread across the whole table, so that every
// lookup pays for memory and not only the cache. heapB/entry is the Go
// heap; tableB/entry is the table, which on Linux is a mapping outside the
// heap once it is large (slab.go). Targets at 10M: at most 16 B per entry,
// a miss at most 150 ns.
func BenchmarkSessionIndex(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1M", 1_000_000}, {"10M", 10_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			ids := indexTestIDs(size.n)
			probes := indexTestIDs(1 << 20)
			for _, mode := range []string{"reserved", "grown"} {
				b.Run(mode, func(b *testing.B) { benchSessionIndex(b, mode == "reserved", ids, probes) })
			}
		})
	}
}

func benchSessionIndex(b *testing.B, reserve bool, ids, probes [][16]byte) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := newSessionIndex()
	defer x.close()
	if reserve {
		x.reserve(len(ids))
	}
	for i := range ids {
		x.put(ids[i], 1e18)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(ids))
	bytes, _ := x.tableBytes()
	table := float64(bytes) / float64(len(ids))
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		i := 0
		for b.Loop() {
			if _, ok := x.get(&probes[i&(1<<20-1)]); ok {
				b.Fatal("random ID found")
			}
			i++
		}
		b.ReportMetric(heap, "heapB/entry")
		b.ReportMetric(table, "tableB/entry")
	})
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		i := 0
		for b.Loop() {
			if _, ok := x.get(&ids[i%len(ids)]); !ok {
				b.Fatal("stored ID lost")
			}
			i += 7919
		}
	})
}

// reportCPU locks the benchmark to its thread and returns the function
// that reports the thread's CPU time per op (cpu-ns/op): on a shared
// machine, wall time also counts the time other processes held the core.
func reportCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		end, _ := threadCPU()
		runtime.UnlockOSThread()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func indexTestIDs(n int) [][16]byte {
	ids := make([][16]byte, n)
	for i := range ids {
		rand.Read(ids[i][:])
	}
	return ids
}
