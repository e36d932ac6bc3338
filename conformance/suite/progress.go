package suite

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
)

// ProgressEvery is how often Options.OnProgress hears from a run between
// fragments finishing.
const ProgressEvery = 250 * time.Millisecond

// Plan is what a run is about to do. Options.OnPlan receives it once the
// provider is set up, before the first fragment starts.
type Plan struct {
	// Policy is the policy the provider is graded against (effective:
	// durations already time-scaled).
	Policy policy.Policy
	// Fragments are the fragments the selected checks read, in plan order.
	Fragments []PlannedFragment
	// Estimate is how long the fragments take against a provider that
	// keeps the policy: per batch, the longest of the fragments that run
	// side by side plus those that run one after another.
	Estimate time.Duration
}

// PlannedFragment is one fragment of a Plan.
type PlannedFragment struct {
	ID string
	// Checks are the selected checks that read the fragment.
	Checks []string
	// Expected is how long the fragment takes against a provider that
	// keeps the policy (each retry in the middle of its jitter band): its
	// declared waits. A provider breaking the policy may keep it longer.
	Expected time.Duration
	// Skip says why the fragment will not run ("" = it will).
	Skip string
}

// Longest returns up to n of the fragments that run, the longest first.
func (p *Plan) Longest(n int) []PlannedFragment {
	var out []PlannedFragment
	for _, f := range p.Fragments {
		if f.Skip == "" && f.Expected > 0 {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b PlannedFragment) int { return cmp.Compare(b.Expected, a.Expected) })
	return out[:min(n, len(out))]
}

// Progress is how far a run has come. Options.OnProgress receives it when
// a fragment finishes and every ProgressEvery in between.
type Progress struct {
	// Done fragments finished (graded, skipped or interrupted) of Total.
	Done, Total int
	// Elapsed is the time since the run began.
	Elapsed time.Duration
	// Remaining is the time the plan still expects the run to take: the
	// fragments not begun at their expected durations, those running for
	// what is left of theirs.
	Remaining time.Duration
	// Overdue is how long the fragment furthest past its expected
	// duration has been waiting beyond it (0 when none is): a provider
	// slower than its policy, or one that never sends what a fragment
	// waits for.
	Overdue time.Duration
	// Finished is the fragment that just finished; nil for a periodic
	// update.
	Finished *FragmentRun
}

// tracker follows a run's fragments against its plan.
type tracker struct {
	on    func(Progress)
	begin time.Time

	mu sync.Mutex // guards the fields below
	// phases are the groups fragments run in: side by side (every
	// fragment at once) or one after another (seq).
	phases   []phase
	expected map[string]time.Duration
	started  map[string]time.Time
	finished map[string]bool
	done     int
	total    int
}

type phase struct {
	seq bool
	ids []string
}

// plan builds the run's Plan and the tracker that follows it. batches are
// the fragments as they will run.
func (e *env) plan(batches [][]*fragmentPlan, begin time.Time) (*Plan, *tracker) {
	t := &tracker{on: e.o.OnProgress, begin: begin, expected: map[string]time.Duration{}, started: map[string]time.Time{}, finished: map[string]bool{}}
	p := &Plan{Policy: e.p}
	readers := map[string][]string{}
	for _, ch := range conformance.Checks() {
		if e.o.Eval.Selected(ch.ID) {
			for _, f := range ch.Fragments {
				readers[f] = append(readers[f], ch.ID)
			}
		}
	}
	for _, b := range batches {
		first, last, seq := e.split(b)
		for _, fp := range b {
			pf := PlannedFragment{ID: fp.ID, Checks: readers[fp.ID]}
			if fp.Needs != nil {
				pf.Skip = fp.Needs(e)
			}
			if pf.Skip == "" {
				pf.Expected = fp.expected(e)
			}
			t.expected[fp.ID] = pf.Expected
			p.Fragments = append(p.Fragments, pf)
		}
		t.phases = append(t.phases, phase{seq: seq, ids: ids(first)}, phase{seq: true, ids: ids(last)})
		t.total += len(b)
	}
	p.Estimate = t.remaining(begin)
	return p, t
}

func ids(fs []*fragmentPlan) []string {
	out := make([]string, len(fs))
	for i, fp := range fs {
		out[i] = fp.ID
	}
	return out
}

// rerun adds fragments run again, one after another.
func (t *tracker) rerun(again []*fragmentPlan) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, fp := range again {
		delete(t.finished, fp.ID)
		delete(t.started, fp.ID)
	}
	t.phases = append(t.phases, phase{seq: true, ids: ids(again)})
	t.total += len(again)
}

func (t *tracker) start(id string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.started[id] = time.Now()
}

// finish records a finished fragment and tells the caller.
func (t *tracker) finish(r FragmentRun) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.finished[r.ID] = true
	t.done++
	p := t.progressLocked(time.Now())
	t.mu.Unlock()
	p.Finished = &r
	if t.on != nil {
		t.on(p)
	}
}

// tick tells the caller how far the run is, every ProgressEvery until
// stop is closed.
func (t *tracker) tick(stop <-chan struct{}) {
	if t == nil || t.on == nil {
		return
	}
	tk := time.NewTicker(ProgressEvery)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tk.C:
			t.mu.Lock()
			p := t.progressLocked(now)
			t.mu.Unlock()
			t.on(p)
		}
	}
}

func (t *tracker) remaining(now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.progressLocked(now).Remaining
}

func (t *tracker) progressLocked(now time.Time) Progress {
	p := Progress{Done: min(t.done, t.total), Total: t.total, Elapsed: now.Sub(t.begin)}
	for _, ph := range t.phases {
		var part time.Duration
		for _, id := range ph.ids {
			if t.finished[id] {
				continue
			}
			left := t.expected[id]
			if st, ok := t.started[id]; ok {
				ran := now.Sub(st)
				p.Overdue = max(p.Overdue, ran-left)
				left = max(0, left-ran)
			}
			if ph.seq {
				part += left
			} else {
				part = max(part, left)
			}
		}
		p.Remaining += part
	}
	return p
}
