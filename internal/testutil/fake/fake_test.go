package fake_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := fake.NewClock(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	if got, want := c.Advance(time.Minute), t0.Add(time.Minute); !got.Equal(want) || !c.Now().Equal(want) {
		t.Errorf("after Advance(1m): returned %v, Now %v, want %v", got, c.Now(), want)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("after Set: Now = %v, want %v", got, t0)
	}
}

func TestBufferConcurrentWrites(t *testing.T) {
	var b fake.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "x\n"); got != 800 {
		t.Errorf("buffer holds %d writes, want 800", got)
	}
}
