package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

const revokeHelp = `--data works on a stopped instance's directory; a running cluster is reached
with --nats and the cluster's --keyring, whose primary key signs the event
(instances drop events that don't verify under their keyring), and
--nats-creds or --nats-nkey, --nats-ca, --nats-tls-cert, --nats-tls-key,
--stream, --subject-prefix as the servers are configured.`

// revokeOptions are the revoke commands' flags.
type revokeOptions struct {
	data   string        // --data
	nats   string        // --nats
	nopts  natsOptions   // --keyring, --nats-creds, --nats-nkey, --nats-ca, --nats-tls-*, --stream, --subject-prefix
	until  string        // session --until
	life   time.Duration // --absolute-lifetime
	outbox bool          // --outbox
}

func revokeFlags(fs *flag.FlagSet, c *call) {
	o := &c.revoke
	fs.StringVar(&o.data, "data", "", "a stopped instance's revocation `DIR`ectory")
	natsFlags(fs, &o.nats, &o.nopts, "its primary key signs the event")
	fs.DurationVar(&o.life, "absolute-lifetime", 0, "with --data: the instance's absolute session lifetime, how long an entry is kept (default: what the directory recorded, else 720h; through --nats each server uses its own)")
	fs.BoolVar(&o.outbox, "outbox", false, "with --data: also queue the event for replication when the instance next starts (automatic for a directory that has replicated through NATS)")
}

func revokeSessionFlags(fs *flag.FlagSet, c *call) {
	revokeFlags(fs, c)
	fs.StringVar(&c.revoke.until, "until", "", "when the session would expire anyway, as RFC 3339 `TIME` or a duration from now (default now + absolute lifetime)")
}

func revokeSession(ctx context.Context, c *call) error { return revoke(ctx, c, "session") }
func revokeUser(ctx context.Context, c *call) error    { return revoke(ctx, c, "user") }
func revokeAll(ctx context.Context, c *call) error     { return revoke(ctx, c, "all") }

// revoke records a revocation of scope ("session", "user" or "all") in a
// stopped instance's directory or publishes it to a running cluster.
func revoke(ctx context.Context, c *call, scope string) error {
	o := &c.revoke
	if err := o.check(); err != nil {
		return err
	}
	now := time.Now()
	ev, err := buildEvent(scope, c.args, o.until, now)
	if err != nil {
		return err
	}
	if o.nats != "" {
		return revokeViaNATS(ctx, o.nats, o.nopts, ev, c.stdout)
	}
	return revokeData(ctx, o, ev, now, c.stdout, c.stderr)
}

// check says whether the flags name one place to revoke in.
func (o *revokeOptions) check() error {
	if err := checkTarget("revoke", o.data, o.nats, &o.nopts, "instances apply only events signed under it"); err != nil {
		return err
	}
	if o.life < 0 {
		return usagef("revoke: --absolute-lifetime must not be negative")
	}
	return nil
}

// buildEvent builds, through the revocation package, the event that
// revokes scope; pos holds the session or user ID (the command table has
// checked their number).
func buildEvent(scope string, pos []string, until string, now time.Time) (ev revocation.Event, err error) {
	host, _ := os.Hostname()
	origin := "sealctl@" + host
	switch scope {
	case "session":
		id, herr := hex.DecodeString(pos[0])
		if herr != nil || len(id) != 16 {
			return ev, usagef("revoke session: %q is not a session ID (32 hex characters)", pos[0])
		}
		// Without --until, until stays zero: "as late as allowed", which
		// each store reads as now plus its own absolute lifetime (over
		// NATS, the servers', whatever --absolute-lifetime says).
		var u time.Time
		if until != "" {
			if u, err = parseUntil(until, now); err != nil {
				return ev, usagef("revoke session: --until: %v", err)
			}
		}
		ev, err = revocation.SessionEvent(origin, [16]byte(id), now, u)
	case "user":
		if pos[0] == "" {
			return ev, usagef("revoke user: want one user ID")
		}
		ev, err = revocation.UserEvent(origin, pos[0], now)
	case "all":
		ev, err = revocation.AllEvent(origin, now)
	}
	if err != nil {
		return ev, fmt.Errorf("revoke: %w", err)
	}
	return ev, nil
}

// revokeData records ev in a stopped instance's directory.
func revokeData(ctx context.Context, o *revokeOptions, ev revocation.Event, now time.Time, stdout, stderr io.Writer) error {
	s, err := openForRevoke(o.data, o.life, o.outbox, stderr)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	switch ev.Kind {
	case revocation.KindSession:
		err = s.RevokeSession(ctx, ev.Session, ev.Until)
	case revocation.KindUser:
		err = s.RevokeUser(ctx, ev.User, ev.At)
	case revocation.KindAll:
		err = s.RevokeAll(ctx, ev.At)
	}
	storeLife := s.AbsoluteLifetime()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("revoke: %w", storeAdvice(o.data, err))
	}
	kept, _, _ := ev.Clamp(now, storeLife, revocation.DefaultMaxClockSkew)
	printRevoked(stdout, ev, kept.Until, o.data)
	return nil
}

// openForRevoke opens dir for a revocation, with the outbox if asked or if
// dir replicates through NATS: without it, a revocation made in a
// replicating instance's directory would never reach the other instances.
func openForRevoke(dir string, life time.Duration, outbox bool, stderr io.Writer) (*revocation.Store, error) {
	s, err := openData(dir, life, outbox, stderr)
	if err != nil || outbox {
		return s, err
	}
	pos, err := s.Cursor(natsrepl.PositionName(""))
	if err != nil || pos == nil {
		return s, nil
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "note: %s replicates through NATS (stream %s): the event is also queued for publishing when the instance starts\n", dir, natsrepl.DefaultStream)
	return openData(dir, life, true, stderr)
}

// printRevoked says what revokeData recorded; a session's entry is kept
// until kept (its --until clamped by the store's lifetime).
func printRevoked(w io.Writer, ev revocation.Event, kept time.Time, dir string) {
	fmt.Fprintf(w, "revoked %s in %s\n", revoked(ev, kept.UTC().Format(time.RFC3339)), dir)
}

// revoked describes what ev revokes; until says how long, for a session.
func revoked(ev revocation.Event, until string) string {
	switch ev.Kind {
	case revocation.KindSession:
		return fmt.Sprintf("session %x until %s", ev.Session, until)
	case revocation.KindUser:
		return fmt.Sprintf("every session of user %q created up to %s", ev.User, ev.At.UTC().Format(time.RFC3339Nano))
	default:
		return fmt.Sprintf("every session created up to %s", ev.At.UTC().Format(time.RFC3339Nano))
	}
}

// parseUntil reads an RFC 3339 time or a duration from now.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("duration %s is not in the future", s)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s is in the past: a session past its expiry is dead anyway", s)
	}
	return t, nil
}

// openData opens a stopped instance's directory for a revocation, turning
// a lock held by a running server into advice.
func openData(dir string, life time.Duration, outbox bool, stderr io.Writer) (*revocation.Store, error) {
	s, err := openDir(dir, revocation.Config{AbsoluteLifetime: life, Outbox: outbox}, stderr)
	if errors.Is(err, revocation.ErrLocked) {
		return nil, fmt.Errorf("%s is held by a running server: revoke through the cluster with --nats URL instead, or stop the server first (%w)", dir, err)
	}
	return s, err
}

// openDir opens the existing directory dir with cfg, as sealctl: named
// after the host, without background housekeeping, logging warnings to
// stderr. It adds advice to ErrDiskFull and ErrCorrupt; ErrLocked is the
// caller's to explain.
func openDir(dir string, cfg revocation.Config, stderr io.Writer) (*revocation.Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--data %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("--data %s: not a directory", dir)
	}
	host, _ := os.Hostname()
	cfg.Node = "sealctl@" + host
	cfg.GCInterval = -1
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := revocation.Open(dir, cfg)
	return s, storeAdvice(dir, err)
}

// storeAdvice adds what an operator can do to a store's ErrDiskFull or
// ErrCorrupt; other errors (nil too) pass unchanged.
func storeAdvice(dir string, err error) error {
	switch {
	case errors.Is(err, revocation.ErrDiskFull):
		return fmt.Errorf("%w\nfree space on the filesystem of %s and run the command again; a running server resumes writing by itself once there is room", err, dir)
	case errors.Is(err, revocation.ErrCorrupt):
		return fmt.Errorf("%w\nrestore %s from a backup; or move it aside (mv %s %s.damaged) and start the instance with an empty directory: "+
			"with --nats it refills from the stream; without, revoke again what it held (sealctl revoke user ID, or sealctl revoke all)", err, dir, dir, dir)
	}
	return err
}

// statsOptions are revocations stats' flags.
type statsOptions struct {
	data string        // --data
	json bool          // --json
	life time.Duration // --absolute-lifetime
}

func statsFlags(fs *flag.FlagSet, c *call) {
	o := &c.stats
	fs.StringVar(&o.data, "data", "", "a stopped instance's revocation `DIR`ectory")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.DurationVar(&o.life, "absolute-lifetime", 0, "the servers' absolute session lifetime (default: what the directory recorded, else 720h)")
}

func revocationsStats(_ context.Context, c *call) error {
	o := c.stats
	s, err := openData(o.data, o.life, false, c.stderr)
	if err != nil {
		if errors.Is(err, revocation.ErrLocked) {
			err = fmt.Errorf("%s is held by a running server: stop it first, or read the server's own stats (%w)", o.data, revocation.ErrLocked)
		}
		return fmt.Errorf("revocations stats: %w", err)
	}
	st := s.Stats()
	if err := s.Close(); err != nil {
		return fmt.Errorf("revocations stats: %w", err)
	}
	if o.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return printStats(c.stdout, o.data, st)
}

func printStats(w io.Writer, dir string, st revocation.Stats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "directory:    %s\n", dir)
	fmt.Fprintf(&b, "sessions:     %d\n", st.Sessions)
	fmt.Fprintf(&b, "users:        %d\n", st.Users)
	if st.All.IsZero() {
		fmt.Fprintf(&b, "all:          none\n")
	} else {
		fmt.Fprintf(&b, "all:          every session created up to %s\n", st.All.Format(time.RFC3339Nano))
	}
	fmt.Fprintf(&b, "outbox:       %d pending\n", st.OutboxDepth)
	fmt.Fprintf(&b, "disk:         %d bytes\n", st.DiskBytes)
	_, err := io.WriteString(w, b.String())
	return err
}
