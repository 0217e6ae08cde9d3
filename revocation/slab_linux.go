//go:build linux

package revocation

import (
	"syscall"
	"unsafe"
)

const hugePage = 2 << 20

// mapHuge maps size bytes of zeroed anonymous memory, starting on a huge
// page boundary, and asks for transparent huge pages. It returns the whole
// mapping (for unmap) and the aligned part, or nil if the system refused.
func mapHuge(size int) (mem, b []byte) {
	mem, err := syscall.Mmap(-1, 0, size+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, nil
	}
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(mem))) & (hugePage - 1))
	b = mem[off : off+size]
	// Without huge pages the table still works, only slower: the advice
	// failing (a kernel without THP) is not an error.
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	return mem, b
}

// releasePages drops the whole pages of mem inside [start, end).
func releasePages(mem []byte, start, end uintptr) {
	page := uintptr(syscall.Getpagesize())
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	lo, hi := (start+page-1)&^(page-1), end&^(page-1)
	if lo >= hi {
		return
	}
	_ = syscall.Madvise(mem[lo-base:hi-base], syscall.MADV_DONTNEED) // only memory use depends on it
}

func unmap(mem []byte) {
	if err := syscall.Munmap(mem); err != nil {
		panic("revocation: munmap of the session index failed: " + err.Error()) // only a bad slice can fail, and that is a bug
	}
}
