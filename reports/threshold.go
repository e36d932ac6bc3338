package reports

import (
	"github.com/hookbench/hookbench/threshold"
)

// Value returns the figure of a threshold metric (a canonical name of the
// threshold vocabulary) in the metric kind's unit: nanoseconds, percent,
// a count or per second. It returns false when the summary has no value
// for it: a distribution without samples, a percentage without a
// denominator, or a figure only the generator measures.
func (s *Summary) Value(name string) (float64, bool) {
	m, ok := threshold.Lookup(name)
	if !ok {
		return 0, false
	}
	if m.Dist != "" {
		return s.distValue(m)
	}
	c := s.Counts
	pct := func(part, whole int64) (float64, bool) {
		if whole <= 0 {
			return 0, false
		}
		return 100 * float64(part) / float64(whole), true
	}
	perSec := func(n int64) (float64, bool) {
		if s.Duration <= 0 {
			return 0, false
		}
		return float64(n) / s.Duration.Seconds(), true
	}
	count := func(n int64) (float64, bool) { return float64(n), true }
	switch name {
	case "errors":
		return pct(c.SentFailed, c.Sent)
	case "delivered":
		return pct(c.EventsExpected-c.EventsUndelivered, c.EventsExpected)
	case "undelivered":
		return pct(c.EventsUndelivered, c.EventsExpected)
	case "retried":
		return pct(c.DeliveriesRetried, c.Deliveries)
	case "duration":
		return float64(s.Duration), true
	case "sent_rate":
		return perSec(c.Sent)
	case "attempt_rate":
		return perSec(c.Attempts)
	case "sent":
		return count(c.Sent)
	case "sent_failed":
		return count(c.SentFailed)
	case "sent_errors":
		return count(c.SentErrors)
	case "sent_duplicates":
		return count(c.SentDuplicates)
	case "sent_no_id":
		return count(c.SentNoID)
	case "sent_repeated_id":
		return count(c.SentRepeatedID)
	case "attempts":
		return count(c.Attempts)
	case "attempts_no_event":
		return count(c.AttemptsNoEvent)
	case "attempts_no_key":
		return count(c.AttemptsNoKey)
	case "deliveries":
		return count(c.Deliveries)
	case "deliveries_no_first":
		return count(c.DeliveriesNoFirst)
	case "deliveries_succeeded":
		return count(c.DeliveriesSucceeded)
	case "deliveries_retried":
		return count(c.DeliveriesRetried)
	case "events_expected":
		return count(c.EventsExpected)
	case "events_delivered":
		return count(c.EventsDelivered)
	case "events_succeeded":
		return count(c.EventsSucceeded)
	case "events_undelivered":
		return count(c.EventsUndelivered)
	case "events_unknown":
		return count(c.EventsUnknown)
	case "evicted_open":
		return count(s.Match.EvictedOpen)
	case "bad_times":
		return count(c.BadTimes)
	}
	return 0, false // the generator's own figures
}

func (s *Summary) distValue(m threshold.Metric) (float64, bool) {
	d := s.Metric(m.Dist)
	if d == nil || d.Count == 0 {
		return 0, false
	}
	switch m.Stat {
	case "min":
		return float64(d.Min), true
	case "max":
		return float64(d.Max), true
	case "mean":
		return float64(d.Mean), true
	}
	for _, q := range d.Percentiles {
		if q.P == m.Percentile {
			return float64(q.Value), true
		}
	}
	return 0, false
}

// EvaluateThresholds checks ts against the summary, keeps the results in
// s.Thresholds (for every format to show) and reports whether all passed.
func (s *Summary) EvaluateThresholds(ts []threshold.Threshold) bool {
	s.Thresholds = threshold.Evaluate(ts, s.Value)
	return threshold.Passed(s.Thresholds)
}
