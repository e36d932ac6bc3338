package conformance

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// A provider shared by fragments running side by side can let one disturb
// another: a provider that delivers one request at a time is held by a
// hanging endpoint, so the others' deliveries come after they stopped
// waiting; a provider that applies configuration by reloading cuts the
// requests in flight when another fragment adds or removes an endpoint.
// The verdicts of the disturbed fragment then judge the neighbour, not the
// provider's rule. Both leave marks in the trace, so the checks see them
// offline too.

const (
	// holdMin is how long the sink must hold an attempt (a hanging or slow
	// endpoint) for it to count as holding a provider that delivers one
	// request at a time: far above any plain answer, even on a loaded
	// machine.
	holdMin = 500 * time.Millisecond
	// cutMargin is how long after a change of endpoints ends a cut attempt
	// is still put down to it (a reload takes effect after the API call
	// that asked for it returned).
	cutMargin = 500 * time.Millisecond
)

// Interference is what a trace shows of other fragments disturbing one
// fragment that shared their provider.
type Interference struct {
	Fragment string
	// Late counts deliveries of the fragment's events that arrived after
	// it closed while Holder, a fragment running beside it, held the
	// provider with answers the sink held for up to Held.
	Late   int
	Holder string
	Held   time.Duration
	// Blocked: Holder held the provider while the fragment waited, so
	// deliveries it was owed may have queued behind the hold, some past
	// the end of the run.
	Blocked bool
	// Cut counts attempts at the fragment's endpoints that the provider
	// cut off (closed before the sink answered) during, or just after, a
	// change of endpoints another fragment (Changer; "" = the suite's own
	// setup or teardown) made while the fragment ran. Change says what.
	Cut     int
	Changer string
	Change  string
}

// String says what was seen, in one line.
func (i *Interference) String() string {
	var parts []string
	if i.Blocked && i.Late == 0 {
		parts = append(parts, fmt.Sprintf("fragment %s held the provider (an answer held for %s) while this fragment waited for deliveries",
			i.Holder, i.Held.Round(time.Millisecond)))
	}
	if i.Late > 0 {
		parts = append(parts, fmt.Sprintf("%d deliver%s for this fragment arrived after it closed while fragment %s held the provider (answers held up to %s)",
			i.Late, plural(i.Late, "y", "ies"), i.Holder, i.Held.Round(time.Millisecond)))
	}
	if i.Cut > 0 {
		who := "the suite"
		if i.Changer != "" {
			who = "fragment " + i.Changer
		}
		parts = append(parts, fmt.Sprintf("the provider cut off %d attempt%s while %s changed endpoints (%s)", i.Cut, plural(i.Cut, "", "s"), who, i.Change))
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// DetectInterference returns, by fragment id, the fragments of the trace
// that other fragments disturbed (see Interference). Fragments that had a
// provider of their own, or did not run, are never disturbed.
func DetectInterference(tr *trace.Trace) (map[string]*Interference, error) {
	frags, err := ParseFragments(tr)
	if err != nil {
		return nil, err
	}
	return detectInterference(tr, frags), nil
}

type configWindow struct {
	owner, what string
	start, end  int64
}

type hold struct {
	frag       *Fragment
	start, end int64
}

func detectInterference(tr *trace.Trace, frags map[string]*Fragment) map[string]*Interference {
	var active []*Fragment
	owner := map[string]*Fragment{}
	for _, f := range frags {
		if f.Superseded {
			continue
		}
		active = append(active, f)
		for _, ep := range f.Endpoints {
			owner[ep] = f
		}
	}
	if len(active) < 2 {
		return nil
	}
	sort.Slice(active, func(i, j int) bool { return active[i].ID < active[j].ID })

	var holds []hold
	for i := range tr.Attempts {
		a := &tr.Attempts[i]
		if g := owner[a.Endpoint]; g != nil && !g.OwnProvider && a.HandleNs >= int64(holdMin) {
			holds = append(holds, hold{g, a.ArrivalNs, a.ArrivalNs + a.HandleNs})
		}
	}
	windows := configWindows(tr)

	out := map[string]*Interference{}
	for _, f := range active {
		if f.OwnProvider || f.Skip != "" {
			continue
		}
		eps := map[string]bool{}
		for _, ep := range f.Endpoints {
			eps[ep] = true
		}
		in := &Interference{Fragment: f.ID}
		for i := range tr.Attempts {
			a := &tr.Attempts[i]
			if !eps[a.Endpoint] {
				continue
			}
			mine := f.EventPrefix != "" && strings.HasPrefix(a.EventID, f.EventPrefix)
			// An attempt without a harness id at the fragment's endpoint
			// after it closed can only be for its events too; the checks,
			// which place such attempts by time, do not see it at all.
			if (mine || a.EventID == "") && f.Closed && a.ArrivalNs >= f.EndNs {
				if h := holderOf(holds, f, a.ArrivalNs); h != nil {
					in.Late++
					if held := time.Duration(h.end - h.start); held > in.Held || in.Holder == "" {
						in.Holder, in.Held = h.frag.ID, held
					}
				}
			}
			if !a.Has(trace.FlagProviderGaveUp) || !(mine || a.ArrivalNs >= f.StartNs && a.ArrivalNs < f.EndNs) {
				continue
			}
			cut := a.ArrivalNs + a.HandleNs
			if cut >= f.EndNs {
				continue // the fragment had stopped collecting evidence
			}
			// The change the cut is put down to is the latest begun.
			var by *configWindow
			for k := range windows {
				w := &windows[k]
				if w.owner != f.ID && cut >= w.start && cut <= w.end+int64(cutMargin) && (by == nil || w.start > by.start) {
					by = w
				}
			}
			if by != nil {
				if in.Cut == 0 {
					in.Changer, in.Change = by.owner, by.what
				}
				in.Cut++
			}
		}
		// A hold while the fragment waited: what it waited for may have
		// queued behind the hold, some of it past the end of the run where
		// no trace shows it. Holds come from hanging fragments only, which
		// run apart from the rest on a shared provider: this is seen only
		// when they ran beside the others.
		if f.Closed {
			for k := range holds {
				h := &holds[k]
				if h.frag == f || h.start >= f.EndNs || h.end <= f.StartNs {
					continue
				}
				if overlap := min(h.end, f.EndNs) - max(h.start, f.StartNs); overlap >= int64(holdMin) {
					in.Blocked = true
					if held := time.Duration(h.end - h.start); in.Holder == "" || (in.Late == 0 && held > in.Held) {
						in.Holder, in.Held = h.frag.ID, held
					}
				}
			}
		}
		if in.Late > 0 || in.Cut > 0 || in.Blocked {
			out[f.ID] = in
		}
	}
	return out
}

// holderOf returns a hold by another fragment running beside f that
// overlapped f's wait for a delivery arriving at arrival: it began before f
// closed and before the delivery came, and ended after f opened.
func holderOf(holds []hold, f *Fragment, arrival int64) *hold {
	var best *hold
	for i := range holds {
		h := &holds[i]
		g := h.frag
		if g == f || g.StartNs >= f.EndNs || f.StartNs >= g.EndNs {
			continue
		}
		if h.start < f.EndNs && h.start < arrival && h.end > f.StartNs {
			if best == nil || h.end-h.start > best.end-best.start {
				best = h
			}
		}
	}
	return best
}

// configWindows pairs the trace's config marks with their ends (by owner,
// in order); a window never closed lasts to the end of the trace.
func configWindows(tr *trace.Trace) []configWindow {
	var out []configWindow
	open := map[string][]int{}
	for i := range tr.Marks {
		m := &tr.Marks[i]
		switch m.Type {
		case ConfigMark:
			open[m.Name] = append(open[m.Name], len(out))
			out = append(out, configWindow{owner: m.Name, what: m.Detail, start: m.AtNs, end: -1})
		case ConfigEndMark:
			if q := open[m.Name]; len(q) > 0 {
				out[q[0]].end = m.AtNs
				open[m.Name] = q[1:]
			}
		}
	}
	for i := range out {
		if out[i].end < 0 {
			out[i].end = 1<<63 - 1 - int64(cutMargin)
		}
	}
	return out
}

// contentGroup reports whether a check's group judges what deliveries
// carry (signatures, payload bytes, CloudEvents attributes) rather than
// whether and when they came: interference does not change those verdicts.
func contentGroup(id string) bool {
	switch GroupOf(id) {
	case 6, 9, 12:
		return true
	}
	return false
}

// unjudged turns a FAIL or WARN of a check reading a disturbed fragment
// into a SKIP that says what disturbed it: the missing or late deliveries
// it saw are the neighbour's doing as much as the provider's. The original
// verdict and evidence stay in the summary and evidence. A SKIP says what
// disturbed the fragment too (its evidence may have come too late).
func unjudged(c *Check, r Result, inter map[string]*Interference) Result {
	if r.Verdict != Fail && r.Verdict != Warn && r.Verdict != Skip || contentGroup(c.ID) {
		return r
	}
	var seen []string
	for _, name := range c.Fragments {
		if in := inter[name]; in != nil {
			what := in.String()
			if len(c.Fragments) > 1 {
				what = "fragment " + name + ": " + what
			}
			seen = append(seen, what)
		}
	}
	if len(seen) == 0 {
		return r
	}
	if r.Verdict == Skip {
		r.Summary += " (interference from fragments sharing the provider: " + strings.Join(seen, "; ") + ")"
		return r
	}
	return Result{Verdict: Skip, Evidence: r.Evidence,
		Summary: fmt.Sprintf("interference from fragments sharing the provider: %s; not judged (it would have been %s: %s); run the fragment alone (--isolate or --sequential)",
			strings.Join(seen, "; "), r.Verdict, r.Summary)}
}

// teardownTrimmed reports whether a check reads its fragments' attempts
// only up to their teardown (see View.BeforeTeardown): the retry, backoff,
// Retry-After and timeout checks, which take attempts as evidence of a
// schedule. 2.5 ("a permanent 4xx is not retried") is about what must
// never arrive: any retry is evidence, whenever it came.
func teardownTrimmed(id string) bool {
	switch g := GroupOf(id); {
	case id == "2.5":
		return false
	case g >= 2 && g <= 5:
		return true
	}
	return false
}
