package revocation

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time of the calling thread, so that a benchmark on
// a shared machine can report the CPU an operation costs rather than the
// wall time, which counts the time other processes held the core. The
// caller locks its goroutine to the thread.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// ProcessCPU is the CPU time of the whole process (every thread: Badger's
// goroutines too), for benchmarks whose work is not on one goroutine.
func ProcessCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
