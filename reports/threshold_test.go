package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/threshold"
)

// sampleThresholds pass, miss, and lack a value on sampleRun.
func sampleThresholds(tb testing.TB) []threshold.Threshold {
	tb.Helper()
	var ts []threshold.Threshold
	for _, spec := range []string{"e2e_p99<1h", "errors<1%", "delivered>=99.9%", "lateness_p99<1ms"} {
		th, err := threshold.Parse(spec)
		if err != nil {
			tb.Fatal(err)
		}
		ts = append(ts, th)
	}
	return ts
}

func TestSummaryValue(t *testing.T) {
	t.Parallel()
	s := build(t, testOptions(), sampleRun())
	c := s.Counts
	if c.EventsExpected == 0 || c.Sent == 0 {
		t.Fatalf("sample run has no accepted events: %+v", c)
	}
	e2e := s.Metric(MetricE2EFirst)
	tests := []struct {
		name string
		want float64
		has  bool
	}{
		{"e2e_first_p99", float64(e2e.Percentile(99)), true},
		{"e2e_first_p99.99", float64(e2e.Percentile(99.99)), true},
		{"e2e_first_max", float64(e2e.Max), true},
		{"e2e_first_min", float64(e2e.Min), true},
		{"e2e_first_mean", float64(e2e.Mean), true},
		{"errors", 100 * float64(c.SentFailed) / float64(c.Sent), true},
		{"delivered", 100 * float64(c.EventsExpected-c.EventsUndelivered) / float64(c.EventsExpected), true},
		{"undelivered", 100 * float64(c.EventsUndelivered) / float64(c.EventsExpected), true},
		{"retried", 100 * float64(c.DeliveriesRetried) / float64(c.Deliveries), true},
		{"sent", float64(c.Sent), true},
		{"events_unknown", float64(c.EventsUnknown), true},
		{"duration", float64(s.Duration), true},
		{"sent_rate", float64(c.Sent) / s.Duration.Seconds(), true},
		{"lateness_p99", 0, false},
		{"missed", 0, false},
		{"rate_error", 0, false},
		{"no_such_metric", 0, false},
	}
	for _, tt := range tests {
		got, has := s.Value(tt.name)
		if has != tt.has || got != tt.want {
			t.Errorf("Value(%q) = %v, %v; want %v, %v", tt.name, got, has, tt.want, tt.has)
		}
	}
	// Every name that has a value belongs to the vocabulary, and every
	// distribution of the report is reachable.
	for _, m := range threshold.Metrics() {
		if _, has := s.Value(m.Canonical()); !has && m.Dist != "" && m.Dist != "lateness" {
			t.Errorf("%s has no value", m.Name)
		}
	}
	empty := &Summary{}
	for _, n := range []string{"errors", "delivered", "e2e_first_p99", "sent_rate"} {
		if _, has := empty.Value(n); has {
			t.Errorf("empty summary has a value for %s", n)
		}
	}
}

func TestThresholdDistsAreReportMetrics(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, m := range threshold.Metrics() {
		seen[m.Dist] = true
	}
	for _, name := range Metrics() {
		if !seen[name] {
			t.Errorf("report metric %s has no thresholds", name)
		}
	}
}

func TestEvaluateThresholdsInFormats(t *testing.T) {
	t.Parallel()
	s := build(t, testOptions(), sampleRun())
	if s.EvaluateThresholds(sampleThresholds(t)) {
		t.Fatal("lateness_p99 has no value in a report: the thresholds must not pass")
	}
	if len(s.Thresholds) != 4 || s.Thresholds[3].Has || s.Thresholds[3].OK {
		t.Fatalf("thresholds %+v", s.Thresholds)
	}
	txt := string(render(t, NewText(s)))
	for _, want := range []string{"Thresholds\n", "✓ e2e_p99<1h (", "✗ lateness_p99<1ms (no value)"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text report lacks %q:\n%s", want, txt)
		}
	}
	js := string(render(t, NewJSON(s)))
	if !strings.Contains(js, `"spec": "lateness_p99<1ms"`) || !strings.Contains(js, `"measured": null`) {
		t.Errorf("JSON report lacks the thresholds:\n%s", js)
	}
}

// cardClass returns the class of the HTML card with the label, or "-".
func cardClass(t *testing.T, s *Summary, label string) string {
	t.Helper()
	doc := parseHTML(t, render(t, NewHTML(s, "")))
	for _, c := range byID(doc, "cards").all(func(x *htmlNode) bool { return x.name == "div" && x.attrs["id"] != "cards" }) {
		if strings.Contains(deepText(c), label) {
			return strings.TrimSpace(strings.TrimPrefix(c.attrs["class"], "card"))
		}
	}
	return "-"
}

func TestHTMLUndeliveredByVerdict(t *testing.T) {
	t.Parallel()
	pass := []conformance.Result{{ID: "1.1", Title: "x", Verdict: conformance.Pass}}
	fail := []conformance.Result{{ID: "1.1", Title: "x", Verdict: conformance.Fail}}
	missed, _ := threshold.Parse("sent>1000000")
	tests := []struct {
		name   string
		checks []conformance.Result
		th     []threshold.Threshold
		want   string
	}{
		{"no verdict", nil, nil, ""},
		{"passing checks", pass, nil, ""},
		{"failed check", fail, nil, "bad"},
		{"missed threshold", pass, []threshold.Threshold{missed}, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t, testOptions(), sampleRun())
			s.Counts.EventsUndelivered = 3
			s.Checks = tt.checks
			s.EvaluateThresholds(tt.th)
			if got := cardClass(t, s, "undelivered"); got != tt.want {
				t.Fatalf("undelivered card class %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTMLCheckFilterDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    conformance.Verdict
		want string
	}{{conformance.Pass, "all"}, {conformance.Warn, "all"}, {conformance.Fail, "problems"}}
	for _, tt := range tests {
		s := &Summary{Checks: []conformance.Result{{ID: "1", Verdict: conformance.Pass}, {ID: "2", Verdict: tt.v}}}
		bar := byID(parseHTML(t, render(t, NewHTML(s, ""))), "checks-bar")
		if bar == nil || bar.attrs["data-default"] != tt.want {
			t.Errorf("%v: filter opens on %v, want %q", tt.v, bar, tt.want)
		}
	}
}

func TestHTMLGroupColumns(t *testing.T) {
	t.Parallel()
	s := build(t, testOptions(), sampleRun())
	doc := parseHTML(t, render(t, NewHTML(s, "")))
	head := func(id string) []string {
		var out []string
		for _, th := range byID(doc, id).all(func(x *htmlNode) bool { return x.name == "th" }) {
			out = append(out, deepText(th))
		}
		return out
	}
	ep, ty := head("endpoints"), head("event-types")
	if strings.Contains(strings.Join(ep, ","), "sent") {
		t.Errorf("endpoint table shows the all-zero sent column: %v", ep)
	}
	if !strings.Contains(strings.Join(ty, ","), "sent") {
		t.Errorf("event type table lost its sent column: %v", ty)
	}
	tables := doc.all(func(x *htmlNode) bool { return x.name == "table" })
	wrapped := doc.all(func(x *htmlNode) bool { return x.attrs["class"] == "scroll" })
	if len(tables) == 0 || len(wrapped) != len(tables) {
		t.Errorf("%d tables, %d scroll wrappers", len(tables), len(wrapped))
	}
}

func TestChartSeries(t *testing.T) {
	t.Parallel()
	mk := func(n int) Series {
		s := Series{Step: time.Second}
		for i := range n {
			s.Points = append(s.Points, Point{T: time.Duration(i) * time.Second, Sent: 1, Attempts: 2,
				Latency: []Quick{{N: 1, P99: time.Duration(i)}}})
		}
		return s
	}
	tests := []struct {
		n, points int
		step      time.Duration
	}{{0, 0, time.Second}, {10, 10, time.Second}, {300, 300, time.Second}, {301, 151, 2 * time.Second}, {900, 300, 3 * time.Second}, {16384, 298, 55 * time.Second}}
	for _, tt := range tests {
		got := chartSeries(mk(tt.n))
		if len(got.Points) != tt.points || got.Step != tt.step {
			t.Errorf("%d points: got %d at %v, want %d at %v", tt.n, len(got.Points), got.Step, tt.points, tt.step)
			continue
		}
		var sent, att int64
		for i, p := range got.Points {
			sent += p.Sent
			att += p.Attempts
			if p.T != time.Duration(i)*got.Step {
				t.Errorf("%d points: point %d at %v", tt.n, i, p.T)
			}
		}
		if sent != int64(tt.n) || att != 2*int64(tt.n) {
			t.Errorf("%d points: counts %d, %d after merging", tt.n, sent, att)
		}
		if tt.n > 300 && got.Points[0].Latency[0].P99 != time.Duration(tt.step/time.Second-1) {
			t.Errorf("%d points: merged p99 %v, want the larger", tt.n, got.Points[0].Latency[0].P99)
		}
	}
}

// deepText is the text of n and its descendants.
func deepText(n *htmlNode) string {
	var b strings.Builder
	for _, x := range n.all(func(*htmlNode) bool { return true }) {
		b.WriteString(x.text.String())
	}
	return b.String()
}
