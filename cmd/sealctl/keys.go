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

const keysUsage = `usage:
  sealctl keys init    --keyring FILE          create FILE with one primary key (never overwrites)
  sealctl keys add     --keyring FILE          add an enabled key (opens, does not seal)
  sealctl keys promote --keyring FILE ID       make key ID the primary; the old primary stays enabled
  sealctl keys rotate  --keyring FILE          add a key and promote it at once (single instance)
  sealctl keys retire  --keyring FILE ID       remove key ID: cookies sealed under it stop opening
  sealctl keys prune   --keyring FILE --older-than DURATION
                                               retire enabled keys demoted longer ago than DURATION (e.g. 720h or 30d)
  sealctl keys list    --keyring FILE [--json] list keys; never prints secrets
Several instances: add on all, then promote, then retire the old key once
the longest session lifetime has passed. Edits lock FILE.lock, so
concurrent sealctl runs never lose a change.`

// keysFlags parses flags that may come before, between or after the
// positional arguments, which it returns in order. Everything after a
// bare "--" is positional.
func keysFlags(set *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		before := len(args)
		if err := set.Parse(args); err != nil {
			return nil, err
		}
		rest := set.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at "--" (consuming it) or at the first non-flag.
		if consumed := before - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// keysFlagErr turns a flag package error into a usage error (exit 2); -h
// is a successful request for help.
func keysFlagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return usagef("%v", err)
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

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, keysUsage)
		return usagef("keys: no subcommand given")
	}
	sub, args := args[0], args[1:]
	if sub == "-h" || sub == "-help" || sub == "--help" || sub == "help" {
		fmt.Fprintln(stdout, keysUsage)
		return nil
	}
	flags := flag.NewFlagSet("sealctl keys "+sub, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprintln(stderr, keysUsage) }
	path := flags.String("keyring", "", "keyring `FILE`")
	var asJSON *bool
	var olderThan *string
	wantArgs := 0
	switch sub {
	case "init", "add", "rotate":
	case "promote", "retire":
		wantArgs = 1
	case "prune":
		olderThan = flags.String("older-than", "", "retire enabled keys demoted longer ago than `DURATION` (e.g. 720h, 30d)")
	case "list":
		asJSON = flags.Bool("json", false, "print JSON instead of a table")
	default:
		fmt.Fprintln(stderr, keysUsage)
		return usagef("keys: unknown subcommand %q", sub)
	}
	pos, err := keysFlags(flags, args)
	if err != nil {
		return keysFlagErr(err)
	}
	if *path == "" {
		return usagef("keys %s: --keyring FILE is required", sub)
	}
	if len(pos) != wantArgs {
		if wantArgs == 1 {
			return usagef("keys %s: want one key ID, got %d arguments (see: sealctl keys list --keyring %s)", sub, len(pos), *path)
		}
		return usagef("keys %s: unexpected arguments %q", sub, pos)
	}
	now := time.Now()
	edit := func(fn func(*keyring.Keyring) (*keyring.Keyring, error)) (*keyring.Keyring, error) {
		k, err := keyring.Update(*path, fn)
		if err != nil {
			return nil, keysErr(*path, err)
		}
		return k, nil
	}

	switch sub {
	case "init":
		k, err := keyring.New(now)
		if err != nil {
			return err
		}
		if err := keyring.Create(*path, k); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("cannot create keyring file %s: its directory does not exist; create it first (mkdir -p %s)", *path, filepath.Dir(*path))
			}
			return keysErr(*path, err)
		}
		fmt.Fprintf(stdout, "created %s with primary key %s\n", *path, k.Primary().ID)
	case "add":
		var added keyring.Key
		_, err := edit(func(k *keyring.Keyring) (*keyring.Keyring, error) {
			nk, key, err := k.Add(now)
			added = key
			return nk, err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added key %s (enabled) to %s\nonce every instance has it: sealctl keys promote --keyring %s %s\n",
			added.ID, *path, *path, added.ID)
	case "promote":
		var old string
		k, err := edit(func(k *keyring.Keyring) (*keyring.Keyring, error) {
			old = k.Primary().ID
			return k.Promote(pos[0], now)
		})
		if err != nil {
			return err
		}
		if old == k.Primary().ID {
			fmt.Fprintf(stdout, "key %s is already the primary of %s\n", old, *path)
		} else {
			fmt.Fprintf(stdout, "promoted key %s to primary in %s; %s is now enabled\n", pos[0], *path, old)
		}
	case "rotate":
		var old string
		k, err := edit(func(k *keyring.Keyring) (*keyring.Keyring, error) {
			old = k.Primary().ID
			nk, _, err := k.Rotate(now)
			return nk, err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rotated %s: new primary %s; %s is now enabled\nretire it once the longest session lifetime has passed: sealctl keys retire --keyring %s %s\n",
			*path, k.Primary().ID, old, *path, old)
	case "retire":
		if _, err := edit(func(k *keyring.Keyring) (*keyring.Keyring, error) { return k.Retire(pos[0]) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retired key %s from %s; cookies sealed under it no longer open\n", pos[0], *path)
	case "prune":
		if *olderThan == "" {
			return usagef("keys prune: --older-than DURATION is required (e.g. 720h or 30d)")
		}
		age, err := keysDuration(*olderThan)
		if err != nil || age <= 0 {
			return usagef("keys prune: --older-than %q: want a positive duration such as 720h or 30d", *olderThan)
		}
		var gone []string
		if _, err := edit(func(k *keyring.Keyring) (*keyring.Keyring, error) {
			nk, g, err := k.Prune(age, now)
			gone = g
			return nk, err
		}); err != nil {
			return err
		}
		if len(gone) == 0 {
			fmt.Fprintf(stdout, "no enabled key of %s was demoted more than %v ago\n", *path, age)
		} else {
			fmt.Fprintf(stdout, "retired %d key(s) from %s: %s\n", len(gone), *path, strings.Join(gone, " "))
		}
	case "list":
		k, err := keyring.Load(*path)
		if err != nil {
			return keysErr(*path, err)
		}
		return keysList(stdout, k, *asJSON)
	}
	return nil
}

// keysList prints the keys, never their secrets.
func keysList(w io.Writer, k *keyring.Keyring, asJSON bool) error {
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
