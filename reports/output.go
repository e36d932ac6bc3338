package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Report formats.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatJUnit = "junit"
	FormatHlog  = "hlog"
	FormatCSV   = "csv"
	FormatHTML  = "html"
)

// Formats lists every format in output order.
func Formats() []string {
	return []string{FormatText, FormatJSON, FormatJUnit, FormatHlog, FormatCSV, FormatHTML}
}

// ParseFormats parses a comma-separated format list ("all" for every
// format), keeping Formats() order and dropping repeats.
func ParseFormats(list string) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "all":
			for _, g := range Formats() {
				seen[g] = true
			}
		case slices.Contains(Formats(), f):
			seen[f] = true
		default:
			return nil, fmt.Errorf("unknown report format %q (want %s or all)", f, strings.Join(Formats(), ", "))
		}
	}
	var out []string
	for _, f := range Formats() {
		if seen[f] {
			out = append(out, f)
		}
	}
	return out, nil
}

// ErrNoChecks is returned for a JUnit report of a summary without checks.
var ErrNoChecks = errors.New("the junit format needs conformance results (none were given)")

// Output is one report file.
type Output struct {
	Name   string // file name: report.txt, report.json, junit.xml, <metric>.hlog, series.csv, report.html
	Format string
	Report Reporter
}

// OutputOptions name what the outputs cannot take from the summary.
type OutputOptions struct {
	Suite string // JUnit suite name; "hookbench" when empty
	Title string // HTML title; "hookbench report" when empty
}

// Outputs returns the reporters of the formats, in order; hlog gives one
// output per metric.
func Outputs(s *Summary, formats []string, o OutputOptions) ([]Output, error) {
	var out []Output
	for _, f := range formats {
		switch f {
		case FormatText:
			out = append(out, Output{"report.txt", f, NewText(s)})
		case FormatJSON:
			out = append(out, Output{"report.json", f, NewJSON(s)})
		case FormatJUnit:
			if len(s.Checks) == 0 {
				return nil, ErrNoChecks
			}
			out = append(out, Output{"junit.xml", f, NewJUnit(o.Suite, s.Checks, s.Duration)})
		case FormatHlog:
			for _, m := range Metrics() {
				rep, err := NewHlog(s, m)
				if err != nil {
					return nil, err
				}
				out = append(out, Output{m + ".hlog", f, rep})
			}
		case FormatCSV:
			out = append(out, Output{"series.csv", f, NewCSV(s)})
		case FormatHTML:
			out = append(out, Output{"report.html", f, NewHTML(s, o.Title)})
		default:
			return nil, fmt.Errorf("unknown report format %q", f)
		}
	}
	return out, nil
}

// WriteFiles writes each output to dir (created when missing) and returns
// the paths written. A file is written under a temporary name and renamed,
// so a failed run leaves no half-written report.
func WriteFiles(dir string, outs []Output) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create report directory: %w", err)
	}
	var paths []string
	for _, o := range outs {
		path := filepath.Join(dir, o.Name)
		if err := writeFile(path, o.Report); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writeFile(path string, rep Reporter) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = rep(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Build reads trace files into one report (Feed) and closes it.
func Build(ctx context.Context, opts Options, paths ...string) (*Summary, error) {
	r, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := FeedFiles(ctx, r, paths...); err != nil {
		return nil, err
	}
	return r.Close()
}
