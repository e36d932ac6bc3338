package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hookbench/hookbench/policy"
)

// MarshalText makes a Verdict readable in JSON, YAML and flags.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses "PASS", "INFO", "SKIP", "WARN" or "FAIL".
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, n := range verdictNames {
		if strings.EqualFold(n, string(b)) {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("conformance: unknown verdict %q (want PASS, INFO, SKIP, WARN or FAIL)", b)
}

// TextOptions tunes WriteText.
type TextOptions struct {
	// Title is the first line (e.g. what was graded); "" prints none.
	Title string
	// Verbose also prints the summary line of passing checks.
	Verbose bool
}

var marks = map[Verdict]string{Pass: "PASS", Info: "INFO", Skip: "SKIP", Warn: "WARN", Fail: "FAIL"}

// WriteText prints results as an h2spec-style tree: groups, then one line per
// check with its verdict, and under every FAIL and WARN the evidence.
func WriteText(w io.Writer, rs []Result, o TextOptions) error {
	var b strings.Builder
	if o.Title != "" {
		b.WriteString(o.Title + "\n\n")
	}
	titles := map[int]string{}
	for _, g := range Groups() {
		titles[g.N] = g.Title
	}
	group := -1
	for i := range rs {
		r := &rs[i]
		if g := GroupOf(r.ID); g != group {
			group = g
			if i > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "%d. %s\n", g, titles[g])
		}
		fmt.Fprintf(&b, "  [%s] %-5s %s\n", marks[r.Verdict], r.ID, r.Title)
		show := r.Verdict == Fail || r.Verdict == Warn || r.Verdict == Skip || r.Verdict == Info || o.Verbose
		if show && r.Summary != "" {
			fmt.Fprintf(&b, "           -> %s\n", r.Summary)
		}
		if r.Verdict == Fail || r.Verdict == Warn {
			for _, e := range r.Evidence {
				writeEvidence(&b, &e)
			}
			if r.Source != "" {
				fmt.Fprintf(&b, "              source: %s\n", r.Source)
			}
		}
	}
	c := Tally(rs)
	fmt.Fprintf(&b, "\n%d checks: %d passed, %d failed, %d warnings, %d skipped, %d informational\n", len(rs), c.Pass, c.Fail, c.Warn, c.Skip, c.Info)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeEvidence(b *strings.Builder, e *Evidence) {
	var who []string
	if e.EventID != "" {
		who = append(who, "event "+e.EventID)
	}
	if e.MsgID != "" {
		who = append(who, "msg "+e.MsgID)
	}
	if e.Endpoint != "" {
		who = append(who, "at "+e.Endpoint)
	}
	if len(who) > 0 {
		fmt.Fprintf(b, "              %s\n", strings.Join(who, " "))
	}
	if e.Expected != "" {
		fmt.Fprintf(b, "                expected: %s\n", e.Expected)
	}
	if e.Observed != "" {
		fmt.Fprintf(b, "                observed: %s\n", e.Observed)
	}
	if len(e.TimesMs) > 0 {
		ts := make([]string, len(e.TimesMs))
		for i, t := range e.TimesMs {
			ts[i] = strconv.FormatInt(t, 10)
		}
		fmt.Fprintf(b, "                attempts at (ms): %s\n", strings.Join(ts, ", "))
	}
}

// Report is the JSON form of a conformance run.
type Report struct {
	Title  string         `json:"title,omitempty"`
	Policy *policy.Policy `json:"policy,omitempty"`
	Counts Counts         `json:"counts"`
	Passed bool           `json:"passed"`
	// Checks has the shape reports.ReadResults reads (`hookbench report
	// --results`).
	Checks []JSONResult `json:"checks"`
}

// JSONResult is a Result with its verdict spelled out.
type JSONResult struct {
	Result
	Verdict Verdict `json:"verdict"`
}

// WriteJSON writes results (and, when not nil, the policy they were judged
// against) as an indented JSON Report.
func WriteJSON(w io.Writer, title string, p *policy.Policy, rs []Result) error {
	rep := Report{Title: title, Policy: p, Counts: Tally(rs), Passed: !Failed(rs), Checks: make([]JSONResult, len(rs))}
	for i := range rs {
		rep.Checks[i] = JSONResult{Result: rs[i], Verdict: rs[i].Verdict}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&rep); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// Counts is also written in JSON with lower-case names.
func (c Counts) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pass int `json:"pass"`
		Info int `json:"info"`
		Skip int `json:"skip"`
		Warn int `json:"warn"`
		Fail int `json:"fail"`
	}{c.Pass, c.Info, c.Skip, c.Warn, c.Fail})
}
