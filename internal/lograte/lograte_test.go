package lograte

import (
	"sync"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	var l Limit
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	steps := []struct {
		at         time.Duration // after start
		ok         bool
		suppressed uint64
	}{
		{0, true, 0},
		{time.Millisecond, false, 0},
		{999 * time.Millisecond, false, 0},
		{time.Second, true, 2},
		{time.Second + 1, false, 0},
		{-5 * time.Second, true, 1}, // the clock stepped back
		{-5*time.Second + 1, false, 0},
		{-4 * time.Second, true, 1},
	}
	for i, s := range steps {
		ok, n := l.Allow(start + int64(s.at))
		if ok != s.ok || n != s.suppressed {
			t.Errorf("step %d at %v: Allow = %v, %d; want %v, %d", i, s.at, ok, n, s.ok, s.suppressed)
		}
	}
}

// Under concurrent callers within one interval exactly one line gets
// through, and the next line counts every other.
func TestLimitConcurrent(t *testing.T) {
	var l Limit
	const callers, each = 8, 100
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range each {
				if ok, _ := l.Allow(1); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 1 {
		t.Errorf("%d lines allowed within one interval, want 1", allowed)
	}
	if ok, n := l.Allow(1 + int64(Interval)); !ok || n != callers*each-1 {
		t.Errorf("next interval: Allow = %v, %d; want true, %d", ok, n, callers*each-1)
	}
}
