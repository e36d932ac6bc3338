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
)

const reportExamples = `  hookbench report run.hbt                         # text summary on stdout
  hookbench report run.hbt --format json > report.json
  hookbench report run.hbt --format all --out out/  # every format into out/
  hookbench report a.hbt b.hbt c.hbt --merge --format html,hlog --out merged/
  hookbench report run.hbt --results conform.json --format junit,html --out ci/`

// reportMemoryLimit is the soft heap limit of hookbench report.
const reportMemoryLimit = 48 << 20

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "report", "report TRACE... [flags]", reportExamples)
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{errors.New("want at least one trace file")}
	}
	if err := opts.Validate(); err != nil {
		return usageError{err}
	}
	formats, err := reports.ParseFormats(*format)
	if err != nil {
		return usageError{err}
	}
	if *results == "" && slices.Contains(formats, reports.FormatJUnit) {
		if !strings.Contains(*format, "all") || strings.Contains(*format, reports.FormatJUnit) {
			return usageError{fmt.Errorf("%w: pass --results FILE", reports.ErrNoChecks)}
		}
		formats = slices.DeleteFunc(formats, func(f string) bool { return f == reports.FormatJUnit })
	}
	if *out == "" && (len(formats) != 1 || formats[0] == reports.FormatHlog) {
		return usageError{fmt.Errorf("formats %s write several files: give --out DIR", strings.Join(formats, ","))}
	}
	var res []conformance.Result
	if *results != "" {
		f, err := os.Open(*results)
		if err != nil {
			return usageError{fmt.Errorf("open results: %w", err)}
		}
		r, err := reports.ReadResults(f)
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", *results, err)}
		}
		res = r
	}
	oo := reports.OutputOptions{Suite: *suite, Title: *title}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// Reports stream in bounded memory; a soft limit keeps the garbage
		// the decoder leaves from doubling the heap (GOMEMLIMIT overrides).
		debug.SetMemoryLimit(reportMemoryLimit)
	}

	groups := [][]string{fs.Args()}
	if !*merge {
		groups = groups[:0]
		for _, p := range fs.Args() {
			groups = append(groups, []string{p})
		}
	}
	for i, paths := range groups {
		sum, err := reports.Build(ctx, opts, paths...)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return usageError{err}
		}
		sum.Checks = res
		outs, err := reports.Outputs(sum, formats, oo)
		if err != nil {
			return usageError{err}
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
	}
	return nil
}
