// Package fake holds the stand-ins tests inject where code takes a clock or
// a log writer: a [Clock] that moves only when the test says so and a
// goroutine-safe [Buffer] that captures log output for assertions.
//
// It imports nothing from this project, so every package's tests can use it
// without an import cycle, package keyring's own tests included
// (internal/testutil imports keyring).
package fake
