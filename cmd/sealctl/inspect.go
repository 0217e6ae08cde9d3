package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

const inspectUsage = `usage:
  sealctl inspect --keyring FILE [--name COOKIE_NAME] [--max-age DURATION] VALUE
Opens a sealed cookie value and prints, as JSON, the key that sealed it,
whether that key is the primary, when it was sealed and the plaintext (as
JSON if it is JSON, else base64), or why it does not open (exit status 1).
--name defaults to "session". --max-age defaults to 400 days (0: no age
check). Without --keyring, the keyring is read from $SEALED_KEYRING.`

// inspectResult is what inspect prints.
type inspectResult struct {
	Opens           bool            `json:"opens"`
	Reason          string          `json:"reason,omitempty"`
	Name            string          `json:"name"`
	KeyID           string          `json:"key_id,omitempty"`
	KeyKnown        bool            `json:"key_known"`
	Primary         bool            `json:"primary"`
	Sealed          string          `json:"sealed,omitempty"`
	Age             string          `json:"age,omitempty"`
	Plaintext       json.RawMessage `json:"plaintext,omitempty"`
	PlaintextBase64 *string         `json:"plaintext_base64,omitempty"`
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
