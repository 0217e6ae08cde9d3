package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// Config is what Open needs to build the site. The zero value of each field
// is the documented default.
type Config struct {
	// Addr is the TCP address to listen on, such as "127.0.0.1:8080".
	// Empty means Open does not listen: the caller serves Handler itself
	// (the tests do, with httptest).
	Addr string

	// AdminAddr, when set, moves /healthz and /metrics off Addr to a
	// plain-HTTP listener of their own on this address (keep it private,
	// such as "127.0.0.1:9090"), where Open starts serving them.
	AdminAddr string

	// DataDir holds the Badger revocation list (DataDir/revocations) and, by
	// default, the keyring. Required. Created if missing (mode 0700).
	DataDir string

	// KeyringFile is the keyring's path, default DataDir/keyring.json. A
	// missing file is created with a fresh keyring. The file is watched, so
	// `sealctl keys rotate --keyring FILE` takes effect without a restart.
	KeyringFile string

	// Session settings handed to sessions.Config; zero means the sessions
	// package's defaults (two weeks idle, 30 days absolute).
	CookieAge            time.Duration
	AbsoluteLifetime     time.Duration
	ExpireAtBrowserClose bool
	SaveEveryRequest     bool

	// CookieName is the session cookie's name. Default "session", or
	// "__Host-session" when browsers reach the site over HTTPS (TLSCert or
	// BehindTLSProxy) with Secure cookies.
	CookieName string

	// InsecureCookies drops the Secure attribute so cookies work over plain
	// HTTP. Off by default; run sets it for loopback addresses.
	InsecureCookies bool

	// TLSCert and TLSKey, both set, make Listen serve HTTPS with this PEM
	// certificate and key. BehindTLSProxy says a TLS-terminating proxy
	// fronts the site. Either makes the default cookie name
	// "__Host-session" (unless InsecureCookies).
	TLSCert, TLSKey string
	BehindTLSProxy  bool

	// DBSC offers Device Bound Session Credentials after login (dbsc.go).
	// DBSCCookieAge is the bound cookie's lifetime; zero means the sessions
	// package's default (sessions.DefaultBoundCookieAge). The browser test
	// sets a few seconds, to see Chromium refresh.
	DBSC          bool
	DBSCCookieAge time.Duration

	// Limits throttle failed logins and the ending of anonymous sessions;
	// the zero value is no limits. The command line starts from
	// DefaultLimits.
	Limits Limits

	// NATSURL, when set, replicates the revocation list to the other
	// instances through NATS JetStream; Node names this instance (default
	// the hostname).
	NATSURL string
	Node    string

	// NATSAuth names the files that authenticate this instance to NATS
	// (credentials, NKey seed, TLS CA and client certificate); a user and
	// password may ride in NATSURL instead (nats://user:pass@host), and are
	// redacted in logs.
	NATSAuth natsrepl.NATSAuth

	// CatchUpTimeout bounds how long Open waits, with NATSURL set, for the
	// replica's first catch-up before it listens; zero means 30 s,
	// negative listens at once. Until that catch-up, /healthz answers 503
	// and sessions are refused (natsrepl fails closed): the list may lack
	// revocations made elsewhere while this instance was down.
	CatchUpTimeout time.Duration

	// FailClosedWhenStale also refuses sessions later, while the replica
	// is stale (no contact with the stream for 30 s), instead of serving
	// from a list that may miss revocations. Off by default: availability
	// over a revoked cookie accepted during a NATS outage.
	FailClosedWhenStale bool

	// Logger receives the site's logs; default slog.Default().
	Logger *slog.Logger

	// Now is the clock, default time.Now. Tests pass a fake one.
	Now func() time.Time

	// KeyringPollInterval is how often the keyring file is checked for
	// changes; zero means the keyring package's default.
	KeyringPollInterval time.Duration

	// ShutdownTimeout is how long Close waits for requests in flight
	// before it closes their connections; zero or less means 10 s.
	ShutdownTimeout time.Duration
}

// withDefaults fills in the documented defaults, or says what is missing.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.DataDir == "" {
		return cfg, errors.New("example: open: no data directory (set --data DIR)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KeyringFile == "" {
		cfg.KeyringFile = filepath.Join(cfg.DataDir, "keyring.json")
	}
	if cfg.CatchUpTimeout == 0 {
		cfg.CatchUpTimeout = 30 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if err := cfg.tlsDefaults(); err != nil {
		return cfg, err
	}
	if cfg.NATSURL != "" && cfg.Node == "" {
		// The store and the replicator must agree on this instance's name.
		h, err := os.Hostname()
		if err != nil || h == "" {
			return cfg, fmt.Errorf("example: open: no --node given and the hostname is unknown (%v): pass --node NAME", err)
		}
		cfg.Node = h
	}
	return cfg, nil
}
