package conformance

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// retrySamples holds, per retry number k (from 1), the provider-side delay
// observed before retry k of each failing event, and the arrival times.
type retrySamples struct {
	gaps     map[int][]int64
	evidence map[int][]*Delivery
	events   int
	// lag is the provider's dispatch lag in this fragment: the longest
	// time from a trigger to its first attempt. Retries may be that much
	// later than their band without counting against the schedule: a
	// loaded machine delays first attempts and retries alike.
	lag int64
}

// collectRetries gathers the gaps of deliveries that never succeeded (the
// backoff fragment's endpoint always fails with a fast 5xx).
func collectRetries(v *View, p *policy.Policy) retrySamples {
	rs := retrySamples{gaps: map[int][]int64{}, evidence: map[int][]*Delivery{}}
	for _, d := range v.Deliveries() {
		if slicesAnyDelivered(p, d.Attempts) || len(msgIDs(d.Attempts)) > 1 {
			continue // a success, or several messages mixed (7.1 reports it)
		}
		rs.events++
		for k, g := range gaps(d.Attempts) {
			rs.gaps[k+1] = append(rs.gaps[k+1], g)
			rs.evidence[k+1] = append(rs.evidence[k+1], d)
		}
	}
	rs.lag = dispatchLag(v)
	return rs
}

func (rs *retrySamples) retries() []int {
	ks := make([]int, 0, len(rs.gaps))
	for k := range rs.gaps {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// expectedMean returns the mean and the standard deviation of the mean of
// n delays drawn from the jitter band of nominal d (uniform over the band).
func expectedMean(b *policy.Backoff, d time.Duration, n int) (m, sdMean float64) {
	lo, hi := b.Band(d)
	w := float64(hi - lo)
	return float64(lo+hi) / 2, w / math.Sqrt(12*float64(max(n, 1)))
}

// noRetries is the result when a backoff check has nothing to measure.
func noRetries(rs *retrySamples, p *policy.Policy) Result {
	if rs.events == 0 {
		return Result{Verdict: Skip, Summary: "no permanently failing event in the fragment"}
	}
	if !p.Retries() {
		return Result{Verdict: Info, Summary: "the policy declares no retries (max_attempts 1)"}
	}
	return Result{Verdict: Skip, Summary: fmt.Sprintf("no retries observed for %d failing event(s) (see 2.x): nothing to measure", rs.events)}
}

// minSamples is how many events a statistical backoff test needs.
const minSamples = 4

// check 3.1
func checkBackoffBand(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	rs := collectRetries(sc.Main(), p)
	if len(rs.gaps) == 0 {
		return noRetries(&rs, p)
	}
	c := newCollector(UnitDelays)
	b := &p.Backoff
	for _, k := range rs.retries() {
		d, ok := b.Nominal(k)
		if !ok {
			continue // beyond the schedule: 2.7 reports extra attempts
		}
		lo, hi := b.Band(d)
		for i, g := range rs.gaps[k] {
			c.total++
			if g < int64(lo)-int64(sc.Slack) {
				c.fail(evidence(rs.evidence[k][i], fmt.Sprintf("retry %d after %s (nominal %s, jitter %s)", k, bandText(lo, hi), d, jitterName(b)), fmt.Sprintf("early: after %s", ms(g))))
			}
		}
		// Late is judged on the median: a schedule slower than declared
		// delays every event; a stalled machine delays a few.
		med := percentile(append([]int64(nil), rs.gaps[k]...), 0.5)
		if v := lateness(med, int64(hi), sc.Slack, rs.lag); v != Pass {
			r := ratio(med, int64(lo+hi)/2)
			c.lateAggregate(v, r, fmt.Sprintf("retry %d: median delay %s, %.1f× the declared", k, ms(med), r), Evidence{Endpoint: rs.evidence[k][0].Endpoint, Expected: fmt.Sprintf("retry %d after %s (nominal %s, jitter %s)", k, bandText(lo, hi), d, jitterName(b)),
				Observed: fmt.Sprintf("late: median delay %s over %d events, %.1f× the declared (%s)", ms(med), len(rs.gaps[k]), r, fmtDurations(rs.gaps[k]))})
		}
		if n := len(rs.gaps[k]); n >= minSamples {
			m, sd := expectedMean(b, d, n)
			got := mean(rs.gaps[k])
			tol := 4*sd + float64(sc.Slack)
			expected := fmt.Sprintf("retry %d: mean delay %s ± %s over %d events", k, ms(int64(m)), ms(int64(tol)), n)
			if m-got > tol {
				c.failAggregate(fmt.Sprintf("retry %d: mean delay %s, declared %s", k, ms(int64(got)), ms(int64(m))),
					Evidence{Endpoint: rs.evidence[k][0].Endpoint, Expected: expected, Observed: "mean " + ms(int64(got))})
			} else if v := lateness(int64(got), int64(m+4*sd), sc.Slack, rs.lag); v != Pass {
				r := ratio(int64(got), int64(m))
				c.lateAggregate(v, r, fmt.Sprintf("retry %d: mean delay %s, %.1f× the declared", k, ms(int64(got)), r), Evidence{Endpoint: rs.evidence[k][0].Endpoint, Expected: expected, Observed: fmt.Sprintf("late: mean %s, %.1f× the declared", ms(int64(got)), r)})
			}
		}
	}
	return c.result(Fail, "retry delays", "all within the declared band, means as declared")
}

// tooLate reports whether a delay got is late beyond doubt: more than
// twice the latest expected (want), plus the lateness tolerance and the
// provider's dispatch lag. Lateness is judged loosely (see lateSlack): only
// a schedule clearly slower than declared fails, not a loaded machine.
func tooLate(got, want int64, slack time.Duration, lag int64) bool {
	return got > 2*want+lateSlack(slack, time.Duration(want))+lag
}

// WarnLateFactor is how much slower than declared (beyond the machine's
// tolerance) a schedule may run before a timing check warns: a provider a
// quarter slower than it documents misleads the consumers who size their
// outage windows by it. Beyond twice the declared delay it fails (tooLate).
const WarnLateFactor = 1.25

// lateness judges a delay got against the latest the policy allows (want):
// Fail when tooLate, Warn beyond WarnLateFactor times want plus the
// machine's tolerance (LateFactor times the slack) and the dispatch lag,
// else Pass.
func lateness(got, want int64, slack time.Duration, lag int64) Verdict {
	switch {
	case tooLate(got, want, slack, lag):
		return Fail
	case float64(got) > WarnLateFactor*float64(want)+float64(LateFactor*int64(slack)+lag):
		return Warn
	}
	return Pass
}

// ratio is how many times a declared delay (a band's centre, a cap) an
// observed one took, for evidence: "2.3× the declared".
func ratio(got, declared int64) float64 {
	if declared <= 0 {
		return 0
	}
	return float64(got) / float64(declared)
}

// bandText is "lo..hi", or one duration when the band has no width.
func bandText(lo, hi time.Duration) string {
	if lo == hi {
		return ms(int64(hi))
	}
	return ms(int64(lo)) + ".." + ms(int64(hi))
}

func jitterName(b *policy.Backoff) string {
	switch b.Jitter {
	case "", policy.JitterNone:
		return "none"
	case policy.JitterProportional:
		return fmt.Sprintf("±%.0f%%", b.JitterFrac*100)
	}
	return string(b.Jitter)
}

// check 3.2
func checkBackoffGrows(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	rs := collectRetries(sc.Main(), p)
	if len(rs.gaps) == 0 {
		return noRetries(&rs, p)
	}
	b := &p.Backoff
	var ks []int
	for _, k := range rs.retries() {
		if _, ok := b.Nominal(k); ok && len(rs.gaps[k]) >= minSamples {
			ks = append(ks, k)
		}
	}
	if len(ks) < 2 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("need two retry numbers with %d+ events each to see growth", minSamples)}
	}
	// Compare the first retry with the latest one whose growth is certain.
	kf := ks[0]
	df, _ := b.Nominal(kf)
	mf, sdf := expectedMean(b, df, len(rs.gaps[kf]))
	upperFirst := mf + 4*sdf + float64(sc.Slack)
	for i := len(ks) - 1; i > 0; i-- {
		kl := ks[i]
		dl, _ := b.Nominal(kl)
		ml, sdl := expectedMean(b, dl, len(rs.gaps[kl]))
		lowerLast := ml - 4*sdl - float64(sc.Slack)
		if lowerLast < 1.5*upperFirst {
			continue
		}
		gf, gl := mean(rs.gaps[kf]), mean(rs.gaps[kl])
		if gl < 1.2*gf || gl < lowerLast {
			return Result{Verdict: Fail, Summary: fmt.Sprintf("delays do not grow: retry %d mean %s, retry %d mean %s", kf, ms(int64(gf)), kl, ms(int64(gl))),
				Evidence: []Evidence{{Endpoint: rs.evidence[kl][0].Endpoint, Expected: fmt.Sprintf("retry %d ≈ %s (nominal %s) after retry %d ≈ %s (nominal %s)", kl, ms(int64(ml)), dl, kf, ms(int64(mf)), df), Observed: fmt.Sprintf("retry %d mean %s, retry %d mean %s", kl, ms(int64(gl)), kf, ms(int64(gf))), TimesMs: times(rs.evidence[kl][0].Attempts)}}}
		}
		return Result{Verdict: Pass, Summary: fmt.Sprintf("delays grow: retry %d mean %s → retry %d mean %s (%d events)", kf, ms(int64(gf)), kl, ms(int64(gl)), len(rs.gaps[kl]))}
	}
	return Result{Verdict: Skip, Summary: "the observed retries span too little nominal growth to tell it from jitter"}
}

// jitterBand is a retry number and the spread its delays should show.
type jitterBand struct {
	k int
	w time.Duration
}

// jitterBands returns, widest first, the retry numbers with enough samples
// and the spread their delays should show: the declared band's width
// relative to its centre, applied to the mean delay actually observed.
// Jitter is judged on the delays the provider makes, whether or not they
// follow the schedule (3.1 and 3.2 judge that).
func jitterBands(rs *retrySamples, b *policy.Backoff) []jitterBand {
	var out []jitterBand
	for _, k := range rs.retries() {
		d, ok := b.Nominal(k)
		if !ok || len(rs.gaps[k]) < minSamples || d <= 0 {
			continue
		}
		lo, hi := b.Band(d)
		rel := float64(hi-lo) / (float64(hi+lo) / 2)
		out = append(out, jitterBand{k, time.Duration(rel * max(mean(rs.gaps[k]), 0))})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].w > out[j].w })
	return out
}

// judged keeps the (at most two) widest bands that pass ok. Lock-step must
// show on both to fail: one machine stall can bunch one retry number, not
// two retry numbers seconds apart.
func judged(bs []jitterBand, ok func(jitterBand) bool) []jitterBand {
	var out []jitterBand
	for _, b := range bs {
		if ok(b) && len(out) < 2 {
			out = append(out, b)
		}
	}
	return out
}

func spread(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi - lo
}

// check 3.3
func checkJitterObserved(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	b := &p.Backoff
	// Jitter is a property of retries: with none declared or none made,
	// there is nothing to jitter (2.x judges the missing retries).
	rs := collectRetries(sc.Main(), p)
	if len(rs.gaps) == 0 {
		return noRetries(&rs, p)
	}
	if b.Jitter == "" || b.Jitter == policy.JitterNone {
		return Result{Verdict: Warn, Summary: fmt.Sprintf("the policy declares no jitter: events that fail together retry together (the spec recommends jitter; %d failing events retried)", rs.events)}
	}
	bands := jitterBands(&rs, b)
	if len(bands) == 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("no retry number with %d+ events", minSamples)}
	}
	use := judged(bands, func(j jitterBand) bool { return j.w >= 8*sc.Slack })
	if len(use) == 0 {
		k := bands[0].k
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the widest jitter spread expected (retry %d, %s around a mean delay of %s) is too narrow to tell from timing noise (%s)", k, ms(int64(bands[0].w)), ms(int64(mean(rs.gaps[k]))), sc.Slack)}
	}
	var ev []Evidence
	var seen []string
	for _, j := range use {
		s := spread(rs.gaps[j.k])
		seen = append(seen, fmt.Sprintf("retry %d over %s of an expected %s", j.k, ms(s), ms(int64(j.w))))
		if s < int64(j.w)/4 {
			ev = append(ev, Evidence{Endpoint: rs.evidence[j.k][0].Endpoint, Expected: fmt.Sprintf("retry %d delays spread over about %s (%s jitter)", j.k, ms(int64(j.w)), jitterName(b)), Observed: fmt.Sprintf("delays %s", fmtDurations(rs.gaps[j.k]))})
		}
	}
	if len(ev) == len(use) {
		return Result{Verdict: Fail, Summary: fmt.Sprintf("no jitter: delays spread %s across %d events", strings.Join(seen, "; "), rs.events), Evidence: ev}
	}
	return Result{Verdict: Pass, Summary: fmt.Sprintf("delays spread %s (%d events)", strings.Join(seen, "; "), rs.events)}
}

func fmtDurations(xs []int64) string {
	ys := append([]int64(nil), xs...)
	sort.Slice(ys, func(i, j int) bool { return ys[i] < ys[j] })
	out := ""
	for i, y := range ys {
		if i > 0 {
			out += " "
		}
		out += ms(y)
	}
	return out
}

// check 3.4
func checkNoLockStep(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	b := &p.Backoff
	rs := collectRetries(sc.Main(), p)
	if len(rs.gaps) == 0 {
		return noRetries(&rs, p)
	}
	bands := jitterBands(&rs, b)
	if len(bands) == 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("no retry number with %d+ events", minSamples)}
	}
	if b.Jitter == "" || b.Jitter == policy.JitterNone {
		return lockStepInNoise(&rs, sc.Slack)
	}
	window := func(j jitterBand) int64 { return max(int64(j.w)/10, 2*int64(sc.Slack)) }
	use := judged(bands, func(j jitterBand) bool { return window(j) <= int64(j.w)/6 })
	if len(use) == 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the widest expected spread (retry %d, %s) is too narrow against timing noise to judge clustering", bands[0].k, ms(int64(bands[0].w)))}
	}
	var ev []Evidence
	var seen []string
	for _, j := range use {
		win := window(j)
		cluster := largestCluster(rs.gaps[j.k], win)
		seen = append(seen, fmt.Sprintf("retry %d: %d of %d within %s", j.k, cluster, len(rs.gaps[j.k]), ms(win)))
		if bunched(cluster, len(rs.gaps[j.k])) {
			ev = append(ev, Evidence{Endpoint: rs.evidence[j.k][0].Endpoint, Expected: fmt.Sprintf("retry %d delays spread over about %s (declared jitter)", j.k, ms(int64(j.w))),
				Observed: fmt.Sprintf("%d retries after the same delay (within %s): %s", cluster, ms(win), fmtDurations(rs.gaps[j.k]))})
		}
	}
	if len(ev) == len(use) {
		return Result{Verdict: Fail, Summary: "events that failed together retry together (" + strings.Join(seen, "; ") + ")", Evidence: ev}
	}
	return Result{Verdict: Pass, Summary: "retries spread out (" + strings.Join(seen, "; ") + ")"}
}

// largestCluster is the most delays within win of each other. Events that
// failed together and wait the same delay retry together: a cluster of
// equal delays shows it (noise from earlier retries does not add up, as it
// would in arrival times).
func largestCluster(delays []int64, win int64) int {
	arr := append([]int64(nil), delays...)
	sort.Slice(arr, func(a, b int) bool { return arr[a] < arr[b] })
	cluster, lo := 0, 0
	for i := range arr {
		for arr[i]-arr[lo] > win {
			lo++
		}
		cluster = max(cluster, i-lo+1)
	}
	return cluster
}

// bunched reports whether a cluster of n delays holds three quarters of them.
func bunched(cluster, n int) bool { return cluster >= (3*n+3)/4 }

// lockStepInNoise judges lock-step when the policy declares no jitter:
// events that failed together and retry within timing noise of each other
// are the retry storm the spec warns of. The policy allows it, so it is a
// WARN, never a FAIL; the spread is the evidence. Like the banded test, it
// must show on the two latest retry numbers with enough events (one stall
// bunches one).
func lockStepInNoise(rs *retrySamples, slack time.Duration) Result {
	var ks []int
	for _, k := range rs.retries() {
		if len(rs.gaps[k]) >= minSamples {
			ks = append(ks, k)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ks)))
	ks = ks[:min(len(ks), 2)]
	var ev []Evidence
	var seen []string
	for _, k := range ks {
		g := rs.gaps[k]
		win := max(2*int64(slack), int64(mean(g))/50)
		cluster := largestCluster(g, win)
		seen = append(seen, fmt.Sprintf("retry %d: %d of %d within %s, spread %s", k, cluster, len(g), ms(win), ms(spread(g))))
		if bunched(cluster, len(g)) {
			ev = append(ev, Evidence{Endpoint: rs.evidence[k][0].Endpoint, Expected: fmt.Sprintf("retry %d of events that failed together spread beyond timing noise (%s)", k, ms(win)),
				Observed: fmt.Sprintf("%d of %d retries within %s of each other, spread %s: %s", cluster, len(g), ms(win), ms(spread(g)), fmtDurations(g))})
		}
	}
	if len(ev) == len(ks) {
		return Result{Verdict: Warn, Summary: fmt.Sprintf("retry storm: events that failed together retry together (%s); the policy declares no jitter", strings.Join(seen, "; ")), Evidence: ev}
	}
	return Result{Verdict: Pass, Summary: fmt.Sprintf("retries spread out (%s), although the policy declares no jitter", strings.Join(seen, "; "))}
}

// attemptRange is "5" or "38–45": the attempt counts of some deliveries.
func attemptRange(ns []int) string {
	lo, hi := ns[0], ns[0]
	for _, n := range ns {
		lo, hi = min(lo, n), max(hi, n)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// check 3.5. The window is judged over the declared attempts: an event that
// made more than max_attempts (2.7 fails it) still shows, in its first
// max_attempts, whether the declared retries span the declared schedule.
func checkRetryWindow(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	b := &p.Backoff
	if !p.Retries() {
		return Result{Verdict: Info, Summary: "the policy declares no retries"}
	}
	// want is how many attempts of each event are judged: max_attempts,
	// or under a retry window (where the count varies with jitter and with
	// how long the fragment watched) the fewest any event made.
	want := p.MaxAttempts
	if p.RetryWindow > 0 {
		want = windowAttempts(v, p)
	}
	var totals []int64
	var full []*Delivery
	var over, under []int
	for _, d := range v.Deliveries() {
		if want < 2 || slicesAnyDelivered(p, d.Attempts) || len(msgIDs(d.Attempts)) != 1 {
			continue
		}
		switch n := len(d.Attempts); {
		case n < want:
			under = append(under, n)
			continue
		case n > want && p.RetryWindow == 0:
			over = append(over, n)
		}
		var s int64
		for _, g := range gaps(d.Attempts[:want]) {
			s += g
		}
		totals = append(totals, s)
		full = append(full, d)
	}
	// What 2.7 sees, said here too, so the two read the attempts alike.
	seen := ""
	switch {
	case len(over) > 0 && len(over) == len(totals) && len(under) == 0:
		seen = fmt.Sprintf("every event made %s attempts, more than the declared %d; see 2.7", attemptRange(over), p.MaxAttempts)
	case len(over) > 0:
		seen = fmt.Sprintf("%d of %d events made %s attempts, more than the declared %d; see 2.7", len(over), len(totals)+len(under), attemptRange(over), p.MaxAttempts)
	}
	if len(totals) == 0 {
		switch {
		case p.RetryWindow > 0:
			return Result{Verdict: Skip, Summary: "no failing event retried (see 2.7)"}
		case len(under) == 0:
			return Result{Verdict: Skip, Summary: "no permanently failing event in the fragment"}
		}
		return Result{Verdict: Skip, Summary: fmt.Sprintf("every event made %s attempts, fewer than the declared %d; see 2.7", attemptRange(under), p.MaxAttempts)}
	}
	var m, v2, sumLo, sumHi float64
	for k := 1; k < want; k++ {
		d, ok := b.Nominal(k)
		if !ok {
			return Result{Verdict: Fail, Summary: fmt.Sprintf("policy: max_attempts %d but the backoff defines only %d retries", p.MaxAttempts, k-1)}
		}
		lo, hi := b.Band(d)
		m += float64(lo+hi) / 2
		v2 += float64(hi-lo) * float64(hi-lo) / 12
		sumLo += float64(lo)
		sumHi += float64(hi)
	}
	n := float64(len(totals))
	early := float64(sc.Slack) * float64(want-1)
	tol := 4*math.Sqrt(v2/n) + early
	got := mean(totals)
	lag := collectRetries(v, p).lag
	c := newCollector(UnitDeliveries)
	c.total = len(totals)
	span := "retries span " + bandText(time.Duration(sumLo), time.Duration(sumHi))
	if len(over) > 0 || want != p.MaxAttempts {
		span = fmt.Sprintf("the first %d attempts span %s", want, bandText(time.Duration(sumLo), time.Duration(sumHi)))
	}
	for i, t := range totals {
		if float64(t) < sumLo-early {
			c.fail(evidence(full[i], span, "spanned only "+ms(t)))
		}
	}
	med := percentile(append([]int64(nil), totals...), 0.5)
	if v := lateness(med, int64(sumHi), sc.Slack, lag); v != Pass {
		r := ratio(med, int64(m))
		c.lateAggregate(v, r, fmt.Sprintf("median window %s, %.1f× the declared", ms(med), r), Evidence{Endpoint: full[0].Endpoint, Expected: span, Observed: fmt.Sprintf("late: median span %s over %d events, %.1f× the declared", ms(med), len(totals), r)})
	}
	meanWindow := fmt.Sprintf("mean retry window %s ± %s over %d events", ms(int64(m)), ms(int64(tol)), len(totals))
	if m-got > tol {
		c.failAggregate(fmt.Sprintf("mean window %s, declared %s", ms(int64(got)), ms(int64(m))), Evidence{Endpoint: full[0].Endpoint, Expected: meanWindow, Observed: "mean " + ms(int64(got))})
	} else if v := lateness(int64(got), int64(m+tol), sc.Slack, lag); v != Pass {
		r := ratio(int64(got), int64(m))
		c.lateAggregate(v, r, fmt.Sprintf("mean window %s, %.1f× the declared", ms(int64(got)), r), Evidence{Endpoint: full[0].Endpoint, Expected: meanWindow, Observed: fmt.Sprintf("late: mean %s, %.1f× the declared", ms(int64(got)), r)})
	}
	what := "retry windows"
	if want != p.MaxAttempts {
		what = fmt.Sprintf("spans of the first %d attempts", want)
	}
	r := c.result(Fail, what, fmt.Sprintf("mean %s, declared %s", ms(int64(got)), ms(int64(m))))
	if seen != "" {
		r.Summary = seen + "; over the first " + fmt.Sprint(want) + ": " + r.Summary
	}
	return r
}

// windowAttempts is the attempt count 3.5 judges spans at under a retry
// window, where the count varies with jitter and with how long the
// fragment watched: the fewest attempts any failing event with a retry
// made. Every such event's first that many attempts are judged: choosing
// events by their count would choose them by their delays.
func windowAttempts(v *View, p *policy.Policy) int {
	least := 0
	for _, d := range v.Deliveries() {
		n := len(d.Attempts)
		if n < 2 || slicesAnyDelivered(p, d.Attempts) || len(msgIDs(d.Attempts)) > 1 {
			continue
		}
		if least == 0 || n < least {
			least = n
		}
	}
	return least
}
