package conformance

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// delivered reports whether the provider saw this attempt succeed: a success
// status that reached it (not cut by a reset, ack-lost or its own timeout).
func delivered(p *policy.Policy, a *trace.Attempt) bool {
	return p.IsSuccess(a.Status) && a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) == 0
}

// outcome describes what the provider got back from one attempt.
func outcome(a *trace.Attempt) string {
	switch {
	case a.Has(trace.FlagProviderGaveUp):
		return fmt.Sprintf("provider hung up after %s", ms(a.HandleNs))
	case a.Has(trace.FlagAborted) && a.Status != 0:
		return fmt.Sprintf("%d then connection dropped", a.Status)
	case a.Has(trace.FlagAborted) || a.Status == 0:
		return "connection reset"
	}
	s := strconv.Itoa(a.Status)
	if a.RetryAfter > 0 {
		s += fmt.Sprintf(" Retry-After %s", ms(a.RetryAfter*1e6))
	}
	return s
}

// ms formats nanoseconds as a short duration ("12.3ms", "4s").
func ms(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}

// times returns attempt arrival times in ms for Evidence.TimesMs.
func times(as []*trace.Attempt) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ArrivalNs / 1e6
	}
	return out
}

// outcomes lists the outcomes of a delivery's attempts.
func outcomes(as []*trace.Attempt) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = outcome(a)
	}
	return strings.Join(parts, ", ")
}

// evidence builds an Evidence line for one delivery.
func evidence(d *Delivery, expected, observed string) Evidence {
	e := Evidence{EventID: d.EventID, Endpoint: d.Endpoint, Expected: expected, Observed: observed, TimesMs: times(d.Attempts)}
	if len(d.Attempts) > 0 {
		e.MsgID = d.Attempts[0].MsgID
	}
	return e
}

// maxEvidence bounds the evidence a result carries; the summary gives counts.
const maxEvidence = 8

// Unit is what a check counts: the items its "N of M" summary is about.
type Unit uint8

// Units a check may count. Each is a population of the check's views that
// can be recounted from the trace (see CheckCounts).
const (
	// UnitAttempts: attempts (requests that reached the fragment's endpoints).
	UnitAttempts Unit = iota + 1
	// UnitDeliveries: (event, endpoint) pairs that arrived, each with its attempts.
	UnitDeliveries
	// UnitExpected: (event, endpoint) pairs the fragment expects: its
	// accepted triggers times its endpoints.
	UnitExpected
	// UnitTriggers: the fragment's triggers (original or repeated).
	UnitTriggers
	// UnitEndpoints: endpoints that received attempts.
	UnitEndpoints
	// UnitDelays: delays between consecutive attempts of one delivery.
	UnitDelays
)

var unitNames = [...]string{"", "attempts", "deliveries", "expected deliveries", "triggers", "endpoints", "retry delays"}

// String names the unit ("attempts").
func (u Unit) String() string {
	if int(u) < len(unitNames) {
		return unitNames[u]
	}
	return "unit(" + strconv.Itoa(int(u)) + ")"
}

// Count is what a check's summary quotes: Bad of Total items (each a Unit)
// broke the rule. All says the check counted every item of its unit in
// its fragments, not a subset (those answered 5xx, those retried...).
// Aggregates counts failed aggregate measures (a median, a mean), which
// are not items and are reported beside the count.
type Count struct {
	Bad, Total int
	Unit       Unit
	All        bool
	Aggregates int
}

// collector accumulates failures (and lateness warnings) for one check:
// bad of total items of one unit, plus failed aggregates (a mean or a
// median over several items, never counted as an item).
type collector struct {
	unit  Unit
	all   bool
	bad   int
	total int
	ev    []Evidence
	// aggBad and aggNotes are the failed aggregates and what each said.
	aggBad   int
	aggNotes []string
	// warned counts items, warnedAgg aggregates, late enough to warn, not
	// to fail; lateBy is the largest observed-to-declared ratio among the
	// late ones (warned or failed), for the summary.
	warned    int
	warnedAgg int
	lateBy    float64
}

func newCollector(u Unit) collector { return collector{unit: u} }

// every marks the collector as counting every item of its unit.
func (c *collector) every() { c.all = true }

func (c *collector) keep(e Evidence) {
	if len(c.ev) < maxEvidence {
		c.ev = append(c.ev, e)
	}
}

// fail records one item that broke the rule.
func (c *collector) fail(e Evidence) {
	c.bad++
	c.keep(e)
}

// failAggregate records an aggregate (a mean, a median) that broke the
// rule; note says which, for the summary.
func (c *collector) failAggregate(note string, e Evidence) {
	c.aggBad++
	c.aggNotes = append(c.aggNotes, note)
	c.keep(e)
}

// lateItem records one item (a retry) judged late (v Fail or Warn, see
// lateness), ratio times the latest the policy allows.
func (c *collector) lateItem(v Verdict, ratio float64, e Evidence) {
	c.lateBy = max(c.lateBy, ratio)
	if v == Fail {
		c.fail(e)
		return
	}
	c.warned++
	c.keep(e)
}

// lateAggregate records an aggregate delay (a median, a mean) judged late;
// note says which, for the summary.
func (c *collector) lateAggregate(v Verdict, ratio float64, note string, e Evidence) {
	c.lateBy = max(c.lateBy, ratio)
	if v == Fail {
		c.failAggregate(note, e)
		return
	}
	c.warnedAgg++
	c.keep(e)
}

func (c *collector) count() *Count {
	return &Count{Bad: c.bad, Total: c.total, Unit: c.unit, All: c.all, Aggregates: c.aggBad}
}

// result turns the tally into a verdict: v when anything failed, Warn when
// something was late within the loose bound, Pass otherwise (Skip when
// nothing was observed). The summary is formatted from the counts.
func (c *collector) result(v Verdict, what, passMsg string) Result {
	if c.total == 0 {
		return Result{Verdict: Skip, Summary: "nothing observed: no " + what + " in this fragment"}
	}
	lateBy := ""
	if c.lateBy > 0 {
		lateBy = fmt.Sprintf("; retries came %.1f× later than declared", c.lateBy)
	}
	switch {
	case c.bad > 0 && c.aggBad > 0:
		return Result{Verdict: v, Summary: fmt.Sprintf("%d of %d %s broke the rule; %s%s", c.bad, c.total, what, strings.Join(c.aggNotes, "; "), lateBy), Evidence: c.ev, Count: c.count()}
	case c.bad > 0:
		return Result{Verdict: v, Summary: fmt.Sprintf("%d of %d %s broke the rule%s", c.bad, c.total, what, lateBy), Evidence: c.ev, Count: c.count()}
	case c.aggBad > 0:
		return Result{Verdict: v, Summary: fmt.Sprintf("%d %s, each within the rule, but %s%s", c.total, what, strings.Join(c.aggNotes, "; "), lateBy), Evidence: c.ev, Count: c.count()}
	case c.warned > 0:
		return Result{Verdict: Warn, Summary: fmt.Sprintf("retries came %.1f× later than declared (%d of %d %s late): slower than documented (FAIL only beyond twice the latest declared)", c.lateBy, c.warned, c.total, what), Evidence: c.ev, Count: c.count()}
	case c.warnedAgg > 0:
		return Result{Verdict: Warn, Summary: fmt.Sprintf("retries came %.1f× later than declared (%d late median(s) or mean(s) over %d %s): slower than documented (FAIL only beyond twice the latest declared)", c.lateBy, c.warnedAgg, c.total, what), Evidence: c.ev, Count: c.count()}
	}
	return Result{Verdict: Pass, Summary: fmt.Sprintf("%d %s: %s", c.total, what, passMsg), Count: c.count()}
}

// attemptEnd estimates when the provider learned an attempt's outcome. For
// an answer the sink held on purpose (a delay, a hang, a trickle) or one the
// provider gave up on, that is the arrival plus the sink's handling time;
// for a prompt answer it is the arrival itself: the handling time of a
// prompt answer is only noise (a descheduled sink on a loaded machine would
// otherwise make the next retry look early).
func attemptEnd(a *trace.Attempt) int64 {
	if a.Has(trace.FlagProviderGaveUp) || strings.Contains(a.Behavior, "delay=") ||
		strings.Contains(a.Behavior, "hang") || strings.Contains(a.Behavior, "trickle") {
		return a.ArrivalNs + a.HandleNs
	}
	return a.ArrivalNs
}

// gaps returns the provider-side delay before each retry: from the end of
// attempt k (when the provider learned the outcome) to the arrival of k+1.
func gaps(as []*trace.Attempt) []int64 {
	if len(as) < 2 {
		return nil
	}
	out := make([]int64, len(as)-1)
	for i := 1; i < len(as); i++ {
		out[i-1] = as[i].ArrivalNs - attemptEnd(as[i-1])
	}
	return out
}

// percentile returns the q-quantile (0..1) of xs by nearest rank; xs is sorted in place.
func percentile(xs []int64, q float64) int64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	r := int(math.Ceil(q*float64(len(xs)))) - 1
	r = min(max(r, 0), len(xs)-1)
	return xs[r]
}

// mean returns the average of xs (0 when empty).
func mean(xs []int64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}

// lateSlack is how late an attempt may be against an expected instant d:
// LateFactor times the slack (500 ms by default) plus 10 % of d. Lateness
// is judged far more loosely than earliness: a loaded machine delays timers
// and queues by hundreds of milliseconds, while nothing but the provider
// itself makes a retry early. (At a time scale of 0.001, 500 ms late is
// "8 minutes late" in the provider's terms: an artefact of scaling that
// says nothing about its schedule.)
func lateSlack(slack time.Duration, d time.Duration) int64 {
	return LateFactor*int64(slack) + int64(d)/10
}

// LateFactor multiplies Options.Slack into the lateness tolerance.
const LateFactor = 20

// declared reports the verdict for breaking a rule the policy may or may not
// declare: FAIL when declared (the provider broke its own promise), WARN
// when the policy is silent and the spec only recommends it.
func declared(isDeclared bool) Verdict {
	if isDeclared {
		return Fail
	}
	return Warn
}
