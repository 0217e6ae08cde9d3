// Command example is a small shop that shows every use of sealed: login and
// logout, "log out everywhere", a cart kept until checkout, a multi-step
// form, search history, and theme and language preferences with "remember
// me", all in a sealed cookie with a server-side revocation list.
//
//	go run ./example
//
// serves on http://127.0.0.1:8080 with its data in ./example-data. See
// README.md for the routes, the demo users and the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	// The first signal starts a graceful shutdown. The relay stops before
	// the shutdown starts, which gives the signals their default action
	// back: a second Ctrl-C ends a shutdown that hangs instead of being
	// swallowed.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Stop(sigs)
		cancel()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "example:", err)
	}
	os.Exit(exitCode(err))
}

// usageError is a bad command line: exit status 2.
type usageError struct{ error }

// exitCode maps run's error to the exit status: 0 for success and -h, 2
// for a bad command line, 1 for anything else.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// run parses the flags, opens the site, serves until ctx is cancelled
// (Ctrl-C or SIGTERM in main) and shuts down cleanly. Logs go to stderr;
// stdout is unused but kept for symmetry with sealctl.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_ = stdout
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.Logger = logger
	logCookieSecurity(logger, cfg)

	srv, err := Open(cfg)
	if err != nil {
		return err
	}
	logger.Info("listening", "url", srv.URL(), "data", cfg.DataDir)

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-srv.Done():
		logger.Error("server stopped", "err", err)
		srv.Close()
		return fmt.Errorf("example: serve: %w", err)
	}
	if err := srv.Close(); err != nil {
		return err
	}
	logger.Info("stopped cleanly")
	return nil
}
