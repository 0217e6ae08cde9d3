package main

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must stop what it starts (servers, replication and the browser).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
