// Command sealctl is the operator CLI for sealed: it manages keyring files,
// inspects cookies and records revocations.
//
// Usage:
//
//	sealctl keys init|add|promote|rotate|retire|prune|list --keyring FILE
//	sealctl inspect --keyring FILE [--name COOKIE_NAME] [--max-age D] [--cookie-age D] [--absolute-lifetime D] VALUE
//	sealctl revoke session ID | user ID | all (--data DIR | --nats URL)
//	sealctl revocations stats --data DIR
//
// Flags work as -flag and --flag. Exit status: 0 on success, 1 on failure,
// 2 on bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// usageError marks an error caused by how sealctl was called: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const usage = `usage:
  sealctl keys init|add|promote|rotate|retire|prune|list --keyring FILE [flags]
  sealctl inspect --keyring FILE [--name COOKIE_NAME] [--max-age D] [--cookie-age D] [--absolute-lifetime D] VALUE
  sealctl revoke session ID | user ID | all (--data DIR | --nats URL)
  sealctl revocations stats --data DIR
Run "sealctl COMMAND -h" for a command's flags.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (if any) and maps it to sealctl's exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "sealctl:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run is sealctl without the process: main calls it, and so do the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return usagef("no command given")
	}
	switch args[0] {
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "inspect":
		return runInspect(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runRevoke(ctx, args[1:], stdout, stderr)
	case "revocations":
		return runRevocations(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return usagef("unknown command %q", args[0])
	}
}
