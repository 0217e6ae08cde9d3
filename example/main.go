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
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
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
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg      Config
		insecure bool
	)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.DataDir, "data", "example-data", "data `directory`: the Badger revocation list and, by default, the keyring")
	fs.StringVar(&cfg.KeyringFile, "keyring", "", "keyring `file` (default DIR/keyring.json; generated if missing; reloaded when it changes)")
	fs.DurationVar(&cfg.CookieAge, "cookie-age", 14*24*time.Hour, "idle expiry of a session")
	fs.DurationVar(&cfg.AbsoluteLifetime, "absolute-lifetime", 30*24*time.Hour, "longest life of a session from its creation")
	fs.BoolVar(&cfg.ExpireAtBrowserClose, "expire-at-browser-close", false, "sessions end when the browser closes unless \"remember me\" is ticked")
	fs.BoolVar(&cfg.SaveEveryRequest, "save-every-request", false, "re-seal the cookie on every request (sliding expiry)")
	fs.BoolVar(&insecure, "insecure-cookies", false, "drop the Secure cookie attribute for plain HTTP (default on for a loopback --addr)")
	addNATSFlags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./example [flags]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.Logger = logger

	loopback := isLoopback(cfg.Addr)
	explicit := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "insecure-cookies" {
			explicit = true
		}
	})
	switch {
	case explicit:
		cfg.InsecureCookies = insecure
	default:
		cfg.InsecureCookies = loopback
	}
	switch {
	case cfg.InsecureCookies && loopback:
		logger.Info("cookies without the Secure attribute: plain HTTP on a loopback address", "addr", cfg.Addr)
	case cfg.InsecureCookies:
		logger.Warn("cookies without the Secure attribute on a non-loopback address: session cookies travel in clear text", "addr", cfg.Addr)
	case !loopback:
		logger.Warn("cookies are Secure but this server speaks plain HTTP: browsers will only send them back through an HTTPS proxy in front of it (or pass --insecure-cookies for a trial)", "addr", cfg.Addr)
	}
	if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}

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

// isLoopback reports whether addr listens only on a loopback interface.
// An empty host (":8080") listens everywhere: not loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
