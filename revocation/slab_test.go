package revocation

import (
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// mappedIndex is an index whose every table, however small, is a mapping
// where the system allows it, so the tests exercise that path cheaply.
func mappedIndex() *sessionIndex {
	x := newSessionIndex()
	x.table.mapMin = 1
	return x
}

// tableAddr returns the address of the index's slots if they are mapped,
// else 0.
func tableAddr(x *sessionIndex) uintptr {
	x.resize.RLock()
	defer x.resize.RUnlock()
	if s := x.table.slab; s != nil && s.mem != nil {
		return uintptr(unsafe.Pointer(unsafe.SliceData(s.slots)))
	}
	return 0
}

// TestSessionIndexMapped: on Linux a table of at least the mapping size
// is an anonymous mapping outside the Go heap, advised for huge pages;
// close unmaps it, and the closed index answers misses and drops puts
// rather than touching freed memory.
func TestSessionIndexMapped(t *testing.T) {
	mappings, resident := liveMappings.Load(), residentSlabs.Load()
	x := newSessionIndex()
	x.reserve(1_000_000) // 1M entries: a 15 MB table
	bytes, mapped := x.tableBytes()
	if bytes < 1_000_000*slotBytes {
		t.Fatalf("table of %d bytes for 1M entries", bytes)
	}
	ids := indexTestIDs(1000)
	for _, id := range ids {
		x.put(id, 5e9)
	}
	if runtime.GOOS != "linux" {
		if mapped {
			t.Fatal("a mapped table outside Linux")
		}
		return
	}
	if !mapped {
		t.Fatal("a 1M-entry table is not mapped on Linux")
	}
	if n, r := liveMappings.Load(), residentSlabs.Load(); n != mappings+1 || r != resident+1 {
		t.Fatalf("%d mappings, %d resident with the table, want %d and %d", n, r, mappings+1, resident+1)
	}
	if advised := hugePagesAdvised(t, tableAddr(x)); advised == "missing" {
		t.Error("the table's mapping is not advised for huge pages (no hg in VmFlags)")
	}
	x.close()
	if r := residentSlabs.Load(); r != resident {
		t.Errorf("%d slabs resident after close, want %d: close kept the memory", r, resident)
	}
	if _, ok := x.get(&ids[0]); ok || x.len() != 0 {
		t.Error("a closed index still answers hits")
	}
	x.put(ids[0], 5e9)
	x.reserve(10)
	if x.len() != 0 {
		t.Error("a closed index took a put")
	}
	if bytes, _ := x.tableBytes(); bytes != 0 {
		t.Errorf("a closed index holds %d bytes", bytes)
	}
	// A reader may still be in a closed table, so it stays mapped until
	// the index is unreachable; then the cleanup unmaps it.
	held := liveMappings.Load()
	if held != mappings+1 {
		t.Fatalf("%d mappings after close, want %d (mapped until unreachable)", held, mappings+1)
	}
	x = nil
	for deadline := time.Now().Add(10 * time.Second); liveMappings.Load() >= held; {
		if time.Now().After(deadline) {
			t.Fatal("the table of an unreachable index was not unmapped")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// hugePagesAdvised reports "yes" if the mapping at addr carries the hg
// flag, "missing" if it does not although the kernel has transparent huge
// pages, and "n/a" on a kernel without them (where the advice is refused).
func hugePagesAdvised(t *testing.T, addr uintptr) string {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		return "n/a"
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		var lo, hi uintptr
		if _, err := fmt.Sscanf(line, "%x-%x ", &lo, &hi); err == nil && strings.Contains(line, "-") && !strings.HasPrefix(line, "VmFlags") {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			if strings.Contains(line, " hg") {
				return "yes"
			}
			return "missing"
		}
	}
	return "missing"
}

// TestSessionIndexMoves: growing from empty to a mapped table and
// sweeping it back down keeps every live entry and no expired one, and
// each move frees the slab it leaves.
func TestSessionIndexMoves(t *testing.T) {
	resident := residentSlabs.Load()
	x := mappedIndex()
	ids := indexTestIDs(50_000)
	moves, size := 0, 0
	for i, id := range ids {
		x.put(id, int64(1+i%10)*1e9) // untils 1..10 s
		if x.table.size != size {
			moves, size = moves+1, x.table.size
			if r := residentSlabs.Load(); runtime.GOOS == "linux" && r != resident+1 {
				t.Fatalf("%d slabs resident after a move, want %d: the slab left behind kept its memory", r, resident+1)
			}
		}
	}
	if moves < 10 {
		t.Fatalf("growing to 50k entries moved the table %d times, want many", moves)
	}
	if r := residentSlabs.Load(); runtime.GOOS == "linux" && r != resident+1 {
		t.Fatalf("%d slabs resident after growing, want %d: a slab left behind kept its memory", r, resident+1)
	}
	sizeBefore := x.table.size
	if got := x.sweep(9e9 + 5e8); got != 5000 { // only until 10 s remains
		t.Fatalf("sweep left %d entries, want 5000", got)
	}
	if x.table.size >= sizeBefore {
		t.Errorf("sweep to 10%% kept shards of %d slots (had %d), want a smaller table", x.table.size, sizeBefore)
	}
	for i, id := range ids {
		_, ok := x.get(&id)
		if want := i%10 == 9; ok != want {
			t.Fatalf("entry %d (until %d s): found %v after the sweep, want %v", i, 1+i%10, ok, want)
		}
	}
	if got := x.sweep(10e9); got != 0 || x.len() != 0 {
		t.Fatalf("sweep past every until left %d entries", got)
	}
	x.close()
	if r := residentSlabs.Load(); r != resident {
		t.Errorf("%d slabs resident after close, want %d", r, resident)
	}
}

// TestSessionIndexConcurrentMoves: readers never miss an entry that was
// put before they looked, while writers grow the table and a sweeper
// deletes in place and shrinks it (run with -race).
func TestSessionIndexConcurrentMoves(t *testing.T) {
	x := mappedIndex()
	defer x.close()
	const writers, per = 4, 20_000
	keep := make([][][16]byte, writers)
	var wg sync.WaitGroup
	var stored sync.Map // id -> struct{}: put and to be kept
	for w := range writers {
		keep[w] = indexTestIDs(per)
		wg.Go(func() {
			for i, id := range keep[w] {
				x.put(id, 100e9) // kept: until 100 s
				stored.Store(id, struct{}{})
				var gone [16]byte
				rand.Read(gone[:])
				x.put(gone, 1e9) // swept: until 1 s
				if i%1000 == 0 {
					x.sweep(2e9)
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				stored.Range(func(k, _ any) bool {
					id := k.([16]byte)
					if _, ok := x.get(&id); !ok {
						t.Errorf("%x lost while the table moved", id)
						return false
					}
					return true
				})
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if got := x.sweep(2e9); got != writers*per {
		t.Fatalf("%d entries after the last sweep, want %d", got, writers*per)
	}
}

// TestSessionIndexHeapSlabsNotKept: the heap slabs a growing index leaves
// behind are not kept (only mappings are, until the index is unreachable).
func TestSessionIndexHeapSlabsNotKept(t *testing.T) {
	x := newSessionIndex()
	defer x.close()
	for _, id := range indexTestIDs(20_000) {
		x.put(id, 5e9)
	}
	x.resize.RLock()
	kept, mapped := len(x.table.retired), x.table.slab.mapped()
	x.resize.RUnlock()
	if mapped || kept != 0 {
		t.Errorf("a 20k-entry index (mapped: %v) keeps %d slabs it left; want a heap table keeping none", mapped, kept)
	}
}

// TestSessionIndexFilter: the filter rules out most random IDs, never one
// present, and forgets swept entries.
func TestSessionIndexFilter(t *testing.T) {
	x := newSessionIndex()
	defer x.close()
	ids := indexTestIDs(100_000)
	for i, id := range ids {
		x.put(id, int64(1+i%2)*1e9) // half until 1 s, half until 2 s
	}
	maybe := func() int {
		n := 0
		for _, id := range indexTestIDs(100_000) {
			if x.filter.Load().mayHave(x.fingerprint(&id)) {
				n++
			}
		}
		return n
	}
	if m := maybe(); m > 15_000 {
		t.Errorf("the filter let %d of 100,000 random IDs through, want under 15%%", m)
	}
	for _, id := range ids {
		if !x.filter.Load().mayHave(x.fingerprint(&id)) {
			t.Fatalf("the filter rules out %x, which is present", id)
		}
	}
	before := maybe()
	x.sweep(1e9) // drops half
	if m := maybe(); m*3 > before*2 {
		t.Errorf("after a sweep dropped half the entries the filter lets %d random IDs through, %d before: not rebuilt", m, before)
	}
	for i, id := range ids {
		if _, ok := x.get(&id); ok != (i%2 == 1) {
			t.Fatalf("entry %d after the sweep: found %v", i, ok)
		}
	}
}
