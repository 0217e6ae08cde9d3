package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Listening: the site on Config.Addr and, with Config.AdminAddr, the
// operations endpoints (/healthz, /metrics) on a listener of their own.

// httpListener is one HTTP server on one listener.
type httpListener struct {
	ln   net.Listener
	srv  *http.Server
	done chan error // Serve's result
	what string     // "http" or "admin", for errors
}

// listen starts serving on cfg.Addr and cfg.AdminAddr (those set) in the
// background.
func (s *Server) listen() error {
	s.stopped = make(chan error, 2)
	if s.cfg.Addr != "" {
		var err error
		if s.web, err = s.serve("http", s.cfg.Addr, s.tls, s.handler); err != nil {
			return err
		}
	}
	if s.cfg.AdminAddr != "" {
		var err error
		if s.admin, err = s.serve("admin", s.cfg.AdminAddr, nil, s.adminHandler()); err != nil {
			return err
		}
	}
	return nil
}

// serve listens on addr (with TLS when tlsCfg is set) and serves h there.
func (s *Server) serve(what, addr string, tlsCfg *tls.Config, h http.Handler) (*httpListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("example: listen: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	l := &httpListener{ln: ln, done: make(chan error, 1), what: what, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}}
	go func() {
		err := l.srv.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			s.stopped <- fmt.Errorf("%s: %w", what, err)
		}
		l.done <- err
	}()
	return l, nil
}

// shutdown stops l gracefully, waiting up to timeout for requests in
// flight, then closing their connections rather than leave them to a
// closed store. It is a no-op on nil.
func (l *httpListener) shutdown(timeout time.Duration) error {
	if l == nil {
		return nil
	}
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		l.srv.Close()
		errs = append(errs, fmt.Errorf("example: close: %s: requests still running after %v, connections closed: %w", l.what, timeout, err))
	}
	if err := <-l.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("example: close: %s: serve: %w", l.what, err))
	}
	return errors.Join(errs...)
}

// adminHandler serves the operations endpoints on Config.AdminAddr, the
// site's own then answering 404 for them: the keyring's primary key ID and
// size in /healthz, and the counters in /metrics, stay off the public
// address.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return securityHeaders(mux)
}

// URL is the address the site listens on, as http://host:port (https
// with Config.TLSCert); "" without Config.Addr.
func (s *Server) URL() string {
	if s.web == nil {
		return ""
	}
	if s.cfg.TLSCert != "" {
		return "https://" + s.web.ln.Addr().String()
	}
	return "http://" + s.web.ln.Addr().String()
}

// AdminURL is the address of the operations endpoints with
// Config.AdminAddr, as http://host:port; "" without.
func (s *Server) AdminURL() string {
	if s.admin == nil {
		return ""
	}
	return "http://" + s.admin.ln.Addr().String()
}

// Done receives a listener's error if serving stops on its own.
func (s *Server) Done() <-chan error { return s.stopped }
