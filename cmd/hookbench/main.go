// Command hookbench is a load-testing and conformance harness for webhook
// providers: a recording sink, an open-loop event generator, scripted
// scenarios, a conformance suite and reports.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// version is set with -ldflags "-X main.version=..."; it falls back to the
// module version from the build info.
var version = ""

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by an interrupt or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // conformance failure
	exitUsage = 2 // usage or setup error
)

// env is what a subcommand may touch of the outside world.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	args0          []string // the whole command line, for trace headers
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists every subcommand; each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version", runVersion},
		"trace":    {"inspect trace files (dump, stats)", runTrace},
		"sink":     {"run the recording, misbehaving webhook receiver", runSink},
		"provider": {"run the embedded reference webhook provider", runProvider},
		"gen":      {"generate events at a provider's API at a scripted rate", runGen},
		"run":      {"run a scenario file end to end", runScenario},
		"conform":  {"run the conformance suite against a provider", runConform},
		"check":    {"run the conformance checks on a saved trace", runCheck},
		"report":   {"build reports from traces", runReport},
	}
}

// usageError is a bad flag, argument or setup problem: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// failError means the run worked and found conformance failures: exit 1.
type failError struct{ msg string }

func (f failError) Error() string { return f.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, args0: append([]string{"hookbench"}, args...)}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hookbench: unknown command %q (see hookbench --help)\n", args[0])
		return exitUsage
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	}
	var fe failError
	if errors.As(err, &fe) {
		fmt.Fprintf(stderr, "hookbench %s: %v\n", args[0], err)
		return exitFail
	}
	fmt.Fprintf(stderr, "hookbench %s: %v\n", args[0], err)
	return exitUsage
}

func printUsage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "hookbench: load testing and conformance for webhook providers")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: hookbench COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'hookbench COMMAND --help' for a command's flags and examples.")
	fmt.Fprintln(w, "Exit codes: 0 ok/pass, 1 conformance failure, 2 usage or setup error.")
}

// newFlagSet returns a flag set whose --help prints the summary, usage line,
// flags and examples of one subcommand.
func newFlagSet(e *env, name, usage, examples string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: hookbench %s\n\nFlags:\n", usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
		if examples != "" {
			fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "version", "  hookbench version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (version takes no arguments)", fs.Arg(0))}
	}
	fmt.Fprintf(e.stdout, "hookbench %s\n", versionString())
	return nil
}

// isTerminal reports whether w is a character device (a terminal): progress
// lines are drawn only there.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
