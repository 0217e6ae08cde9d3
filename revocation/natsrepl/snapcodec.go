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
//	's' session(16) until(8) | 'u' userlen(2) user at(8) | 'a' at(8) |
//	'l' session(16) userlen(2) user created(8) flags(1) devlen(1) device
//
// 'l' is a login of the registry (revocation.KindLogin; flags bit 0: device
// bound), written only by a store whose registry is on; a joiner of an
// older version refuses a snapshot holding one and replays the stream.
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

// listSnapshot is a snapshot: its head, and either its events (to
// encode, or decoded whole) or its records, checked and decoded chunk by
// chunk (each), so that joining from a large snapshot does not hold the
// whole list as events (about 120 bytes an entry against 25 encoded).
type listSnapshot struct {
	seq     uint64
	created time.Time
	made    time.Time
	events  []revocation.Event
	records []byte // checked by parseSnapshot; decoded by each
	count   uint64 // records in records
}

// snapEncoder encodes a snapshot one event at a time; bytes puts the count
// in the head.
type snapEncoder struct {
	b []byte
	n uint64
}

// newSnapEncoder starts a snapshot; hint is about how many events follow.
func newSnapEncoder(seq uint64, created, made time.Time, hint int) *snapEncoder {
	b := make([]byte, 0, snapHead+snapSession*hint)
	b = append(b, snapMagic...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint64(b, uint64(created.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(made.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, 0) // the count, set by bytes
	return &snapEncoder{b: b}
}

// add appends ev; an event of an unknown kind is an error.
func (e *snapEncoder) add(ev *revocation.Event) error {
	b := e.b
	switch ev.Kind {
	case revocation.KindSession:
		b = append(b, 's')
		b = append(b, ev.Session[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(ev.Until.UnixNano()))
	case revocation.KindUser:
		if len(ev.User) == 0 || len(ev.User) > revocation.MaxUserLen {
			return fmt.Errorf("natsrepl: encode snapshot: user ID of %d bytes", len(ev.User))
		}
		b = append(b, 'u')
		b = binary.BigEndian.AppendUint16(b, uint16(len(ev.User)))
		b = append(b, ev.User...)
		b = binary.BigEndian.AppendUint64(b, uint64(ev.At.UnixNano()))
	case revocation.KindAll:
		b = append(b, 'a')
		b = binary.BigEndian.AppendUint64(b, uint64(ev.At.UnixNano()))
	case revocation.KindLogin:
		if len(ev.User) == 0 || len(ev.User) > revocation.MaxUserLen || len(ev.Device) > revocation.MaxDeviceLen {
			return fmt.Errorf("natsrepl: encode snapshot: login of a %d-byte user ID, %d-byte device", len(ev.User), len(ev.Device))
		}
		b = append(b, 'l')
		b = append(b, ev.Session[:]...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(ev.User)))
		b = append(b, ev.User...)
		b = binary.BigEndian.AppendUint64(b, uint64(ev.At.UnixNano()))
		var flags byte
		if ev.Bound {
			flags = loginBound
		}
		b = append(b, flags, byte(len(ev.Device)))
		b = append(b, ev.Device...)
	default:
		return fmt.Errorf("natsrepl: encode snapshot: event of unknown kind %d", uint8(ev.Kind))
	}
	e.b = b
	e.n++
	return nil
}

// bytes returns the encoded snapshot.
func (e *snapEncoder) bytes() []byte {
	binary.BigEndian.PutUint64(e.b[32:], e.n)
	return e.b
}

// encodeSnapshot encodes sn's events; events of an unknown kind are an
// error.
func encodeSnapshot(sn listSnapshot) ([]byte, error) {
	e := newSnapEncoder(sn.seq, sn.created, sn.made, len(sn.events))
	for i := range sn.events {
		if err := e.add(&sn.events[i]); err != nil {
			return nil, err
		}
	}
	return e.bytes(), nil
}

// parseSnapshot checks what encodeSnapshot made, every record included,
// without decoding the records into events. Anything else, trailing bytes
// included, is an error wrapping errBadSnapshot; it never panics.
func parseSnapshot(b []byte) (listSnapshot, error) {
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
	for i := uint64(0); i < n; i++ {
		_, size, err := decodeRecord(rest, sn.made)
		if err != nil {
			return sn, fmt.Errorf("%w: record %d: %w", errBadSnapshot, i, err)
		}
		rest = rest[size:]
	}
	if len(rest) != 0 {
		return sn, fmt.Errorf("%w: %d trailing bytes", errBadSnapshot, len(rest))
	}
	sn.records, sn.count = b[snapHead:], n
	return sn, nil
}

// each calls fn with the records parseSnapshot checked, decoded, chunk
// events at a time (a new slice each time); last marks the final call,
// made even when there are no records.
func (sn *listSnapshot) each(chunk int, fn func(evs []revocation.Event, last bool) error) error {
	rest, left := sn.records, sn.count
	for {
		evs := make([]revocation.Event, 0, min(uint64(chunk), left))
		for ; left > 0 && len(evs) < chunk; left-- {
			ev, size, err := decodeRecord(rest, sn.made)
			if err != nil {
				return fmt.Errorf("%w: %w", errBadSnapshot, err) // parseSnapshot checked them: not reached
			}
			evs = append(evs, ev)
			rest = rest[size:]
		}
		if err := fn(evs, left == 0); err != nil || left == 0 {
			return err
		}
	}
}

// decodeSnapshot checks and decodes a snapshot whole, events included.
func decodeSnapshot(b []byte) (listSnapshot, error) {
	sn, err := parseSnapshot(b)
	if err != nil {
		return sn, err
	}
	sn.events = make([]revocation.Event, 0, sn.count)
	err = sn.each(snapChunk, func(evs []revocation.Event, _ bool) error {
		sn.events = append(sn.events, evs...)
		return nil
	})
	return sn, err
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
	case 'l':
		var err error
		if ev, size, err = decodeLoginRecord(b); err != nil {
			return ev, 0, err
		}
		t = ev.At.UnixNano()
	default:
		return ev, 0, fmt.Errorf("unknown record type %#x", b[0])
	}
	if t <= 0 {
		return ev, 0, fmt.Errorf("time %d out of range", t)
	}
	switch ev.Kind {
	case revocation.KindSession:
		ev.Until = time.Unix(0, t).UTC()
	case revocation.KindLogin: // decodeLoginRecord set At
	default:
		ev.At = time.Unix(0, t).UTC()
	}
	return ev, size, nil
}

// loginBound is the flags bit of a login record for a device-bound session.
const loginBound = 1

// decodeLoginRecord decodes an 'l' record at the start of b (its type byte
// checked) and returns its size.
func decodeLoginRecord(b []byte) (revocation.Event, int, error) {
	ev := revocation.Event{Kind: revocation.KindLogin}
	if len(b) < 1+16+2 {
		return ev, 0, errTruncated
	}
	copy(ev.Session[:], b[1:17])
	ulen := int(binary.BigEndian.Uint16(b[17:]))
	if ulen == 0 || ulen > revocation.MaxUserLen {
		return ev, 0, fmt.Errorf("user ID of %d bytes", ulen)
	}
	rest := b[19:]
	if len(rest) < ulen+8+1+1 {
		return ev, 0, errTruncated
	}
	ev.User = string(rest[:ulen])
	created := int64(binary.BigEndian.Uint64(rest[ulen:]))
	flags, dlen := rest[ulen+8], int(rest[ulen+9])
	if created <= 0 {
		return ev, 0, fmt.Errorf("time %d out of range", created)
	}
	if flags&^loginBound != 0 {
		return ev, 0, fmt.Errorf("unknown login flags %#x", flags)
	}
	if dlen > revocation.MaxDeviceLen {
		return ev, 0, fmt.Errorf("device of %d bytes", dlen)
	}
	rest = rest[ulen+10:]
	if len(rest) < dlen {
		return ev, 0, errTruncated
	}
	ev.At, ev.Bound, ev.Device = time.Unix(0, created).UTC(), flags&loginBound != 0, string(rest[:dlen])
	return ev, 1 + 16 + 2 + ulen + 8 + 2 + dlen, nil
}
