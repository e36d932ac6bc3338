package conformance

import (
	"fmt"
	"sort"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// latencies returns, for each accepted original trigger that arrived, the
// time from its intended send to its first arrival at any fragment endpoint.
func latencies(v *View) (lat []int64, slowest *Delivery) {
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
		l := d.Attempts[0].ArrivalNs - s.IntendedNs
		lat = append(lat, l)
		if l > worst {
			worst, slowest = l, d
		}
	}
	return lat, slowest
}

func latencyCheck(v *View, q float64, limit time.Duration, name string) Result {
	if !v.HasIDs() {
		return Result{Verdict: Skip, Summary: "deliveries carry no event id: latency needs each delivery matched to its trigger"}
	}
	lat, slowest := latencies(v)
	if len(lat) == 0 {
		return Result{Verdict: Skip, Summary: "no triggered event arrived"}
	}
	got := percentile(lat, q)
	if limit <= 0 {
		return Result{Verdict: Info, Summary: fmt.Sprintf("%s end-to-end latency %s over %d events (the policy declares no %s threshold)", name, ms(got), len(lat), name)}
	}
	if got > int64(limit) {
		e := evidence(slowest, fmt.Sprintf("%s intended trigger → first arrival ≤ %s", name, limit), fmt.Sprintf("%s %s; slowest event %s", name, ms(got), ms(slowest.Attempts[0].ArrivalNs-slowest.Sent.IntendedNs)))
		return Result{Verdict: Fail, Summary: fmt.Sprintf("%s latency %s over %d events exceeds the declared %s", name, ms(got), len(lat), limit), Evidence: []Evidence{e}}
	}
	return Result{Verdict: Pass, Summary: fmt.Sprintf("%s latency %s ≤ %s over %d events", name, ms(got), limit, len(lat))}
}

// check 10.1
func checkLatencyP50(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return latencyCheck(sc.Main(), 0.50, p.LatencyP50, "p50")
}

// check 10.2
func checkLatencyP99(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return latencyCheck(sc.Main(), 0.99, p.LatencyP99, "p99")
}

// check 10.3
func checkNoLossUnderLoad(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return completeness(sc.Main(), p, reachAll, false, "events under load")
}

// check 10.4
func checkTriggerAPI(_ *trace.Trace, _ *Policy, sc *Scope) Result {
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
func checkBacklogDelivered(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return completeness(sc.Main(), p, reachAll, false, "events triggered while the endpoint was down")
}

// check 11.2
func checkBacklogOrder(_ *trace.Trace, p *Policy, sc *Scope) Result {
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
func checkRestartKeepsPending(tr *trace.Trace, p *Policy, sc *Scope) Result {
	v := sc.Main()
	var restart int64 = -1
	for i := range tr.Marks {
		m := &tr.Marks[i]
		if m.Type == ProviderMark && m.Name == "restart" && m.AtNs >= v.Frag.StartNs && m.AtNs < v.Frag.EndNs {
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
