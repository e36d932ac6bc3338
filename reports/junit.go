package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/conformance"
)

// JUnit XML as CI systems (Jenkins, GitLab, GitHub annotations) read it:
// one testsuite, one testcase per conformance check. FAIL is a <failure>
// carrying the evidence, SKIP is <skipped>, WARN and INFO pass with their
// summary in <system-out> (callers enforcing --strict turn WARN into FAIL
// before writing).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitText struct {
	Body string `xml:",cdata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes results as a JUnit XML report: suite names the test
// suite (e.g. the provider under test), d is the run's duration.
func WriteJUnit(w io.Writer, suite string, results []conformance.Result, d time.Duration) error {
	if suite == "" {
		suite = "hookbench"
	}
	secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	s := junitSuite{Name: suite, Tests: len(results), Time: secs, Cases: []junitCase{}}
	for _, r := range results {
		c := junitCase{Name: strings.TrimSpace(r.ID + " " + r.Title), Classname: suite + "." + classname(r), Time: "0"}
		switch r.Verdict {
		case conformance.Fail:
			s.Failures++
			c.Failure = &junitFailure{Message: r.Summary, Type: r.Verdict.String(), Body: evidenceText(r)}
		case conformance.Skip:
			s.Skipped++
			c.Skipped = &junitSkipped{Message: r.Summary}
		default:
			out := r.Verdict.String() + ": " + r.Summary
			if ev := evidenceText(r); ev != "" {
				out += "\n" + ev
			}
			c.SystemOut = &junitText{out}
		}
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "hookbench", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Time: secs, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// NewJUnit returns a Reporter writing WriteJUnit's output.
func NewJUnit(suite string, results []conformance.Result, d time.Duration) Reporter {
	return func(w io.Writer) error { return WriteJUnit(w, suite, results, d) }
}

// classname groups checks by the part of their id before the first dot
// ("3.2" → "section3"), so CI tree views group them by spec section.
func classname(r conformance.Result) string {
	id := r.ID
	if i := strings.IndexByte(id, '.'); i > 0 {
		id = id[:i]
	}
	if id == "" {
		return "checks"
	}
	return "section" + id
}

// evidenceText renders a result's source and evidence as plain text.
func evidenceText(r conformance.Result) string {
	var b strings.Builder
	if r.Source != "" {
		b.WriteString("Source: " + r.Source + "\n")
	}
	for i, e := range r.Evidence {
		fmt.Fprintf(&b, "Evidence %d:", i+1)
		for _, kv := range [][2]string{{"event", e.EventID}, {"msg", e.MsgID}, {"endpoint", e.Endpoint}} {
			if kv[1] != "" {
				b.WriteString(" " + kv[0] + "=" + kv[1])
			}
		}
		b.WriteString("\n")
		if e.Expected != "" {
			b.WriteString("  expected: " + e.Expected + "\n")
		}
		if e.Observed != "" {
			b.WriteString("  observed: " + e.Observed + "\n")
		}
		if len(e.TimesMs) > 0 {
			ts := make([]string, len(e.TimesMs))
			for j, t := range e.TimesMs {
				ts[j] = strconv.FormatInt(t, 10)
			}
			b.WriteString("  attempts at (ms): " + strings.Join(ts, ", ") + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
