package generator

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/hookbench/hookbench/threshold"
)

// JSON schema identity of the summary `hookbench gen --output json`
// writes. As for the report's JSON: removing or retyping a field bumps
// SchemaVersion; adding one does not.
const (
	SchemaID      = "https://hookbench.dev/schema/gen/v1.json"
	SchemaVersion = 1
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the JSON summary.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }

// jsonSummary is the JSON document of a Summary, in the report's style:
// snake_case keys, times in integer nanoseconds with an _ns suffix, rates
// per second, percentages in percent, and empty arrays rather than null.
type jsonSummary struct {
	Schema        string             `json:"schema"`
	SchemaVersion int                `json:"schema_version"`
	Schedule      string             `json:"schedule"`
	Capacity      bool               `json:"capacity"`
	Interrupted   bool               `json:"interrupted"`
	ScheduleHeld  bool               `json:"schedule_held"`
	NotHeld       string             `json:"schedule_not_held,omitempty"`
	Elapsed       int64              `json:"elapsed_ns"`
	Counts        jsonCounts         `json:"counts"`
	BytesSent     uint64             `json:"bytes_sent"`
	WorstLate     int64              `json:"worst_late_ns"`
	LateThreshold int64              `json:"late_threshold_ns"`
	IntendedRate  float64            `json:"intended_rate"`
	AchievedRate  float64            `json:"achieved_rate"`
	RateError     float64            `json:"rate_error_pct"`
	ErrorRate     float64            `json:"error_rate_pct"`
	StatusCodes   []jsonCode         `json:"status_codes"`
	Errors        []jsonErr          `json:"errors"`
	Metrics       []jsonDist         `json:"metrics"`
	Warnings      []string           `json:"warnings"`
	Thresholds    []threshold.Result `json:"thresholds"`
}

type jsonCounts struct {
	Intended   uint64 `json:"intended"`
	Sent       uint64 `json:"sent"`
	Missed     uint64 `json:"missed"`
	Skipped    uint64 `json:"skipped"`
	Late       uint64 `json:"late"`
	Duplicates uint64 `json:"duplicates"`
	OK         uint64 `json:"ok"`
	Failed     uint64 `json:"failed"`
	Aborted    uint64 `json:"aborted"`
	OutOfRange uint64 `json:"out_of_range"`
}

type jsonCode struct {
	Code  int    `json:"code"`
	Count uint64 `json:"count"`
}

type jsonErr struct {
	Kind  string `json:"kind"`
	Count uint64 `json:"count"`
}

type jsonDist struct {
	Name        string           `json:"name"`
	Count       int64            `json:"count"`
	Mean        int64            `json:"mean_ns"`
	Max         int64            `json:"max_ns"`
	Percentiles []jsonPercentile `json:"percentiles"`
}

type jsonPercentile struct {
	P     float64 `json:"p"`
	Value int64   `json:"value_ns"`
}

// Distribution names in the JSON summary and in thresholds: the report's
// names for the same measurements, plus the generator's own lateness.
const (
	DistTrigger            = "trigger"             // from the intended send time (corrected)
	DistTriggerUncorrected = "trigger_uncorrected" // from when the request left
	DistLateness           = "lateness"            // from the intended send time to when the request left
)

func (p Percentiles) dist(name string) jsonDist {
	d := jsonDist{Name: name, Count: p.Count, Mean: int64(p.Mean), Max: int64(p.Max), Percentiles: []jsonPercentile{}}
	if p.Count == 0 {
		return d
	}
	for _, q := range []struct {
		p float64
		v time.Duration
	}{{50, p.P50}, {90, p.P90}, {99, p.P99}, {99.9, p.P999}, {100, p.Max}} {
		d.Percentiles = append(d.Percentiles, jsonPercentile{q.p, int64(q.v)})
	}
	return d
}

// WriteJSON writes the summary as a versioned JSON document (SchemaID).
func (s *Summary) WriteJSON(w io.Writer) error {
	doc := jsonSummary{
		Schema:        SchemaID,
		SchemaVersion: SchemaVersion,
		Schedule:      s.Pacer,
		Capacity:      s.Capacity,
		Interrupted:   s.Interrupted,
		Elapsed:       int64(s.Elapsed),
		Counts: jsonCounts{Intended: s.Intended, Sent: s.Sent, Missed: s.Missed, Skipped: s.Skipped, Late: s.Late, Duplicates: s.Duplicates,
			OK: s.OK, Failed: s.Failed, Aborted: s.Aborted, OutOfRange: s.OutOfRange},
		BytesSent:     s.BytesSent,
		WorstLate:     int64(s.WorstLate),
		LateThreshold: int64(LateThreshold),
		IntendedRate:  s.IntendedRate,
		AchievedRate:  s.AchievedRate,
		RateError:     s.RateError,
		ErrorRate:     s.ErrorRate,
		StatusCodes:   []jsonCode{},
		Errors:        []jsonErr{},
		Metrics:       []jsonDist{s.Latency.dist(DistTrigger), s.Uncorrected.dist(DistTriggerUncorrected), s.Lateness.dist(DistLateness)},
		Warnings:      slices.Clone(s.Warnings),
		Thresholds:    slices.Clone(s.Thresholds),
	}
	doc.ScheduleHeld, doc.NotHeld = s.ScheduleHeld()
	if doc.Warnings == nil {
		doc.Warnings = []string{}
	}
	if doc.Thresholds == nil {
		doc.Thresholds = []threshold.Result{}
	}
	for code, n := range s.Statuses {
		doc.StatusCodes = append(doc.StatusCodes, jsonCode{code, n})
	}
	sort.Slice(doc.StatusCodes, func(i, j int) bool { return doc.StatusCodes[i].Code < doc.StatusCodes[j].Code })
	for kind, n := range s.Errors {
		doc.Errors = append(doc.Errors, jsonErr{kind, n})
	}
	sort.Slice(doc.Errors, func(i, j int) bool { return doc.Errors[i].Kind < doc.Errors[j].Kind })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json summary: %w", err)
	}
	return nil
}
