package revocation

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// slogBadger routes Badger's logging through slog.
type slogBadger struct{ l *slog.Logger }

func (b slogBadger) msg(format string, args []any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...))
}

func (b slogBadger) Errorf(f string, a ...any) {
	b.l.Error(b.msg(f, a), "source", "badger")
}

func (b slogBadger) Warningf(f string, a ...any) {
	b.l.Warn(b.msg(f, a), "source", "badger")
}

func (b slogBadger) Infof(f string, a ...any) {
	b.debug(f, a)
}

func (b slogBadger) Debugf(f string, a ...any) {
	b.debug(f, a)
}

// debug logs at Debug level, formatting only if that level is on.
func (b slogBadger) debug(f string, a []any) {
	if b.l.Enabled(context.Background(), slog.LevelDebug) {
		b.l.Debug(b.msg(f, a), "source", "badger")
	}
}
