package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/threshold"
)

// Reporter writes one report format (after vegeta's lib/reporters.go).
type Reporter func(io.Writer) error

// metricLabels are the text and HTML names of the metrics.
func metricLabel(name string) string {
	switch name {
	case MetricE2EFirst:
		return "e2e first arrival"
	case MetricE2ESuccess:
		return "e2e success"
	case MetricTrigger:
		return "trigger (corrected)"
	case MetricTriggerUncorrected:
		return "trigger (uncorrected)"
	case MetricGap:
		return "attempt gap"
	}
	return name
}

// fmtMs formats a duration as milliseconds with µs resolution.
func fmtMs(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64)
}

// fmtDur formats a duration compactly for prose ("1.52s", "830ms", "12µs").
func fmtDur(d time.Duration) string {
	switch a := max(d, -d); {
	case a >= time.Hour:
		return d.Round(time.Second).String()
	case a >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
	case a >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + "µs"
	}
}

func pctLabel(p float64) string {
	if p == 100 {
		return "max"
	}
	return "p" + strconv.FormatFloat(p, 'f', -1, 64)
}

// NewText returns a Reporter writing the terminal summary.
func NewText(s *Summary) Reporter {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		writeText(bw, s)
		return bw.Flush()
	}
}

func writeText(w *bufio.Writer, s *Summary) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	ids := make([]string, 0, len(s.Runs))
	for _, r := range s.Runs {
		ids = append(ids, r.RunID)
	}
	p("hookbench report · run %s (%d trace%s) · started %s · %s\n\n", strings.Join(ids, ", "), len(s.Runs), plural(len(s.Runs)),
		s.Start.UTC().Format(time.RFC3339), fmtDur(s.Duration))
	c := s.Counts
	p("Events    sent %d (failed %d, errors %d, duplicates %d) · delivered %d · succeeded %d · undelivered %d · unknown %d\n",
		c.Sent, c.SentFailed, c.SentErrors, c.SentDuplicates, c.EventsDelivered, c.EventsSucceeded, c.EventsUndelivered, c.EventsUnknown)
	var st GroupCounts
	for _, e := range s.Endpoints {
		addStatus(&st, e.Counts)
	}
	p("Attempts  %d · deliveries %d (succeeded %d, retried %d) · 2xx %d · 3xx %d · 4xx %d · 5xx %d · none %d\n",
		c.Attempts, c.Deliveries, c.DeliveriesSucceeded, c.DeliveriesRetried, st.Status2xx, st.Status3xx, st.Status4xx, st.Status5xx, st.StatusNone)
	if peak, at, mean := throughput(s); peak > 0 {
		p("Rate      attempts: peak %s/s at %s, mean %s/s over %s\n", fmtRate(peak), fmtDur(at), fmtRate(mean), fmtDur(s.Duration))
	}
	p("\n")
	p("%-22s %9s", "Latency (ms)", "count")
	for _, q := range Percentiles() {
		p(" %11s", pctLabel(q))
	}
	p("\n")
	for _, d := range s.Metrics {
		p("%-22s %9d", metricLabel(d.Name), d.Count)
		for i := range Percentiles() {
			if i < len(d.Percentiles) {
				p(" %11s", fmtMs(d.Percentiles[i].Value))
			} else {
				p(" %11s", "-")
			}
		}
		if d.OutOfRange > 0 {
			p("  (+%d out of range)", d.OutOfRange)
		}
		p("\n")
	}
	p("(HdrHistogram 1µs..1h, %d significant digits, %d per endpoint and event type; percentiles are bucket tops capped at the exact max)\n", HistDigits, GroupDigits)

	groupTable(w, "Endpoint", s.Endpoints, false)
	groupTable(w, "Event type", s.EventTypes, true)

	if len(s.Timelines) > 0 {
		var failed, retried int
		for _, t := range s.Timelines {
			switch t.Reason {
			case "failed":
				failed++
			case "retried":
				retried++
			}
		}
		p("\nTimelines kept: %d failed, %d retried (attempts listed in JSON and HTML)\n", failed, retried)
	}
	if len(s.Checks) > 0 {
		var n [5]int
		for _, r := range s.Checks {
			if int(r.Verdict) < len(n) {
				n[r.Verdict]++
			}
		}
		p("\nChecks    PASS %d · INFO %d · SKIP %d · WARN %d · FAIL %d\n", n[conformance.Pass], n[conformance.Info],
			n[conformance.Skip], n[conformance.Warn], n[conformance.Fail])
		for _, r := range s.Checks {
			if r.Verdict == conformance.Warn || r.Verdict == conformance.Fail {
				p("  %-4s %-6s %s: %s\n", r.Verdict, r.ID, r.Title, r.Summary)
			}
		}
	}
	if len(s.Thresholds) > 0 {
		p("\n")
		_ = threshold.Write(w, s.Thresholds) // w is a bufio.Writer: its error surfaces at Flush
	}
	if len(s.Warnings) > 0 {
		p("\nWarnings\n")
		for _, m := range s.Warnings {
			p("  - %s\n", m)
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func addStatus(dst *GroupCounts, c GroupCounts) {
	dst.Status2xx += c.Status2xx
	dst.Status3xx += c.Status3xx
	dst.Status4xx += c.Status4xx
	dst.Status5xx += c.Status5xx
	dst.StatusNone += c.StatusNone
}

func groupTable(w *bufio.Writer, title string, gs []Group, types bool) {
	if len(gs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-22s", title)
	if types {
		fmt.Fprintf(w, " %7s", "sent")
	}
	fmt.Fprintf(w, " %8s %7s %7s %7s %5s %5s %5s %5s %5s %11s %11s %11s\n",
		"attempts", "deliv", "succ", "retried", "2xx", "3xx", "4xx", "5xx", "none", "first p50", "first p99", "success p99")
	for _, g := range gs {
		name := g.Name
		if len(name) > 22 {
			name = name[:21] + "…"
		}
		fmt.Fprintf(w, "%-22s", name)
		c := g.Counts
		if types {
			fmt.Fprintf(w, " %7d", c.Sent)
		}
		fmt.Fprintf(w, " %8d %7d %7d %7d %5d %5d %5d %5d %5d", c.Attempts, c.Deliveries, c.Succeeded, c.Retried,
			c.Status2xx, c.Status3xx, c.Status4xx, c.Status5xx, c.StatusNone)
		first, succ := groupDist(g, MetricE2EFirst), groupDist(g, MetricE2ESuccess)
		fmt.Fprintf(w, " %11s %11s %11s\n", pctOrDash(first, 50), pctOrDash(first, 99), pctOrDash(succ, 99))
	}
}

func groupDist(g Group, name string) *Dist {
	for i := range g.Metrics {
		if g.Metrics[i].Name == name {
			return &g.Metrics[i]
		}
	}
	return nil
}

func pctOrDash(d *Dist, p float64) string {
	if d == nil || d.Count == 0 {
		return "-"
	}
	return fmtMs(d.Percentile(p))
}

// throughput returns the peak attempts per second, when, and the mean.
func throughput(s *Summary) (peak float64, at time.Duration, mean float64) {
	step := s.Series.Step.Seconds()
	if step <= 0 || len(s.Series.Points) == 0 {
		return 0, 0, 0
	}
	var total int64
	for _, pt := range s.Series.Points {
		total += pt.Attempts
		if r := float64(pt.Attempts) / step; r > peak {
			peak, at = r, pt.T
		}
	}
	span := float64(len(s.Series.Points)) * step
	return peak, at, float64(total) / span
}

func fmtRate(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}
