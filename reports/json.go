package reports

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/conformance"
)

// JSON schema identity. A change that removes or retypes a field bumps
// SchemaVersion; adding fields does not.
const (
	SchemaID      = "https://hookbench.dev/schema/report/v1.json"
	SchemaVersion = 1
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the JSON report.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }

// jsonReport is the top-level JSON document: the Summary plus the schema
// identity, the histogram geometry and the checks.
type jsonReport struct {
	Schema        string    `json:"schema"`
	SchemaVersion int       `json:"schema_version"`
	Histogram     jsonHist  `json:"histogram"`
	Percentiles   []float64 `json:"percentiles"`
	*Summary
	Checks   []jsonCheck    `json:"checks"`
	Verdicts map[string]int `json:"verdicts"`
}

type jsonHist struct {
	Unit          string `json:"unit"`
	Lowest        int64  `json:"lowest_discernible_ns"`
	Highest       int64  `json:"highest_trackable_ns"`
	Digits        int    `json:"significant_digits"`
	GroupDigits   int    `json:"group_significant_digits"` // endpoints and event types
	ExactExtremes bool   `json:"exact_min_max"`
}

type jsonCheck struct {
	ID       string                 `json:"id"`
	Title    string                 `json:"title"`
	Source   string                 `json:"source"`
	Verdict  string                 `json:"verdict"`
	Summary  string                 `json:"summary"`
	Evidence []conformance.Evidence `json:"evidence"`
}

// WriteJSON writes s as a JSON report (schema.json). s may hold only
// Checks (as the conform command writes it); missing parts are written
// empty, never null.
func WriteJSON(w io.Writer, s *Summary) error {
	doc := jsonReport{
		Schema:        SchemaID,
		SchemaVersion: SchemaVersion,
		Histogram:     jsonHist{Unit: "ns", Lowest: int64(HistLowest), Highest: int64(HistHighest), Digits: HistDigits, GroupDigits: GroupDigits, ExactExtremes: true},
		Percentiles:   Percentiles(),
		Summary:       normalized(s),
		Checks:        []jsonCheck{},
		Verdicts:      map[string]int{},
	}
	for v := conformance.Pass; v <= conformance.Fail; v++ {
		doc.Verdicts[strings.ToLower(v.String())] = 0
	}
	for _, r := range s.Checks {
		ev := r.Evidence
		if ev == nil {
			ev = []conformance.Evidence{}
		}
		doc.Checks = append(doc.Checks, jsonCheck{ID: r.ID, Title: r.Title, Source: r.Source, Verdict: r.Verdict.String(), Summary: r.Summary, Evidence: ev})
		doc.Verdicts[strings.ToLower(r.Verdict.String())]++
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// NewJSON returns a Reporter writing WriteJSON's output.
func NewJSON(s *Summary) Reporter { return func(w io.Writer) error { return WriteJSON(w, s) } }

// normalized returns a copy of s whose nil slices are empty.
func normalized(s *Summary) *Summary {
	c := *s
	c.Runs = slices.Clone(orEmpty(c.Runs))
	c.Metrics = slices.Clone(orEmpty(c.Metrics))
	for i := range c.Metrics {
		c.Metrics[i].Percentiles = orEmpty(c.Metrics[i].Percentiles)
	}
	c.Endpoints = orEmpty(c.Endpoints)
	c.EventTypes = orEmpty(c.EventTypes)
	c.StatusCodes = orEmpty(c.StatusCodes)
	c.Signatures = orEmpty(c.Signatures)
	c.Series.Points = orEmpty(c.Series.Points)
	c.Marks = orEmpty(c.Marks)
	c.Spans = orEmpty(c.Spans)
	c.Timelines = slices.Clone(orEmpty(c.Timelines))
	c.Warnings = orEmpty(c.Warnings)
	c.Thresholds = orEmpty(c.Thresholds)
	for i := range c.Runs {
		c.Runs[i].Args = orEmpty(c.Runs[i].Args)
	}
	for i := range c.Timelines {
		c.Timelines[i].Attempts = orEmpty(c.Timelines[i].Attempts)
	}
	return &c
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ResultsError is a results file that cannot be read.
type ResultsError struct {
	Index int // check index, -1 for the document
	Err   error
}

func (e *ResultsError) Error() string {
	if e.Index < 0 {
		return "read results: " + e.Err.Error()
	}
	return fmt.Sprintf("read results: check %d: %v", e.Index, e.Err)
}

func (e *ResultsError) Unwrap() error { return e.Err }

// maxResultsSize bounds what ReadResults reads.
const maxResultsSize = 64 << 20

// ReadResults reads conformance results from a JSON report (its "checks")
// or from a bare JSON array of checks, as WriteJSON writes them.
func ReadResults(r io.Reader) ([]conformance.Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxResultsSize+1))
	if err != nil {
		return nil, &ResultsError{-1, err}
	}
	if len(data) > maxResultsSize {
		return nil, &ResultsError{-1, fmt.Errorf("larger than %d bytes", maxResultsSize)}
	}
	var checks []jsonCheck
	trimmed := strings.TrimSpace(string(data))
	switch {
	case strings.HasPrefix(trimmed, "["):
		err = json.Unmarshal(data, &checks)
	case strings.HasPrefix(trimmed, "{"):
		var doc struct {
			Checks *[]jsonCheck `json:"checks"`
		}
		err = json.Unmarshal(data, &doc)
		if err == nil && doc.Checks == nil {
			err = errors.New(`no "checks" in the JSON object`)
		}
		if doc.Checks != nil {
			checks = *doc.Checks
		}
	default:
		err = errors.New("want a JSON report or an array of checks")
	}
	if err != nil {
		return nil, &ResultsError{-1, err}
	}
	out := make([]conformance.Result, 0, len(checks))
	for i, c := range checks {
		v, ok := parseVerdict(c.Verdict)
		if !ok {
			return nil, &ResultsError{i, fmt.Errorf("verdict %q: want PASS, INFO, SKIP, WARN or FAIL", c.Verdict)}
		}
		if c.ID == "" {
			return nil, &ResultsError{i, errors.New("empty id")}
		}
		out = append(out, conformance.Result{ID: c.ID, Title: c.Title, Source: c.Source, Verdict: v, Summary: c.Summary, Evidence: c.Evidence})
	}
	return out, nil
}

func parseVerdict(s string) (conformance.Verdict, bool) {
	for v := conformance.Pass; v <= conformance.Fail; v++ {
		if strings.EqualFold(s, v.String()) {
			return v, true
		}
	}
	return 0, false
}
