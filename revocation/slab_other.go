//go:build !linux

package revocation

// Elsewhere the session index lives on the Go heap.

func mapHuge(int) (mem, b []byte) { return nil, nil }

func releasePages([]byte, uintptr, uintptr) {}

func unmap([]byte) {}
