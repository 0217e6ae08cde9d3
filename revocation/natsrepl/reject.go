package natsrepl

import (
	"errors"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// rejectReason groups why a message was rejected, for rate-limiting its
// log lines: one reason's flood must not hide another's first line.
type rejectReason int

const (
	reasonUnsigned   rejectReason = iota // no MAC headers
	reasonUnknownKey                     // a key ID not in the ring: never had, or retired
	reasonBadMAC                         // a MAC that does not verify, or is malformed
	reasonNotEvent                       // signed, but not a revocation event
	numRejectReasons
)

// rejectReasonOf classifies verify's error; only meaningful when err is
// not nil.
func rejectReasonOf(err error) rejectReason {
	switch {
	case errors.Is(err, errUnsigned):
		return reasonUnsigned
	case errors.Is(err, keyring.ErrUnknownKey):
		return reasonUnknownKey
	}
	return reasonBadMAC
}

// rejectedSeqs remembers the highest stream sequence counted as rejected,
// in the stream (by creation time) it belongs to, so that a message
// delivered again (a consumer restarted before the position moved past
// it, a replay after a reset) is counted once. Sequences only grow within
// one stream. Used by the consume loop only.
type rejectedSeqs struct {
	created time.Time
	highest uint64
}

// first records seq in the stream created at created, and reports whether
// it was not counted before.
func (s *rejectedSeqs) first(created time.Time, seq uint64) bool {
	if !created.Equal(s.created) {
		s.created, s.highest = created, 0
	}
	if seq <= s.highest {
		return false
	}
	s.highest = seq
	return true
}
