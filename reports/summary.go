package reports

import (
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/threshold"
)

// Metric names, in the order reports list them. They name JSON metrics,
// .hlog files and CSV columns.
const (
	MetricE2EFirst           = "e2e_first"           // intended trigger time → first arrival at the endpoint
	MetricE2ESuccess         = "e2e_success"         // intended trigger time → first 2xx answer of the endpoint
	MetricTrigger            = "trigger"             // trigger API latency from the intended send time (corrected)
	MetricTriggerUncorrected = "trigger_uncorrected" // trigger API latency from the actual send time
	MetricGap                = "gap"                 // time between consecutive attempts of one event at one endpoint
)

const (
	mE2EFirst = iota
	mE2ESuccess
	mTrigger
	mTriggerRaw
	mGap
	nMetric
)

// Metrics returns the metric names in report order.
func Metrics() []string {
	return []string{MetricE2EFirst, MetricE2ESuccess, MetricTrigger, MetricTriggerUncorrected, MetricGap}
}

// MetricDescription returns a one-line description of a metric name.
func MetricDescription(name string) string {
	switch name {
	case MetricE2EFirst:
		return "end-to-end latency: intended trigger time to first arrival at the endpoint"
	case MetricE2ESuccess:
		return "end-to-end latency: intended trigger time to first 2xx delivery (after retries)"
	case MetricTrigger:
		return "trigger API latency from the intended send time (coordinated-omission corrected)"
	case MetricTriggerUncorrected:
		return "trigger API latency from the actual send time (uncorrected)"
	case MetricGap:
		return "gap between consecutive attempts of one event at one endpoint"
	}
	return ""
}

// Percentiles are the percentiles every distribution reports; 100 is the
// maximum.
func Percentiles() []float64 { return []float64{50, 90, 99, 99.9, 99.99, 100} }

// Summary is everything a report says about one or more traces, computed by
// Report.Close. Reporters only read it. Times are durations since Start.
type Summary struct {
	Version  string        `json:"hookbench"` // hookbench version that built the report
	Runs     []Run         `json:"runs"`
	Start    time.Time     `json:"start"`       // StartWall of the earliest trace
	Duration time.Duration `json:"duration_ns"` // last record time
	Counts   Counts        `json:"counts"`
	Match    MatchStats    `json:"match"`
	// Metrics holds the five distributions over the whole run, in the order
	// of Metrics(); each has a percentile plot.
	Metrics     []Dist      `json:"metrics"`
	Endpoints   []Group     `json:"endpoints"`
	EventTypes  []Group     `json:"event_types"`
	StatusCodes []CodeCount `json:"status_codes"`
	Signatures  []SigCount  `json:"signatures"`
	Series      Series      `json:"series"`
	Marks       []Mark      `json:"marks"`
	Spans       []Span      `json:"spans"`
	Timelines   []Timeline  `json:"timelines"`
	Warnings    []string    `json:"warnings"`
	// Checks are conformance verdicts shown with the measurements; the
	// report does not compute them: callers set them (conform, check, or
	// hookbench report --results).
	Checks []conformance.Result `json:"-"`
	// Thresholds are the pass/fail limits evaluated on this summary
	// (EvaluateThresholds); empty when none were given.
	Thresholds []threshold.Result `json:"thresholds"`

	hlogs [nMetric]*hlogLog
}

// Run describes one trace that went into the report.
type Run struct {
	Source    string    `json:"source"` // file name, or "" for records added directly
	RunID     string    `json:"run_id"`
	Start     time.Time `json:"start"`
	Offset    int64     `json:"offset_ns"` // this trace's start after the report's Start
	Args      []string  `json:"args"`
	Hookbench string    `json:"hookbench"`
	Dropped   int64     `json:"dropped_bytes"` // bytes of a truncated last record
}

// Counts are the totals of a report.
type Counts struct {
	Sent            int64 `json:"sent"`             // trigger requests
	SentFailed      int64 `json:"sent_failed"`      // not answered 2xx (errors included)
	SentErrors      int64 `json:"sent_errors"`      // no answer: timeout, connection or other error
	SentDuplicates  int64 `json:"sent_duplicates"`  // sent on purpose as a duplicate of an earlier event
	SentNoID        int64 `json:"sent_no_id"`       // without a harness event id (not matched)
	SentRepeatedID  int64 `json:"sent_repeated_id"` // harness id seen before (the first Sent counts)
	Attempts        int64 `json:"attempts"`         // delivery attempts seen by the sink
	AttemptsNoEvent int64 `json:"attempts_no_event"`
	// AttemptsNoKey have neither an event id nor a message id: no gaps.
	AttemptsNoKey int64 `json:"attempts_no_key"`
	// DeliveriesNoFirst had attempts but their first one (Nth == 1) never
	// appeared while the report held their state: it came before the state
	// was dropped from the matching window, or never reached the trace.
	// They have no first arrival and are not counted in Deliveries.
	DeliveriesNoFirst   int64 `json:"deliveries_no_first"`
	Deliveries          int64 `json:"deliveries"` // distinct (event, endpoint) pairs that saw an attempt
	DeliveriesSucceeded int64 `json:"deliveries_succeeded"`
	DeliveriesRetried   int64 `json:"deliveries_retried"` // with more than one attempt
	EventsDelivered     int64 `json:"events_delivered"`   // sent events with an attempt at some endpoint
	EventsSucceeded     int64 `json:"events_succeeded"`   // sent events with a 2xx at some endpoint
	// EventsExpected were accepted by the trigger API (2xx, not a
	// duplicate): a delivery was expected for each.
	EventsExpected int64 `json:"events_expected"`
	// EventsUndelivered were accepted by the trigger API (2xx, not a
	// duplicate) but no attempt arrived while the report still held them.
	EventsUndelivered int64 `json:"events_undelivered"`
	// EventsUnknown arrived at the sink with an event id no Sent record had.
	EventsUnknown int64 `json:"events_unknown"`
	Marks         int64 `json:"marks"`
	// BadTimes are records with a time outside [0, 30 days): kept in the
	// totals and histograms but left out of the time series.
	BadTimes int64 `json:"bad_times"`
}

// MatchStats describes the bounded matching of Sent and Attempt records.
// When EvictedOpen is 0, every event was matched with exact results.
type MatchStats struct {
	Entries   int   `json:"entries"`   // slots per generation (Options.MatchEntries)
	Rotations int64 `json:"rotations"` // generations dropped
	Evicted   int64 `json:"evicted"`   // event and delivery states dropped before the end
	// EvictedOpen were dropped while still waiting: an event not yet
	// delivered or sent, a delivery without a 2xx or its first attempt. A
	// delivery whose later attempts come after its state was dropped shows
	// up in Counts.DeliveriesNoFirst.
	EvictedOpen int64 `json:"evicted_open"`
}

// Dist is one distribution: its count, extremes and percentiles.
type Dist struct {
	Name        string        `json:"name"`
	Count       int64         `json:"count"`
	OutOfRange  int64         `json:"out_of_range"` // negative or above HistHighest: not recorded
	Min         time.Duration `json:"min_ns"`       // exact
	Max         time.Duration `json:"max_ns"`       // exact
	Mean        time.Duration `json:"mean_ns"`
	StdDev      time.Duration `json:"stddev_ns"`
	Percentiles []Percentile  `json:"percentiles"`
	// Plot is the percentile distribution (HdrHistogram's
	// outputPercentileDistribution, 5 ticks per half distance); overall
	// metrics only.
	Plot []Percentile `json:"plot,omitempty"`
}

// Percentile is the value at percentile P and how many values are at or
// below it.
type Percentile struct {
	P     float64       `json:"p"`
	Value time.Duration `json:"value_ns"`
	Count int64         `json:"count"`
}

// Group is one endpoint or event type.
type Group struct {
	Name    string      `json:"name"`
	Counts  GroupCounts `json:"counts"`
	Metrics []Dist      `json:"metrics"`
}

// GroupCounts are the totals of one endpoint or event type.
type GroupCounts struct {
	Sent       int64 `json:"sent"` // event types only
	Attempts   int64 `json:"attempts"`
	Deliveries int64 `json:"deliveries"`
	Succeeded  int64 `json:"succeeded"`
	Retried    int64 `json:"retried"`
	Status2xx  int64 `json:"status_2xx"`
	Status3xx  int64 `json:"status_3xx"`
	Status4xx  int64 `json:"status_4xx"`
	Status5xx  int64 `json:"status_5xx"`
	// StatusNone counts attempts the sink did not answer (reset, hang,
	// provider gave up) or answered outside 200-599.
	StatusNone int64 `json:"status_none"`
	SigFailed  int64 `json:"sig_failed"` // signature checked and not accepted
}

// CodeCount is how many attempts the sink answered with Code (0: none).
type CodeCount struct {
	Code  int   `json:"code"`
	Count int64 `json:"count"`
}

// SigCount is how many attempts had a signature verdict.
type SigCount struct {
	Result string `json:"result"`
	Count  int64  `json:"count"`
}

// Series holds per-interval counts and latencies over the run.
type Series struct {
	Step time.Duration `json:"step_ns"` // 1 s unless the run was long enough to coarsen it
	// Approx is true when coarsening merged intervals that both had
	// latencies; their percentiles are then the larger of the two.
	Approx bool    `json:"approx"`
	Points []Point `json:"points"`
}

// Point is one interval of the series. Latency percentiles come from that
// interval's own histograms.
type Point struct {
	T             time.Duration `json:"t_ns"`
	Sent          int64         `json:"sent"`
	SentFailed    int64         `json:"sent_failed"`
	Attempts      int64         `json:"attempts"`
	FirstArrivals int64         `json:"first_arrivals"`
	Successes     int64         `json:"successes"`
	Status2xx     int64         `json:"status_2xx"`
	Status3xx     int64         `json:"status_3xx"`
	Status4xx     int64         `json:"status_4xx"`
	Status5xx     int64         `json:"status_5xx"`
	StatusNone    int64         `json:"status_none"`
	Latency       []Quick       `json:"latency"` // one per metric, in the order of Metrics()
}

// Quick is an interval's count and a few percentiles of one metric.
type Quick struct {
	N   int64         `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Mark is a trace mark (phase, behaviour change, provider restart, ...).
type Mark struct {
	At     time.Duration `json:"at_ns"`
	Type   string        `json:"type"`
	Name   string        `json:"name"`
	Detail string        `json:"detail,omitempty"`
}

// Span is the stretch of the run one phase, fragment or sink behaviour
// lasted: from its mark to the next mark of the same kind (behaviours: of
// the same endpoint) or the end of the run.
type Span struct {
	Type   string        `json:"type"` // "phase", "fragment" or "behavior"
	Name   string        `json:"name"`
	Detail string        `json:"detail,omitempty"`
	Start  time.Duration `json:"start_ns"`
	End    time.Duration `json:"end_ns"`
}

// Timeline is every attempt of one event at one endpoint, kept for failed,
// retried and explicitly tracked deliveries.
type Timeline struct {
	EventID  string `json:"event_id"`
	Endpoint string `json:"endpoint"`
	Type     string `json:"type,omitempty"`
	// Intended is the intended trigger time; -1 when no Sent was matched.
	Intended  time.Duration `json:"intended_ns"`
	Succeeded bool          `json:"succeeded"`
	Reason    string        `json:"reason"` // "failed", "retried" or "tracked"
	// Total counts every attempt seen; Attempts holds at most
	// Options.MaxTimelineAttempts of them, and Earlier is how many arrived
	// before the delivery became interesting (they are not listed).
	Total    int               `json:"total"`
	Earlier  int               `json:"earlier"`
	Attempts []TimelineAttempt `json:"attempts"`
}

// TimelineAttempt is one attempt of a Timeline.
type TimelineAttempt struct {
	At         time.Duration `json:"at_ns"`
	Nth        uint32        `json:"nth"`
	Status     int           `json:"status"`
	Handle     time.Duration `json:"handle_ns"`
	Sig        string        `json:"sig"`
	Behavior   string        `json:"behavior,omitempty"`
	Flags      []string      `json:"flags,omitempty"`
	RetryAfter time.Duration `json:"retry_after_ns,omitempty"`
}

// Metric returns the overall distribution of a metric, or nil.
func (s *Summary) Metric(name string) *Dist {
	for i := range s.Metrics {
		if s.Metrics[i].Name == name {
			return &s.Metrics[i]
		}
	}
	return nil
}

// Percentile returns the value at percentile p, or 0 when not listed.
func (d *Dist) Percentile(p float64) time.Duration {
	for _, q := range d.Percentiles {
		if q.P == p {
			return q.Value
		}
	}
	return 0
}
