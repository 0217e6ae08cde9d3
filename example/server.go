package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/sessions"
)

// Server is the example site: the keyring watcher, the revocation store, the
// session manager, the router and, when Config.Addr is set, the listener.
type Server struct {
	cfg    Config
	logger *slog.Logger
	now    func() time.Time

	keys     *keyring.Watcher
	store    *revocation.Store
	repl     replicator // nil unless Config.NATSURL is set
	mgr      *sessions.Manager
	registry *prometheus.Registry

	router  *mux.Router
	handler http.Handler
	pages   map[string]*template.Template
	limits  *limiter
	tls     *tls.Config // nil without Config.TLSCert

	web     *httpListener // nil without Config.Addr
	admin   *httpListener // nil without Config.AdminAddr
	stopped chan error    // the first listener that stops on its own
}

// Open builds the site from cfg: it creates the data directory, loads (or
// generates) the keyring, opens the revocation store and the session
// manager, with cfg.NATSURL waits for the replica's first catch-up (at most
// cfg.CatchUpTimeout), and, when cfg.Addr is set, starts listening. Close
// releases it all.
func Open(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	// The session settings are checked before anything is made on disk.
	if err := checkSessionConfig(cfg); err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.tlsConfig() // a bad certificate too
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: cfg.Logger, now: cfg.Now, limits: newLimiter(cfg.Limits), tls: tlsCfg}
	opened := false
	defer func() {
		if !opened {
			s.Close() // release what was opened before the failure
		}
	}()
	if err := s.openDataDir(); err != nil {
		return nil, err
	}
	if err := s.openKeyring(); err != nil {
		return nil, err
	}
	if err := s.openRevocation(); err != nil {
		return nil, err
	}
	if err := s.openSessions(); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.registry = s.newRegistry()
	s.routes()
	if s.repl != nil {
		s.awaitCatchUp() // listen with a list that lacks no revocation
	}
	if err := s.listen(); err != nil {
		return nil, err
	}
	opened = true
	return s, nil
}

// openDataDir creates the data directory, or warns if an existing one is
// open to others.
func (s *Server) openDataDir() error {
	dir := s.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("example: open: data directory: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone. It is the user's
	// to change, but the keyring in it is every session's key: say so.
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.logger.Warn("group or others can access the data directory, which holds the keyring by default; run chmod 700 on it",
			"dir", dir, "mode", fi.Mode().Perm().String())
	}
	return nil
}

// openSessions builds the session manager on the keyring and the
// revocation list (through the replicator with --nats).
func (s *Server) openSessions() error {
	var revoker sessions.Revoker = s.store
	if s.repl != nil {
		revoker = s.repl
	}
	cfg := s.cfg.sessionsConfig(s.keys, revoker)
	cfg.ErrorHandler = s.sessionError
	cfg.Registry = s.store // with --nats, its logins travel the stream to the other instances
	mgr, err := sessions.New(cfg)
	if err != nil {
		return fmt.Errorf("example: open: %w", err) // "sessions: invalid config: ..."
	}
	s.mgr = mgr
	return nil
}

// sessionsConfig is the session manager's configuration on keys and
// revoker.
func (cfg Config) sessionsConfig(keys keyring.Source, revoker sessions.Revoker) sessions.Config {
	return sessions.Config{
		Keys:                 keys,
		Revoker:              revoker,
		InsecureCookies:      cfg.InsecureCookies,
		CookieName:           cfg.CookieName,
		CookieAge:            cfg.CookieAge,
		AbsoluteLifetime:     cfg.AbsoluteLifetime,
		ExpireAtBrowserClose: cfg.ExpireAtBrowserClose,
		SaveEveryRequest:     cfg.SaveEveryRequest,
		MaxCookies:           2, // the sign-up notes can take a session past one cookie
		DeviceBound:          cfg.deviceBound(),
		Logger:               cfg.Logger,
		Now:                  cfg.Now,
	}
}

// checkSessionConfig lets sessions.New judge the session settings before
// Open creates the data directory or a keyring: a throwaway Manager on an
// in-memory keyring, without a revocation list (the real one is opened
// with the same absolute lifetime, so New's lifetime check holds for it).
func checkSessionConfig(cfg Config) error {
	ring, err := keyring.New(cfg.Now())
	if err != nil {
		return fmt.Errorf("example: open: %w", err)
	}
	c := cfg.sessionsConfig(ring, nil)
	c.InsecureNoRevocation = true
	c.DeviceBound = nil // needs a Revoker; its one setting here is the constant dbscPath
	if _, err := sessions.New(c); err != nil {
		return fmt.Errorf("example: open: %w", err)
	}
	return nil
}

// openKeyring loads the keyring file, generating one first if it is
// missing, and watches it for rotations.
func (s *Server) openKeyring() error {
	path := s.cfg.KeyringFile
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k, err := keyring.New(s.now())
		if err != nil {
			return fmt.Errorf("example: open: generate keyring: %w", err)
		}
		if err := keyring.WriteFile(path, k); err != nil {
			return fmt.Errorf("example: open: %w (make one with `sealctl keys init --keyring %s`)", err, path)
		}
		s.logger.Info("generated a new keyring", "file", path, "primary_key", k.Primary().ID)
	case err != nil:
		return fmt.Errorf("example: open: %w", err) // "stat PATH: ..."
	}
	w, err := keyring.Watch(path, keyring.WatchOptions{Logger: s.logger, Interval: s.cfg.KeyringPollInterval, Now: s.cfg.Now})
	if err != nil {
		return fmt.Errorf("example: open: %w (`sealctl keys list --keyring %[2]s` shows what is wrong; fix the file, or move it away and make a new one with `sealctl keys init --keyring %[2]s`, which logs everyone out)", err, path)
	}
	s.keys = w
	s.logger.Info("keyring loaded and watched for changes", "file", path, "keys", len(w.Keyring().Keys()), "primary_key", w.Keyring().Primary().ID)
	return nil
}

// openRevocation opens the Badger revocation list and, with --nats, the
// replicator.
func (s *Server) openRevocation() error {
	dir := filepath.Join(s.cfg.DataDir, "revocations")
	rcfg := revocation.Config{
		AbsoluteLifetime: s.cfg.AbsoluteLifetime,
		Logger:           s.logger,
		Now:              s.cfg.Now,
		LoginsPerUser:    loginsPerUser,
	}
	if s.cfg.NATSURL != "" {
		rcfg.Outbox = true
		rcfg.Node = s.cfg.Node
	}
	st, err := revocation.Open(dir, rcfg)
	if errors.Is(err, revocation.ErrLocked) {
		return fmt.Errorf("example: open: revocation list %s is in use by another process (is the example already running? stop it or use another --data)", dir)
	}
	if err != nil {
		return fmt.Errorf("example: open: %w", err) // "revocation: open DIR: ..."
	}
	s.store = st
	s.logger.Info("revocation list opened", "dir", dir)
	if s.cfg.NATSURL != "" {
		if err := s.startReplication(); err != nil {
			return err
		}
	}
	return nil
}

// Handler is the whole site, for httptest or another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the HTTP servers gracefully (waiting up to
// Config.ShutdownTimeout for requests in flight, then closing their
// connections), then stops replication and closes the revocation store and
// the keyring watcher. It is safe on a partly opened Server.
func (s *Server) Close() error {
	// errors.Join drops the nils.
	errs := []error{s.web.shutdown(s.cfg.ShutdownTimeout), s.admin.shutdown(s.cfg.ShutdownTimeout)}
	s.web, s.admin = nil, nil
	if s.repl != nil {
		errs = append(errs, closeErr("replication", s.repl.Close()))
		s.repl = nil
	}
	if s.store != nil {
		errs = append(errs, closeErr("revocation list", s.store.Close()))
		s.store = nil
	}
	if s.keys != nil {
		errs = append(errs, closeErr("keyring watcher", s.keys.Close()))
		s.keys = nil
	}
	return errors.Join(errs...)
}

// closeErr says which part failed to close; nil stays nil.
func closeErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("example: close: %s: %w", what, err)
}
