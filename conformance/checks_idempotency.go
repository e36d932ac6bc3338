package conformance

import (
	"fmt"
	"strings"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// msgIDs returns the distinct provider message ids of some attempts, in
// order of first appearance ("" included when an attempt carried none).
func msgIDs(as []*trace.Attempt) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range as {
		if !seen[a.MsgID] {
			seen[a.MsgID] = true
			out = append(out, a.MsgID)
		}
	}
	return out
}

func quoteIDs(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		if id == "" {
			id = "(none)"
		}
		q[i] = id
	}
	return strings.Join(q, ", ")
}

// stableIDs judges "every arrival of one event at one endpoint carries the
// same, non-empty message id" over the deliveries with several arrivals;
// repeated is how many deliveries had several (0: nothing to judge).
func stableIDs(vs []*View, expected, what string) (r Result, repeated int) {
	c := newCollector(UnitDeliveries)
	withID := 0
	for _, v := range vs {
		for _, d := range v.Deliveries() {
			if len(d.Attempts) < 2 || d.EventID == "" {
				continue
			}
			c.total++
			ids := msgIDs(d.Attempts)
			if ids[0] != "" || len(ids) > 1 {
				withID++
			}
			if len(ids) > 1 {
				c.fail(evidence(d, expected, fmt.Sprintf("%d different ids: %s", len(ids), quoteIDs(ids))))
			}
		}
	}
	if c.total > 0 && withID == 0 {
		return Result{Verdict: Warn, Summary: fmt.Sprintf("%d %s carry no message id at all: consumers can deduplicate only by payload", c.total, what)}, c.total
	}
	if c.total == 0 {
		return Result{Verdict: Pass, Summary: "no event arrived more than once"}, 0
	}
	return c.result(Fail, what, "one id each"), c.total
}

// check 7.1
func checkStableIDAcrossRetries(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	r, repeated := stableIDs(sc.Views, "the same message id on every retry", "retried events")
	if repeated == 0 {
		return Result{Verdict: Skip, Summary: "no event was retried in this fragment (see 2.x)"}
	}
	return r
}

// check 7.2
func checkIdenticalBodyAcrossRetries(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	c := newCollector(UnitDeliveries)
	for _, v := range sc.Views {
		for _, d := range v.Deliveries() {
			if len(d.Attempts) < 2 {
				continue
			}
			c.total++
			first := d.Attempts[0]
			for k, a := range d.Attempts[1:] {
				if a.BodyHash != first.BodyHash || a.Size != first.Size {
					c.fail(evidence(d, "identical body bytes on every retry", fmt.Sprintf("attempt %d differs: %d bytes hash %016x, first %d bytes hash %016x", k+2, a.Size, a.BodyHash, first.Size, first.BodyHash)))
					break
				}
			}
		}
	}
	if c.total == 0 {
		return Result{Verdict: Skip, Summary: "no event was retried in this fragment (see 2.x)"}
	}
	return c.result(Fail, "retried events", "bodies identical")
}

// check 7.3
func checkIdempotencyKey(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if p.IdempotencyHeader == "" {
		return Result{Verdict: Skip, Summary: "the policy declares no idempotency header on the trigger API"}
	}
	byID := v.SentByID()
	dups := 0
	c := newCollector(UnitTriggers)
	deliveries := v.Deliveries()
	for _, s := range v.Sent {
		if s.DuplicateOf == "" || s.IdemKey == "" {
			continue
		}
		orig := byID[s.DuplicateOf]
		if orig == nil || !accepted(orig) {
			continue
		}
		dups++
		c.total++
		if s.ProviderID != "" && orig.ProviderID != "" && s.ProviderID != orig.ProviderID {
			c.fail(Evidence{EventID: s.DuplicateOf, Expected: fmt.Sprintf("a repeated trigger with %s %q returns the first event", p.IdempotencyHeader, s.IdemKey), Observed: fmt.Sprintf("a new event: %s then %s", orig.ProviderID, s.ProviderID)})
			continue
		}
		// Whatever ids the API and the deliveries carry (a provider may
		// send none), the harness event id is in every body: a second 2xx
		// delivery of it at one endpoint, or a second provider message for
		// it, is a second event.
		for _, d := range deliveries {
			if d.EventID != s.DuplicateOf {
				continue
			}
			n := 0
			for _, a := range d.Attempts {
				if delivered(p, a) {
					n++
				}
			}
			if ids := msgIDs(d.Attempts); n > 1 || len(ids) > 1 {
				c.fail(Evidence{EventID: s.DuplicateOf, Endpoint: d.Endpoint, Expected: fmt.Sprintf("one event for %s %q, delivered once", p.IdempotencyHeader, s.IdemKey),
					Observed: fmt.Sprintf("delivered %d time(s) under %d message id(s): %s", n, len(ids), quoteIDs(ids)), TimesMs: times(d.Attempts)})
				break
			}
		}
	}
	if dups == 0 {
		return Result{Verdict: Skip, Summary: "no repeated trigger with an idempotency key in the fragment"}
	}
	return c.result(Fail, "repeated triggers", "each created no new event")
}

// check 7.4
func checkLostAckRedelivered(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	lost := func(a *trace.Attempt) bool { return a.Has(trace.FlagAborted) && !a.Has(trace.FlagProviderGaveUp) }
	return retriedAfter(sc.Main(), p, sc.Slack, lost, "deliveries whose acknowledgement was lost")
}

// check 7.5
func checkLostAckSameID(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	r, repeated := stableIDs(sc.Views, "the redelivery after a lost acknowledgement carries the first delivery's id", "redelivered events")
	if repeated == 0 {
		return Result{Verdict: Skip, Summary: "no event was redelivered after its lost acknowledgement (see 7.4)"}
	}
	return r
}

// check 7.6
func checkDuplicatesDetectable(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	r, _ := stableIDs(sc.Views, "any duplicate delivery carries the original's message id", "duplicated events")
	return r
}
