package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/sealedsessions/sealed/revocation"
)

const sessionsListHelp = `list user ID's live sessions, newest first
Reads the login registry (revocation.Config.LoginsPerUser) of a stopped
instance's directory: each session's ID (what "sealctl revoke session"
takes), when it was created, whether it is device bound (DBSC) and the
device it was created from. A session that is revoked or past its
absolute lifetime is not listed; a user without sessions, or a directory
without a registry, gives an empty list.
The directory is opened as revoke --data opens it (taking its lock, so a
running server's directory is refused), and nothing in it is dropped.

With --nats, the running cluster's stream is read instead, each event
verified under --keyring (the others are reported and skipped), into a
temporary directory removed afterwards; which logins are still alive is
judged by the servers' absolute lifetime, taken from the stream's maximum
age. The stream is replayed from its first event rather than joined from
a snapshot (one made by an instance whose registry is off carries no
logins), so a long stream takes a while.`

// sessionsOptions are sessions list's flags.
type sessionsOptions struct {
	data  string      // --data
	nats  string      // --nats
	nopts natsOptions // --keyring, --nats-creds, --nats-nkey, --nats-ca, --nats-tls-*, --stream, --subject-prefix
	json  bool        // --json
}

func sessionsFlags(fs *flag.FlagSet, c *call) {
	o := &c.sessions
	fs.StringVar(&o.data, "data", "", "a stopped instance's revocation `DIR`ectory")
	natsFlags(fs, &o.nats, &o.nopts, "only events that verify under it are read")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
}

// sessionsList prints a user's live sessions from the login registry of
// a stopped instance's directory or of a running cluster's stream.
func sessionsList(ctx context.Context, c *call) error {
	o := c.sessions
	if err := checkTarget("sessions list", o.data, o.nats, &o.nopts, "only events that verify under it are read"); err != nil {
		return err
	}
	user := c.args[0]
	if user == "" {
		return usagef("sessions list: want one user ID, got an empty one")
	}
	var logins []revocation.Login
	var err error
	if o.nats != "" {
		logins, err = loginsViaNATS(ctx, o.nats, o.nopts, user, c.stderr)
	} else if logins, err = loginsFromData(o.data, user, c.stderr); err != nil {
		err = fmt.Errorf("sessions list: %w", err)
	}
	if err != nil {
		return err
	}
	if o.json {
		return printSessionsJSON(c.stdout, user, logins)
	}
	return printSessions(c.stdout, user, logins)
}

// loginsFromData opens dir with the registry on and returns user's live
// logins, newest first. The registry's bounds are set as high as they go:
// lower ones than the server's would make Open drop, from disk too, the
// entries beyond them.
func loginsFromData(dir, user string, stderr io.Writer) ([]revocation.Login, error) {
	s, err := openDir(dir, revocation.Config{LoginsPerUser: math.MaxInt, MaxLogins: math.MaxInt}, stderr)
	if errors.Is(err, revocation.ErrLocked) {
		return nil, fmt.Errorf("%s is held by a running server: list through the cluster with --nats URL --keyring FILE instead, or stop the server first (%w)", dir, revocation.ErrLocked)
	}
	if err != nil {
		return nil, err
	}
	logins := s.Logins(user)
	if err := s.Close(); err != nil {
		return nil, err
	}
	return logins, nil
}

// sessionJSON is one session in sessions list --json.
type sessionJSON struct {
	ID      string `json:"id"`
	Created string `json:"created"`
	Device  string `json:"device"`
	Bound   bool   `json:"device_bound"`
}

// printSessionsJSON writes {"user": ..., "sessions": [...]}, the sessions
// newest first; an empty list is [], not null.
func printSessionsJSON(w io.Writer, user string, logins []revocation.Login) error {
	out := struct {
		User     string        `json:"user"`
		Sessions []sessionJSON `json:"sessions"`
	}{User: user, Sessions: make([]sessionJSON, 0, len(logins))}
	for _, l := range logins {
		out.Sessions = append(out.Sessions, sessionJSON{
			ID:      hex.EncodeToString(l.Session[:]),
			Created: sessionTime(l.Created),
			Device:  l.Device,
			Bound:   l.Bound,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// printSessions writes the sessions as a table, newest first.
func printSessions(w io.Writer, user string, logins []revocation.Login) error {
	if len(logins) == 0 {
		_, err := fmt.Fprintf(w, "no live sessions of user %s\n", strconv.QuoteToGraphic(user))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tBOUND\tDEVICE")
	for _, l := range logins {
		bound := "no"
		if l.Bound {
			bound = "yes"
		}
		fmt.Fprintf(tw, "%x\t%s\t%s\t%s\n", l.Session, sessionTime(l.Created), bound, terminalSafe(l.Device))
	}
	return tw.Flush()
}

// sessionTime is a creation time as RFC 3339, in UTC.
func sessionTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// terminalSafe returns a device string fit for a terminal: the string
// itself if every rune in it prints (a space included), else its quoted
// form with escapes. The string comes from a client's User-Agent: it may
// hold control sequences, and tabs would break the table's columns. An
// empty one is "-".
func terminalSafe(s string) string {
	if s == "" {
		return "-"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}
