package natsrepl

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
)

// The message headers that authenticate an event: the ID of the key that
// made the MAC, and the MAC (unpadded base64url of
// keyring.SignEvent's bytes).
const (
	HeaderKeyID = "Sealed-Key-Id"
	HeaderMAC   = "Sealed-Mac"
)

// macContext separates natsrepl's MAC input from anything else a keyring's
// event key might ever sign.
const macContext = "sealed/natsrepl/v1 event\x00"

// Reasons an event is rejected, as logged.
var (
	errUnsigned = errors.New("no MAC")
	errNoRing   = errors.New("natsrepl: Config.Keys returned no keyring")
)

// macInput is what an event's MAC covers: a context string, the subject
// (length-prefixed) and the event's bytes exactly as on the stream.
func macInput(subject string, data []byte) []byte {
	b := make([]byte, 0, len(macContext)+4+len(subject)+len(data))
	b = append(b, macContext...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(subject)))
	b = append(b, subject...)
	return append(b, data...)
}

// sign makes the message carrying data on subject, with its MAC under
// ring's primary key in its headers.
func sign(ring *keyring.Keyring, subject string, data []byte) *nats.Msg {
	id, mac := ring.SignEvent(macInput(subject, data))
	h := nats.Header{}
	h.Set(HeaderKeyID, id)
	h.Set(HeaderMAC, base64.RawURLEncoding.EncodeToString(mac))
	return &nats.Msg{Subject: subject, Data: data, Header: h}
}

// verify checks the MAC a message carries under ring; the error says why
// it is refused (unsigned, unknown or retired key, bad MAC).
func verify(ring *keyring.Keyring, subject string, h nats.Header, data []byte) error {
	id, enc := h.Get(HeaderKeyID), h.Get(HeaderMAC)
	if id == "" || enc == "" {
		return errUnsigned
	}
	mac, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return fmt.Errorf("malformed MAC header: %w", keyring.ErrTampered)
	}
	return ring.VerifyEvent(id, macInput(subject, data), mac)
}

// keys returns the ring in use, or errNoRing.
func (cfg *Config) keys() (*keyring.Keyring, error) {
	if cfg.Keys == nil {
		return nil, fmt.Errorf("%w: Keys is nil: set it to the keyring in use (e.g. a keyring.Watcher's Keyring method)", ErrInvalidConfig)
	}
	ring := cfg.Keys()
	if ring == nil || ring.Len() == 0 {
		return nil, errNoRing
	}
	return ring, nil
}

// accept verifies a delivered message under ring and decodes its event.
// A message that does not verify, or does not decode, is rejected:
// counted once per stream sequence (a redelivery after a consumer restart
// counts no more) and logged with its subject and claimed origin, never
// its bytes, at most one line per reason per second (lograte).
func (r *Replicator) accept(ring *keyring.Keyring, d *delivery, created time.Time) (revocation.Event, bool) {
	var ev revocation.Event
	err := verify(ring, d.subject, d.header, d.data)
	why := rejectReasonOf(err)
	if err == nil {
		if err = ev.UnmarshalBinary(d.data); err != nil {
			err = fmt.Errorf("signed, but not a revocation event: %w", err)
			why = reasonNotEvent
		}
	}
	if err == nil {
		return ev, true
	}
	if !r.rejects.first(created, d.streamSeq) {
		return ev, false // counted and logged when first delivered
	}
	r.rejected.Add(1)
	ok, suppressed := r.rejectLog[why].Allow(r.cfg.Now().UnixNano())
	if !ok {
		return ev, false
	}
	var claimed revocation.Event
	origin := "(unreadable)"
	if claimed.UnmarshalBinary(d.data) == nil {
		origin = claimed.Origin
	}
	r.log.Warn("natsrepl: rejected a stream message that does not verify under the keyring",
		"seq", d.streamSeq, "subject", d.subject, "origin", origin, "key_id", d.header.Get(HeaderKeyID),
		"reason", err, "suppressed", suppressed)
	return ev, false
}
