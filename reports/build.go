package reports

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// summarize builds the Summary at Close.
func (r *Report) summarize() *Summary {
	s := &Summary{
		Version:  r.opts.Version,
		Runs:     r.runs,
		Start:    r.base,
		Duration: time.Duration(r.clock),
		Counts:   r.counts,
		Match: MatchStats{
			Entries:     r.opts.MatchEntries,
			Rotations:   r.sent.rotations + r.deliv.rotations,
			Evicted:     r.sent.evicted + r.deliv.evicted,
			EvictedOpen: r.evictedOpen,
		},
		Marks: r.marks,
		hlogs: r.hlogs,
	}
	if s.Runs == nil {
		s.Runs = []Run{}
	}
	if s.Marks == nil {
		s.Marks = []Mark{}
	}
	names := Metrics()
	for m := range nMetric {
		d := dist(names[m], r.metrics[m], r.oor[m], true)
		s.Metrics = append(s.Metrics, d)
	}
	s.Endpoints = r.eps.summarize(names)
	s.EventTypes = r.types.summarize(names)
	s.StatusCodes = []CodeCount{}
	for code, n := range r.status {
		if n > 0 {
			s.StatusCodes = append(s.StatusCodes, CodeCount{Code: code, Count: n})
		}
	}
	s.Signatures = []SigCount{}
	for v, n := range r.sig {
		if n > 0 {
			s.Signatures = append(s.Signatures, SigCount{Result: trace.SigResult(v).String(), Count: n})
		}
	}
	s.Series = Series{Step: time.Duration(r.series.step), Approx: r.series.approx, Points: make([]Point, len(r.series.pts))}
	for i, p := range r.series.pts {
		pt := Point{
			T:             time.Duration(int64(i) * r.series.step),
			Sent:          p.sent,
			SentFailed:    p.sentFailed,
			Attempts:      p.attempts,
			FirstArrivals: p.first,
			Successes:     p.succ,
			Status2xx:     p.status[0],
			Status3xx:     p.status[1],
			Status4xx:     p.status[2],
			Status5xx:     p.status[3],
			StatusNone:    p.status[4],
			Latency:       make([]Quick, nMetric),
		}
		for m, q := range p.lat {
			pt.Latency[m] = Quick{N: q.n, P50: time.Duration(q.p50), P90: time.Duration(q.p90), P99: time.Duration(q.p99), Max: time.Duration(q.max)}
		}
		s.Series.Points[i] = pt
	}
	s.Spans = spans(r.marks, s.Duration)
	s.Timelines = r.timelineList()
	s.Warnings = r.warnings(s)
	return s
}

// dist summarises one histogram.
func dist(name string, h *hist, oor int64, plot bool) Dist {
	d := Dist{Name: name, Count: h.total, OutOfRange: oor, Percentiles: []Percentile{}}
	if h.total == 0 {
		return d
	}
	lh := h.lib()
	d.Min, d.Max = time.Duration(h.min), time.Duration(h.max)
	d.Mean, d.StdDev = time.Duration(lh.Mean()), time.Duration(lh.StdDev())
	ps := Percentiles()
	vals := make([]int64, len(ps))
	h.percentiles(ps, vals)
	for i, p := range ps {
		d.Percentiles = append(d.Percentiles, Percentile{P: p, Value: time.Duration(vals[i]), Count: h.countAtOrBelow(vals[i])})
	}
	if plot {
		for _, b := range lh.CumulativeDistributionWithTicks(5) {
			d.Plot = append(d.Plot, Percentile{P: b.Quantile, Value: time.Duration(b.ValueAt), Count: b.Count})
		}
	}
	return d
}

// countAtOrBelow counts recorded values in buckets at or below v's.
func (h *hist) countAtOrBelow(v int64) int64 {
	if v >= h.max {
		return h.total
	}
	last := h.g.index(v)
	var n int64
	for idx := h.lo; idx <= last && idx <= h.hi; idx++ {
		n += h.count(idx)
	}
	return n
}

func (gs *groupSet) summarize(names []string) []Group {
	out := make([]Group, 0, len(gs.list))
	for _, g := range gs.list {
		grp := Group{Name: g.name, Counts: g.c, Metrics: []Dist{}}
		for _, m := range gs.metrics {
			grp.Metrics = append(grp.Metrics, dist(names[m], g.m[m], g.oor[m], false))
		}
		out = append(out, grp)
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		if a.Name == NameOther || b.Name == NameOther {
			return cmp.Compare(boolInt(a.Name == NameOther), boolInt(b.Name == NameOther))
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// spans turns phase, fragment and behaviour marks into stretches of time.
func spans(marks []Mark, end time.Duration) []Span {
	out := []Span{}
	open := map[string]int{} // kind key → index in out
	for _, m := range marks {
		var key string
		switch m.Type {
		case trace.PhaseMark, trace.FragmentMark:
			key = m.Type
		case trace.BehaviorMark:
			key = trace.BehaviorMark + "\x00" + m.Name
		default:
			continue
		}
		if i, ok := open[key]; ok {
			out[i].End = m.At
		}
		open[key] = len(out)
		out = append(out, Span{Type: m.Type, Name: m.Name, Detail: m.Detail, Start: m.At, End: end})
	}
	for i := range out {
		if out[i].End < out[i].Start {
			out[i].End = out[i].Start
		}
	}
	return out
}

func (r *Report) timelineList() []Timeline {
	out := make([]Timeline, 0, len(r.timelines))
	for _, t := range r.timelines {
		reason := "tracked"
		switch {
		case !t.succeeded:
			reason = "failed"
		case t.retried:
			reason = "retried"
		}
		tl := Timeline{
			EventID:   t.event,
			Endpoint:  t.endpoint,
			Type:      t.typ,
			Intended:  -1,
			Succeeded: t.succeeded,
			Reason:    reason,
			Total:     t.total,
			Earlier:   t.earlier,
			Attempts:  t.attempts,
		}
		if t.hasIntended {
			tl.Intended = time.Duration(t.intended)
		}
		out = append(out, tl)
	}
	slices.SortFunc(out, func(a, b Timeline) int {
		return cmp.Or(
			cmp.Compare(reasonRank(a.Reason), reasonRank(b.Reason)),
			cmp.Compare(firstAt(a), firstAt(b)),
			cmp.Compare(a.EventID, b.EventID),
			cmp.Compare(a.Endpoint, b.Endpoint),
		)
	})
	return out
}

func reasonRank(r string) int {
	switch r {
	case "failed":
		return 0
	case "retried":
		return 1
	}
	return 2
}

func firstAt(t Timeline) time.Duration {
	if len(t.Attempts) == 0 {
		return 0
	}
	return t.Attempts[0].At
}

func (r *Report) warnings(s *Summary) []string {
	w := []string{}
	if s.Match.EvictedOpen > 0 {
		w = append(w, "matching window exceeded: "+itoa(s.Match.EvictedOpen)+" event or delivery states were dropped while still open; undelivered/unknown counts and the latencies of those deliveries are approximate (raise --match-entries)")
	}
	if s.Counts.DeliveriesNoFirst > 0 {
		w = append(w, itoa(s.Counts.DeliveriesNoFirst)+" deliveries had later attempts but no first one (Nth 1) in the trace or the matching window")
	}
	for _, run := range s.Runs {
		if run.Dropped > 0 {
			w = append(w, "trace "+run.Source+" ends in a truncated record ("+itoa(run.Dropped)+" bytes ignored)")
		}
	}
	for i, d := range s.Metrics {
		if d.OutOfRange > 0 {
			w = append(w, itoa(d.OutOfRange)+" values of "+Metrics()[i]+" were negative or above 1h and not recorded")
		}
	}
	if s.Counts.BadTimes > 0 {
		w = append(w, itoa(s.Counts.BadTimes)+" records have times outside the first 30 days and are left out of the time series")
	}
	if s.Series.Approx {
		w = append(w, "the run was long enough to coarsen the time series; merged intervals show the larger percentiles")
	}
	if int64(len(r.marks)) < s.Counts.Marks {
		w = append(w, "only the first "+itoa(int64(len(r.marks)))+" marks are kept")
	}
	if r.eps.other >= 0 {
		w = append(w, "more than "+itoa(int64(r.opts.MaxGroups))+" endpoints: the rest are counted as "+NameOther)
	}
	if r.types.other >= 0 {
		w = append(w, "more than "+itoa(int64(r.opts.MaxGroups))+" event types: the rest are counted as "+NameOther)
	}
	return w
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
