package keyring_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it starts (the Watcher's polling goroutine).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
