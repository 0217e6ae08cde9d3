package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sealedsessions/sealed/example/internal/browsertest"
)

// announceBrowserSkip says, before any test runs, that the browser test
// will be skipped for want of a browser (under CI=true it fails instead, and
// needs no notice). go test shows a passing package's output only with -v,
// so the line also goes to the go command's own stderr (our parent's fd 2),
// where `go test -race work` prints it above the package's "ok" line.
func announceBrowserSkip() {
	if browsertest.Find() != "" || os.Getenv("CI") == "true" {
		return
	}
	msg := "example: TestBrowser will be skipped: " + browsertest.Missing
	fmt.Fprintln(os.Stderr, msg)
	if w := parentStderr(); w != nil {
		fmt.Fprintln(w, msg)
		w.Close()
	}
}

// parentStderr opens the parent process's standard error for writing, or
// returns nil when it can't, or when it is our own stderr (run by hand
// rather than by go test): the notice then goes out once.
func parentStderr() io.WriteCloser {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", os.Getppid()), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil
	}
	theirs, err1 := f.Stat()
	ours, err2 := os.Stderr.Stat()
	if err1 != nil || (err2 == nil && os.SameFile(theirs, ours)) {
		f.Close()
		return nil
	}
	return f
}
