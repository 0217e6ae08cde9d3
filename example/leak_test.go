package main

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// mainArgsEnv makes the test binary run the example's main with these
// arguments (split on spaces) instead of the tests: the tests that need a
// real process with real signals start it that way.
const mainArgsEnv = "SEALED_EXAMPLE_MAIN_ARGS"

// Every test must stop what it starts (servers, replication and the browser).
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(mainArgsEnv); ok {
		os.Args = append([]string{"example"}, strings.Fields(args)...)
		main()
		return
	}
	announceBrowserSkip()
	goleak.VerifyTestMain(m)
}
