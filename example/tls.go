package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
)

// HTTPS: serving it (--tls-cert, --tls-key) or sitting behind a proxy that
// does (--behind-tls-proxy), and the __Host- cookie name either allows.

const (
	// cookieName is the session cookie's name over plain HTTP.
	cookieName = "session"
	// hostCookieName is its name over HTTPS. Browsers take a "__Host-"
	// cookie only from a secure origin, with Secure, Path=/ and no Domain,
	// so a sibling subdomain (or a plain-HTTP page on this host) can
	// neither set nor shadow it.
	hostCookieName = "__Host-" + cookieName
)

// addTLSFlags adds --tls-cert, --tls-key and --behind-tls-proxy.
func addTLSFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (with --tls-key); the cookie is then __Host-session")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "the certificate's PEM private key `file`")
	fs.BoolVar(&cfg.BehindTLSProxy, "behind-tls-proxy", false, "a TLS-terminating proxy fronts this server: browsers see HTTPS, so the cookie is __Host-session")
}

// https reports whether browsers reach the site over HTTPS.
func (cfg Config) https() bool { return cfg.TLSCert != "" || cfg.BehindTLSProxy }

// tlsDefaults checks the TLS settings and picks the cookie name.
func (cfg *Config) tlsDefaults() error {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("example: open: --tls-cert and --tls-key go together")
	}
	if cfg.CookieName == "" {
		cfg.CookieName = cookieName
		if cfg.https() && !cfg.InsecureCookies {
			cfg.CookieName = hostCookieName
		}
	}
	return nil
}

// tlsConfig loads the certificate for serving HTTPS; nil without one.
func (cfg Config) tlsConfig() (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("example: open: TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
