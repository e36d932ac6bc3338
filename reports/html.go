package reports

import (
	"bufio"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/conformance"
)

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var assets embed.FS

// HTML is the self-contained HTML report: one file with inline CSS, SVG
// charts drawn here and a small script (verdict filter); it loads nothing
// from the network. It implements io.WriterTo.
type HTML struct {
	Summary *Summary
	Title   string // page title; "hookbench report" when empty
}

var _ io.WriterTo = HTML{}

// NewHTML returns a Reporter writing the HTML report of s.
func NewHTML(s *Summary, title string) Reporter {
	return func(w io.Writer) error {
		_, err := HTML{Summary: s, Title: title}.WriteTo(w)
		return err
	}
}

type htmlCard struct{ Value, Label, Class string }

type htmlVerdict struct {
	Name string
	N    int
}

// htmlTable is a per-endpoint or per-event-type table: the first cell of
// each row is the name, the others are numbers.
type htmlTable struct {
	Head []string
	Rows []htmlRow
}

type htmlRow struct {
	Name  string
	Cells []string
}

type htmlTimeline struct {
	T     Timeline
	Strip template.HTML
}

type htmlData struct {
	Title, Start, Geometry string
	S                      *Summary
	CSS                    template.CSS
	JS                     template.JS
	Cards                  []htmlCard
	Checks                 []conformance.Result
	Problems               int
	Verdicts               []htmlVerdict
	PctLabels              []string
	PercentileChart        template.HTML
	LatencyChart           template.HTML
	ThroughputChart        template.HTML
	Endpoints, Types       htmlTable
	Timelines              []htmlTimeline
	Thresholds             []htmlThreshold
	// Failed is the run's verdict: a check FAILed or a threshold was
	// missed. Only then are undelivered events shown as bad: scenarios
	// drop deliveries on purpose to test retries.
	Failed bool
	// Filter is the initial check filter: "problems" when a check failed.
	Filter string
	Step   time.Duration // of the charts' series
}

type htmlThreshold struct {
	Line string
	OK   bool
}

// countingWriter counts bytes for WriteTo.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteTo writes the HTML report to w.
func (h HTML) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	if h.Summary == nil {
		return 0, fmt.Errorf("write html report: no summary")
	}
	tmpl, data, err := h.prepare()
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(cw)
	if err := tmpl.Execute(bw, data); err != nil {
		return cw.n, fmt.Errorf("write html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("write html report: %w", err)
	}
	return cw.n, nil
}

func (h HTML) prepare() (*template.Template, *htmlData, error) {
	read := func(name string) (string, error) {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			return "", fmt.Errorf("write html report: asset %s: %w", name, err)
		}
		return string(b), nil
	}
	page, err := read("report.html.tmpl")
	if err != nil {
		return nil, nil, err
	}
	css, err := read("report.css")
	if err != nil {
		return nil, nil, err
	}
	js, err := read("report.js")
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := template.New("report").Funcs(template.FuncMap{
		"ms":    func(d time.Duration) string { return fmtMs(d) },
		"dur":   fmtDur,
		"lower": strings.ToLower,
		"label": metricLabel,
		"desc":  MetricDescription,
	}).Parse(page)
	if err != nil {
		return nil, nil, fmt.Errorf("write html report: template: %w", err)
	}
	s := normalized(h.Summary)
	s.Series = chartSeries(s.Series)
	title := h.Title
	if title == "" {
		title = "hookbench report"
	}
	d := &htmlData{
		Title:           title,
		Start:           s.Start.UTC().Format(time.RFC3339),
		Geometry:        fmt.Sprintf("1µs..1h, %d significant digits (%d in the per-endpoint and per-event-type tables)", HistDigits, GroupDigits),
		S:               s,
		CSS:             template.CSS(css),
		JS:              template.JS(js),
		Checks:          s.Checks,
		PercentileChart: template.HTML(percentileChart(s)),
		LatencyChart:    template.HTML(latencyChart(s)),
		ThroughputChart: template.HTML(throughputChart(s)),
		Endpoints:       htmlGroups(s.Endpoints),
		Types:           htmlGroups(s.EventTypes),
		Filter:          "all",
		Step:            s.Series.Step,
	}
	for _, p := range Percentiles() {
		d.PctLabels = append(d.PctLabels, pctLabel(p))
	}
	var n [5]int
	for _, r := range s.Checks {
		if int(r.Verdict) < len(n) {
			n[r.Verdict]++
		}
		if r.Verdict == conformance.Fail || r.Verdict == conformance.Warn {
			d.Problems++
		}
	}
	for v := conformance.Pass; v <= conformance.Fail; v++ {
		d.Verdicts = append(d.Verdicts, htmlVerdict{v.String(), n[v]})
	}
	missed := 0
	for _, r := range s.Thresholds {
		d.Thresholds = append(d.Thresholds, htmlThreshold{r.String(), r.OK})
		if !r.OK {
			missed++
		}
	}
	if n[conformance.Fail] > 0 {
		d.Filter = "problems"
	}
	d.Failed = n[conformance.Fail] > 0 || missed > 0
	d.Cards = cards(s, n, missed, d.Failed)
	for _, t := range s.Timelines {
		d.Timelines = append(d.Timelines, htmlTimeline{T: t, Strip: template.HTML(timelineStrip(t))})
	}
	return tmpl, d, nil
}

func cards(s *Summary, verdicts [5]int, missed int, failed bool) []htmlCard {
	c := s.Counts
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	out := []htmlCard{
		{n(c.Sent), "events sent", ""},
		{n(c.EventsDelivered), "delivered", ""},
		{n(c.EventsSucceeded), "succeeded", ""},
		{n(c.EventsUndelivered), "undelivered", badIf(failed && c.EventsUndelivered > 0)},
		{n(c.Attempts), "attempts", ""},
	}
	if d := s.Metric(MetricE2EFirst); d != nil && d.Count > 0 {
		out = append(out, htmlCard{fmtDur(d.Percentile(99)), "e2e first p99", ""})
	}
	if d := s.Metric(MetricE2ESuccess); d != nil && d.Count > 0 {
		out = append(out, htmlCard{fmtDur(d.Percentile(99)), "e2e success p99", ""})
	}
	if len(s.Checks) > 0 {
		class := "good"
		if verdicts[conformance.Fail] > 0 {
			class = "bad"
		}
		out = append(out, htmlCard{strconv.Itoa(verdicts[conformance.Fail]) + " / " + strconv.Itoa(len(s.Checks)), "checks failed", class})
	}
	if len(s.Thresholds) > 0 {
		out = append(out, htmlCard{strconv.Itoa(missed) + " / " + strconv.Itoa(len(s.Thresholds)), "thresholds missed", map[bool]string{true: "bad", false: "good"}[missed > 0]})
	}
	return out
}

func badIf(b bool) string {
	if b {
		return "bad"
	}
	return ""
}

// htmlGroups lays out the group tables, leaving out every count column
// that is zero in all rows (e.g. "sent" for endpoints, which the sink
// cannot attribute to a trigger).
func htmlGroups(gs []Group) htmlTable {
	head := []string{"sent", "attempts", "deliveries", "succeeded", "retried", "2xx", "3xx", "4xx", "5xx", "none"}
	counts := func(c GroupCounts) []int64 {
		return []int64{c.Sent, c.Attempts, c.Deliveries, c.Succeeded, c.Retried, c.Status2xx, c.Status3xx, c.Status4xx, c.Status5xx, c.StatusNone}
	}
	keep := make([]bool, len(head))
	for _, g := range gs {
		for i, v := range counts(g.Counts) {
			keep[i] = keep[i] || v != 0
		}
	}
	t := htmlTable{Head: []string{"name"}}
	for i, h := range head {
		if keep[i] {
			t.Head = append(t.Head, h)
		}
	}
	t.Head = append(t.Head, "first p50", "first p99", "success p99")
	for _, g := range gs {
		row := htmlRow{Name: g.Name}
		for i, v := range counts(g.Counts) {
			if keep[i] {
				row.Cells = append(row.Cells, strconv.FormatInt(v, 10))
			}
		}
		first, succ := groupDist(g, MetricE2EFirst), groupDist(g, MetricE2ESuccess)
		row.Cells = append(row.Cells, pctOrDash(first, 50), pctOrDash(first, 99), pctOrDash(succ, 99))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Chart density: the charts merge neighbouring series points until at
// most chartMaxPoints remain, so a long run is drawn at a coarser step
// than the report records (the JSON and CSV keep the recorded step).
const chartMaxPoints = 300

// chartSeries returns the series merged by the smallest whole factor that
// leaves at most chartMaxPoints points: counts add, latency percentiles
// take the larger value (the merged series is then approximate).
func chartSeries(s Series) Series {
	k := (len(s.Points) + chartMaxPoints - 1) / chartMaxPoints
	if k <= 1 {
		return s
	}
	out := Series{Step: s.Step * time.Duration(k), Approx: s.Approx}
	for i := 0; i < len(s.Points); i += k {
		p := s.Points[i]
		p.Latency = append([]Quick(nil), p.Latency...)
		for _, q := range s.Points[i+1 : min(i+k, len(s.Points))] {
			p.Sent += q.Sent
			p.SentFailed += q.SentFailed
			p.Attempts += q.Attempts
			p.FirstArrivals += q.FirstArrivals
			p.Successes += q.Successes
			p.Status2xx += q.Status2xx
			p.Status3xx += q.Status3xx
			p.Status4xx += q.Status4xx
			p.Status5xx += q.Status5xx
			p.StatusNone += q.StatusNone
			for m := range min(len(p.Latency), len(q.Latency)) {
				a, b := p.Latency[m], q.Latency[m]
				switch {
				case b.N == 0:
				case a.N == 0:
					p.Latency[m] = b
				default:
					out.Approx = true
					p.Latency[m] = Quick{N: a.N + b.N, P50: max(a.P50, b.P50), P90: max(a.P90, b.P90), P99: max(a.P99, b.P99), Max: max(a.Max, b.Max)}
				}
			}
		}
		p.T = time.Duration(i/k) * out.Step
		out.Points = append(out.Points, p)
	}
	return out
}
