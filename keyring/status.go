package keyring

import "time"

// WatchStatus is a snapshot of a [Watcher]: the keyring in use and how the
// checks of its file went, for a health check and metrics. It holds no
// secret: LastError says what is wrong with the file, never its content.
//
// A health check should fail while Stale is true, answering for example
// "keyring reload failing: " + LastError.Error(): the file then holds
// something other than the keyring in use (an operator's rotation or
// retirement) and the instance can't load it, so it still seals and opens
// with keys the operator has changed, perhaps a retired leaked key.
type WatchStatus struct {
	// Path is the keyring file watched, as given to Watch.
	Path string
	// PrimaryID and Keys describe the keyring in use: its primary key's
	// ID and how many keys it holds. Every instance reporting the same
	// pair confirms that a rotation or retirement reached them all.
	PrimaryID string
	Keys      int
	// LoadedModTime is the modification time of the file the keyring in
	// use was loaded from (or of the file found since with the same
	// content).
	LoadedModTime time.Time
	// FileModTime is the file's modification time at the last check; zero
	// if the file could not be found.
	FileModTime time.Time
	// LastCheck is when the file was last checked: by Watch, a tick of
	// the Interval, or Reload ([WatchOptions.Now]'s time).
	LastCheck time.Time
	// LastError is why the last check failed (errors.Is-able: for example
	// [ErrInvalidFile], [ErrInsecureMode], [io/fs.ErrNotExist],
	// [io/fs.ErrPermission]); nil if it succeeded: the file loaded or its
	// content was unchanged.
	LastError error
	// FailingSince is when the current run of failed checks began; zero
	// when the last check succeeded.
	FailingSince time.Time
	// Failures is how many checks in a row have failed; zero when the
	// last check succeeded.
	Failures int
	// FailuresTotal counts every failed check since Watch, at most one per
	// Interval and one per Reload: a counter for metrics.
	FailuresTotal uint64
	// Stale: the last check failed, and the file is not the one the
	// keyring in use came from (its modification time or size differ).
	// A file that is missing is not stale (the keyring in use is the last
	// one written; LastError says the file is gone), nor is one whose only
	// change is its permissions; both still fail the next start.
	Stale bool
}

// Status returns a snapshot of the Watcher's state. It does not wait for
// a check in progress (nor for a file read that hangs), and may be called
// from any goroutine, also after Close.
func (w *Watcher) Status() WatchStatus { return *w.status.Load() }
