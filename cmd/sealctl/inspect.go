package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

const inspectHelp = `open a sealed cookie value and say what is in it
Prints, as JSON, the key that sealed VALUE, whether that key is the
primary, when it was sealed and the plaintext (as JSON if it is JSON, else
base64), or why it does not open (exit status 1). A session cookie is also
decoded ("session"): its ID, user, data, flash messages and expiry, and
whether it has expired under --cookie-age and --absolute-lifetime, which
should match the application's sessions.Config. The revocation list is not
consulted.

A session over several cookies (sessions.Config.MaxCookies) is given as
all their values in order: NAME's, then NAME.1's, NAME.2's and so on. With
--cookie-header the arguments are instead the text of a Cookie header (as a
browser's developer tools show it, "Cookie:" optional), and the cookies
named --name and --name.1, --name.2, ... are taken from it.`

// inspectOptions are inspect's flags.
type inspectOptions struct {
	path      string // --keyring
	name      string // --name
	maxAge    string // --max-age
	cookieAge string // --cookie-age
	absolute  string // --absolute-lifetime
	header    bool   // --cookie-header
}

func inspectFlags(fs *flag.FlagSet, c *call) {
	o := &c.inspect
	fs.StringVar(&o.path, "keyring", "", "keyring `FILE` (default: $"+keyring.EnvVar+")")
	fs.StringVar(&o.name, "name", "session", "cookie `NAME` the value was sealed for")
	fs.StringVar(&o.maxAge, "max-age", "", "refuse values sealed longer ago than `DURATION` (default 400d; 0: no check)")
	fs.StringVar(&o.cookieAge, "cookie-age", "14d", "the application's sessions.Config.CookieAge `DURATION`")
	fs.StringVar(&o.absolute, "absolute-lifetime", "30d", "the application's sessions.Config.AbsoluteLifetime `DURATION`")
	fs.BoolVar(&o.header, "cookie-header", false, "the arguments are a Cookie header holding the cookies to inspect")
}

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

func runInspect(_ context.Context, c *call) error {
	o := c.inspect
	k, err := o.loadKeyring()
	if err != nil {
		return err
	}
	cookieAge, absolute, err := o.ages()
	if err != nil {
		return err
	}
	values := o.values(c.args)
	value, err := sessions.JoinChunks(values...)
	res := inspectResult{Name: o.name, Reason: "the values do not match the chunk count in the first"}
	if len(values) == 0 {
		res.Reason = fmt.Sprintf("no cookie %q in the header", o.name)
	}
	openErr := err
	if err == nil {
		res, openErr = inspectValue(k, o.name, value, len(values)*keyring.MaxValueLen)
	}
	if openErr == nil {
		res.Session = inspectSession(k, o.name, cookieAge, absolute, values)
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s\n", b)
	if openErr != nil {
		return fmt.Errorf("inspect: the value does not open: %s", res.Reason)
	}
	return nil
}

// values returns the cookie values to inspect: the arguments, or with
// --cookie-header those of the cookie --name and its chunks in the header
// the arguments make up.
func (o inspectOptions) values(args []string) []string {
	if !o.header {
		vals := make([]string, len(args))
		for i, a := range args {
			vals[i] = strings.TrimSpace(a)
		}
		return vals
	}
	return sessions.ChunkValues(strings.Join(args, "; "), o.name)
}

// loadKeyring loads the keyring from --keyring or $SEALED_KEYRING, with the
// --max-age it is to open with.
func (o inspectOptions) loadKeyring() (*keyring.Keyring, error) {
	var k *keyring.Keyring
	var err error
	switch {
	case o.path != "":
		if k, err = keyring.Load(o.path); err != nil {
			return nil, keysErr(o.path, err)
		}
	case os.Getenv(keyring.EnvVar) != "":
		if k, err = keyring.FromEnv(); err != nil {
			return nil, err
		}
	default:
		return nil, usagef("inspect: --keyring FILE is required (or set $%s)", keyring.EnvVar)
	}
	if o.maxAge != "" {
		d, err := keysDuration(o.maxAge)
		if err != nil || d < 0 {
			return nil, usagef("inspect: --max-age %q: want a duration such as 720h or 30d, or 0", o.maxAge)
		}
		k = k.WithMaxAge(d)
	}
	return k, nil
}

// ages reads --cookie-age and --absolute-lifetime.
func (o inspectOptions) ages() (cookieAge, absolute time.Duration, err error) {
	var ages [2]time.Duration
	for i, f := range []struct{ name, v string }{{"cookie-age", o.cookieAge}, {"absolute-lifetime", o.absolute}} {
		d, err := keysDuration(f.v)
		if err != nil || d <= 0 {
			return 0, 0, usagef("inspect: --%s %q: want a positive duration such as 336h or 14d", f.name, f.v)
		}
		ages[i] = d
	}
	if ages[0] > ages[1] {
		return 0, 0, usagef("inspect: --cookie-age %s exceeds --absolute-lifetime %s", o.cookieAge, o.absolute)
	}
	return ages[0], ages[1], nil
}

// inspectValue opens value, of at most maxLen bytes, with k and describes
// it, or why it does not open.
func inspectValue(k *keyring.Keyring, name, value string, maxLen int) (inspectResult, error) {
	res := inspectResult{Name: name}
	if id, _, ok := strings.Cut(value, "."); ok && len(value) <= maxLen {
		res.KeyID = id
		_, res.KeyKnown = k.Key(id)
	}
	o, openErr := k.OpenMax(name, value, maxLen)
	if openErr != nil {
		res.describeFailure(k, name, value, openErr)
		return res, openErr
	}
	res.Opens = true
	res.KeyID, res.KeyKnown, res.Primary = o.KeyID, true, o.Primary
	res.setSealed(o.Sealed)
	if json.Valid(o.Plaintext) {
		res.Plaintext = o.Plaintext
	} else {
		s := base64.StdEncoding.EncodeToString(o.Plaintext)
		res.PlaintextBase64 = &s
	}
	return res, nil
}

// describeFailure says why value does not open, and when an authentic but
// expired value was sealed.
func (res *inspectResult) describeFailure(k *keyring.Keyring, name, value string, openErr error) {
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
		if o, err := k.WithMaxAge(0).OpenMax(name, value, len(value)); err == nil {
			res.setSealed(o.Sealed)
		}
	}
}

func (res *inspectResult) setSealed(t time.Time) {
	res.Sealed = t.Format(time.RFC3339)
	res.Age = time.Since(t).Truncate(time.Second).String()
}

// inspectSession decodes values as a session's cookies of package
// sessions, or returns nil if they are not (or name can't be a session
// cookie name).
func inspectSession(k *keyring.Keyring, name string, cookieAge, absolute time.Duration, values []string) *sessions.CookieInfo {
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
	info, err := m.Inspect(values...)
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
