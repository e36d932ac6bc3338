package conformance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hookbench/hookbench/trace"
)

// Mark types only the conformance suite writes into a trace (besides
// trace.FragmentMark, trace.ProviderMark and trace.PolicyMark).
const (
	// FragmentEndMark closes it (Name = fragment id): the suite stopped
	// waiting for its evidence.
	FragmentEndMark = "fragment-end"
	// ConfigMark opens a window in which the suite changed the provider's
	// endpoints (registered, deleted, rotated a secret, restarted): Name is
	// the fragment that did it ("" for the suite's own setup and teardown),
	// Detail what was done. ConfigEndMark (same Name) closes it. A provider
	// that applies configuration by reloading may cut requests in flight
	// meanwhile; see Interference.
	ConfigMark    = "config"
	ConfigEndMark = "config-end"
	// FragmentTeardownMark (Name = fragment id) is when the suite began
	// removing the fragment's endpoints from the provider: later attempts
	// are not evidence for its retry, backoff and timeout checks.
	FragmentTeardownMark = "fragment-teardown"
)

// SkipInterrupted is the Skip of a fragment the run was interrupted
// before it finished: what it saw is not all it waited for.
const SkipInterrupted = "interrupted"

// Fragment is one part of a conformance run: the sink endpoints it set up
// (each answering as the fragment needs), the events it triggered, and what a
// check needs to know to read that part of the trace. The suite writes it as
// the Detail of a "fragment" mark, so a saved trace describes itself.
type Fragment struct {
	ID string `json:"-"`
	// Endpoints are the sink paths this fragment owns.
	Endpoints []string `json:"endpoints"`
	// EventPrefix starts every harness event id this fragment triggered
	// ("backoff/"): deliveries carrying such an id belong to it whenever
	// they arrive. Deliveries without a known id belong to it when they
	// reach its endpoints inside its time window.
	EventPrefix string `json:"event_prefix"`
	// Skip says why the suite could not run the fragment (the adapter
	// lacks a capability), or SkipInterrupted; its checks SKIP with this
	// reason.
	Skip string `json:"skip,omitempty"`
	// Payloads are the exact payload bytes triggered, for fidelity checks.
	Payloads []Payload `json:"payloads,omitempty"`
	// Subscriptions are the event types each endpoint subscribed to.
	Subscriptions []Subscription `json:"subscriptions,omitempty"`
	// Redirects lists the endpoints that answer a 3xx, each with the
	// endpoint its Location names.
	Redirects []Redirect `json:"redirects,omitempty"`
	// FailFirst is how many attempts of each event the fragment's
	// endpoints fail before they answer 2xx (0 = they never fail on
	// purpose, or always do: see Note).
	FailFirst int `json:"fail_first,omitempty"`
	// SecretUnknown: the sink verified with a secret the provider was never
	// given (the adapter could neither set nor read one), so a signature
	// mismatch says nothing; a missing or malformed signature still does.
	SecretUnknown bool `json:"secret_unknown,omitempty"`
	// Note is free text for people reading the trace.
	Note string `json:"note,omitempty"`
	// OwnProvider: the fragment had a provider instance of its own (the
	// in-process reference, isolated): no other fragment could disturb it.
	OwnProvider bool `json:"own_provider,omitempty"`
	// Rerun: the fragment ran again, alone, after the main run, because
	// the main run showed interference (the suite's Isolate option). The
	// trace then holds two runs of the fragment; the later one is graded.
	Rerun bool `json:"rerun,omitempty"`

	StartNs int64 `json:"-"` // time of the fragment mark
	EndNs   int64 `json:"-"` // time of the fragment-end mark, or the end of the trace
	// Closed: the fragment-end mark is in the trace (EndNs is not merely
	// the end of the trace).
	Closed bool `json:"-"`
	// TeardownNs is when the suite began removing the fragment's
	// endpoints (its fragment-teardown mark), 0 when the trace has none.
	TeardownNs int64 `json:"-"`
	// Superseded: a later run of the same fragment replaced this one (see
	// Rerun). ParseFragments keeps it under the id "<id>#<n>" so that its
	// events stay attributed to it.
	Superseded bool `json:"-"`
}

// Payload is one event's payload as triggered.
type Payload struct {
	EventID string `json:"event_id"`
	Body    string `json:"body"`
}

// Redirect is one endpoint answering a 3xx: Status, with a Location naming
// the endpoint To ("" when the answer carries no Location).
type Redirect struct {
	From   string `json:"from"`
	Status int    `json:"status"`
	To     string `json:"to,omitempty"`
}

// Subscription is the event types one endpoint subscribed to (empty = all).
type Subscription struct {
	Endpoint string   `json:"endpoint"`
	Types    []string `json:"types,omitempty"`
}

// ParseFragments finds every fragment in a trace by its marks.
func ParseFragments(tr *trace.Trace) (map[string]*Fragment, error) {
	frags := map[string]*Fragment{}
	var last int64
	for i := range tr.Attempts {
		last = max(last, tr.Attempts[i].ArrivalNs+tr.Attempts[i].HandleNs)
	}
	for i := range tr.Sent {
		last = max(last, tr.Sent[i].SentNs+tr.Sent[i].LatencyNs)
	}
	for i := range tr.Marks {
		last = max(last, tr.Marks[i].AtNs)
	}
	for i := range tr.Marks {
		m := &tr.Marks[i]
		switch m.Type {
		case trace.FragmentMark:
			f := &Fragment{}
			if err := json.Unmarshal([]byte(m.Detail), f); err != nil {
				return nil, fmt.Errorf("conformance: fragment mark %q (mark %d): %w", m.Name, i, err)
			}
			if m.Name == "" {
				return nil, fmt.Errorf("conformance: fragment mark %d has no name", i)
			}
			f.ID, f.StartNs, f.EndNs = m.Name, m.AtNs, last+1
			if old, ok := frags[m.Name]; ok {
				for n := 1; ; n++ {
					key := fmt.Sprintf("%s#%d", m.Name, n)
					if _, taken := frags[key]; !taken {
						old.Superseded = true
						frags[key] = old
						break
					}
				}
			}
			frags[m.Name] = f
		case FragmentEndMark:
			if f, ok := frags[m.Name]; ok {
				f.EndNs, f.Closed = m.AtNs, true
			}
		case FragmentTeardownMark:
			if f, ok := frags[m.Name]; ok && f.TeardownNs == 0 {
				f.TeardownNs = m.AtNs
			}
		}
	}
	return frags, nil
}

// View is the part of a trace that belongs to one fragment. Its slices point
// into the trace; a View is read-only and safe for concurrent readers.
type View struct {
	Frag     *Fragment
	Attempts []*trace.Attempt // in trace order (arrival order per endpoint)
	Sent     []*trace.Sent    // in trace order
	Marks    []*trace.Mark    // marks inside the fragment's window
}

func newView(tr *trace.Trace, f *Fragment, all map[string]*Fragment) *View {
	v := &View{Frag: f}
	owned := func(id string) bool {
		if id == "" {
			return false
		}
		for _, g := range all {
			if g.EventPrefix != "" && strings.HasPrefix(id, g.EventPrefix) {
				return true
			}
		}
		return false
	}
	// A longer prefix of another fragment (a re-run's) claims its ids.
	var longer []string
	for _, g := range all {
		if g != f && f.EventPrefix != "" && len(g.EventPrefix) > len(f.EventPrefix) && strings.HasPrefix(g.EventPrefix, f.EventPrefix) {
			longer = append(longer, g.EventPrefix)
		}
	}
	mine := func(id string) bool {
		if f.EventPrefix == "" || !strings.HasPrefix(id, f.EventPrefix) {
			return false
		}
		for _, p := range longer {
			if strings.HasPrefix(id, p) {
				return false
			}
		}
		return true
	}
	inWindow := func(t int64) bool { return t >= f.StartNs && t < f.EndNs }
	eps := map[string]bool{}
	for _, e := range f.Endpoints {
		eps[e] = true
	}
	for i := range tr.Attempts {
		a := &tr.Attempts[i]
		if !eps[a.Endpoint] {
			continue
		}
		if mine(a.EventID) || (!owned(a.EventID) && inWindow(a.ArrivalNs)) {
			v.Attempts = append(v.Attempts, a)
		}
	}
	for i := range tr.Sent {
		s := &tr.Sent[i]
		if mine(s.EventID) || (f.EventPrefix == "" && inWindow(s.SentNs)) {
			v.Sent = append(v.Sent, s)
		}
	}
	for i := range tr.Marks {
		m := &tr.Marks[i]
		if inWindow(m.AtNs) {
			v.Marks = append(v.Marks, m)
		}
	}
	return v
}

// BeforeTeardown returns the view without the attempts that arrived after
// the suite began removing the fragment's endpoints: a provider may cut,
// repeat or reorder deliveries to an endpoint being removed, so they say
// nothing about its retries, backoff or timeouts. Checks about what must
// never arrive (a retry of a permanent failure, a delivery to a deleted
// endpoint) read the whole view.
func (v *View) BeforeTeardown() *View {
	t := v.Frag.TeardownNs
	if t == 0 {
		return v
	}
	w := *v
	w.Attempts = nil
	for _, a := range v.Attempts {
		if a.ArrivalNs < t {
			w.Attempts = append(w.Attempts, a)
		}
	}
	return &w
}

// Delivery is everything one event did at one endpoint: the attempts in
// arrival order, and the trigger when it is known.
type Delivery struct {
	Key      string // harness event id, else "msg:"+provider id, else "#"+index
	EventID  string
	Endpoint string
	Sent     *trace.Sent // nil when the trigger is not in the trace
	Attempts []*trace.Attempt
}

// Deliveries groups the view's attempts by event and endpoint, ordered by
// first arrival. Attempts with neither a harness nor a provider id cannot be
// correlated: each is a delivery of its own.
func (v *View) Deliveries() []*Delivery {
	sent := v.SentByID()
	idx := map[string]*Delivery{}
	var out []*Delivery
	for i, a := range v.Attempts {
		key := a.EventID
		switch {
		case key != "":
		case a.MsgID != "":
			key = "msg:" + a.MsgID
		default:
			key = fmt.Sprintf("#%d", i)
		}
		k := a.Endpoint + "\x00" + key
		d, ok := idx[k]
		if !ok {
			d = &Delivery{Key: key, EventID: a.EventID, Endpoint: a.Endpoint, Sent: sent[a.EventID]}
			idx[k] = d
			out = append(out, d)
		}
		d.Attempts = append(d.Attempts, a)
	}
	for _, d := range out {
		sort.SliceStable(d.Attempts, func(i, j int) bool { return d.Attempts[i].ArrivalNs < d.Attempts[j].ArrivalNs })
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Attempts[0].ArrivalNs < out[j].Attempts[0].ArrivalNs })
	return out
}

// SentByID indexes the view's triggers by harness event id (the first
// trigger of an id wins: duplicates point at it with DuplicateOf).
func (v *View) SentByID() map[string]*trace.Sent {
	m := make(map[string]*trace.Sent, len(v.Sent))
	for _, s := range v.Sent {
		if _, ok := m[s.EventID]; !ok && s.EventID != "" {
			m[s.EventID] = s
		}
	}
	return m
}

// Originals returns the triggers that are not duplicates of another.
func (v *View) Originals() []*trace.Sent {
	var out []*trace.Sent
	for _, s := range v.Sent {
		if s.DuplicateOf == "" {
			out = append(out, s)
		}
	}
	return out
}

// HasIDs reports whether the deliveries carry harness event ids, so they can
// be matched to triggers one by one; otherwise checks can only count.
func (v *View) HasIDs() bool {
	for _, a := range v.Attempts {
		if a.EventID != "" {
			return true
		}
	}
	return false
}

// MarksOf returns the view's marks of one type (and name, when not "").
func (v *View) MarksOf(typ, name string) []*trace.Mark {
	var out []*trace.Mark
	for _, m := range v.Marks {
		if m.Type == typ && (name == "" || m.Name == name) {
			out = append(out, m)
		}
	}
	return out
}
