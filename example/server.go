package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
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

	ln   net.Listener
	http *http.Server
	done chan error // receives Serve's result
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
	s := &Server{cfg: cfg, logger: cfg.Logger, now: cfg.Now}
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
	if cfg.Addr != "" {
		if err := s.listen(); err != nil {
			return nil, err
		}
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
	cfg := s.cfg
	mgr, err := sessions.New(sessions.Config{
		Keys:                 s.keys,
		Revoker:              revoker,
		InsecureCookies:      cfg.InsecureCookies,
		CookieAge:            cfg.CookieAge,
		AbsoluteLifetime:     cfg.AbsoluteLifetime,
		ExpireAtBrowserClose: cfg.ExpireAtBrowserClose,
		SaveEveryRequest:     cfg.SaveEveryRequest,
		Logger:               cfg.Logger,
		ErrorHandler:         s.sessionError,
		Now:                  cfg.Now,
	})
	if err != nil {
		return fmt.Errorf("example: open: sessions: %w", err)
	}
	s.mgr = mgr
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
			return fmt.Errorf("example: open: write new keyring: %w", err)
		}
		s.logger.Info("generated a new keyring", "file", path, "primary_key", k.Primary().ID)
	case err != nil:
		return fmt.Errorf("example: open: keyring: %w", err)
	}
	w, err := keyring.Watch(path, keyring.WatchOptions{Logger: s.logger, Interval: s.cfg.KeyringPollInterval, Now: s.cfg.Now})
	if err != nil {
		return fmt.Errorf("example: open: keyring %s: %w (fix or remove the file; `sealctl keys list --keyring %s` shows what is wrong)", path, err, path)
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
		return fmt.Errorf("example: open: revocation list %s: %w", dir, err)
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

// listen starts serving on cfg.Addr in the background.
func (s *Server) listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("example: listen: %w", err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.http.Serve(ln) }()
	return nil
}

// URL is the address the server listens on, as http://host:port; "" when
// Config.Addr was empty.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Done receives the listener's error if serving stops on its own (nil
// channel without Config.Addr).
func (s *Server) Done() <-chan error { return s.done }

// Handler is the whole site, for httptest or another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the HTTP server gracefully (waiting up to
// Config.ShutdownTimeout for requests in flight, then closing their
// connections), then stops replication and closes the revocation store and
// the keyring watcher. It is safe on a partly opened Server.
func (s *Server) Close() error {
	var errs []error
	if s.http != nil {
		timeout := s.cfg.ShutdownTimeout
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		if err := s.http.Shutdown(ctx); err != nil {
			// Requests still running past the timeout: cut their
			// connections rather than leave them to a closed store.
			s.http.Close()
			errs = append(errs, fmt.Errorf("example: close: http: requests still running after %v, connections closed: %w", timeout, err))
		}
		cancel()
		if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("example: close: serve: %w", err))
		}
		s.http = nil
	}
	// errors.Join drops the nils.
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
