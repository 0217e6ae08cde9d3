package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

const inspectUsage = `usage:
  sealctl inspect --keyring FILE [--name COOKIE_NAME] [--max-age DURATION]
                  [--cookie-age DURATION] [--absolute-lifetime DURATION] VALUE
Opens a sealed cookie value and prints, as JSON, the key that sealed it,
whether that key is the primary, when it was sealed and the plaintext (as
JSON if it is JSON, else base64), or why it does not open (exit status 1).
A session cookie is also decoded ("session"): its ID, user, data, flash
messages and expiry, and whether it has expired under --cookie-age
(default 14d) and --absolute-lifetime (default 30d), which should match the
application's sessions.Config. The revocation list is not consulted.
--name defaults to "session". --max-age defaults to 400 days (0: no age
check). Without --keyring, the keyring is read from $SEALED_KEYRING.`

// inspectResult is what inspect prints.
type inspectResult struct {
	Opens           bool                 `json:"opens"`
	Reason          string               `json:"reason,omitempty"`
	Name            string               `json:"name"`
	KeyID           string               `json:"key_id,omitempty"`
	KeyKnown        bool                 `json:"key_known"`
	Primary         bool                 `json:"primary"`
	Sealed          string               `json:"sealed,omitempty"`
	Age             string               `json:"age,omitempty"`
	Plaintext       json.RawMessage      `json:"plaintext,omitempty"`
	PlaintextBase64 *string              `json:"plaintext_base64,omitempty"`
	Session         *sessions.CookieInfo `json:"session,omitempty"`
}

// inspectReasons maps Open's error reasons to the words inspect prints.
var inspectReasons = []struct {
	err  error
	word string
}{
	{keyring.ErrTooLong, "too long"},
	{keyring.ErrMalformed, "malformed"},
	{keyring.ErrUnknownKey, "unknown key"},
	{keyring.ErrTampered, "tampered (MAC does not verify)"},
	{keyring.ErrWrongName, "sealed for another cookie name"},
	{keyring.ErrExpired, "expired"},
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("sealctl inspect", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, inspectUsage) }
	path := flags.String("keyring", "", "keyring `FILE` (default: $"+keyring.EnvVar+")")
	name := flags.String("name", "session", "cookie `NAME` the value was sealed for")
	maxAge := flags.String("max-age", "", "refuse values sealed longer ago than `DURATION` (default 400d; 0: no check)")
	cookieAge := flags.String("cookie-age", "14d", "the application's sessions.Config.CookieAge `DURATION`")
	absolute := flags.String("absolute-lifetime", "30d", "the application's sessions.Config.AbsoluteLifetime `DURATION`")
	pos, err := keysFlags(flags, args)
	if err != nil {
		return keysFlagErr(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, inspectUsage)
		return usagef("inspect: want one cookie VALUE, got %d arguments", len(pos))
	}
	var k *keyring.Keyring
	switch {
	case *path != "":
		if k, err = keyring.Load(*path); err != nil {
			return keysErr(*path, err)
		}
	case os.Getenv(keyring.EnvVar) != "":
		if k, err = keyring.FromEnv(); err != nil {
			return err
		}
	default:
		return usagef("inspect: --keyring FILE is required (or set $%s)", keyring.EnvVar)
	}
	if *maxAge != "" {
		d, err := keysDuration(*maxAge)
		if err != nil || d < 0 {
			return usagef("inspect: --max-age %q: want a duration such as 720h or 30d, or 0", *maxAge)
		}
		k = k.WithMaxAge(d)
	}

	ages := [2]time.Duration{}
	for i, f := range []struct{ name, v string }{{"cookie-age", *cookieAge}, {"absolute-lifetime", *absolute}} {
		d, err := keysDuration(f.v)
		if err != nil || d <= 0 {
			return usagef("inspect: --%s %q: want a positive duration such as 336h or 14d", f.name, f.v)
		}
		ages[i] = d
	}
	if ages[0] > ages[1] {
		return usagef("inspect: --cookie-age %s exceeds --absolute-lifetime %s", *cookieAge, *absolute)
	}

	value := strings.TrimSpace(pos[0])
	res := inspectResult{Name: *name}
	if id, _, ok := strings.Cut(value, "."); ok && len(value) <= keyring.MaxValueLen {
		res.KeyID = id
		_, res.KeyKnown = k.Key(id)
	}
	o, openErr := k.Open(*name, value)
	if openErr == nil {
		res.Opens = true
		res.KeyID, res.KeyKnown, res.Primary = o.KeyID, true, o.Primary
		res.Sealed = o.Sealed.Format(time.RFC3339)
		res.Age = time.Since(o.Sealed).Truncate(time.Second).String()
		if json.Valid(o.Plaintext) {
			res.Plaintext = o.Plaintext
		} else {
			s := base64.StdEncoding.EncodeToString(o.Plaintext)
			res.PlaintextBase64 = &s
		}
		res.Session = inspectSession(k, *name, ages[0], ages[1], value)
	} else {
		res.Reason = "does not open"
		for _, r := range inspectReasons {
			if errors.Is(openErr, r.err) {
				res.Reason = r.word
				break
			}
		}
		if key, ok := k.Key(res.KeyID); ok && res.KeyKnown {
			res.Primary = key.State == keyring.Primary
		}
		if errors.Is(openErr, keyring.ErrExpired) {
			// Authentic but old: say when it was sealed.
			if o, err := k.WithMaxAge(0).Open(*name, value); err == nil {
				res.Sealed = o.Sealed.Format(time.RFC3339)
				res.Age = time.Since(o.Sealed).Truncate(time.Second).String()
			}
		}
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	if openErr != nil {
		return fmt.Errorf("inspect: the value does not open: %s", res.Reason)
	}
	return nil
}

// inspectSession decodes value as a session cookie of package sessions, or
// returns nil if it is not one (or name can't be a session cookie name).
func inspectSession(k *keyring.Keyring, name string, cookieAge, absolute time.Duration, value string) *sessions.CookieInfo {
	m, err := sessions.New(sessions.Config{
		Keys:                 k,
		InsecureNoRevocation: true, // inspect never consults the list
		CookieName:           name,
		CookieAge:            cookieAge,
		AbsoluteLifetime:     absolute,
		Logger:               slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil
	}
	info, err := m.Inspect(value)
	if err != nil {
		return nil
	}
	// A value JSON can't carry (a NaN float) is shown in Go syntax.
	for key, v := range info.Data {
		if _, err := json.Marshal(v); err != nil {
			info.Data[key] = fmt.Sprintf("%#v", v)
		}
	}
	return &info
}
