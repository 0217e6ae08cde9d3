package natsrepl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

// A list snapshot, as published to the object store. Big-endian:
//
//	magic "SEALSNP1"(8) seq(8) created(8) made(8) count(8) then count records:
//	's' session(16) until(8) | 'u' userlen(2) user at(8) | 'a' at(8)
//
// seq is the stream sequence the list covers (every event up to it is in
// it), created the stream's creation time and made the snapshot's, in
// Unix nanoseconds. The MAC that authenticates it travels in the object's
// headers (see snapshotMAC).
const (
	snapMagic   = "SEALSNP1"
	snapHead    = 8 + 8 + 8 + 8 + 8
	snapMinRec  = 1 + 8 // the smallest record: an 'a'
	snapSession = 1 + 16 + 8
)

// errBadSnapshot marks a snapshot that does not decode.
var errBadSnapshot = errors.New("natsrepl: malformed snapshot")

// listSnapshot is a decoded snapshot: the list as events, ready for
// revocation.Store.Apply.
type listSnapshot struct {
	seq     uint64
	created time.Time
	made    time.Time
	events  []revocation.Event
}

// encodeSnapshot encodes sn; events of an unknown kind are an error.
func encodeSnapshot(sn listSnapshot) ([]byte, error) {
	b := make([]byte, 0, snapHead+snapSession*len(sn.events))
	b = append(b, snapMagic...)
	b = binary.BigEndian.AppendUint64(b, sn.seq)
	b = binary.BigEndian.AppendUint64(b, uint64(sn.created.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(sn.made.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(len(sn.events)))
	for i := range sn.events {
		ev := &sn.events[i]
		switch ev.Kind {
		case revocation.KindSession:
			b = append(b, 's')
			b = append(b, ev.Session[:]...)
			b = binary.BigEndian.AppendUint64(b, uint64(ev.Until.UnixNano()))
		case revocation.KindUser:
			if len(ev.User) == 0 || len(ev.User) > revocation.MaxUserLen {
				return nil, fmt.Errorf("natsrepl: encode snapshot: user ID of %d bytes", len(ev.User))
			}
			b = append(b, 'u')
			b = binary.BigEndian.AppendUint16(b, uint16(len(ev.User)))
			b = append(b, ev.User...)
			b = binary.BigEndian.AppendUint64(b, uint64(ev.At.UnixNano()))
		case revocation.KindAll:
			b = append(b, 'a')
			b = binary.BigEndian.AppendUint64(b, uint64(ev.At.UnixNano()))
		default:
			return nil, fmt.Errorf("natsrepl: encode snapshot: event of unknown kind %d", uint8(ev.Kind))
		}
	}
	return b, nil
}

// decodeSnapshot decodes what encodeSnapshot made. Anything else, trailing
// bytes included, is an error wrapping errBadSnapshot; it never panics and
// allocates no more than the input's size warrants.
func decodeSnapshot(b []byte) (listSnapshot, error) {
	var sn listSnapshot
	if len(b) < snapHead || string(b[:8]) != snapMagic {
		return sn, fmt.Errorf("%w: not a snapshot", errBadSnapshot)
	}
	sn.seq = binary.BigEndian.Uint64(b[8:])
	created, made := int64(binary.BigEndian.Uint64(b[16:])), int64(binary.BigEndian.Uint64(b[24:]))
	n := binary.BigEndian.Uint64(b[32:])
	if created <= 0 || made <= 0 {
		return sn, fmt.Errorf("%w: times out of range", errBadSnapshot)
	}
	sn.created, sn.made = time.Unix(0, created).UTC(), time.Unix(0, made).UTC()
	rest := b[snapHead:]
	if n > uint64(len(rest)/snapMinRec) {
		return sn, fmt.Errorf("%w: %d records can't fit in %d bytes", errBadSnapshot, n, len(rest))
	}
	sn.events = make([]revocation.Event, 0, n)
	for i := uint64(0); i < n; i++ {
		ev, size, err := decodeRecord(rest, sn.made)
		if err != nil {
			return sn, fmt.Errorf("%w: record %d: %w", errBadSnapshot, i, err)
		}
		sn.events = append(sn.events, ev)
		rest = rest[size:]
	}
	if len(rest) != 0 {
		return sn, fmt.Errorf("%w: %d trailing bytes", errBadSnapshot, len(rest))
	}
	return sn, nil
}

var errTruncated = errors.New("truncated")

// decodeRecord decodes the record at the start of b into an event made at
// made, and returns its size.
func decodeRecord(b []byte, made time.Time) (revocation.Event, int, error) {
	var ev revocation.Event
	if len(b) < snapMinRec {
		return ev, 0, errTruncated
	}
	var size int
	var t int64
	switch b[0] {
	case 's':
		if len(b) < snapSession {
			return ev, 0, errTruncated
		}
		ev.Kind, ev.At = revocation.KindSession, made
		copy(ev.Session[:], b[1:17])
		t, size = int64(binary.BigEndian.Uint64(b[17:])), snapSession
	case 'u':
		ulen := int(binary.BigEndian.Uint16(b[1:]))
		if ulen == 0 || ulen > revocation.MaxUserLen {
			return ev, 0, fmt.Errorf("user ID of %d bytes", ulen)
		}
		if size = 1 + 2 + ulen + 8; len(b) < size {
			return ev, 0, errTruncated
		}
		ev.Kind, ev.User = revocation.KindUser, string(b[3:3+ulen])
		t = int64(binary.BigEndian.Uint64(b[3+ulen:]))
	case 'a':
		ev.Kind = revocation.KindAll
		t, size = int64(binary.BigEndian.Uint64(b[1:])), snapMinRec
	default:
		return ev, 0, fmt.Errorf("unknown record type %#x", b[0])
	}
	if t <= 0 {
		return ev, 0, fmt.Errorf("time %d out of range", t)
	}
	if ev.Kind == revocation.KindSession {
		ev.Until = time.Unix(0, t).UTC()
	} else {
		ev.At = time.Unix(0, t).UTC()
	}
	return ev, size, nil
}
