package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/reports"
	"github.com/hookbench/hookbench/trace"
)

const checkExamples = `  hookbench check run.trace                      # grade a saved conformance run
  hookbench check run.trace --only 3,6.2 --strict
  hookbench check run.trace --profile svix --json verdicts.json`

// gradeFlags are the flags conform and check share: what to grade and
// where the verdicts go.
type gradeFlags struct {
	only, skip []string
	strict     bool
	profile    string
	junit      string
	json       string
	verbose    bool
	took       time.Duration // the run's wall time, for JUnit
}

func (g *gradeFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&g.only, "only", nil, "run only these checks or groups (comma-separated ids, e.g. 3,6.2)")
	fs.StringSliceVar(&g.skip, "skip", nil, "leave these checks or groups out")
	fs.BoolVar(&g.strict, "strict", false, "treat WARN (a broken SHOULD) as FAIL, as h2spec --strict does")
	fs.StringVar(&g.profile, "profile", "", "declared policy: a built-in profile ("+strings.Join(policy.Profiles(), ", ")+")")
	fs.StringVar(&g.junit, "junit", "", "also write the verdicts as JUnit XML to this file")
	fs.StringVar(&g.json, "json", "", "also write the verdicts as JSON to this file")
	fs.BoolVarP(&g.verbose, "verbose", "v", false, "also print why each passing check passed")
}

func (g *gradeFlags) evalOptions() conformance.Options {
	return conformance.Options{Only: g.only, Skip: g.skip, Strict: g.strict}
}

// profilePolicy returns the --profile policy, and false when none was given.
func (g *gradeFlags) profilePolicy() (policy.Policy, bool, error) {
	if g.profile == "" {
		return policy.Policy{}, false, nil
	}
	p, err := policy.Profile(g.profile)
	if err != nil {
		return p, false, fmt.Errorf("--profile: %w", err)
	}
	return p, true, nil
}

// report prints the tree and writes the requested files; it returns a
// failError when any check failed.
func (g *gradeFlags) report(e *env, title string, p *policy.Policy, rs []conformance.Result) error {
	if err := conformance.WriteText(e.stdout, rs, conformance.TextOptions{Title: title, Verbose: g.verbose}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if g.json != "" {
		if err := writeReportFile(g.json, func(f *os.File) error { return conformance.WriteJSON(f, title, p, rs) }); err != nil {
			return err
		}
	}
	if g.junit != "" {
		if err := writeReportFile(g.junit, func(f *os.File) error { return reports.WriteJUnit(f, "hookbench conformance", rs, g.took) }); err != nil {
			return err
		}
	}
	switch c := conformance.Tally(rs); {
	case c.Fail > 0:
		return failError{fmt.Sprintf("%d of %d checks failed", c.Fail, len(rs))}
	case c.Pass+c.Warn == 0:
		// Nothing graded is no pass: a gate that skipped every check
		// (an adapter that can do nothing, a trace of something else)
		// must not read as green.
		return failError{fmt.Sprintf("nothing graded: none of the %d checks passed or failed (%d skipped, %d informational)", len(rs), c.Skip, c.Info)}
	}
	return nil
}

// readTrace reads a whole trace file, stopping when ctx ends.
func readTrace(ctx context.Context, path string) (*trace.Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return trace.Read(ctxReader{ctx, f})
}

func writeReportFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// runCheck grades a saved trace offline with the same checks as conform.
func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "check", "check TRACE [flags]", checkExamples)
	var g gradeFlags
	g.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("expected one trace file (see hookbench check --help)")
	}
	path := fs.Arg(0)
	tr, err := readTrace(ctx, path)
	if err != nil {
		return fmt.Errorf("read trace %s: %w", path, err)
	}
	p, ok, err := g.profilePolicy()
	if err != nil {
		return err
	}
	source := "--profile " + g.profile
	if ok {
		// The sink verified deliveries with the run's subscriber settings:
		// a profile changes what is promised, not how it was verified.
		if rec, has, err := conformance.PolicyFromTrace(tr); err == nil && has && (rec.Scheme != p.Scheme || rec.Tolerance != p.Tolerance) {
			p.Scheme, p.Tolerance = rec.Scheme, rec.Tolerance
			source += " (signature settings from the trace)"
		}
	} else {
		if p, ok, err = conformance.PolicyFromTrace(tr); err != nil {
			return fmt.Errorf("trace %s: %w", path, err)
		}
		if !ok {
			return fmt.Errorf("trace %s records no declared policy: pass --profile NAME", path)
		}
		source = "the trace's policy mark"
	}
	rs, err := conformance.Evaluate(tr, &p, g.evalOptions())
	if err != nil {
		return err
	}
	title := fmt.Sprintf("hookbench check %s: run %s, policy from %s", path, tr.Header.RunID, source)
	if tr.Dropped > 0 {
		title += fmt.Sprintf(" (trace truncated: last %d bytes dropped)", tr.Dropped)
	}
	gerr := g.report(e, title, &p, rs)
	if inter, err := conformance.DetectInterference(tr); err == nil {
		interferenceNote(e, inter, false)
	}
	return gerr
}
