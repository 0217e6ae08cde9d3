package keyring

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWatchInterval is how often a Watcher re-reads its file by default.
const DefaultWatchInterval = time.Second

// WatchOptions configures [Watch]. The zero value is ready to use.
type WatchOptions struct {
	// Interval between checks of the file. Default DefaultWatchInterval.
	// Negative: never poll; only Reload re-reads the file.
	Interval time.Duration
	// Logger receives reload results and errors. Default slog.Default().
	Logger *slog.Logger
	// MaxAge, if non-zero, is applied to every keyring loaded
	// ([Keyring.WithMaxAge]); negative means no age check. Default
	// DefaultMaxAge.
	MaxAge time.Duration
	// Now, if set, is the clock of every keyring loaded ([Keyring.WithClock])
	// and of the times in [WatchStatus]. Default time.Now.
	Now func() time.Time
}

// ErrClosed: Reload on a closed Watcher.
var ErrClosed = errors.New("keyring: watcher closed")

// Watcher holds the keyring read from a file and re-reads the file when it
// changes: every Interval it reads the file (a keyring file is small) and
// compares its SHA-256 with the content in force, so a change is seen even
// when the size and modification time stay the same. A file that fails to
// load (missing, unreadable, half written, invalid, writable by others) is
// logged and never replaces the good keyring in force; [Watcher.Status]
// says so, and since when, for a health check. Watcher is a [Source].
type Watcher struct {
	path   string
	opts   WatchOptions
	logger *slog.Logger
	cur    atomic.Pointer[Keyring]
	status atomic.Pointer[WatchStatus] // replaced after every check

	mu         sync.Mutex // serialises reloads; guards the fields below
	goodSum    [sha256.Size]byte
	badSum     [sha256.Size]byte
	loadedSize int64 // of the file the keyring in force came from
	closed     bool

	stop chan struct{}
	done chan struct{}
}

// Watch loads the keyring file at path (an error if it does not load) and
// starts checking it for changes every opts.Interval. Call Close to stop.
func Watch(path string, opts WatchOptions) (*Watcher, error) {
	if opts.Interval == 0 {
		opts.Interval = DefaultWatchInterval
	}
	w := &Watcher{path: path, opts: opts, logger: opts.Logger, stop: make(chan struct{}), done: make(chan struct{})}
	if w.logger == nil {
		w.logger = slog.Default()
	}
	data, fi, warnings, err := readFile(path)
	if err != nil {
		return nil, err
	}
	k, err := w.parse(data)
	if err != nil {
		return nil, err
	}
	for _, pw := range warnings {
		pw.log(w.logger, path)
	}
	w.goodSum, w.loadedSize = sha256.Sum256(data), fi.Size()
	w.cur.Store(k)
	w.status.Store(&WatchStatus{
		Path: path, PrimaryID: k.Primary().ID, Keys: k.Len(),
		LoadedModTime: fi.ModTime(), FileModTime: fi.ModTime(), LastCheck: w.now(),
	})
	if opts.Interval > 0 {
		go w.loop()
	} else {
		close(w.done)
	}
	return w, nil
}

func (w *Watcher) now() time.Time {
	if w.opts.Now != nil {
		return w.opts.Now()
	}
	return time.Now()
}

func (w *Watcher) parse(data []byte) (*Keyring, error) {
	k, err := Parse(data)
	if err != nil {
		return nil, withSource(err, w.path)
	}
	switch {
	case w.opts.MaxAge < 0:
		k = k.WithMaxAge(0)
	case w.opts.MaxAge > 0:
		k = k.WithMaxAge(w.opts.MaxAge)
	}
	if w.opts.Now != nil {
		k = k.WithClock(w.opts.Now)
	}
	return k, nil
}

// Keyring returns the latest keyring that loaded successfully.
func (w *Watcher) Keyring() *Keyring { return w.cur.Load() }

// Reload re-reads the file now. If it loads, its keyring replaces the one
// in force (if the content changed) and Reload returns nil. If not, the
// keyring in force stays, the problem is logged once per distinct bad
// content, and Reload returns the error. Either way [Watcher.Status]
// reports the result.
func (w *Watcher) Reload() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	return w.reloadLocked()
}

// reloadLocked checks the file and records the result in w.status.
func (w *Watcher) reloadLocked() error {
	st := *w.status.Load()
	st.LastCheck = w.now()
	fi, err := w.loadLocked(&st)
	if fi == nil { // not opened: its modification time, if it is there
		fi, _ = os.Stat(w.path)
	}
	st.FileModTime = time.Time{}
	if fi != nil {
		st.FileModTime = fi.ModTime()
	}
	if err == nil {
		if st.Failures > 0 {
			w.logger.Info("keyring: the file loads again", "path", w.path, "failed_checks", st.Failures, "failing_since", st.FailingSince)
		}
		st.LastError, st.FailingSince, st.Failures, st.Stale = nil, time.Time{}, 0, false
	} else {
		if st.Failures == 0 {
			st.FailingSince = st.LastCheck
		}
		st.LastError = err
		st.Failures++
		st.FailuresTotal++
		st.Stale = fi != nil && (!fi.ModTime().Equal(st.LoadedModTime) || fi.Size() != w.loadedSize)
	}
	w.status.Store(&st)
	return err
}

// loadLocked reads the file and, if its content changed and loads,
// swaps the keyring in force and records it in st. It returns the file's
// FileInfo if the file was opened.
func (w *Watcher) loadLocked(st *WatchStatus) (fs.FileInfo, error) {
	data, fi, warnings, err := readFile(w.path)
	if err != nil {
		// Log each distinct failure once, not every tick: a file that was
		// invalid and is then deleted is logged twice.
		if sum := sha256.Sum256([]byte("read: " + err.Error())); sum != w.badSum {
			w.badSum = sum
			w.logger.Error("keyring: reload failed; keeping the keyring in force", "path", w.path, "err", err)
		}
		return fi, err
	}
	sum := sha256.Sum256(data)
	if sum == w.goodSum { // unchanged content, perhaps touched
		w.badSum = [sha256.Size]byte{}
		st.LoadedModTime, w.loadedSize = fi.ModTime(), fi.Size()
		return fi, nil
	}
	k, err := w.parse(data)
	if err != nil {
		if sum != w.badSum {
			w.badSum = sum
			w.logger.Error("keyring: reload failed; keeping the keyring in force", "path", w.path, "err", err)
		}
		return fi, err
	}
	w.goodSum, w.badSum = sum, [sha256.Size]byte{}
	w.cur.Store(k)
	st.LoadedModTime, w.loadedSize = fi.ModTime(), fi.Size()
	st.PrimaryID, st.Keys = k.Primary().ID, k.Len()
	w.logger.Info("keyring: reloaded", "path", w.path, "primary", k.Primary().ID, "keys", k.Len())
	for _, pw := range warnings { // as Watch does for the first file
		pw.log(w.logger, w.path)
	}
	return fi, nil
}

func (w *Watcher) loop() {
	defer close(w.done)
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			if !w.closed {
				_ = w.reloadLocked() // logged inside
			}
			w.mu.Unlock()
		}
	}
}

// Close stops watching. The keyring in force stays available from
// Keyring. Close is idempotent.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	return nil
}
