package generator

import (
	"github.com/hookbench/hookbench/threshold"
)

// Value returns the figure of a threshold metric (a canonical name of the
// threshold vocabulary) in the metric kind's unit, and false for what the
// generator does not measure (deliveries, end-to-end latency) or a run
// that gives no value (a latency when nothing was sent).
func (s *Summary) Value(name string) (float64, bool) {
	m, ok := threshold.Lookup(name)
	if !ok {
		return 0, false
	}
	if m.Dist != "" {
		var p Percentiles
		switch m.Dist {
		case DistTrigger:
			p = s.Latency
		case DistTriggerUncorrected:
			p = s.Uncorrected
		case DistLateness:
			p = s.Lateness
		default:
			return 0, false
		}
		if p.Count == 0 {
			return 0, false
		}
		switch m.Stat {
		case "p50":
			return float64(p.P50), true
		case "p90":
			return float64(p.P90), true
		case "p99":
			return float64(p.P99), true
		case "p99.9":
			return float64(p.P999), true
		case "max":
			return float64(p.Max), true
		case "mean":
			return float64(p.Mean), true
		}
		return 0, false
	}
	count := func(n uint64) (float64, bool) { return float64(n), true }
	switch name {
	case "errors":
		return s.ErrorRate, s.Sent > 0
	case "rate_error":
		return s.RateError, !s.Capacity && s.IntendedRate > 0
	case "duration":
		return float64(s.Elapsed), true
	case "worst_late":
		return float64(s.WorstLate), s.Sent > 0
	case "sent_rate":
		return s.AchievedRate, s.Sent > 1
	case "intended_rate":
		return s.IntendedRate, !s.Capacity && s.IntendedRate > 0
	case "sent":
		return count(s.Sent)
	case "sent_failed":
		return count(s.Failed)
	case "sent_errors":
		var n uint64
		for _, c := range s.Errors {
			n += c
		}
		return count(n)
	case "sent_duplicates":
		return count(s.Duplicates)
	case "intended":
		return count(s.Intended)
	case "missed":
		return count(s.Missed)
	case "late":
		return count(s.Late)
	case "aborted":
		return count(s.Aborted)
	}
	return 0, false // the report's figures: deliveries, matching
}

// EvaluateThresholds checks ts against the summary, keeps the results in
// s.Thresholds (WriteText and WriteJSON show them) and reports whether
// all passed.
func (s *Summary) EvaluateThresholds(ts []threshold.Threshold) bool {
	s.Thresholds = threshold.Evaluate(ts, s.Value)
	return threshold.Passed(s.Thresholds)
}
