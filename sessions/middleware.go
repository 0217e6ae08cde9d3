package sessions

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
)

// Handler returns middleware that loads the session before next runs (or
// takes the one an earlier Load put in the request) and saves it when the
// response starts (first WriteHeader, Write or Flush), before the body.
// Nested Handlers of one Manager save once, in the outermost. It has the shape of gorilla/mux's MiddlewareFunc, so
// router.Use(m.Handler) works. Handlers get the session with m.Session(r).
//
// A response with status 500 or above saves no change. Errors that can't
// be returned to a handler (a session too large for a cookie, a revocation
// that could not be recorded, a session another request ended meanwhile)
// go to Config.ErrorHandler or the log.
//
// A session ended by another request while this one ran (a logout, or
// "log out everywhere") is not saved: ErrorHandler gets an error matching
// ErrSessionInterrupted and the browser gets the handler's response
// without a session cookie, so the change is lost, as in Django, and the
// next request, bringing a revoked cookie, starts a fresh session. Unlike
// Django's middleware, Handler does not turn the response into a 400: the
// status is the handler's by then. A handler that must tell the user calls
// Manager.Save itself before writing, and answers 400 Bad Request (or a
// page saying the change was not saved) when it returns the error.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sw *responseWriter
		s, err := m.Session(r) // there if Load ran before
		if err != nil {
			var c *sessionContext
			r, c = m.loadRequest(r)
			s, sw = &c.s, &c.w // one allocation for the three
		}
		s.mu.Lock()
		outer := s.handled
		s.handled = true
		s.mu.Unlock()
		if outer {
			next.ServeHTTP(w, r) // an outer Handler of this Manager saves it
			return
		}
		if sw == nil {
			sw = new(responseWriter)
		}
		*sw = responseWriter{ResponseWriter: w, m: m, r: r, s: s}
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
		w.s.sent.drop(w.Header())
		if w.s.accessed {
			addVary(w.Header(), &w.s.sent.slots)
		}
		w.s.mu.Unlock()
		return
	}
	if err := w.m.commit(w.Header(), w.r, w.s); err != nil {
		w.m.reportError(w.ResponseWriter, w.r, err)
		return
	}
	w.m.bindingHeaders(w.Header(), w.s)
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
