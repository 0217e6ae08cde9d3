package testutil

import "github.com/sealedsessions/sealed/sessions/sessiontest"

// The in-memory revoker is sessiontest's, so users' tests and the
// project's run the same one; these names keep the project's tests short.
type MemRevoker = sessiontest.MemRevoker

// NewMemRevoker is sessiontest.NewMemRevoker.
var NewMemRevoker = sessiontest.NewMemRevoker

// ErrRevokerDown is what a failing MemRevoker returns.
var ErrRevokerDown = sessiontest.ErrRevokerDown
