package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one row of sealctl's command table. A row without run is a
// group: its name prefixes other rows' names ("keys" for "keys add").
type command struct {
	name     string   // the words after "sealctl": "keys add"
	usage    string   // the synopsis after the name: "--keyring FILE"
	help     string   // what it does: a one-line summary, then any details
	arg      string   // its one positional argument ("key ID"), or "" for none
	moreArgs bool     // arg may be given more than once
	required []string // flags that must be given (their names, no dashes)
	noun     string   // groups: what the subcommands are ("subcommand", "scope")
	flags    func(fs *flag.FlagSet, c *call)
	run      func(ctx context.Context, c *call) error
}

// call is one run of a command: its flags' values (set by the row's flags
// function), its positional arguments and where it writes.
type call struct {
	args           []string
	stdout, stderr io.Writer
	keys           keysOptions
	inspect        inspectOptions
	revoke         revokeOptions
	stats          statsOptions
	sessions       sessionsOptions
}

// lookup returns the row named name; "" is the root group.
func lookup(name string) *command {
	if name == "" {
		return &root
	}
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// leaves returns the runnable rows under group (every one for "").
func leaves(group string) []*command {
	var out []*command
	for i := range commands {
		c := &commands[i]
		if c.run != nil && (group == "" || strings.HasPrefix(c.name, group+" ")) {
			out = append(out, c)
		}
	}
	return out
}

// flagSet returns c's flags, writing their values into cl. The flag
// package prints nothing: sealctl reports errors and help itself.
func (c *command) flagSet(cl *call) *flag.FlagSet {
	fs := flag.NewFlagSet("sealctl "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if c.flags != nil {
		c.flags(fs, cl)
	}
	return fs
}

// target is what the leading words of sealctl's arguments name.
type target struct {
	cmd  *command // a runnable row, or the group the words stopped in
	rest []string // the arguments left for cmd, flags included
	word string   // a group's unknown subcommand, if any
	help bool     // the word "help" was given ("sealctl help keys add")
}

// resolve finds the command named by the words in args. Flags may stand
// before those words (sealctl revoke --data DIR user ID); whether such a
// flag takes the next argument as its value is decided by the group's
// commands, which all agree on it (TestCommandTable checks).
func resolve(args []string) target {
	t := target{cmd: lookup("")}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case t.cmd.run != nil || a == "--":
			return t.with(args[i:])
		case isFlag(a):
			t.rest = append(t.rest, a)
			if takesValue(t.cmd.name, a) && i+1 < len(args) {
				i++
				t.rest = append(t.rest, args[i])
			}
		case a == "help":
			t.help = true
		case lookup(join(t.cmd.name, a)) != nil:
			t.cmd = lookup(join(t.cmd.name, a)) // a subcommand
		default:
			t.word = a
			return t.with(args[i+1:])
		}
	}
	return t
}

func (t target) with(rest []string) target {
	t.rest = append(t.rest, rest...)
	return t
}

func join(group, word string) string {
	if group == "" {
		return word
	}
	return group + " " + word
}

// isFlag reports whether a is a flag rather than a positional argument
// (the flag package's rule: "-" alone is positional, "--" ends flags).
func isFlag(a string) bool {
	return len(a) > 1 && a[0] == '-' && a != "--"
}

// flagName splits a flag argument ("--name=v", "-name") into its name and
// whether it carries its value.
func flagName(a string) (name string, hasValue bool) {
	name = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, _, hasValue = strings.Cut(name, "=")
	return name, hasValue
}

// takesValue reports whether flag argument a, in some command under group,
// consumes the next argument as its value.
func takesValue(group, a string) bool {
	name, hasValue := flagName(a)
	if hasValue {
		return false
	}
	for _, c := range leaves(group) {
		if f := c.flagSet(&call{}).Lookup(name); f != nil && !isBool(f) {
			return true
		}
	}
	return false
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// unknownFlagError is parseArgs's error for a flag fs doesn't define.
type unknownFlagError struct{ name string }

func (e *unknownFlagError) Error() string {
	return "flag provided but not defined: --" + e.name
}

// parseArgs sets fs's flags from args and returns the positional
// arguments in order. Flags may come before, between and after them, as
// -flag or --flag, with their value after "=" or as the next argument
// (bool flags take only "="). A bare "--" ends the flags: all after it is
// positional. -h and --help return flag.ErrHelp unless fs defines them.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if !isFlag(a) {
			pos = append(pos, a)
			continue
		}
		name, hasValue := flagName(a)
		f := fs.Lookup(name)
		switch {
		case name == "" || name[0] == '-' || name[0] == '=':
			return nil, fmt.Errorf("bad flag syntax: %s", a)
		case f == nil && (name == "h" || name == "help"):
			return nil, flag.ErrHelp
		case f == nil:
			return nil, &unknownFlagError{name}
		}
		value := "true"
		switch {
		case hasValue:
			_, value, _ = strings.Cut(a, "=")
		case !isBool(f) && i+1 < len(args):
			i++
			value = args[i]
		case !isBool(f):
			return nil, fmt.Errorf("flag needs an argument: --%s", name)
		}
		if err := fs.Set(name, value); err != nil {
			return nil, fmt.Errorf("invalid value %q for flag --%s: %v", value, name, err)
		}
	}
	return pos, nil
}

// parse sets the flags and arguments of a call to the runnable c, checking
// what c's row requires.
func (c *command) parse(args []string, cl *call) error {
	fs := c.flagSet(cl)
	pos, err := parseArgs(fs, args)
	if uf := (*unknownFlagError)(nil); errors.As(err, &uf) {
		return c.usageErr("%w%s", err, c.owners(uf.name))
	}
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return c.usageErr("%w", err)
	}
	for _, name := range c.required {
		if f := fs.Lookup(name); f.Value.String() == "" {
			metavar, _ := flag.UnquoteUsage(f)
			return c.usageErr("--%s %s is required", name, metavar)
		}
	}
	switch {
	case c.arg == "" && len(pos) > 0:
		return c.usageErr("takes no arguments, got %q", pos)
	case c.arg != "" && len(pos) == 0 && c.moreArgs:
		return c.usageErr("want one or more %s, got none", c.arg)
	case c.arg != "" && len(pos) != 1 && !c.moreArgs:
		return c.usageErr("want one %s, got %d arguments", c.arg, len(pos))
	}
	cl.args = pos
	return nil
}

// owners names the other commands of c's group that define the flag c
// doesn't: "revoke user --until" hints at "revoke session".
func (c *command) owners(name string) string {
	group, _, _ := strings.Cut(c.name, " ")
	var names []string
	for _, o := range leaves(group) {
		if o.flagSet(&call{}).Lookup(name) != nil {
			names = append(names, "sealctl "+o.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (it belongs to " + strings.Join(names, ", ") + ")"
}

// usageError is an error in how sealctl was called: exit status 2. usage
// says how to call it right; main prints it after the error.
type usageError struct {
	err   error
	usage string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErr is a usage error of c, its message prefixed with c's name.
func (c *command) usageErr(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if c.name != "" {
		err = fmt.Errorf("%s: %w", c.name, err)
	}
	return &usageError{err, c.usageText()}
}

// usageText is what a usage error of c shows: a runnable command's
// synopsis, or a group's listing.
func (c *command) usageText() string {
	if c.run == nil {
		return c.listing()
	}
	return fmt.Sprintf("usage: %s\nRun \"sealctl %s -h\" for its flags.", c.synopsis(), c.name)
}

// usagef is a usage error found by a command's run; run adds the
// command's usage.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// group answers a target that stopped in a group: its help, or what is
// missing or unknown.
func (t target) group(stdout io.Writer) error {
	g := t.cmd
	if t.help || slices.ContainsFunc(t.rest, isHelpFlag) {
		fmt.Fprintln(stdout, g.listing())
		return nil
	}
	var names []string
	for _, c := range leaves(g.name) {
		names = append(names, strings.TrimPrefix(c.name, g.name+" "))
	}
	want := orList(slices.Compact(firstWords(names)))
	if t.word != "" {
		return g.usageErr("unknown %s %q (want %s)", g.noun, t.word, want)
	}
	return g.usageErr("say which %s: %s", g.noun, want)
}

// orList writes words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func isHelpFlag(a string) bool {
	name, _ := flagName(a)
	return isFlag(a) && (name == "h" || name == "help")
}

func firstWords(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i], _, _ = strings.Cut(n, " ")
	}
	return out
}

// synopsis is c's usage line: "sealctl keys add --keyring FILE".
func (c *command) synopsis() string {
	return strings.TrimSpace("sealctl " + c.name + " " + c.usage)
}

// summary is the first line of c's help.
func (c *command) summary() string {
	s, _, _ := strings.Cut(c.help, "\n")
	return s
}

// listing is a group's help: each of its commands with its summary, then
// the group's own notes.
func (c *command) listing() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, l := range leaves(c.name) {
		fmt.Fprintf(&b, "  %s\n      %s\n", l.synopsis(), l.summary())
	}
	if c.help != "" {
		fmt.Fprintf(&b, "%s\n", c.help)
	}
	fmt.Fprintf(&b, "Run \"%s COMMAND -h\" for a command's flags.", strings.TrimSpace("sealctl "+c.name))
	return b.String()
}

// printHelp writes a runnable command's help: synopsis, text, flags.
func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n%s\n", c.synopsis(), c.help)
	fs := c.flagSet(&call{})
	fmt.Fprintln(w, "\nflags:")
	fs.VisitAll(func(f *flag.Flag) {
		metavar, text := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s", f.Name)
		if metavar != "" {
			fmt.Fprintf(w, " %s", metavar)
		}
		fmt.Fprintf(w, "\n    \t%s", text)
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}
