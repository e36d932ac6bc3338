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

type htmlGroup struct {
	Name                           string
	C                              GroupCounts
	FirstP50, FirstP99, SuccessP99 string
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
	Endpoints, Types       []htmlGroup
	Timelines              []htmlTimeline
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
	d.Cards = cards(s, n)
	for _, t := range s.Timelines {
		d.Timelines = append(d.Timelines, htmlTimeline{T: t, Strip: template.HTML(timelineStrip(t))})
	}
	return tmpl, d, nil
}

func cards(s *Summary, verdicts [5]int) []htmlCard {
	c := s.Counts
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	out := []htmlCard{
		{n(c.Sent), "events sent", ""},
		{n(c.EventsDelivered), "delivered", ""},
		{n(c.EventsSucceeded), "succeeded", ""},
		{n(c.EventsUndelivered), "undelivered", badIf(c.EventsUndelivered > 0)},
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
	return out
}

func badIf(b bool) string {
	if b {
		return "bad"
	}
	return ""
}

func htmlGroups(gs []Group) []htmlGroup {
	out := make([]htmlGroup, 0, len(gs))
	for _, g := range gs {
		first, succ := groupDist(g, MetricE2EFirst), groupDist(g, MetricE2ESuccess)
		out = append(out, htmlGroup{Name: g.Name, C: g.Counts, FirstP50: pctOrDash(first, 50), FirstP99: pctOrDash(first, 99), SuccessP99: pctOrDash(succ, 99)})
	}
	return out
}
