package sessions

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
)

// Handler returns middleware that loads the session before next runs (or
// takes the one an earlier Load put in the request) and saves it when the
// response starts (first WriteHeader, Write or Flush), before the body.
// Nested Handlers of one Manager save once, in the outermost. It has the shape of gorilla/mux's MiddlewareFunc, so
// router.Use(m.Handler) works. Handlers get the session with m.Session(r).
//
// A response with status 500 or above saves no change. Errors that can't
// be returned to a handler (a session too large for a cookie, a revocation
// that could not be recorded) go to Config.ErrorHandler or the log.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, s := m.Load(r) // the session already in r if Load ran before
		s.mu.Lock()
		outer := s.handled
		s.handled = true
		s.mu.Unlock()
		if outer {
			next.ServeHTTP(w, r) // an outer Handler of this Manager saves it
			return
		}
		sw := &responseWriter{ResponseWriter: w, m: m, r: r, s: s}
		next.ServeHTTP(sw, r)
		if !sw.committed {
			sw.commit(http.StatusOK)
		}
	})
}

// responseWriter saves the session when the response starts.
type responseWriter struct {
	http.ResponseWriter
	m         *Manager
	r         *http.Request
	s         *Session
	committed bool
}

func (w *responseWriter) commit(status int) {
	w.committed = true
	if status >= 500 {
		// Like Django: an error response saves no change, but still varies.
		// A cookie the handler's own Save put in the headers goes too.
		w.s.mu.Lock()
		accessed := w.s.accessed
		w.s.dropLine(w.Header())
		w.s.mu.Unlock()
		if accessed {
			addVary(w.Header())
		}
		return
	}
	if err := w.m.commit(w.Header(), w.r, w.s); err != nil {
		w.m.reportError(w.ResponseWriter, w.r, err)
	}
}

// WriteHeader saves the session, then writes the status. Informational
// (1xx) statuses other than 101 pass through without saving.
func (w *responseWriter) WriteHeader(status int) {
	if !w.committed && (status >= 200 || status == http.StatusSwitchingProtocols) {
		w.commit(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write saves the session if the response has not started, then writes.
func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.committed {
		w.commit(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom saves the session if needed, then copies, keeping the
// underlying writer's io.ReaderFrom (sendfile) if it has one.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.committed {
		w.commit(http.StatusOK)
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w.ResponseWriter}, src)
}

type writerOnly struct{ io.Writer }

// Flush saves the session if needed, then flushes.
func (w *responseWriter) Flush() {
	_ = w.FlushError()
}

// FlushError is Flush for http.ResponseController.
func (w *responseWriter) FlushError() error {
	if !w.committed {
		w.commit(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over; the session is not saved.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *Manager) reportError(w http.ResponseWriter, r *http.Request, err error) {
	if m.cfg.ErrorHandler != nil {
		m.cfg.ErrorHandler(w, r, err)
		return
	}
	m.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "sessions: session not saved", slog.Any("error", err))
}

// Stats is a snapshot of a Manager's counters since New.
type Stats struct {
	Opened        uint64 // cookies that opened into a valid session
	New           uint64 // fresh sessions (no cookie, or every cookie refused)
	Resealed      uint64 // sessions re-sealed under the primary key after opening under another
	Saved         uint64 // cookies written
	Deleted       uint64 // cookies deleted (after Flush, Logout, or an expiry set in the past)
	TooLarge      uint64 // saves refused because the session didn't fit in a cookie
	RevokerErrors uint64 // revocation list lookups that returned an error
	Invalid       InvalidStats
}

// InvalidStats counts refused cookies by reason.
type InvalidStats struct {
	Malformed    uint64 // not a sealed value, or a payload that doesn't decode
	Tampered     uint64 // MAC does not verify
	Expired      uint64 // idle, custom or absolute expiry passed, or the keyring's max age
	Revoked      uint64 // on the revocation list
	UnknownKey   uint64 // sealed under a key not in the keyring (retired, or forged ID)
	Oversize     uint64 // longer than a cookie can be
	WrongName    uint64 // sealed for another cookie name
	RevokerError uint64 // refused because the revocation list failed (fail closed)
}

// Total returns the number of refused cookies.
func (s InvalidStats) Total() uint64 {
	return s.Malformed + s.Tampered + s.Expired + s.Revoked + s.UnknownKey + s.Oversize + s.WrongName + s.RevokerError
}

type counters struct {
	opened, created, resealed, saved, deleted, tooLarge, revokerErrors atomic.Uint64
	invalid                                                            [len(reasonNames)]atomic.Uint64
}

// Stats returns a snapshot of the Manager's counters.
func (m *Manager) Stats() Stats {
	c := &m.st
	return Stats{
		Opened:        c.opened.Load(),
		New:           c.created.Load(),
		Resealed:      c.resealed.Load(),
		Saved:         c.saved.Load(),
		Deleted:       c.deleted.Load(),
		TooLarge:      c.tooLarge.Load(),
		RevokerErrors: c.revokerErrors.Load(),
		Invalid: InvalidStats{
			Malformed:    c.invalid[reasonMalformed].Load(),
			Tampered:     c.invalid[reasonTampered].Load(),
			Expired:      c.invalid[reasonExpired].Load(),
			Revoked:      c.invalid[reasonRevoked].Load(),
			UnknownKey:   c.invalid[reasonUnknownKey].Load(),
			Oversize:     c.invalid[reasonOversize].Load(),
			WrongName:    c.invalid[reasonWrongName].Load(),
			RevokerError: c.invalid[reasonRevokerError].Load(),
		},
	}
}
