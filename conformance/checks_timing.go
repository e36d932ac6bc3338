package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// honoursRetryAfter judges "the retry after an answer carrying Retry-After
// comes no earlier than it asked" (capped at retry_after_max). Retry-After
// is the consumer's real-world instruction: a time-scaled provider still
// waits real seconds. extra widens the early tolerance (an HTTP-date has
// one-second resolution).
func honoursRetryAfter(v *View, p *policy.Policy, slack, extra time.Duration) Result {
	c := newCollector(UnitAttempts)
	indistinct := 0
	var asked, seen []string
	for _, d := range v.Deliveries() {
		for i, a := range d.Attempts[:len(d.Attempts)-1] {
			if a.RetryAfter <= 0 {
				continue
			}
			want := retryAfterWait(p, a)
			if p.RetryAfter == "ignore" {
				want = time.Duration(a.RetryAfter) * time.Millisecond
			}
			// The provider's own next retry, were it to ignore the header.
			var own time.Duration
			if nom, ok := p.Backoff.Nominal(i + 1); ok {
				_, own = p.Backoff.Band(nom)
			}
			g := gaps(d.Attempts[i : i+2])[0]
			ra := ms(a.RetryAfter * 1e6)
			if g < int64(want-slack-extra) {
				c.total++
				lowest, why := want-extra, ""
				if extra > 0 {
					why = fmt.Sprintf(" (%s less the date's %s resolution)", ms(int64(want)), extra)
				}
				c.fail(evidence(d, fmt.Sprintf("Retry-After %s on the %d: retry %d no earlier than %s after it%s", ra, a.Status, i+1, ms(int64(lowest)), why),
					fmt.Sprintf("retried after %s, %s before the asked wait (the declared backoff alone gives %s)", ms(g), ms(int64(lowest)-g), own)))
				continue
			}
			if want-slack-extra <= own {
				indistinct++ // honouring and ignoring look the same
				continue
			}
			c.total++
			if len(asked) < 3 {
				asked, seen = append(asked, ra), append(seen, ms(g))
			}
		}
	}
	if c.total == 0 && indistinct > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("%d Retry-After wait(s) no longer than the provider's own next retry: honouring cannot be told from ignoring", indistinct)}
	}
	r := c.result(declared(p.RetryAfter == "honor"), "retries after a Retry-After", fmt.Sprintf("none came early (asked %s; retried after %s)", strings.Join(asked, ", "), strings.Join(seen, ", ")))
	if p.RetryAfter == "ignore" && r.Verdict != Pass && r.Verdict != Skip {
		r.Verdict = Info
		r.Summary = "the policy ignores Retry-After: " + r.Summary
	}
	return r
}

// check 4.1, 4.2
func checkRetryAfterSeconds(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return honoursRetryAfter(sc.Main(), p, sc.Slack, 0)
}

// check 4.3
func checkRetryAfterDate(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return honoursRetryAfter(sc.Main(), p, sc.Slack, time.Second)
}

// check 4.4
func checkRetryAfterCapped(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if p.RetryAfterMax <= 0 {
		return Result{Verdict: Skip, Summary: "the policy declares no retry_after_max"}
	}
	if p.RetryAfter == "ignore" {
		return Result{Verdict: Skip, Summary: "the policy ignores Retry-After"}
	}
	v := sc.Main()
	c := newCollector(UnitAttempts)
	pending := 0
	for _, d := range v.Deliveries() {
		for i, a := range d.Attempts {
			asked := time.Duration(a.RetryAfter) * time.Millisecond
			if asked <= p.RetryAfterMax || countSpent(p, i+1) {
				continue
			}
			latest := p.RetryAfterMax
			if nom, ok := p.Backoff.Nominal(i + 1); ok {
				_, hi := p.Backoff.Band(nom)
				latest = max(latest, hi)
			}
			if end, ok := windowEnd(p, d.Attempts[0]); ok && i+1 == len(d.Attempts) && attemptEnd(a)+int64(latest) > end {
				continue // the capped wait may end after the retry window: no retry owed
			}
			// Late is judged loosely, as for backoff (lateness): an
			// uncapped wait is orders of magnitude longer.
			due := attemptEnd(a) + 2*int64(latest) + lateSlack(sc.Slack, latest)
			if i+1 < len(d.Attempts) {
				c.total++
				g := gaps(d.Attempts[i : i+2])[0]
				if v := lateness(g, int64(latest), sc.Slack, 0); v != Pass {
					c.lateItem(v, ratio(g, int64(latest)), evidence(d, fmt.Sprintf("retry within retry_after_max %s (at most twice that, allowing for a slow machine) although Retry-After asked %s", p.RetryAfterMax, asked),
						fmt.Sprintf("retried after %s, %.1f× the cap", ms(g), ratio(g, int64(latest)))))
				}
				continue
			}
			if due > v.Frag.EndNs {
				pending++
				continue
			}
			c.total++
			c.fail(evidence(d, fmt.Sprintf("retry within retry_after_max %s although Retry-After asked %s", p.RetryAfterMax, asked), fmt.Sprintf("no attempt within %s after it", ms(v.Frag.EndNs-attemptEnd(a)))))
		}
	}
	if c.total == 0 && pending > 0 {
		return Result{Verdict: Skip, Summary: "the fragment ended before the capped retry was due"}
	}
	return c.result(Fail, "answers with a Retry-After above the cap", "retried within retry_after_max")
}

// timeoutCut is how an attempt ended against the declared timeout. 5.1 and
// 5.3 read every attempt through timeoutCut, so one attempt is never a
// timeout for one check and an answer within the timeout for the other.
type timeoutCut uint8

const (
	// answeredInTime: the sink answered (or reset) before the timeout
	// could matter: nothing was cut.
	answeredInTime timeoutCut = iota
	// cutEarly: the provider hung up well before its timeout.
	cutEarly
	// cutAtTimeout: the provider hung up around its timeout, or the sink
	// held the attempt until then.
	cutAtTimeout
	// waitedPast: the exchange outlasted the timeout and its tolerance:
	// the provider did not cut it off.
	waitedPast
)

// earlyCut is the shortest a provider may hold an attempt before hanging
// up and still be on time. The provider's clock starts before the sink
// reads the request (connecting, queueing: more on a loaded machine), so
// the sink sees less than the timeout: only a cut before half of it, less
// the dispatch lag, counts as early.
func earlyCut(p *policy.Policy, lag int64) int64 {
	return max(int64(p.Timeout)/2-lag, int64(p.Timeout)/10)
}

// classifyCut classifies an attempt against the policy's timeout (which
// must be positive); lag is the view's dispatch lag.
func classifyCut(a *trace.Attempt, p *policy.Policy, slack time.Duration, lag int64) timeoutCut {
	gaveUp := a.Has(trace.FlagProviderGaveUp)
	switch {
	case a.HandleNs > int64(p.Timeout)+lateSlack(slack, p.Timeout):
		return waitedPast
	case gaveUp && a.HandleNs < earlyCut(p, lag):
		return cutEarly
	case gaveUp || a.HandleNs >= int64(p.Timeout)-int64(slack):
		return cutAtTimeout
	}
	return answeredInTime
}

// check 5.1
func checkTimeoutEnforced(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if p.Timeout <= 0 {
		return Result{Verdict: Skip, Summary: "the policy declares no timeout"}
	}
	c := newCollector(UnitAttempts)
	v := sc.Main()
	lag := dispatchLag(v)
	early := 0
	for _, d := range v.Deliveries() {
		for _, a := range d.Attempts {
			switch classifyCut(a, p, sc.Slack, lag) {
			case answeredInTime:
				continue // nothing to cut
			case cutEarly:
				early++ // cut, and too soon: 5.3 judges it
			case waitedPast:
				c.fail(evidence(d, fmt.Sprintf("the provider gives up after %s (timeout)", p.Timeout), fmt.Sprintf("it waited %s on a hanging endpoint (%s)", ms(a.HandleNs), outcome(a))))
			}
			c.total++
		}
	}
	pass := "each cut off at the timeout"
	if early > 0 {
		pass = fmt.Sprintf("none waited past the timeout (%d cut off before it: see 5.3)", early)
	}
	return c.result(Fail, "attempts held until the timeout", pass)
}

// check 5.2
func checkTimeoutRetried(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	gaveUp := func(a *trace.Attempt) bool { return a.Has(trace.FlagProviderGaveUp) }
	return retriedAfter(sc.Main(), p, sc.Slack, gaveUp, "timed-out attempts")
}

// check 5.3 (fragments: one answering within the timeout, then the hanging one)
func checkNotCutEarly(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if p.Timeout <= 0 {
		return Result{Verdict: Skip, Summary: "the policy declares no timeout"}
	}
	c := newCollector(UnitAttempts)
	c.every()
	for _, v := range sc.Views {
		lag := dispatchLag(v)
		for _, d := range v.Deliveries() {
			for _, a := range d.Attempts {
				c.total++
				if classifyCut(a, p, sc.Slack, lag) == cutEarly {
					c.fail(evidence(d, fmt.Sprintf("an answer within %s (the timeout) is awaited; hanging up before %s is early", p.Timeout, ms(earlyCut(p, lag))), fmt.Sprintf("the provider hung up after %s", ms(a.HandleNs))))
				}
			}
		}
	}
	return c.result(Fail, "attempts", "none cut off before the timeout")
}

// dispatchLag is the longest time from a trigger to its first attempt in a
// view: how far behind the provider (or the machine) was.
func dispatchLag(v *View) int64 {
	var lag int64
	for _, d := range v.Deliveries() {
		if d.Sent != nil {
			lag = max(lag, d.Attempts[0].ArrivalNs-(d.Sent.SentNs+d.Sent.LatencyNs))
		}
	}
	return lag
}
