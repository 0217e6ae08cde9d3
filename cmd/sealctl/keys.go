package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// keysOptions are the keys commands' flags.
type keysOptions struct {
	path      string // --keyring
	olderThan string // prune --older-than
	json      bool   // list --json
}

// keyringRequired is every keys command's required flag.
var keyringRequired = []string{"keyring"}

func keyringFlag(fs *flag.FlagSet, c *call) {
	fs.StringVar(&c.keys.path, "keyring", "", "the keyring `FILE`")
}

func pruneFlags(fs *flag.FlagSet, c *call) {
	keyringFlag(fs, c)
	fs.StringVar(&c.keys.olderThan, "older-than", "", "retire enabled keys demoted longer ago than `DURATION` (e.g. 720h, 30d)")
}

func listFlags(fs *flag.FlagSet, c *call) {
	keyringFlag(fs, c)
	fs.BoolVar(&c.keys.json, "json", false, "print JSON instead of a table")
}

// keysErr explains an error about the keyring file at path, with the fix.
func keysErr(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("keyring file %s does not exist; create it with: sealctl keys init --keyring %s", path, path)
	case errors.Is(err, keyring.ErrInvalidFile):
		return fmt.Errorf("%w\nfix the field named above, or restore %s from a backup", err, path)
	case errors.Is(err, keyring.ErrExists):
		return fmt.Errorf("keyring file %s already exists; to change its keys use: sealctl keys rotate --keyring %s (or add/promote)", path, path)
	case errors.Is(err, keyring.ErrKeyNotFound):
		return fmt.Errorf("%w in %s; see its keys with: sealctl keys list --keyring %s", err, path, path)
	case errors.Is(err, keyring.ErrRetirePrimary):
		return fmt.Errorf("%w; promote another key first: sealctl keys promote --keyring %s ID", err, path)
	case errors.Is(err, keyring.ErrLocked):
		return fmt.Errorf("%w; wait for the other sealctl to finish and retry", err)
	}
	return err
}

// updateRing edits the keyring file at path under its lock.
func updateRing(path string, fn func(*keyring.Keyring) (*keyring.Keyring, error)) (*keyring.Keyring, error) {
	k, err := keyring.Update(path, fn)
	if err != nil {
		return nil, keysErr(path, err)
	}
	return k, nil
}

func keysInit(_ context.Context, c *call) error {
	path := c.keys.path
	k, err := keyring.New(time.Now())
	if err != nil {
		return err
	}
	if err := keyring.Create(path, k); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot create keyring file %s: its directory does not exist; create it first (mkdir -p %s)", path, filepath.Dir(path))
		}
		return keysErr(path, err)
	}
	fmt.Fprintf(c.stdout, "created %s with primary key %s\n", path, k.Primary().ID)
	return nil
}

func keysAdd(_ context.Context, c *call) error {
	path := c.keys.path
	var added keyring.Key
	_, err := updateRing(path, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		nk, key, err := k.Add(time.Now())
		added = key
		return nk, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "added key %s (enabled) to %s\nonce every instance has it: sealctl keys promote --keyring %s %s\n",
		added.ID, path, path, added.ID)
	return nil
}

func keysPromote(_ context.Context, c *call) error {
	path, id := c.keys.path, c.args[0]
	var old string
	k, err := updateRing(path, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		old = k.Primary().ID
		return k.Promote(id, time.Now())
	})
	if err != nil {
		return err
	}
	if old == k.Primary().ID {
		fmt.Fprintf(c.stdout, "key %s is already the primary of %s\n", old, path)
	} else {
		fmt.Fprintf(c.stdout, "promoted key %s to primary in %s; %s is now enabled\n", id, path, old)
	}
	return nil
}

func keysRotate(_ context.Context, c *call) error {
	path := c.keys.path
	var old string
	k, err := updateRing(path, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		old = k.Primary().ID
		nk, _, err := k.Rotate(time.Now())
		return nk, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "rotated %s: new primary %s; %s is now enabled\nretire it once the longest session lifetime has passed: sealctl keys retire --keyring %s %s\n",
		path, k.Primary().ID, old, path, old)
	confirmAdvice(c.stdout, k)
	return nil
}

// confirmAdvice says how an operator confirms that every instance took a
// change of the keyring k: the pair each instance's /healthz reports.
func confirmAdvice(w io.Writer, k *keyring.Keyring) {
	fmt.Fprintf(w, "to confirm every instance took the change: each one's /healthz must report \"primary\": %q and \"keys\": %d under \"keyring\"; "+
		"an instance reporting another pair, or answering 503 \"keyring reload failing\", still uses its old keys (check the file's owner and mode there)\n",
		k.Primary().ID, len(k.Keys()))
}

func keysRetire(_ context.Context, c *call) error {
	path, id := c.keys.path, c.args[0]
	k, err := updateRing(path, func(k *keyring.Keyring) (*keyring.Keyring, error) { return k.Retire(id) })
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "retired key %s from %s; cookies sealed under it no longer open on an instance that loaded the new file\n", id, path)
	confirmAdvice(c.stdout, k)
	return nil
}

func keysPrune(_ context.Context, c *call) error {
	path := c.keys.path
	age, err := keysDuration(c.keys.olderThan)
	if err != nil || age <= 0 {
		return usagef("keys prune: --older-than %q: want a positive duration such as 720h or 30d", c.keys.olderThan)
	}
	var gone []string
	if _, err := updateRing(path, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		nk, g, err := k.Prune(age, time.Now())
		gone = g
		return nk, err
	}); err != nil {
		return err
	}
	if len(gone) == 0 {
		fmt.Fprintf(c.stdout, "no enabled key of %s was demoted more than %v ago\n", path, age)
	} else {
		fmt.Fprintf(c.stdout, "retired %d key(s) from %s: %s\n", len(gone), path, strings.Join(gone, " "))
	}
	return nil
}

// keysList prints the keys, never their secrets.
func keysList(_ context.Context, c *call) error {
	k, err := keyring.Load(c.keys.path)
	if err != nil {
		return keysErr(c.keys.path, err)
	}
	return printKeys(c.stdout, k, c.keys.json)
}

// printKeys prints the keys as a table or JSON, never their secrets.
func printKeys(w io.Writer, k *keyring.Keyring, asJSON bool) error {
	keys := k.Keys()
	if asJSON {
		b, err := json.MarshalIndent(keys, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tPROMOTED\tDEMOTED")
	for _, key := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", key.ID, key.State,
			keysTime(key.Created), keysTime(key.Promoted), keysTime(key.Demoted))
	}
	return tw.Flush()
}

func keysTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// keysDuration parses a Go duration, or a whole number of days ("30d").
func keysDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("bad number of days %q", d)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
