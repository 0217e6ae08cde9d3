package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"time"
)

// The command line: every flag, and what the flags decide before Open.

// parseFlags reads the command line into a Config. A bad command line is a
// usageError; -h returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (Config, error) {
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
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	// --insecure-cookies defaults to on for a loopback --addr.
	cfg.InsecureCookies = isLoopback(cfg.Addr)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "insecure-cookies" {
			cfg.InsecureCookies = insecure
		}
	})
	if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}
	return cfg, nil
}

// addNATSFlags adds --nats and --node.
func addNATSFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.NATSURL, "nats", "", "NATS `URL`: replicate revocations to the other instances through JetStream")
	fs.StringVar(&cfg.Node, "node", "", "this instance's `name` for replication (default the hostname; must be unique)")
}

// logCookieSecurity says whether cookies go without the Secure attribute,
// and warns where that, or its absence, does not fit the address.
func logCookieSecurity(logger *slog.Logger, cfg Config) {
	loopback := isLoopback(cfg.Addr)
	switch {
	case cfg.InsecureCookies && loopback:
		logger.Info("cookies without the Secure attribute: plain HTTP on a loopback address", "addr", cfg.Addr)
	case cfg.InsecureCookies:
		logger.Warn("cookies without the Secure attribute on a non-loopback address: session cookies travel in clear text", "addr", cfg.Addr)
	case !loopback:
		logger.Warn("cookies are Secure but this server speaks plain HTTP: browsers will only send them back through an HTTPS proxy in front of it (or pass --insecure-cookies for a trial)", "addr", cfg.Addr)
	}
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
