//go:build !linux

package revocation

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }

func ProcessCPU() (time.Duration, bool) { return 0, false }
