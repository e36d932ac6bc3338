package suite

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
)

// TestRunInterrupted cancels the run as soon as the deliver fragment has
// finished: its checks are graded, the checks of every fragment still
// running or not begun SKIP as interrupted, and the report says so. The
// backoff fragment cannot have finished by then: it waits at least the
// policy's whole schedule (seconds), deliver a first retry's delay.
func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		only []string
		set  func(*Options)
		// cut are the fragments that must end interrupted.
		cut []string
	}{
		{name: "side by side", only: []string{"1.1", "1.2", "3.1"}, cut: []string{conformance.FragBackoff}},
		{name: "one after another", only: []string{"1.1", "3.1", "3.2"}, set: func(o *Options) { o.Sequential = true }, cut: []string{conformance.FragBackoff}},
		{name: "later batch", only: []string{"1.1", "3.1"}, set: func(o *Options) { o.MaxEndpoints = 1 }, cut: []string{conformance.FragBackoff}},
		{name: "alone after the others", only: []string{"1.1", "3.1", "11.3"}, set: func(o *Options) { o.IsolateReference = false },
			cut: []string{conformance.FragBackoff, conformance.FragRestart}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := testOptions("")
			o.Eval.Only = tc.only
			if tc.set != nil {
				tc.set(&o)
			}
			var mu sync.Mutex
			var plan Plan
			var last Progress
			o.OnPlan = func(p Plan) { plan = p }
			o.OnProgress = func(p Progress) {
				mu.Lock()
				defer mu.Unlock()
				last = p
				if p.Finished != nil && p.Finished.ID == conformance.FragDeliver {
					cancel()
				}
			}
			rep, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Interrupted {
				t.Error("the report does not say the run was interrupted")
			}
			if len(plan.Fragments) != 1+len(tc.cut) || plan.Estimate <= 0 {
				t.Errorf("plan %+v", plan)
			}
			mu.Lock()
			if last.Done != last.Total || last.Total != len(plan.Fragments) {
				t.Errorf("last progress %+v, want every one of %d fragments done", last, len(plan.Fragments))
			}
			mu.Unlock()
			for _, f := range rep.Fragments {
				want := ""
				if slices.Contains(tc.cut, f.ID) {
					want = conformance.SkipInterrupted
				}
				if f.Skip != want {
					t.Errorf("fragment %s: skip %q, want %q", f.ID, f.Skip, want)
				}
			}
			frags, err := conformance.ParseFragments(rep.Trace)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range append([]string{conformance.FragDeliver}, tc.cut...) {
				if frags[id] == nil || !frags[id].Closed {
					t.Errorf("the trace has no closed fragment %s", id)
				}
			}
			byID := map[string]conformance.Check{}
			for _, c := range conformance.Checks() {
				byID[c.ID] = c
			}
			for _, r := range rep.Results {
				cut := slices.ContainsFunc(byID[r.ID].Fragments, func(f string) bool { return slices.Contains(tc.cut, f) })
				switch {
				case cut && (r.Verdict != conformance.Skip || !strings.HasPrefix(r.Summary, "interrupted")):
					t.Errorf("%s reads an interrupted fragment: %s %q, want SKIP interrupted", r.ID, r.Verdict, r.Summary)
				case !cut && r.Verdict != conformance.Pass:
					t.Errorf("%s reads a finished fragment: %s %q, want PASS", r.ID, r.Verdict, r.Summary)
				}
			}
		})
	}
}

// TestTrackerRemaining: side-by-side fragments count for the longest of
// them, one-by-one fragments for their sum; a running fragment for what is
// left of its expected time, and past it as overdue.
func TestTrackerRemaining(t *testing.T) {
	t.Parallel()
	const s = time.Second
	begin := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return begin.Add(d) }
	for _, tc := range []struct {
		name     string
		started  map[string]time.Duration
		finished []string
		now      time.Duration
		left     time.Duration
		overdue  time.Duration
	}{
		{name: "not begun", left: 10*s + 3*s + 4*s},
		{name: "side by side running", started: map[string]time.Duration{"a": 0, "b": 0, "c": 0}, finished: []string{"a"}, now: 4 * s, left: 6*s + 7*s},
		{name: "the longest done", started: map[string]time.Duration{"a": 0, "b": 0, "c": 0}, finished: []string{"c"}, now: 1 * s, left: 4*s + 7*s},
		{name: "one by one", started: map[string]time.Duration{"a": 0, "b": 0, "c": 0, "d": 11 * s}, finished: []string{"a", "b", "c"}, now: 12 * s, left: 2*s + 4*s},
		{name: "overdue", started: map[string]time.Duration{"a": 0, "b": 0, "c": 0, "d": 11 * s, "e": 14 * s}, finished: []string{"a", "b", "c", "d"}, now: 20 * s, overdue: 2 * s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tracker{begin: begin, started: map[string]time.Time{}, finished: map[string]bool{},
				expected: map[string]time.Duration{"a": 2 * s, "b": 5 * s, "c": 10 * s, "d": 3 * s, "e": 4 * s},
				phases:   []phase{{ids: []string{"a", "b", "c"}}, {seq: true, ids: []string{"d", "e"}}}, total: 5}
			for id, d := range tc.started {
				tr.started[id] = at(d)
			}
			for _, id := range tc.finished {
				tr.finished[id] = true
				tr.done++
			}
			p := tr.progressLocked(at(tc.now))
			if p.Remaining != tc.left || p.Overdue != tc.overdue || p.Elapsed != tc.now || p.Done != len(tc.finished) || p.Total != 5 {
				t.Errorf("progress %+v, want %v left, %v overdue", p, tc.left, tc.overdue)
			}
		})
	}
}
