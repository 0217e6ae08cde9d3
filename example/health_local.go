package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/sealedsessions/sealed/keyring"
)

// The parts of /healthz about this machine: the revocation store's disk
// and the keyring file.

// diskHealth is the free space of the revocation store's filesystem.
type diskHealth struct {
	FreeBytes     int64 `json:"free_bytes"`    // -1 where it can't be measured
	ReserveBytes  int64 `json:"reserve_bytes"` // below this, writes are refused
	WritesRefused bool  `json:"writes_refused"`
}

// keyringHealth is the keyring in use: every instance reporting the same
// primary key ID and key count confirms a rotation or retirement reached
// them all.
type keyringHealth struct {
	Keys           int    `json:"keys"`
	Primary        string `json:"primary"`
	ReloadFailures uint64 `json:"reload_failures"`
	Error          string `json:"error,omitempty"`
}

// unhealthy marks rep unhealthy for reason.
func (rep *healthReport) unhealthy(reason string) {
	rep.Status = "unhealthy"
	rep.Reasons = append(rep.Reasons, reason)
}

// checkDisk reports the store's free space, and is unhealthy while the
// store refuses writes for lack of it: logouts then fail (the user may
// retry), while sessions still open and revoked ones stay dead.
func (s *Server) checkDisk(rep *healthReport) {
	d := s.store.Disk()
	rep.Revocation.Disk = diskHealth{FreeBytes: d.Free, ReserveBytes: d.Reserve, WritesRefused: d.Refused != nil}
	if d.Refused != nil {
		// Not d.Refused itself: it names the data directory.
		rep.unhealthy(fmt.Sprintf("revocation store refuses writes: disk full: %s free, below the reserve of %s", mib(d.Free), mib(d.Reserve)))
	}
}

// checkKeyring reports the keyring in use, and is unhealthy while the file
// holds a change this instance can't load: it still seals and opens with
// keys an operator changed, perhaps a retired leaked one.
func (s *Server) checkKeyring(rep *healthReport) {
	st := s.keys.Status()
	rep.Keyring = keyringHealth{Keys: st.Keys, Primary: st.PrimaryID, ReloadFailures: st.FailuresTotal}
	if st.Stale {
		rep.Keyring.Error = "keyring reload failing: " + publicKeyringError(st.LastError)
		rep.unhealthy(rep.Keyring.Error)
	}
}

// publicKeyringError is what /healthz says about a keyring file that
// doesn't load: the reason, without the file's path (the log has it).
func publicKeyringError(err error) string {
	for _, e := range []error{keyring.ErrInsecureMode, keyring.ErrInvalidFile, fs.ErrPermission, fs.ErrNotExist} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "the file can't be loaded (see the log)"
}

// mib formats n bytes in MiB.
func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
