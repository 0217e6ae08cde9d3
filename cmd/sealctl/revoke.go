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

const revokeUsage = `usage:
  sealctl revoke session ID [--until TIME|DURATION] (--data DIR | --nats URL)
  sealctl revoke user ID (--data DIR | --nats URL)
  sealctl revoke all (--data DIR | --nats URL)
ID for a session is its 32-hex-character session ID. --data works on a
stopped instance's directory; a running cluster is reached with --nats
(and --nats-creds, --nats-ca, --stream, --subject-prefix as the servers
are configured).`

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, which it returns in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagError turns a flag package error into a usage error (exit 2); -h is
// a successful request for help.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return usagef("%v", err)
}

func runRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, revokeUsage); fs.PrintDefaults() }
	data := fs.String("data", "", "a stopped instance's revocation `DIR`ectory")
	natsURL := fs.String("nats", "", "NATS `URL` of a running cluster")
	var nopts natsOptions
	fs.StringVar(&nopts.creds, "nats-creds", "", "with --nats: NATS credentials `FILE` (JWT and NKey seed)")
	fs.StringVar(&nopts.ca, "nats-ca", "", "with --nats: PEM `FILE` of the CA that signed the servers' TLS certificates")
	fs.StringVar(&nopts.stream, "stream", natsrepl.DefaultStream, "with --nats: the servers' revocation stream `NAME`")
	fs.StringVar(&nopts.prefix, "subject-prefix", natsrepl.DefaultSubjectPrefix, "with --nats: the servers' subject `PREFIX`")
	until := fs.String("until", "", "session only: when the session would expire anyway, as RFC 3339 `TIME` or a duration from now (default now + absolute lifetime)")
	life := fs.Duration("absolute-lifetime", 0, "with --data: the instance's absolute session lifetime, how long an entry is kept (default: what the directory recorded, else 720h; through --nats each server uses its own)")
	outbox := fs.Bool("outbox", false, "with --data: also queue the event for replication when the instance next starts (automatic for a directory that has replicated through NATS)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, revokeUsage)
		return usagef("revoke: say what to revoke: session ID, user ID or all")
	}
	if (*data == "") == (*natsURL == "") {
		return usagef("revoke: give exactly one of --data DIR (a stopped instance) or --nats URL (a running cluster)")
	}
	if *natsURL == "" && (nopts.creds != "" || nopts.ca != "" || nopts.stream != natsrepl.DefaultStream || nopts.prefix != natsrepl.DefaultSubjectPrefix) {
		return usagef("revoke: --nats-creds, --nats-ca, --stream and --subject-prefix go with --nats")
	}
	if *life < 0 {
		return usagef("revoke: --absolute-lifetime must not be negative")
	}
	if *until != "" && pos[0] != "session" {
		return usagef("revoke: --until applies to sessions only")
	}

	now := time.Now()
	host, _ := os.Hostname()
	origin := "sealctl@" + host
	var ev revocation.Event
	switch pos[0] {
	case "session":
		if len(pos) != 2 {
			return usagef("revoke session: want one session ID, got %d arguments", len(pos)-1)
		}
		id, herr := hex.DecodeString(pos[1])
		if herr != nil || len(id) != 16 {
			return usagef("revoke session: %q is not a session ID (32 hex characters)", pos[1])
		}
		// Without --until, until stays zero: "as late as allowed", which
		// each store reads as now plus its own absolute lifetime (over
		// NATS, the servers', whatever --absolute-lifetime says).
		var u time.Time
		if *until != "" {
			if u, err = parseUntil(*until, now); err != nil {
				return usagef("revoke session: --until: %v", err)
			}
		}
		ev, err = revocation.SessionEvent(origin, [16]byte(id), now, u)
	case "user":
		if len(pos) != 2 || pos[1] == "" {
			return usagef("revoke user: want one user ID")
		}
		ev, err = revocation.UserEvent(origin, pos[1], now)
	case "all":
		if len(pos) != 1 {
			return usagef("revoke all: takes no arguments")
		}
		ev, err = revocation.AllEvent(origin, now)
	default:
		fmt.Fprintln(stderr, revokeUsage)
		return usagef("revoke: unknown scope %q (want session, user or all)", pos[0])
	}
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}

	if *natsURL != "" {
		return revokeViaNATS(ctx, *natsURL, nopts, ev, stdout)
	}

	s, err := openData(*data, *life, *outbox, stderr)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	if !*outbox {
		// Without the outbox, a revocation made in a replicating
		// instance's directory would never reach the other instances.
		pos, err := s.Cursor(natsrepl.PositionName(""))
		if err == nil && pos != nil {
			if err := s.Close(); err != nil {
				return fmt.Errorf("revoke: %w", err)
			}
			fmt.Fprintf(stderr, "note: %s replicates through NATS (stream %s): the event is also queued for publishing when the instance starts\n", *data, natsrepl.DefaultStream)
			if s, err = openData(*data, *life, true, stderr); err != nil {
				return fmt.Errorf("revoke: %w", err)
			}
		}
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
		return fmt.Errorf("revoke: %w", err)
	}
	switch ev.Kind {
	case revocation.KindSession:
		shown, _, _ := ev.Clamp(now, storeLife)
		fmt.Fprintf(stdout, "revoked session %x until %s in %s\n", ev.Session, shown.Until.UTC().Format(time.RFC3339), *data)
	case revocation.KindUser:
		fmt.Fprintf(stdout, "revoked every session of user %q created up to %s in %s\n", ev.User, ev.At.UTC().Format(time.RFC3339Nano), *data)
	case revocation.KindAll:
		fmt.Fprintf(stdout, "revoked every session created up to %s in %s\n", ev.At.UTC().Format(time.RFC3339Nano), *data)
	}
	return nil
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

// openData opens a stopped instance's directory, turning a lock held by a
// running server into advice.
func openData(dir string, life time.Duration, outbox bool, stderr io.Writer) (*revocation.Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--data %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("--data %s: not a directory", dir)
	}
	host, _ := os.Hostname()
	s, err := revocation.Open(dir, revocation.Config{
		AbsoluteLifetime: life,
		Node:             "sealctl@" + host,
		Outbox:           outbox,
		GCInterval:       -1,
		Logger:           slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if errors.Is(err, revocation.ErrLocked) {
		return nil, fmt.Errorf("%s is held by a running server: revoke through the cluster with --nats URL instead, or stop the server first (%w)", dir, err)
	}
	return s, err
}

const revocationsUsage = `usage:
  sealctl revocations stats --data DIR [--json]`

func runRevocations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("revocations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, revocationsUsage); fs.PrintDefaults() }
	data := fs.String("data", "", "a stopped instance's revocation `DIR`ectory")
	asJSON := fs.Bool("json", false, "print JSON")
	life := fs.Duration("absolute-lifetime", 0, "the servers' absolute session lifetime (default: what the directory recorded, else 720h)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) != 1 || pos[0] != "stats" {
		fmt.Fprintln(stderr, revocationsUsage)
		return usagef("revocations: want the subcommand stats")
	}
	if *data == "" {
		return usagef("revocations stats: --data DIR is required")
	}
	s, err := openData(*data, *life, false, stderr)
	if err != nil {
		if errors.Is(err, revocation.ErrLocked) {
			err = fmt.Errorf("%s is held by a running server: stop it first, or read the server's own stats (%w)", *data, revocation.ErrLocked)
		}
		return fmt.Errorf("revocations stats: %w", err)
	}
	st := s.Stats()
	if err := s.Close(); err != nil {
		return fmt.Errorf("revocations stats: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "directory:    %s\n", *data)
	fmt.Fprintf(&b, "sessions:     %d\n", st.Sessions)
	fmt.Fprintf(&b, "users:        %d\n", st.Users)
	if st.All.IsZero() {
		fmt.Fprintf(&b, "all:          none\n")
	} else {
		fmt.Fprintf(&b, "all:          every session created up to %s\n", st.All.Format(time.RFC3339Nano))
	}
	fmt.Fprintf(&b, "outbox:       %d pending\n", st.OutboxDepth)
	fmt.Fprintf(&b, "disk:         %d bytes\n", st.DiskBytes)
	_, err = io.WriteString(stdout, b.String())
	return err
}
