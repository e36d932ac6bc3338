// Command hookbench is a load-testing and conformance harness for webhook
// providers: a recording sink, an open-loop event generator, scripted
// scenarios, a conformance suite and reports.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookbench/hookbench/internal/suggest"
)

// version, commit and date may be set with -ldflags "-X main.version=..."
// (a tagged release, or a build without the repository's .git); each falls
// back to the build info.
var version, commit, date = "", "", ""

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by the first interrupt or SIGTERM: every
// command then stops cleanly (files flushed and closed, verdicts written)
// and exits with exitInterrupted. A second signal exits at once, with the
// same code, for a stop that takes too long.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(interruptError{s})
		case <-done:
			return
		}
		first := time.Now()
		for {
			select {
			case <-sigs:
				if time.Since(first) < signalEcho {
					continue
				}
				fmt.Fprintln(os.Stderr, "hookbench: interrupted again: stopping at once")
				os.Exit(exitInterrupted)
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel(context.Canceled)
		})
	}
}

// signalEcho is how soon after the first signal a second one counts as
// the same interrupt: a supervisor (timeout, a process manager) may signal
// both the process and its process group.
const signalEcho = 500 * time.Millisecond

// interruptError is the cause of a context a signal cancelled.
type interruptError struct{ sig os.Signal }

func (i interruptError) Error() string { return "interrupted by " + i.sig.String() }

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the run found failures: a failError
	exitUsage = 2 // any other error: usage or setup
	// exitInterrupted is what shells report for a command ended by Ctrl-C
	// (128 + SIGINT); SIGTERM ends a command the same way.
	exitInterrupted = 130
)

// env is what a subcommand may touch of the outside world.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	args0          []string // the whole command line, for trace headers
	// beforeMetricsClose, when set (tests), is called with the metrics URL
	// after the work ended, before the metrics server closes.
	beforeMetricsClose func(url string)
	// onFlagSet, when set, sees every flag set a command builds: the
	// completion scripts are generated from the real flags.
	onFlagSet func(*pflag.FlagSet)
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists every subcommand; each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"version":    {"print the version", runVersion},
		"trace":      {"inspect trace files (dump, stats)", runTrace},
		"sink":       {"run the recording, misbehaving webhook receiver", runSink},
		"provider":   {"run the embedded reference webhook provider", runProvider},
		"gen":        {"generate events at a provider's API at a scripted rate", runGen},
		"run":        {"run a scenario file end to end", runScenario},
		"conform":    {"run the conformance suite against a provider", runConform},
		"check":      {"run the conformance checks on a saved trace", runCheck},
		"report":     {"build reports from traces", runReport},
		"completion": {"print a shell completion script (bash, zsh, fish)", runCompletion},
	}
}

// failError means the run worked and found failures (failed checks,
// nothing delivered): exit 1. Every other error is a usage or setup
// problem: exit 2.
type failError struct{ msg string }

func (f failError) Error() string { return f.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// runEnv is run with the environment e (tests set its hooks).
func runEnv(ctx context.Context, e *env, args []string) int {
	e.args0 = append([]string{"hookbench"}, args...)
	stdout, stderr := e.stdout, e.stderr
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
		fmt.Fprintf(stderr, "hookbench: unknown command %q%s (see hookbench --help)\n", args[0], suggest.Hint(args[0], slices.Sorted(maps.Keys(cmds))))
		return exitUsage
	}
	err := c.run(ctx, e, args[1:])
	if errors.Is(err, errParseOnly) {
		fmt.Fprintf(stderr, "hookbench %s: flags ok\n", args[0])
		return exitOK
	}
	if ctx.Err() != nil {
		// Stopped by the caller: whatever the command found before, the
		// run is incomplete.
		msg := "interrupted"
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, pflag.ErrHelp) {
			msg += " (" + err.Error() + ")"
		}
		fmt.Fprintf(stderr, "hookbench %s: %s\n", args[0], msg)
		return exitInterrupted
	}
	if err == nil || errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "hookbench %s: %v\n", args[0], err)
	if errors.As(err, new(failError)) {
		return exitFail
	}
	return exitUsage
}

// parseOnlyEnv, set to 1, makes gen, run, sink, provider and report stop
// after parsing and validating their flags, before they open a file or a
// socket: manifests and scripts that build a command line can check it
// without running it.
const parseOnlyEnv = "HOOKBENCH_PARSE_ONLY"

// errParseOnly is what a command returns at its parse-only checkpoint.
var errParseOnly = errors.New("parse only")

// parseOnly returns errParseOnly when parseOnlyEnv is set to 1.
func parseOnly() error {
	if os.Getenv(parseOnlyEnv) == "1" {
		return errParseOnly
	}
	return nil
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
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'hookbench COMMAND --help' for a command's flags and examples.")
	fmt.Fprintln(w, "Exit codes: 0 ok/pass, 1 failure (a FAIL, a missed threshold, nothing done), 2 usage or setup error, 130 interrupted (Ctrl-C, SIGTERM).")
}

// newFlagSet returns a flag set whose --help prints the summary, usage line,
// flags and examples of one subcommand.
func newFlagSet(e *env, name, usage, examples string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	if e.onFlagSet != nil {
		e.onFlagSet(fs)
	}
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

// parseFlags parses args; an unknown flag's error names the closest
// known flag.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(args)
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		return fmt.Errorf("%w%s (see hookbench %s --help)", err, flagHint(fs, ne), fs.Name())
	}
	return err
}

// flagHint suggests the known flag closest to the one in ne.
func flagHint(fs *pflag.FlagSet, ne *pflag.NotExistError) string {
	var long, short []string
	fs.VisitAll(func(f *pflag.Flag) {
		long = append(long, f.Name)
		if f.Shorthand != "" {
			short = append(short, f.Shorthand)
		}
	})
	if ne.GetSpecifiedShortnames() != "" {
		// -x typed for --x: a long flag one dash short.
		if c, ok := suggest.Closest(ne.GetSpecifiedShortnames(), long); ok || slices.Contains(long, ne.GetSpecifiedShortnames()) {
			return fmt.Sprintf(" (did you mean --%s?)", cmp.Or(c, ne.GetSpecifiedShortnames()))
		}
		return ""
	}
	if c, ok := suggest.Closest(ne.GetSpecifiedName(), long); ok {
		return fmt.Sprintf(" (did you mean --%s?)", c)
	}
	return ""
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
