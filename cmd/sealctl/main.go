// Command sealctl is the operator CLI for sealed: it manages keyring files,
// inspects cookies, records revocations and lists users' sessions.
//
// Usage:
//
//	sealctl keys init --keyring FILE
//	sealctl keys add --keyring FILE
//	sealctl keys promote --keyring FILE ID
//	sealctl keys rotate --keyring FILE
//	sealctl keys retire --keyring FILE ID
//	sealctl keys prune --keyring FILE --older-than DURATION
//	sealctl keys list --keyring FILE [--json]
//	sealctl inspect --keyring FILE [--name NAME] [--max-age DURATION] [--cookie-age DURATION] [--absolute-lifetime DURATION] [--cookie-header] VALUE...
//	sealctl revoke session ID [--until TIME|DURATION] (--data DIR | --nats URL --keyring FILE)
//	sealctl revoke user ID (--data DIR | --nats URL --keyring FILE)
//	sealctl revoke all (--data DIR | --nats URL --keyring FILE)
//	sealctl revocations stats --data DIR [--json]
//	sealctl sessions list USER (--data DIR | --nats URL --keyring FILE) [--json]
//
// "sealctl COMMAND -h" shows a command's flags. Flags work as -flag and
// --flag, before or after the arguments; a bare "--" ends them. Exit
// status: 0 on success (and for -h), 1 on failure, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// commands is sealctl's command table; rows without run are groups.
var commands = []command{
	{name: "keys", noun: "subcommand", help: `Several instances: add on all, then promote, then retire the old key once
the longest session lifetime has passed. Edits lock FILE.lock, so
concurrent sealctl runs never lose a change.`},
	{name: "keys init", usage: "--keyring FILE", required: keyringRequired, flags: keyringFlag, run: keysInit,
		help: "create FILE with one primary key (never overwrites)"},
	{name: "keys add", usage: "--keyring FILE", required: keyringRequired, flags: keyringFlag, run: keysAdd,
		help: "add an enabled key (opens, does not seal)"},
	{name: "keys promote", usage: "--keyring FILE ID", arg: "key ID", required: keyringRequired, flags: keyringFlag, run: keysPromote,
		help: "make key ID the primary; the old primary stays enabled\nSee the IDs with: sealctl keys list --keyring FILE"},
	{name: "keys rotate", usage: "--keyring FILE", required: keyringRequired, flags: keyringFlag, run: keysRotate,
		help: "add a key and promote it at once (single instance)"},
	{name: "keys retire", usage: "--keyring FILE ID", arg: "key ID", required: keyringRequired, flags: keyringFlag, run: keysRetire,
		help: "remove key ID: cookies sealed under it stop opening\nSee the IDs with: sealctl keys list --keyring FILE"},
	{name: "keys prune", usage: "--keyring FILE --older-than DURATION", required: []string{"keyring", "older-than"}, flags: pruneFlags, run: keysPrune,
		help: "retire enabled keys demoted longer ago than DURATION (e.g. 720h or 30d)"},
	{name: "keys list", usage: "--keyring FILE [--json]", required: keyringRequired, flags: listFlags, run: keysList,
		help: "list keys; never prints secrets"},

	{name: "inspect", usage: "--keyring FILE [--name NAME] [--max-age DURATION] [--cookie-age DURATION] [--absolute-lifetime DURATION] [--cookie-header] VALUE...",
		arg: "cookie VALUE", moreArgs: true, flags: inspectFlags, run: runInspect, help: inspectHelp},

	{name: "revoke", noun: "scope", help: revokeHelp},
	{name: "revoke session", usage: "ID [--until TIME|DURATION] (--data DIR | --nats URL --keyring FILE)", arg: "session ID", flags: revokeSessionFlags, run: revokeSession,
		help: "revoke one session (ID: its 32 hex characters) until it would expire anyway"},
	{name: "revoke user", usage: "ID (--data DIR | --nats URL --keyring FILE)", arg: "user ID", flags: revokeFlags, run: revokeUser,
		help: "revoke every session of user ID created up to now"},
	{name: "revoke all", usage: "(--data DIR | --nats URL --keyring FILE)", flags: revokeFlags, run: revokeAll,
		help: "revoke every session created up to now"},

	{name: "revocations", noun: "subcommand"},
	{name: "revocations stats", usage: "--data DIR [--json]", required: []string{"data"}, flags: statsFlags, run: revocationsStats,
		help: "count a stopped instance's revocations, its outbox and its disk use"},

	{name: "sessions", noun: "subcommand"},
	{name: "sessions list", usage: "USER (--data DIR | --nats URL --keyring FILE) [--json]", arg: "user ID", flags: sessionsFlags, run: sessionsList,
		help: sessionsListHelp},
}

// root is the group of every command.
var root = command{noun: "command", help: `Flags work as -flag and --flag, before or after the arguments; a bare "--"
ends them. Exit status: 0 on success, 1 on failure, 2 on bad usage.`}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (if any) and maps it to sealctl's exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "sealctl:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.usage != "" {
			fmt.Fprintln(stderr, ue.usage)
		}
		return 2
	}
	return 1
}

// run is sealctl without the process: main calls it, and so do the tests.
// Help (-h, --help or the word help) goes to stdout and is no error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	t := resolve(args)
	if t.cmd.run == nil {
		return t.group(stdout)
	}
	if t.help {
		t.cmd.printHelp(stdout)
		return nil
	}
	c := &call{stdout: stdout, stderr: stderr}
	if err := t.cmd.parse(t.rest, c); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			t.cmd.printHelp(stdout)
			return nil
		}
		return err
	}
	err := t.cmd.run(ctx, c)
	if ue := (*usageError)(nil); errors.As(err, &ue) && ue.usage == "" {
		ue.usage = t.cmd.usageText()
	}
	return err
}
