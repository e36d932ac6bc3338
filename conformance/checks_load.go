package conformance

import (
	"fmt"
	"sort"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// latencies returns, for each accepted original trigger that arrived, the
// time from its intended send to its first arrival at any fragment
// endpoint (fromIntended) and from the moment the trigger actually left the
// harness (fromSent). The two differ by the harness's own lateness: a slow
// adapter (a command that spawns a process, a starved machine) sends late,
// and that is not the provider's latency.
func latencies(v *View) (fromIntended, fromSent []int64, slowest *Delivery) {
	first := map[string]*Delivery{}
	for _, d := range v.Deliveries() {
		if d.EventID == "" {
			continue
		}
		if f, ok := first[d.EventID]; !ok || d.Attempts[0].ArrivalNs < f.Attempts[0].ArrivalNs {
			first[d.EventID] = d
		}
	}
	var worst int64 = -1
	for _, s := range v.Originals() {
		d := first[s.EventID]
		if d == nil || !accepted(s) {
			continue
		}
		arrival := d.Attempts[0].ArrivalNs
		fromIntended = append(fromIntended, arrival-s.IntendedNs)
		sent := s.SentNs
		if sent < s.IntendedNs {
			// Traces without a send time (or a clock step) fall back to
			// the intended time.
			sent = s.IntendedNs
		}
		l := max(arrival-sent, 0)
		fromSent = append(fromSent, l)
		if l > worst {
			worst, slowest = l, d
		}
	}
	return fromIntended, fromSent, slowest
}

// latencyCheck grades the provider on the latency from the trigger leaving
// the harness to the first arrival, which includes the provider's trigger
// API but not the harness's lateness; the latency from the intended send
// time is reported beside it whenever the two differ.
func latencyCheck(v *View, q float64, limit time.Duration, name string) Result {
	if !v.HasIDs() {
		return Result{Verdict: Skip, Summary: "deliveries carry no event id: latency needs each delivery matched to its trigger"}
	}
	fromIntended, fromSent, slowest := latencies(v)
	if len(fromSent) == 0 {
		return Result{Verdict: Skip, Summary: "no triggered event arrived"}
	}
	got, withHarness := percentile(fromSent, q), percentile(fromIntended, q)
	harness := ""
	if withHarness-got >= int64(time.Millisecond) {
		harness = fmt.Sprintf(" (%s from the intended send time: the harness sent late)", ms(withHarness))
	}
	if limit <= 0 {
		return Result{Verdict: Info, Summary: fmt.Sprintf("%s end-to-end latency %s over %d events%s (the policy declares no %s threshold)", name, ms(got), len(fromSent), harness, name)}
	}
	if got > int64(limit) {
		e := evidence(slowest, fmt.Sprintf("%s trigger sent → first arrival ≤ %s", name, limit), fmt.Sprintf("%s %s; slowest event %s", name, ms(got), ms(slowest.Attempts[0].ArrivalNs-max(slowest.Sent.SentNs, slowest.Sent.IntendedNs))))
		return Result{Verdict: Fail, Summary: fmt.Sprintf("%s latency %s over %d events exceeds the declared %s%s", name, ms(got), len(fromSent), limit, harness), Evidence: []Evidence{e}}
	}
	return Result{Verdict: Pass, Summary: fmt.Sprintf("%s latency %s ≤ %s over %d events%s", name, ms(got), limit, len(fromSent), harness)}
}

// check 10.1
func checkLatencyP50(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return latencyCheck(sc.Main(), 0.50, p.LatencyP50, "p50")
}

// check 10.2
func checkLatencyP99(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return latencyCheck(sc.Main(), 0.99, p.LatencyP99, "p99")
}

// check 10.3
func checkNoLossUnderLoad(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return completeness(sc.Main(), p, reachAll, false, "events under load")
}

// check 10.4
func checkTriggerAPI(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if len(v.Sent) == 0 {
		return Result{Verdict: Skip, Summary: "no trigger in the fragment"}
	}
	var lat []int64
	refused, errs := 0, 0
	first, last := v.Sent[0].IntendedNs, v.Sent[0].IntendedNs
	var late int64
	for _, s := range v.Sent {
		first, last = min(first, s.IntendedNs), max(last, s.IntendedNs)
		late = max(late, s.SentNs-s.IntendedNs)
		switch {
		case s.Err != trace.ErrNone:
			errs++
		case !accepted(s):
			refused++
		}
		lat = append(lat, s.SentNs-s.IntendedNs+s.LatencyNs)
	}
	rate := ""
	if span := time.Duration(last - first); span > 0 {
		rate = fmt.Sprintf(", %.0f/s over %s", float64(len(v.Sent)-1)/span.Seconds(), span.Round(time.Millisecond))
	}
	return Result{Verdict: Info, Summary: fmt.Sprintf("%d triggers%s: trigger API p50 %s p99 %s (from intended send time), %d refused, %d errors, worst send lateness %s",
		len(v.Sent), rate, ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), refused, errs, ms(late))}
}

// check 11.1
func checkBacklogDelivered(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return completeness(sc.Main(), p, reachAll, false, "events triggered while the endpoint was down")
}

// check 11.2
func checkBacklogOrder(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if !v.HasIDs() {
		return Result{Verdict: Skip, Summary: "deliveries carry no event id: order cannot be told"}
	}
	done := map[string]int64{}
	for _, d := range v.Deliveries() {
		for _, a := range d.Attempts {
			if delivered(p, a) {
				done[d.EventID] = a.ArrivalNs
				break
			}
		}
	}
	var order []*trace.Sent
	for _, s := range v.Originals() {
		if _, ok := done[s.EventID]; ok {
			order = append(order, s)
		}
	}
	if len(order) < 2 {
		return Result{Verdict: Skip, Summary: "fewer than two events delivered"}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].IntendedNs < order[j].IntendedNs })
	inv := 0
	for i := 1; i < len(order); i++ {
		if done[order[i].EventID] < done[order[i-1].EventID] {
			inv++
		}
	}
	if inv == 0 {
		return Result{Verdict: Info, Summary: fmt.Sprintf("the %d backlogged events were delivered in trigger order", len(order))}
	}
	return Result{Verdict: Info, Summary: fmt.Sprintf("%d of %d backlogged events were delivered before an event triggered earlier: consumers must not rely on order", inv, len(order))}
}

// check 11.3
func checkRestartKeepsPending(tr *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	var restart int64 = -1
	for i := range tr.Marks {
		m := &tr.Marks[i]
		if m.Type == trace.ProviderMark && m.Name == trace.ProviderRestart && m.AtNs >= v.Frag.StartNs && m.AtNs < v.Frag.EndNs {
			restart = m.AtNs
			break
		}
	}
	if restart < 0 {
		return Result{Verdict: Skip, Summary: "the provider was not restarted in this fragment"}
	}
	before := &View{Frag: v.Frag, Attempts: v.Attempts, Marks: v.Marks}
	for _, s := range v.Sent {
		if s.SentNs+s.LatencyNs < restart {
			before.Sent = append(before.Sent, s)
		}
	}
	r := completeness(before, p, reachAll, false, "events accepted before the restart")
	if !p.Persistent && r.Verdict == Fail {
		r.Verdict = Info
		r.Summary = "the provider does not claim persistence: " + r.Summary
	}
	return r
}
