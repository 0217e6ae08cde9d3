package revocation

import (
	"sync/atomic"
	"unsafe"
)

// slab is the memory of the session index's slots: one block for every
// shard, so that on Linux it can be one mapping backed by transparent huge
// pages. A lookup at 10M entries is one random access into a 150 MB table;
// with 4 KiB pages it also misses the TLB, and in a virtual machine that
// page walk costs about as much again as the access itself. The Go heap
// does not ask the kernel for huge pages (with THP set to "madvise", as is
// common, it gets none), so tables of hugeMin and more are mapped with
// MADV_HUGEPAGE; smaller ones, other systems and a refused mapping use
// the Go heap.
//
// A mapped slab is memory the garbage collector neither scans nor frees:
// slots hold no pointers. When the index leaves a slab (a move, close) it
// releases its memory at once (reads of it then return zeros, which a
// reader's sequence check turns into a retry) but unmaps it only when the
// index is unreachable, since a reader may still be inside it.
type slab struct {
	mem      []byte // the mapping; nil when slots are on the Go heap
	slots    []slot
	released bool // its memory was given back whole
}

// hugeMin is the smallest table mapped rather than allocated: smaller
// tables fit the caches, and a huge page would be mostly unused.
const hugeMin = 8 << 20

const slotBytes = int(unsafe.Sizeof(slot{}))

// For tests: liveMappings counts the mapped slabs not yet unmapped,
// residentSlabs those not yet released.
var liveMappings, residentSlabs atomic.Int64

// newSlab returns a zeroed slab of n slots, mapped if it takes mapMin
// bytes or more.
func newSlab(n, mapMin int) *slab {
	if n > 0 && n*slotBytes >= mapMin {
		if mem, b := mapHuge(n * slotBytes); mem != nil {
			liveMappings.Add(1)
			residentSlabs.Add(1)
			return &slab{mem: mem, slots: unsafe.Slice((*slot)(unsafe.Pointer(unsafe.SliceData(b))), n)}
		}
	}
	return &slab{slots: make([]slot, n)}
}

// release gives the memory of slots[lo:hi] back to the system, once no
// shard uses it; the slots read as empty afterwards. A no-op on the heap.
func (s *slab) release(lo, hi int) {
	if s.mem == nil || lo >= hi || s.released {
		return
	}
	if lo == 0 && hi == len(s.slots) {
		s.released = true
		residentSlabs.Add(-1)
	}
	start := uintptr(unsafe.Pointer(&s.slots[lo]))
	end := start + uintptr((hi-lo)*slotBytes)
	releasePages(s.mem, start, end)
}

// free unmaps a mapped slab; no slot of it may be read afterwards.
func (s *slab) free() {
	s.release(0, len(s.slots))
	if s.mem != nil {
		unmap(s.mem)
		s.mem = nil
		liveMappings.Add(-1)
	}
	s.slots = nil
}

// mapped reports whether the slab is a mapping rather than Go heap.
func (s *slab) mapped() bool { return s.mem != nil }
