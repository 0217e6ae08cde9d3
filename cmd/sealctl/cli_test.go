package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/revocation"
)

func TestParseArgs(t *testing.T) {
	type got struct {
		pos  []string
		name string
		json bool
		life time.Duration
	}
	tests := []struct {
		name    string
		args    []string
		want    got
		wantErr string // a substring of the error, "" for none
	}{
		{"nothing", nil, got{name: "def"}, ""},
		{"flags before", []string{"--name", "x", "a", "b"}, got{pos: []string{"a", "b"}, name: "x"}, ""},
		{"flags after", []string{"a", "b", "--name", "x"}, got{pos: []string{"a", "b"}, name: "x"}, ""},
		{"flags between", []string{"a", "-name", "x", "b", "-json"}, got{pos: []string{"a", "b"}, name: "x", json: true}, ""},
		{"equals", []string{"--name=x=y", "--life=2h", "--json=false"}, got{name: "x=y", life: 2 * time.Hour}, ""},
		{"bool takes no next argument", []string{"--json", "false"}, got{pos: []string{"false"}, name: "def", json: true}, ""},
		{"-- ends flags", []string{"a", "--", "-b", "--name", "x"}, got{pos: []string{"a", "-b", "--name", "x"}, name: "def"}, ""},
		{"-- first", []string{"--", "--json"}, got{pos: []string{"--json"}, name: "def"}, ""},
		{"-- as a value", []string{"--name", "--", "a"}, got{pos: []string{"a"}, name: "--"}, ""},
		{"dash alone is positional", []string{"-", "--name", "x"}, got{pos: []string{"-"}, name: "x"}, ""},
		{"a value that looks like a flag", []string{"--name", "-x"}, got{name: "-x"}, ""},
		{"unknown flag", []string{"a", "--nope", "b"}, got{}, "flag provided but not defined: --nope"},
		{"unknown single-dash flag", []string{"-nope"}, got{}, "flag provided but not defined: --nope"},
		{"missing value", []string{"a", "--name"}, got{}, "flag needs an argument: --name"},
		{"bad value", []string{"--life", "soon"}, got{}, `invalid value "soon" for flag --life`},
		{"bad syntax", []string{"---name", "x"}, got{}, "bad flag syntax: ---name"},
		{"empty name", []string{"-=x"}, got{}, "bad flag syntax: -=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			var g got
			fs.StringVar(&g.name, "name", "def", "")
			fs.BoolVar(&g.json, "json", false, "")
			fs.DurationVar(&g.life, "life", 0, "")
			pos, err := parseArgs(fs, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseArgs(%q) error %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			g.pos = pos
			if !slices.Equal(g.pos, tt.want.pos) || g.name != tt.want.name || g.json != tt.want.json || g.life != tt.want.life {
				t.Errorf("parseArgs(%q) = %+v, want %+v", tt.args, g, tt.want)
			}
		})
	}
}

func TestParseArgsHelp(t *testing.T) {
	for _, a := range []string{"-h", "--h", "-help", "--help"} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.String("name", "", "")
		if _, err := parseArgs(fs, []string{"x", a, "--name", "y"}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("parseArgs with %s: %v, want flag.ErrHelp", a, err)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.String("name", "", "")
	if pos, err := parseArgs(fs, []string{"--", "-h"}); err != nil || !slices.Equal(pos, []string{"-h"}) {
		t.Errorf(`parseArgs("--", "-h") = %q, %v; want "-h" positional`, pos, err)
	}
}

// A bare "--" ends the flags in every command, including revoke (which
// once reported "flag provided but not defined: -b" here).
func TestDoubleDashEverywhere(t *testing.T) {
	dir := newDataDir(t)
	ring := newRing(t)
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout for 0, else in stderr
	}{
		{"revoke user, flags after --", []string{"revoke", "user", "--", "-a", "-b", "--data", dir}, 2, "want one user ID, got 4 arguments"},
		{"revoke user named like a flag", []string{"revoke", "--data", dir, "user", "--", "-alice"}, 0, `user "-alice"`},
		{"keys promote an ID like a flag", []string{"keys", "promote", "--keyring", ring, "--", "-x"}, 1, "-x"},
		{"inspect a value like a flag", []string{"inspect", "--keyring", ring, "--", "-v"}, 1, "malformed"},
		{"sessions of a user named like a flag", []string{"sessions", "list", "--json", "--data", dir, "--", "-alice"}, 0, `"user": "-alice"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := sealctl(t, tt.args...)
			out := stderr
			if tt.code == 0 {
				out = stdout
			}
			if code != tt.code || !strings.Contains(out, tt.want) || strings.Contains(stderr, "not defined") {
				t.Errorf("sealctl %q: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, stdout, stderr, tt.code, tt.want)
			}
		})
	}
	s, err := revocation.Open(dir, revocation.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if dead, err := s.Revoked([16]byte{1}, "-alice", time.Now().Add(-time.Minute)); !dead || err != nil {
		t.Errorf(`user "-alice" not revoked: %v, %v`, dead, err)
	}
}

// An unknown flag is reported once, naming the command, with exit status 2.
func TestUnknownFlagReportedOnce(t *testing.T) {
	for _, args := range [][]string{
		{"keys", "list", "--keyring", "x", "--nope"},
		{"keys", "add", "-nope", "--keyring", "x"},
		{"inspect", "--nope", "v"},
		{"revoke", "all", "--nope", "--data", "d"},
		{"revoke", "user", "u", "--until", "1h", "--data", "d"},
		{"revocations", "stats", "--nope", "--data", "d"},
		{"sessions", "list", "alice", "--nope", "--data", "d"},
	} {
		stdout, stderr, code := sealctl(t, args...)
		if n := strings.Count(stderr, "not defined"); code != 2 || n != 1 || stdout != "" {
			t.Errorf("sealctl %q: exit %d, %d reports, stdout %q, stderr %q; want exit 2 and one report on stderr", args, code, n, stdout, stderr)
		}
		if !strings.Contains(stderr, "sealctl: "+args[0]) {
			t.Errorf("sealctl %q: stderr %q does not name the command", args, stderr)
		}
	}
}

// -h shows one command's help on stdout with exit status 0: its own flags,
// not its group's or its siblings'.
func TestHelpPerCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"keys add", []string{"keys", "add", "-h"}, []string{"usage: sealctl keys add --keyring FILE", "--keyring FILE"}, []string{"--json", "--older-than", "keys prune"}},
		{"keys list", []string{"keys", "list", "--help"}, []string{"--json", "--keyring"}, []string{"--older-than"}},
		{"keys prune", []string{"keys", "prune", "-help"}, []string{"--older-than DURATION"}, []string{"--json"}},
		{"revoke user", []string{"revoke", "user", "-h"}, []string{"usage: sealctl revoke user ID", "--data DIR", "--nats URL"}, []string{"--until", "revoke session"}},
		{"revoke session", []string{"revoke", "session", "--help"}, []string{"--until TIME", "--data DIR"}, nil},
		{"revoke -h before the scope", []string{"revoke", "-h", "user"}, []string{"usage: sealctl revoke user"}, []string{"--until"}},
		{"help word", []string{"help", "keys", "add"}, []string{"usage: sealctl keys add"}, []string{"--json"}},
		{"help after group", []string{"keys", "help", "retire"}, []string{"usage: sealctl keys retire --keyring FILE ID"}, []string{"--json"}},
		{"help with other flags", []string{"inspect", "--keyring", "x", "-h"}, []string{"--cookie-age DURATION", "(default 14d)"}, []string{"--data"}},
		{"group", []string{"keys", "-h"}, []string{"sealctl keys init", "sealctl keys prune", "FILE.lock"}, []string{"sealctl revoke"}},
		{"group help word", []string{"revoke", "help"}, []string{"sealctl revoke session", "sealctl revoke all"}, []string{"sealctl keys"}},
		{"sessions list", []string{"sessions", "list", "-h"}, []string{"usage: sealctl sessions list USER (--data DIR | --nats URL --keyring FILE) [--json]", "--data DIR", "--json", "--nats-creds FILE", "newest first"}, []string{"--until", "--outbox"}},
		{"sessions group", []string{"sessions", "help"}, []string{"sealctl sessions list"}, []string{"sealctl revoke"}},
		{"root", []string{"--help"}, []string{"sealctl keys add", "sealctl inspect", "sealctl revocations stats", "sealctl sessions list"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := sealctl(t, tt.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("sealctl %q: exit %d, stderr %q; want 0 and nothing", tt.args, code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("sealctl %q: help lacks %q:\n%s", tt.args, w, stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stdout, w) {
					t.Errorf("sealctl %q: help shows %q:\n%s", tt.args, w, stdout)
				}
			}
		})
	}
}

// Missing or surplus arguments and flags are bad usage: exit status 2,
// with the command's usage line.
func TestBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "say which command: keys, inspect, revoke, revocations or sessions"},
		{"keys without subcommand", []string{"keys", "--keyring", "x"}, "keys: say which subcommand"},
		{"unknown keys subcommand", []string{"keys", "explode"}, `keys: unknown subcommand "explode"`},
		{"promote without ID", []string{"keys", "promote", "--keyring", "x"}, "keys promote: want one key ID, got 0 arguments"},
		{"retire two IDs", []string{"keys", "retire", "a", "b", "--keyring", "x"}, "keys retire: want one key ID, got 2 arguments"},
		{"add with an ID", []string{"keys", "add", "a", "--keyring", "x"}, `keys add: takes no arguments, got ["a"]`},
		{"without --keyring", []string{"keys", "add"}, "keys add: --keyring FILE is required"},
		{"prune without --older-than", []string{"keys", "prune", "--keyring", "x"}, "keys prune: --older-than DURATION is required"},
		{"flag without value", []string{"keys", "list", "--keyring"}, "keys list: flag needs an argument: --keyring"},
		{"inspect without value", []string{"inspect", "--keyring", "x"}, "inspect: want one or more cookie VALUE, got none"},
		{"revoke session without ID", []string{"revoke", "session", "--data", "d"}, "revoke session: want one session ID"},
		{"bad duration", []string{"revoke", "all", "--data", "d", "--absolute-lifetime", "soon"}, `invalid value "soon" for flag --absolute-lifetime`},
		{"stats without --data", []string{"revocations", "stats"}, "revocations stats: --data DIR is required"},
		{"found by run: no target", []string{"revoke", "all"}, "exactly one of --data DIR"},
		{"found by run: bad session ID", []string{"revoke", "session", "xyz", "--data", "d"}, "not a session ID"},
		{"found by run: bad --older-than", []string{"keys", "prune", "--keyring", "x", "--older-than", "soon"}, "want a positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SEALED_KEYRING", "")
			stdout, stderr, code := sealctl(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "usage:") || stdout != "" {
				t.Errorf("sealctl %q: exit %d, stdout %q, stderr %q; want exit 2, %q and the usage", tt.args, code, stdout, stderr, tt.want)
			}
		})
	}
}

// The table is consistent: each usage names only flags its command has,
// and every required one; a group's commands agree on which flags take a
// value (resolve relies on it); help writes flags as --flag.
func TestCommandTable(t *testing.T) {
	flagRE := regexp.MustCompile(`--([a-z][a-z-]*)`)
	singleDash := regexp.MustCompile(`(^|[\s(\[|])-[a-z]`)
	kinds := map[string]bool{} // group+flag -> is bool
	for _, c := range leaves("") {
		fs := c.flagSet(&call{})
		for _, m := range flagRE.FindAllStringSubmatch(c.usage, -1) {
			if fs.Lookup(m[1]) == nil {
				t.Errorf("%s: usage %q names --%s, which it does not define", c.name, c.usage, m[1])
			}
		}
		for _, r := range c.required {
			if fs.Lookup(r) == nil || !strings.Contains(c.usage, "--"+r) {
				t.Errorf("%s: required --%s is not defined or not in its usage %q", c.name, r, c.usage)
			}
		}
		group, _, _ := strings.Cut(c.name, " ")
		if g := lookup(group); g == nil || (g.run == nil && g.noun == "") {
			t.Errorf("%s: its group %q has no row with a noun", c.name, group)
		}
		fs.VisitAll(func(f *flag.Flag) {
			key := group + " --" + f.Name
			if b, seen := kinds[key]; seen && b != isBool(f) {
				t.Errorf("%s: commands disagree on whether it is a bool flag", key)
			}
			kinds[key] = isBool(f)
		})
		if c.summary() == "" {
			t.Errorf("%s: no help", c.name)
		}
		var b strings.Builder
		c.printHelp(&b)
		if m := singleDash.FindString(b.String() + c.usage); m != "" {
			t.Errorf("%s: help writes a flag with one dash (%q):\n%s", c.name, m, b.String())
		}
	}
}

// readmeCommand is a sealctl command line in README.md: the installed
// binary at the start of a line, or go run anywhere.
var readmeCommand = regexp.MustCompile(`(?:^|go run \./cmd/)sealctl (.*)`)

// Every sealctl command line in README.md names a command and flags that
// exist, with the arguments that command takes.
func TestREADMECommands(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		m := readmeCommand.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cmdline := m[1]
		cmdline, _, _ = strings.Cut(cmdline, "#")
		args := strings.Fields(strings.ReplaceAll(cmdline, "'", ""))
		n++
		tg := resolve(args)
		if tg.cmd.run == nil {
			t.Errorf("README: sealctl %q names no command", args)
			continue
		}
		if err := tg.cmd.parse(tg.rest, &call{}); err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("README: sealctl %q: %v", args, err)
		}
	}
	if n < 5 {
		t.Errorf("found %d sealctl lines in README.md, want the Operator CLI section's", n)
	}
}

// The package doc's usage block lists every command as its help does.
func TestDocUsage(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range leaves("") {
		if !strings.Contains(string(src), "\n//\t"+c.synopsis()+"\n") {
			t.Errorf("main.go's package doc lacks the usage line %q", c.synopsis())
		}
	}
}
