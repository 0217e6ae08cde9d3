package natsrepl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/revocation"
)

// ensureStream returns the stream's info, creating the stream if it is
// missing. An existing stream with other settings is an error wrapping
// ErrStreamMismatch that names every difference; natsrepl never changes a
// stream it did not just create.
func (r *Replicator) ensureStream(ctx context.Context) (*jetstream.StreamInfo, error) {
	return ensureStream(ctx, r.js, r.cfg)
}

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg Config) (*jetstream.StreamInfo, error) {
	s, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg.streamConfig())
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Another instance created it first: verify theirs.
			s, err = js.Stream(ctx, cfg.Stream)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsrepl: stream %s: %w", cfg.Stream, err)
	}
	info := s.CachedInfo()
	if diffs := cfg.mismatch(info.Config); len(diffs) > 0 {
		return nil, fmt.Errorf("%w: stream %s has %s; fix the stream or Config", ErrStreamMismatch, cfg.Stream, strings.Join(diffs, "; "))
	}
	return info, nil
}

// The stored position: version(1)=1, stream sequence(8), stream creation
// time in Unix nanoseconds(8), big-endian. The creation time tells a
// recreated stream (which restarts at sequence 1) from the one the
// sequence belongs to.
const cursorVersion = 1

func encodeCursor(seq uint64, created time.Time) []byte {
	b := make([]byte, 0, 17)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, seq)
	return binary.BigEndian.AppendUint64(b, uint64(created.UnixNano()))
}

var errBadCursor = errors.New("natsrepl: malformed stored position")

func decodeCursor(b []byte) (uint64, time.Time, error) {
	if len(b) != 17 || b[0] != cursorVersion {
		return 0, time.Time{}, fmt.Errorf("%w: %d bytes", errBadCursor, len(b))
	}
	seq := binary.BigEndian.Uint64(b[1:9])
	created := time.Unix(0, int64(binary.BigEndian.Uint64(b[9:17]))).UTC()
	return seq, created, nil
}

// PositionName is the revocation.Cursor name under which a Replicator
// stores its position in the stream named stream ("" means DefaultStream).
// A store holding one replicates: `sealctl revoke --data` then queues its
// event in the outbox.
func PositionName(stream string) string {
	if stream == "" {
		stream = DefaultStream
	}
	return "natsrepl/" + stream
}

func (r *Replicator) cursor(seq uint64, created time.Time) revocation.Cursor {
	return revocation.Cursor{Name: r.cursorKey, Value: encodeCursor(seq, created)}
}

// subject is where an event of this kind is published.
func subject(prefix string, k revocation.Kind) string {
	switch k {
	case revocation.KindSession:
		return prefix + ".session"
	case revocation.KindUser:
		return prefix + ".user"
	case revocation.KindAll:
		return prefix + ".all"
	case revocation.KindLogin:
		return prefix + ".login"
	}
	return prefix + ".other"
}
