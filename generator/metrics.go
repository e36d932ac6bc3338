package generator

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/internal/doctable"
	"github.com/hookbench/hookbench/trace"
)

// lateBounds are the upper bounds of the send-lateness histogram buckets
// (Prometheus "le" buckets; +Inf is implied).
var lateBounds = [...]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second,
}

// lateBucketCount is the number of lateness buckets, +Inf included.
const lateBucketCount = len(lateBounds) + 1

// lateBucket returns the bucket of a send late by d.
func lateBucket(d time.Duration) int {
	for i, b := range lateBounds {
		if d <= b {
			return i
		}
	}
	return len(lateBounds)
}

// statusClasses are the response class labels by status/100; index 0
// holds statuses outside 100-599.
var statusClasses = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(code int) int {
	if code >= 100 && code < 600 {
		return code / 100
	}
	return 0
}

// errKinds are the trace.ErrKind values counted (ErrNone is not an error).
var errKinds = [...]trace.ErrKind{trace.ErrTimeout, trace.ErrConnection, trace.ErrOther}

// MetricList describes the metrics a Metrics publishes, for the
// documentation and for dashboards.
func MetricList() []doctable.Metric {
	return []doctable.Metric{
		doctable.M("hookbench_gen_due_total", "counter", "", "triggers the schedule called for so far (capacity mode: sent)"),
		doctable.M("hookbench_gen_sent_total", "counter", "", "trigger requests that left (duplicates included)"),
		doctable.M("hookbench_gen_responses_total", "counter", "class", "answered triggers by status class: 1xx ... 5xx, other"),
		doctable.M("hookbench_gen_errors_total", "counter", "kind", "triggers without an answer: timeout, connection, other"),
		doctable.M("hookbench_gen_late_total", "counter", "", "sends that left more than "+LateThreshold.String()+" after their intended time"),
		doctable.M("hookbench_gen_missed_total", "counter", "", "hits due but never sent (counted when a generator ends)"),
		doctable.M("hookbench_gen_in_flight", "gauge", "", "trigger requests awaiting an answer"),
		doctable.M("hookbench_gen_running", "gauge", "", "1 while a generator runs"),
		doctable.M("hookbench_gen_intended_rate_per_second", "gauge", "", "the schedule's rate since the previous scrape"),
		doctable.M("hookbench_gen_achieved_rate_per_second", "gauge", "", "triggers sent per second since the previous scrape"),
		doctable.M("hookbench_gen_lateness_seconds", "histogram", "le", "how long after its intended time each trigger left"),
	}
}

// Metrics publishes the live counters of the generators run with it
// (Options.Metrics) in a metrics.Set. One Metrics serves generators run one
// after another (the phases of a scenario): counters carry over from one to
// the next, so each is a single growing series. Counting stays in the
// workers' own atomic counters; Metrics reads them when scraped.
type Metrics struct {
	mu       sync.Mutex // guards the fields below
	cur      *Generator
	base     liveTotals // the ended generators' totals
	prevAt   time.Time  // the previous scrape (NewMetrics at first), for the rates
	prevSent uint64
	prevDue  uint64
}

// NewMetrics registers the generator metrics in set.
func NewMetrics(set *metrics.Set) *Metrics {
	m := &Metrics{prevAt: time.Now()}
	set.RegisterMetricsWriter(m.write)
	return m
}

// liveTotals are counters summed over workers (and over generators).
type liveTotals struct {
	due, sent, done, late, missed uint64
	errs                          [len(errKinds) + 1]uint64 // by trace.ErrKind
	classes                       [len(statusClasses)]uint64
	lateBuckets                   [lateBucketCount]uint64
	lateSumNs                     uint64
}

func (t *liveTotals) add(o *liveTotals) {
	t.due += o.due
	t.sent += o.sent
	t.done += o.done
	t.late += o.late
	t.missed += o.missed
	for i := range t.errs {
		t.errs[i] += o.errs[i]
	}
	for i := range t.classes {
		t.classes[i] += o.classes[i]
	}
	for i := range t.lateBuckets {
		t.lateBuckets[i] += o.lateBuckets[i]
	}
	t.lateSumNs += o.lateSumNs
}

// liveTotals sums the workers' live counters; due is the schedule's count
// up to now.
func (g *Generator) liveTotals() liveTotals {
	var t liveTotals
	if !g.running.Load() {
		return t
	}
	for _, w := range g.ws {
		l := &w.live
		t.done += l.done.Load() // before sent, so that done <= sent
		t.sent += l.sent.Load()
		t.late += l.late.Load()
		for i := range l.errs {
			t.errs[i] += l.errs[i].Load()
		}
		for i := range l.classes {
			t.classes[i] += l.classes[i].Load()
		}
		for i := range l.lateBuckets {
			t.lateBuckets[i] += l.lateBuckets[i].Load()
		}
		t.lateSumNs += l.lateSumNs.Load()
	}
	t.due = t.sent
	if !g.capacity {
		at := time.Since(g.start)
		if g.opts.Duration > 0 {
			at = min(at, g.opts.Duration)
		}
		t.due = max(g.dueCount(0, at), t.sent)
	}
	return t
}

func (m *Metrics) attach(g *Generator) {
	m.mu.Lock()
	m.cur = g
	m.mu.Unlock()
}

// detach folds an ended generator's totals into the base.
func (m *Metrics) detach(g *Generator, s *Summary) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := g.liveTotals()
	t.due = max(s.Intended, t.sent)
	t.missed = s.Missed
	m.base.add(&t)
	if m.cur == g {
		m.cur = nil
	}
}

func (m *Metrics) write(w io.Writer) {
	m.mu.Lock()
	t := m.base
	running := m.cur != nil
	if running {
		c := m.cur.liveTotals()
		t.add(&c)
	}
	now := time.Now()
	var achieved, intended float64
	if dt := now.Sub(m.prevAt).Seconds(); dt > 0 {
		achieved = float64(t.sent-m.prevSent) / dt
		intended = float64(t.due-m.prevDue) / dt
	}
	m.prevAt, m.prevSent, m.prevDue = now, t.sent, t.due
	m.mu.Unlock()

	metrics.WriteCounterUint64(w, "hookbench_gen_due_total", t.due)
	metrics.WriteCounterUint64(w, "hookbench_gen_sent_total", t.sent)
	for i, c := range statusClasses {
		metrics.WriteCounterUint64(w, `hookbench_gen_responses_total{class="`+c+`"}`, t.classes[i])
	}
	for _, k := range errKinds {
		metrics.WriteCounterUint64(w, `hookbench_gen_errors_total{kind="`+k.String()+`"}`, t.errs[k])
	}
	metrics.WriteCounterUint64(w, "hookbench_gen_late_total", t.late)
	metrics.WriteCounterUint64(w, "hookbench_gen_missed_total", t.missed)
	metrics.WriteGaugeUint64(w, "hookbench_gen_in_flight", t.sent-t.done)
	r := uint64(0)
	if running {
		r = 1
	}
	metrics.WriteGaugeUint64(w, "hookbench_gen_running", r)
	metrics.WriteGaugeFloat64(w, "hookbench_gen_intended_rate_per_second", intended)
	metrics.WriteGaugeFloat64(w, "hookbench_gen_achieved_rate_per_second", achieved)
	var cum uint64
	for i, n := range t.lateBuckets {
		cum += n
		le := "+Inf"
		if i < len(lateBounds) {
			le = strconv.FormatFloat(lateBounds[i].Seconds(), 'g', -1, 64)
		}
		metrics.WriteCounterUint64(w, `hookbench_gen_lateness_seconds_bucket{le="`+le+`"}`, cum)
	}
	metrics.WriteCounterFloat64(w, "hookbench_gen_lateness_seconds_sum", float64(t.lateSumNs)/1e9)
	metrics.WriteCounterUint64(w, "hookbench_gen_lateness_seconds_count", cum)
}
