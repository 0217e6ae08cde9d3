package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
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
	fs.StringVar(&cfg.AdminAddr, "admin-addr", "", "serve /healthz and /metrics on this address instead of --addr (plain HTTP; keep it private)")
	fs.StringVar(&cfg.DataDir, "data", "example-data", "data `directory`: the Badger revocation list and, by default, the keyring")
	fs.StringVar(&cfg.KeyringFile, "keyring", "", "keyring `file` (default DIR/keyring.json; generated if missing; reloaded when it changes)")
	fs.DurationVar(&cfg.CookieAge, "cookie-age", 14*24*time.Hour, "idle expiry of a session")
	fs.DurationVar(&cfg.AbsoluteLifetime, "absolute-lifetime", 30*24*time.Hour, "longest life of a session from its creation")
	fs.BoolVar(&cfg.ExpireAtBrowserClose, "expire-at-browser-close", false, "sessions end when the browser closes unless \"remember me\" is ticked")
	fs.BoolVar(&cfg.SaveEveryRequest, "save-every-request", false, "re-seal the cookie on every request (sliding expiry)")
	addDBSCFlag(fs, &cfg)
	fs.BoolVar(&insecure, "insecure-cookies", false, "drop the Secure cookie attribute for plain HTTP (default on for a loopback --addr without TLS)")
	addTLSFlags(fs, &cfg)
	addLimitFlags(fs, &cfg)
	addNATSFlags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./example [flags]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{fmt.Errorf("example: %w", err)}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("example: unexpected argument %q", fs.Arg(0))}
	}
	if err := checkNATSFlags(fs, &cfg); err != nil {
		return cfg, usageError{err}
	}
	// --insecure-cookies defaults to on for a loopback --addr over plain
	// HTTP.
	cfg.InsecureCookies = isLoopback(cfg.Addr) && !cfg.https()
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

// addNATSFlags adds --nats, --node and the flags that only go with --nats.
// A user and password go in the URL (nats://user:pass@host:4222), as
// nats.go reads them; the logs redact them.
func addNATSFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.NATSURL, "nats", "", "NATS `URL` (several comma-separated; nats://user:password@host:4222 for a password): replicate revocations to the other instances through JetStream")
	fs.StringVar(&cfg.Node, "node", "", "this instance's `name` for replication (default the hostname; must be unique)")
	fs.StringVar(&cfg.NATSAuth.Creds, "nats-creds", "", "with --nats: NATS credentials `FILE` (a user JWT and its NKey seed)")
	fs.StringVar(&cfg.NATSAuth.NKey, "nats-nkey", "", "with --nats: `FILE` holding the NKey seed of a user the server knows")
	fs.StringVar(&cfg.NATSAuth.TLSCA, "nats-tls-ca", "", "with --nats: PEM `FILE` of the CA that signed the NATS servers' certificates")
	fs.StringVar(&cfg.NATSAuth.TLSCert, "nats-tls-cert", "", "with --nats: PEM client certificate `FILE` for TLS client authentication (with --nats-tls-key)")
	fs.StringVar(&cfg.NATSAuth.TLSKey, "nats-tls-key", "", "with --nats: PEM `FILE` of the client certificate's private key")
	fs.DurationVar(&cfg.CatchUpTimeout, "catch-up-timeout", 30*time.Second, "with --nats: how long to wait for the first catch-up with the stream before listening (0: listen at once); until caught up, sessions are refused and /healthz answers 503")
	fs.BoolVar(&cfg.FailClosedWhenStale, "fail-closed-when-stale", false, "with --nats: also refuse sessions while the replica is stale (no contact with the stream for 30s), rather than serve from a list that may miss revocations")
}

// natsOnlyFlags go with --nats only.
var natsOnlyFlags = []string{"node", "nats-creds", "nats-nkey", "nats-tls-ca", "nats-tls-cert", "nats-tls-key", "catch-up-timeout", "fail-closed-when-stale"}

// checkNATSFlags refuses flags given without --nats, and a TLS client
// certificate without its key or the other way round. --catch-up-timeout 0
// becomes Config's "listen at once" (negative).
func checkNATSFlags(fs *flag.FlagSet, cfg *Config) error {
	var misplaced []string
	fs.Visit(func(f *flag.Flag) {
		if cfg.NATSURL == "" && slices.Contains(natsOnlyFlags, f.Name) {
			misplaced = append(misplaced, "--"+f.Name)
		}
	})
	switch {
	case len(misplaced) > 0:
		return fmt.Errorf("%s: only with --nats URL", strings.Join(misplaced, ", "))
	case (cfg.NATSAuth.TLSCert == "") != (cfg.NATSAuth.TLSKey == ""):
		return errors.New("--nats-tls-cert and --nats-tls-key go together")
	case cfg.CatchUpTimeout < 0:
		return fmt.Errorf("--catch-up-timeout %v is negative (0 listens at once)", cfg.CatchUpTimeout)
	case cfg.CatchUpTimeout == 0:
		cfg.CatchUpTimeout = -1
	}
	return nil
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
	case cfg.https():
		logger.Info("cookies are Secure and named "+hostCookieName+": browsers reach this site over HTTPS", "addr", cfg.Addr, "tls_proxy", cfg.BehindTLSProxy)
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
