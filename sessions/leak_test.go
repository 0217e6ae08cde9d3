package sessions_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it starts (httptest servers, clients).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
