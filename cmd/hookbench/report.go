package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/reports"
	"github.com/hookbench/hookbench/threshold"
)

const reportExamples = `  hookbench report run.hbt                         # text summary on stdout
  hookbench report run.hbt --format json > report.json
  hookbench report run.hbt --format all --out out/  # every format into out/
  hookbench report a.hbt b.hbt c.hbt --merge --format html,hlog --out merged/
  hookbench report --merge traces/ --format all --out traces/report   # every *.hbt and *.trace in traces/
  hookbench report run.hbt --results conform.json --format junit,html --out ci/
  hookbench report run.hbt --threshold 'e2e_p99<500ms' --threshold 'delivered>=99.9%'  # exit 1 on a miss`

// traceArgs expands each directory argument to the trace files in it
// (*.hbt and *.trace, sorted), so a merge needs no shell glob: in a
// container image without a shell, `report --merge /traces` reads every
// shard's trace.
func traceArgs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a) // a file, or an error the reader reports
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, de := range ents {
			if ext := filepath.Ext(de.Name()); !de.IsDir() && (ext == ".hbt" || ext == ".trace") {
				out = append(out, filepath.Join(a, de.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: a directory with no trace files (*.hbt, *.trace)", a)
		}
	}
	return out, nil
}

// reportMemoryLimit is the soft heap limit of hookbench report.
const reportMemoryLimit = 48 << 20

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "report", "report TRACE|DIR... [flags]", reportExamples)
	opts := reports.NewOptions()
	opts.Version = versionString()
	format := fs.String("format", reports.FormatText, "comma-separated formats: "+strings.Join(reports.Formats(), ", ")+", or all")
	out := fs.String("out", "", "directory to write report files into (without it, one format goes to stdout)")
	merge := fs.Bool("merge", false, "merge all traces into one report (exact merged percentiles); default: one report per trace")
	results := fs.String("results", "", "conformance results to include: a JSON report or array of checks (from conform/check)")
	suite := fs.String("suite", "hookbench", "JUnit test suite name")
	title := fs.String("title", "", "HTML report title (default \"hookbench report\")")
	fs.IntVar(&opts.MatchEntries, "match-entries", opts.MatchEntries, "slots per generation of the Sent/Attempt matching tables (power of two; bounds memory)")
	fs.StringSliceVar(&opts.Track, "track", nil, "event ids whose attempt timelines are always kept (repeatable, comma-separated)")
	fs.IntVar(&opts.MaxTimelines, "max-timelines", opts.MaxTimelines, "failed or retried deliveries whose attempts are kept")
	fs.DurationVar(&opts.Step, "step", opts.Step, "interval of the time series and .hlog files (>= 1ms; finer for short runs); "+
		"longer runs coarsen it, and the HTML charts merge intervals down to at most 300 points")
	var limits threshold.List
	fs.Var(&limits, "threshold", thresholdUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("want at least one trace file")
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	formats, err := reports.ParseFormats(*format)
	if err != nil {
		return err
	}
	if *results == "" && slices.Contains(formats, reports.FormatJUnit) {
		if !strings.Contains(*format, "all") || strings.Contains(*format, reports.FormatJUnit) {
			return fmt.Errorf("%w: pass --results FILE", reports.ErrNoChecks)
		}
		formats = slices.DeleteFunc(formats, func(f string) bool { return f == reports.FormatJUnit })
	}
	if *out == "" && (len(formats) != 1 || formats[0] == reports.FormatHlog) {
		return fmt.Errorf("formats %s write several files: give --out DIR", strings.Join(formats, ","))
	}
	if err := parseOnly(); err != nil {
		return err
	}
	var res []conformance.Result
	if *results != "" {
		f, err := os.Open(*results)
		if err != nil {
			return fmt.Errorf("open results: %w", err)
		}
		r, err := reports.ReadResults(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *results, err)
		}
		res = r
	}
	oo := reports.OutputOptions{Suite: *suite, Title: *title}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// Reports stream in bounded memory; a soft limit keeps the garbage
		// the decoder leaves from doubling the heap (GOMEMLIMIT overrides).
		debug.SetMemoryLimit(reportMemoryLimit)
	}

	traces, err := traceArgs(fs.Args())
	if err != nil {
		return err
	}
	groups := [][]string{traces}
	if !*merge {
		groups = groups[:0]
		for _, p := range traces {
			groups = append(groups, []string{p})
		}
	}
	var missed error
	for i, paths := range groups {
		sum, err := reports.Build(ctx, opts, paths...)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		sum.Checks = res
		sum.EvaluateThresholds(limits)
		if err := thresholdsMissed(sum.Thresholds); err != nil && missed == nil {
			missed = err
		}
		outs, err := reports.Outputs(sum, formats, oo)
		if err != nil {
			return err
		}
		if *out == "" {
			if len(groups) > 1 {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stdout, "== %s ==\n", paths[0])
			}
			if err := outs[0].Report(e.stdout); err != nil {
				return err
			}
			if formats[0] != reports.FormatText {
				// The report on stdout may not be read by people: say it here too.
				if err := threshold.Write(e.stderr, sum.Thresholds); err != nil {
					return err
				}
			}
			continue
		}
		dir := *out
		if len(groups) > 1 {
			dir = filepath.Join(dir, strings.TrimSuffix(filepath.Base(paths[0]), filepath.Ext(paths[0])))
		}
		written, err := reports.WriteFiles(dir, outs)
		for _, p := range written {
			fmt.Fprintf(e.stdout, "wrote %s\n", p)
		}
		if err != nil {
			return err
		}
		if err := threshold.Write(e.stdout, sum.Thresholds); err != nil {
			return err
		}
	}
	return missed
}
