package threshold

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Op is a comparison operator.
type Op string

// Operators.
const (
	Less         Op = "<"
	LessEqual    Op = "<="
	Greater      Op = ">"
	GreaterEqual Op = ">="
	Equal        Op = "=="
)

// ops in the order the parser tries them: two-character operators first.
var ops = []Op{LessEqual, GreaterEqual, Equal, Less, Greater}

func (o Op) holds(a, b float64) bool {
	switch o {
	case Less:
		return a < b
	case LessEqual:
		return a <= b
	case Greater:
		return a > b
	case GreaterEqual:
		return a >= b
	case Equal:
		return a == b
	}
	return false
}

// MaxSpecLen bounds a threshold's text.
const MaxSpecLen = 256

// Threshold is one parsed limit. Limit is in the kind's unit: nanoseconds
// for durations, percent for percentages, per second for rates.
type Threshold struct {
	Name   string // metric name as written (an alias stays an alias)
	Metric Metric
	Op     Op
	Limit  float64
}

// String returns the threshold in canonical form; Parse reads it back to
// the same Threshold.
func (t Threshold) String() string {
	return t.Name + string(t.Op) + Format(t.Metric.Kind, t.Limit)
}

// ErrSyntax is wrapped by errors of thresholds that cannot be read.
var ErrSyntax = errors.New("want METRIC OP VALUE, OP one of <, <=, >, >=, ==")

// UnknownMetricError is a threshold naming a metric outside the vocabulary.
type UnknownMetricError struct {
	Name       string
	Suggestion string // closest known name within edit distance 2, or ""
}

func (e *UnknownMetricError) Error() string {
	msg := fmt.Sprintf("unknown metric %q", e.Name)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg + "; known metrics: " + Known()
}

// Error is a threshold that cannot be parsed; Err is ErrSyntax (wrapped),
// an *UnknownMetricError or a bad limit.
type Error struct {
	Spec string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("threshold %q: %v", e.Spec, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Parse reads one threshold, "NAME OP VALUE" (spaces optional), e.g.
// "e2e_first_p99<500ms", "errors < 1%", "sent_rate>=1000/s".
func Parse(spec string) (Threshold, error) {
	t, err := parse(spec)
	if err != nil {
		return Threshold{}, &Error{Spec: spec, Err: err}
	}
	return t, nil
}

func parse(spec string) (Threshold, error) {
	if len(spec) > MaxSpecLen {
		return Threshold{}, fmt.Errorf("longer than %d bytes", MaxSpecLen)
	}
	s := strings.TrimSpace(spec)
	end := 0
	for end < len(s) && isNameByte(s[end]) {
		end++
	}
	name, rest := strings.ToLower(s[:end]), strings.TrimLeft(s[end:], " \t")
	if name == "" {
		return Threshold{}, fmt.Errorf("no metric name: %w", ErrSyntax)
	}
	var op Op
	for _, o := range ops {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		if rest == "" {
			return Threshold{}, fmt.Errorf("no operator after %q: %w", name, ErrSyntax)
		}
		return Threshold{}, fmt.Errorf("operator %q: %w", firstToken(rest), ErrSyntax)
	}
	m, ok := Lookup(name)
	if !ok {
		return Threshold{}, &UnknownMetricError{Name: name, Suggestion: suggest(name)}
	}
	value := strings.TrimSpace(rest[len(op):])
	limit, err := ParseValue(m.Kind, value)
	if err != nil {
		return Threshold{}, fmt.Errorf("%s is a %s: %w", name, m.Kind, err)
	}
	return Threshold{Name: name, Metric: m, Op: op, Limit: limit}, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

func firstToken(s string) string {
	if i := strings.IndexAny(s, " \t"); i > 0 {
		return s[:i]
	}
	return s
}

// ParseValue reads a limit of kind k into the kind's unit.
func ParseValue(k Kind, s string) (float64, error) {
	if s == "" {
		return 0, errors.New("no value")
	}
	switch k {
	case Duration:
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return 0, fmt.Errorf("value %q has no unit (want e.g. 500ms, 1.5s, 250us)", s)
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("value %q: want a duration such as 500ms, 1.5s or 250us", s)
		}
		return float64(d), nil
	case Ratio:
		num, ok := strings.CutSuffix(s, "%")
		if !ok {
			return 0, fmt.Errorf("value %q: want a percentage such as 1%% or 99.9%%", s)
		}
		return number(strings.TrimSpace(num), s)
	case Rate:
		num, per := s, 1.0
		if n, unit, ok := strings.Cut(s, "/"); ok {
			num = strings.TrimSpace(n)
			switch strings.TrimSpace(unit) {
			case "s":
			case "m", "min":
				per = 60
			case "h":
				per = 3600
			default:
				return 0, fmt.Errorf("value %q: want a rate such as 1000/s, 600/m or 1000 (per second)", s)
			}
		}
		v, err := number(num, s)
		return v / per, err
	default:
		return number(s, s)
	}
}

func number(num, whole string) (float64, error) {
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q: want a number", whole)
	}
	return v, nil
}

// Format writes a value of kind k (in the kind's unit) for people:
// "312ms", "0.25%", "12", "1000/s".
func Format(k Kind, v float64) string {
	switch k {
	case Duration:
		return durString(time.Duration(v))
	case Ratio:
		return strconv.FormatFloat(v, 'g', -1, 64) + "%"
	case Rate:
		return strconv.FormatFloat(v, 'g', -1, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// durString is d.String() without zero trailing units: "1h", "2m30s".
func durString(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// formatMeasured is Format rounded for reading.
func formatMeasured(k Kind, v float64) string {
	switch k {
	case Duration:
		d := time.Duration(v)
		switch {
		case d >= time.Second:
			d = d.Round(time.Millisecond)
		case d >= time.Millisecond:
			d = d.Round(10 * time.Microsecond)
		}
		return durString(d)
	case Ratio:
		return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64) + "%"
	case Rate:
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ValueFunc returns the measured value of a canonical metric name in the
// metric kind's unit, and false when the run has no value for it.
type ValueFunc func(name string) (float64, bool)

// Result is a threshold with what was measured.
type Result struct {
	Threshold
	Measured float64
	Has      bool // false: the run has no value for the metric (the result fails)
	OK       bool
}

// Evaluate checks every threshold against the values.
func Evaluate(ts []Threshold, value ValueFunc) []Result {
	out := make([]Result, 0, len(ts))
	for _, t := range ts {
		r := Result{Threshold: t}
		r.Measured, r.Has = value(t.Metric.Canonical())
		r.OK = r.Has && !math.IsNaN(r.Measured) && t.Op.holds(r.Measured, t.Limit)
		out = append(out, r)
	}
	return out
}

// Passed reports whether every result is OK.
func Passed(rs []Result) bool {
	for _, r := range rs {
		if !r.OK {
			return false
		}
	}
	return true
}

// String returns "✓ e2e_p99<500ms (312ms)" or "✗ errors<1% (no value)".
func (r Result) String() string {
	mark := "✗"
	if r.OK {
		mark = "✓"
	}
	got := "no value"
	if r.Has {
		got = formatMeasured(r.Metric.Kind, r.Measured)
	}
	return mark + " " + r.Threshold.String() + " (" + got + ")"
}

// Write writes the results, one a line under a "Thresholds" heading, and
// nothing when there are none.
func Write(w io.Writer, rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Thresholds\n")
	for _, r := range rs {
		b.WriteString("  " + r.String() + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonResult is a Result in the JSON reports: snake_case, durations in
// nanoseconds, measured null when the run has no value.
type jsonResult struct {
	Spec     string   `json:"spec"`
	Name     string   `json:"name"`
	Metric   string   `json:"metric"`
	Op       string   `json:"op"`
	Limit    float64  `json:"limit"`
	Unit     string   `json:"unit"`
	Measured *float64 `json:"measured"`
	OK       bool     `json:"ok"`
}

// MarshalJSON writes {"spec", "name", "metric", "op", "limit", "unit",
// "measured", "ok"}; limit and measured are in unit ("ns", "%", "" or "/s").
func (r Result) MarshalJSON() ([]byte, error) {
	j := jsonResult{
		Spec: r.Threshold.String(), Name: r.Name, Metric: r.Metric.Canonical(), Op: string(r.Op),
		Limit: r.Limit, Unit: r.Metric.Kind.Unit(), OK: r.OK,
	}
	if r.Has && !math.IsNaN(r.Measured) && !math.IsInf(r.Measured, 0) {
		v := r.Measured
		j.Measured = &v
	}
	// No HTML escaping: "<" stays readable in the report.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// List is a repeatable command-line flag of thresholds (a pflag.Value):
// each Set parses one and appends it.
type List []Threshold

// String returns the thresholds, comma-separated.
func (l *List) String() string {
	parts := make([]string, 0, len(*l))
	for _, t := range *l {
		parts = append(parts, t.String())
	}
	return strings.Join(parts, ",")
}

// Set parses spec and appends it.
func (l *List) Set(spec string) error {
	t, err := Parse(spec)
	if err != nil {
		return err
	}
	*l = append(*l, t)
	return nil
}

// Type names the flag's value in help text.
func (l *List) Type() string { return "threshold" }
