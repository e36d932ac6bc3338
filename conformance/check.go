package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// Level is the strength of the rule a check enforces.
type Level uint8

// Levels, after RFC 2119. A Must check fails on a breach; a Should check
// warns (and fails with Options.Strict); an Informational check only reports.
const (
	Must Level = iota
	Should
	Informational
)

// String returns "MUST", "SHOULD" or "INFO".
func (l Level) String() string {
	switch l {
	case Must:
		return "MUST"
	case Should:
		return "SHOULD"
	}
	return "INFO"
}

// Check is one numbered rule of the suite. Run is a pure function: it reads
// only the trace, the declared policy and the scope it is given (never the
// network or a clock), so a saved trace gives the same verdicts offline.
type Check struct {
	ID     string // stable, "group.n", e.g. "3.2"
	Title  string // the requirement in one line
	Source string // where the rule comes from (spec section, provider documentation)
	Level  Level
	// Fragments names the suite fragments whose part of the trace the
	// check reads (the first is its main one). See Fragment.
	Fragments []string
	// Uses lists the Policy fields the verdict depends on (json names).
	Uses []string
	Run  func(tr *trace.Trace, p *policy.Policy, sc *Scope) Result
}

// Group is a numbered area of the suite.
type Group struct {
	N     int
	Title string
}

// Groups returns the suite's areas in order.
func Groups() []Group {
	return []Group{
		{1, "Delivery and completeness"},
		{2, "Retry triggers"},
		{3, "Backoff shape"},
		{4, "Retry-After, 429 and 503"},
		{5, "Timeouts"},
		{6, "Signatures and replay"},
		{7, "Idempotency and duplicates"},
		{8, "Endpoint lifecycle"},
		{9, "Payload fidelity"},
		{10, "Load and latency"},
		{11, "Failure recovery"},
		{12, "CloudEvents and abuse protection"},
	}
}

// GroupOf returns the group number of a check id ("3.2" → 3), 0 when the
// id has no number in front.
func GroupOf(id string) int {
	g, _, _ := strings.Cut(id, ".")
	n, err := strconv.Atoi(g)
	if err != nil {
		return 0
	}
	return n
}

// DefaultSlack is the timing noise a check tolerates around an expected
// instant (scheduling, loopback, a loaded CI machine). Early is judged with
// the slack; late with the slack plus a fraction of the expected delay.
const DefaultSlack = 25 * time.Millisecond

// Options selects and tunes an evaluation.
type Options struct {
	// Only runs just these ids or groups ("3" = every 3.x, "6.2" = one
	// check); empty = all.
	Only []string
	// Skip leaves these ids or groups out.
	Skip []string
	// Strict turns WARN into FAIL, as h2spec --strict enforces SHOULD.
	Strict bool
	// Slack is the timing tolerance; 0 = DefaultSlack.
	Slack time.Duration
}

// Validate reports an id pattern that matches no check.
func (o *Options) Validate() error {
	if o.Slack < 0 {
		return fmt.Errorf("conformance: slack is negative (%v)", o.Slack)
	}
	checks := Checks()
	for _, list := range [][]string{o.Only, o.Skip} {
		for _, pat := range list {
			ok := false
			for i := range checks {
				if matchID(pat, checks[i].ID) {
					ok = true
					break
				}
			}
			if !ok {
				return fmt.Errorf("conformance: %q matches no check (ids look like 3 or 6.2)", pat)
			}
		}
	}
	return nil
}

// matchID reports whether pattern selects id: equal, or a prefix ending at
// a dot boundary ("3" selects "3.1", not "31.1").
func matchID(pattern, id string) bool {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return false
	}
	return id == pattern || strings.HasPrefix(id, pattern+".")
}

// Selected reports whether the options select check id.
func (o *Options) Selected(id string) bool {
	if len(o.Only) > 0 && !slices.ContainsFunc(o.Only, func(p string) bool { return matchID(p, id) }) {
		return false
	}
	return !slices.ContainsFunc(o.Skip, func(p string) bool { return matchID(p, id) })
}

// Evaluate runs the selected checks on a trace against a declared policy and
// returns their results in id order. Fragments are found from the trace's
// "fragment" marks; a check whose fragment is absent is a SKIP that says so.
func Evaluate(tr *trace.Trace, p *policy.Policy, o Options) ([]Result, error) {
	if tr == nil || p == nil {
		return nil, errors.New("conformance: evaluate needs a trace and a policy")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("conformance: declared %w", err)
	}
	slack := o.Slack
	if slack == 0 {
		slack = DefaultSlack
	}
	frags, err := ParseFragments(tr)
	if err != nil {
		return nil, err
	}
	views := map[string]*View{}
	view := func(name string) *View {
		if v, ok := views[name]; ok {
			return v
		}
		f, ok := frags[name]
		if !ok {
			views[name] = nil
			return nil
		}
		v := newView(tr, f, frags)
		views[name] = v
		return v
	}
	inter := detectInterference(tr, frags)
	var out []Result
	for _, c := range Checks() {
		if !o.Selected(c.ID) {
			continue
		}
		sc := &Scope{Slack: slack}
		missing := ""
		for _, name := range c.Fragments {
			v := view(name)
			if v == nil {
				missing = name
				break
			}
			switch {
			case v.Frag.Skip == SkipInterrupted && missing == "":
				sc.skip = fmt.Sprintf("interrupted: the run stopped before fragment %s finished", name)
			case v.Frag.Skip != "" && missing == "":
				sc.skip = fmt.Sprintf("fragment %s did not run: %s", name, v.Frag.Skip)
			}
			if teardownTrimmed(c.ID) {
				v = v.BeforeTeardown()
			}
			sc.Views = append(sc.Views, v)
		}
		var r Result
		switch {
		case missing != "":
			r = Result{Verdict: Skip, Summary: fmt.Sprintf("the trace has no fragment %q (not a conformance-suite run, or the fragment was left out)", missing)}
		case sc.skip != "":
			r = Result{Verdict: Skip, Summary: sc.skip}
		default:
			r = unjudged(&c, c.Run(tr, p, sc), inter)
		}
		r.ID, r.Title, r.Source = c.ID, c.Title, c.Source
		if o.Strict && r.Verdict == Warn {
			r.Verdict = Fail
			r.Summary = "(strict) " + r.Summary
		}
		out = append(out, r)
	}
	return out, nil
}

// Scope is the part of a trace one check may read: a View per fragment the
// check names, in the same order, and the timing tolerance.
type Scope struct {
	Views []*View
	Slack time.Duration
	skip  string
}

// Main returns the view of the check's first fragment.
func (s *Scope) Main() *View { return s.Views[0] }

// Counts tallies verdicts.
type Counts struct{ Pass, Info, Skip, Warn, Fail int }

// Tally counts the verdicts of results.
func Tally(rs []Result) Counts {
	var c Counts
	for i := range rs {
		switch rs[i].Verdict {
		case Pass:
			c.Pass++
		case Info:
			c.Info++
		case Skip:
			c.Skip++
		case Warn:
			c.Warn++
		case Fail:
			c.Fail++
		}
	}
	return c
}

// Failed reports whether any result is a FAIL.
func Failed(rs []Result) bool { return Tally(rs).Fail > 0 }

// PolicyFromTrace returns the last policy declared in the trace's "policy"
// marks; false when there is none.
func PolicyFromTrace(tr *trace.Trace) (policy.Policy, bool, error) {
	var p policy.Policy
	found := false
	for i := range tr.Marks {
		m := &tr.Marks[i]
		if m.Type != trace.PolicyMark {
			continue
		}
		var q policy.Policy
		if err := json.Unmarshal([]byte(m.Detail), &q); err != nil {
			return policy.Policy{}, false, fmt.Errorf("conformance: policy mark %d: %w", i, err)
		}
		p, found = q, true
	}
	return p, found, nil
}
