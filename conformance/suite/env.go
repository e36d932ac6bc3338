package suite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/internal/netx"
	"github.com/hookbench/hookbench/internal/wait"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/trace"
)

// env is what fragments share during one run. Its fields are set before
// fragments start and only read afterwards, except stats (atomic).
type env struct {
	o     *Options
	runID string
	tw    *trace.Writer
	sink  *sink.Server
	ad    adapter.Adapter
	caps  adapter.Capabilities
	p     policy.Policy // effective (time-scaled) policy, as graded
	slack time.Duration
	// secretUnknown: the sink verifies with a secret the provider may not
	// use (the adapter could neither set nor read it).
	secretUnknown bool
	// rerun: the fragments now running are the Isolate option's re-runs,
	// one after another (their events get ids of their own).
	rerun bool
	// track follows the fragments for Options.OnProgress.
	track *tracker

	stats atomic.Pointer[map[string]sink.EndpointStats]
}

// config runs fn, a change of the provider's endpoints made for owner (a
// fragment id, "" for the suite), between a config mark and its end: a
// provider that reloads its configuration may cut requests in flight
// meanwhile, and the checks must be able to tell (see
// conformance.Interference). A mark that cannot be written fails the
// trace, which the run reports when it closes it.
func (e *env) config(owner, what string, fn func() error) error {
	_ = e.tw.WriteMark(&trace.Mark{AtNs: e.tw.Now(), Type: conformance.ConfigMark, Name: owner, Detail: what})
	err := fn()
	_ = e.tw.WriteMark(&trace.Mark{AtNs: e.tw.Now(), Type: conformance.ConfigEndMark, Name: owner, Detail: what})
	return err
}

// ownProviders reports whether the adapter gives each fragment a provider
// of its own (the in-process reference, isolated): no fragment can then
// disturb another.
func (e *env) ownProviders() bool {
	ra, ok := e.ad.(*adapter.ReferenceAdapter)
	return ok && ra.Grouped()
}

// statsEvery is how often the sink's counters are read (a snapshot walks
// every endpoint's counters: cheap, but not free under the race detector).
const statsEvery = 40 * time.Millisecond

// pollStats keeps a fresh snapshot of the sink's per-endpoint counters until
// ctx ends. Fragments wait on it instead of each polling the sink.
func (e *env) pollStats(ctx context.Context) {
	t := time.NewTicker(statsEvery)
	defer t.Stop()
	for {
		e.snapshot()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *env) snapshot() {
	st := e.sink.Stats()
	m := make(map[string]sink.EndpointStats, len(st.Endpoints))
	for _, ep := range st.Endpoints {
		m[ep.Path] = ep
	}
	e.stats.Store(&m)
}

func (e *env) stat(path string) sink.EndpointStats {
	if m := e.stats.Load(); m != nil {
		return (*m)[path]
	}
	return sink.EndpointStats{}
}

// ok returns how many 2xx answers the endpoint gave.
func (e *env) ok(path string) uint64 { return okOf(e.stat(path)) }

func okOf(st sink.EndpointStats) uint64 {
	var n uint64
	for code, c := range st.Status {
		if s, err := strconv.Atoi(code); err == nil && s >= 200 && s < 300 {
			n += c
		}
	}
	return n
}

func (e *env) received(path string) uint64 { return e.stat(path).Received }

// retryHi is the latest a retry k (from 1) should come after the previous
// attempt ended: the top of its jitter band plus the timing slack; 0 when
// the policy makes no retry k.
func (e *env) retryHi(k int) time.Duration {
	if k >= e.attempts() {
		return 0
	}
	d, ok := e.p.Backoff.Nominal(k)
	if !ok {
		return 0
	}
	_, hi := e.p.Backoff.Band(d)
	return hi + conformance.LateFactor*e.slack + hi/10
}

// attempts is how many attempts a permanently failing event gets on the
// nominal schedule: max_attempts, or as many as the retry window has room
// for.
func (e *env) attempts() int { return e.p.NominalAttempts() }

// scheduleHi is the latest the n-th attempt (from 1) should come after the
// first: the sum of the first n-1 retries' retryHi.
func (e *env) scheduleHi(n int) time.Duration {
	var s time.Duration
	for k := 1; k < n; k++ {
		s += e.retryHi(k)
	}
	return s
}

// deadline bounds a wait for expected deliveries: d plus grace, capped.
func (e *env) deadline(d time.Duration) time.Duration {
	return min(d+e.o.Grace, e.maxWait())
}

// waitFor polls cond until it holds, d passes or ctx ends; it reports
// whether cond held.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(statsEvery / 2)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return cond()
		case <-tick.C:
		}
	}
}

// sleep waits d or until ctx ends.
var sleep = wait.Sleep

// fragRun is one fragment while it runs.
type fragRun struct {
	e    *env
	plan *fragmentPlan
	frag conformance.Fragment
	// mu guards frag's Payloads and notes (load triggers run concurrently).
	mu    sync.Mutex
	notes []string
	seq   atomic.Int64
	start int64
	// base holds the endpoints' counters when the fragment started: its
	// waits count from there (an adapter that broadcasts every event also
	// reaches this fragment's endpoints before it runs).
	base map[string]sink.EndpointStats
	// unmet is the last wait condition the fragment gave up on (nil when
	// its last wait was met) and lateFor the longest declared retry delay
	// that wait still expected: the fragment lingers that long for it
	// before it ends (see linger).
	unmet   func() bool
	lateFor time.Duration
}

// expect records the outcome of a wait: met, or given up on while retries
// up to retry kmax were still expected. The retry still pending is the one
// after the attempts seen so far (per event, rounded up, over the busiest
// endpoint): a provider that never retried is owed only its first retry's
// delay, not the schedule's longest.
func (f *fragRun) expect(met bool, cond func() bool, kmax int) {
	if met {
		f.unmet, f.lateFor = nil, 0
		return
	}
	k := 1
	if n := uint64(f.seq.Load()); n > 0 {
		for _, ep := range f.plan.Endpoints {
			if !ep.SinkOnly {
				k = max(k, int((f.received(ep.Path)+n-1)/n))
			}
		}
	}
	f.unmet, f.lateFor = cond, 0
	for j := 1; j <= min(k, kmax); j++ {
		f.lateFor = max(f.lateFor, f.e.retryHi(j))
	}
}

// linger waits, after a fragment gave up on deliveries it expected, once
// more the longest declared retry delay still pending (at most
// MaxFragment) or until they come: a retry held past its schedule then
// lands in the trace and is judged late, not lost. A fragment whose waits
// were met does not linger.
func (f *fragRun) linger(ctx context.Context) {
	if f.unmet == nil || f.lateFor <= 0 {
		return
	}
	waitFor(ctx, min(f.lateFor, f.e.o.MaxFragment), f.unmet)
}

// ok and received count since the fragment started.
func (f *fragRun) ok(path string) uint64 {
	return f.e.ok(path) - okOf(f.base[path])
}

func (f *fragRun) received(path string) uint64 {
	return f.e.received(path) - f.base[path].Received
}

// failPhase makes "fail the first FailFirst attempts of each event" hold
// when the sink cannot count attempts per event (deliveries carry no
// event id): the endpoints were given their failing rules without attempt
// numbers, so it waits until each failed FailFirst times per event, then
// makes them answer 200. With event ids the attempt rules do it alone.
func (f *fragRun) failPhase(ctx context.Context, n int) error {
	ff := f.plan.FailFirst
	if f.e.byAttempt() || ff == 0 {
		return nil
	}
	f.allReceived(ctx, uint64(ff*n), f.e.scheduleHi(ff)+time.Duration(ff)*f.e.p.Timeout)
	for _, ep := range f.plan.Endpoints {
		if err := f.e.sink.SetRules(ep.Path, nil); err != nil {
			return fmt.Errorf("sink rules for %s: %w", ep.Path, err)
		}
	}
	return nil
}

// byAttempt reports whether sink rules can count attempts per event: the
// deliveries carry the harness event id.
func (e *env) byAttempt() bool { return e.caps.EventIDs }

// stripAttempt removes the attempt= condition from a rule: without event
// ids the suite switches rules by time instead (see failPhase).
func stripAttempt(rule string) string {
	var keep []string
	for _, kv := range strings.Split(rule, ",") {
		if !strings.HasPrefix(strings.TrimSpace(kv), "attempt=") {
			keep = append(keep, kv)
		}
	}
	return strings.Join(keep, ",")
}

// eventType is the type of this fragment's events ("hookbench.backoff"
// with the default prefix); sub names a second type ("hookbench.types.a").
func (f *fragRun) eventType(sub string) string { return f.e.o.eventType(f.plan.ID, sub) }

// newEvent builds the next event of the fragment: a unique harness id, its
// type, and a payload (canonical JSON carrying the id, unless body builds
// another from the id). It goes to every provider endpoint of the fragment.
func (f *fragRun) newEvent(sub string, body func(id string) string) adapter.Event {
	n := f.seq.Add(1)
	id := f.frag.EventPrefix + strconv.FormatInt(n, 10)
	typ := f.eventType(sub)
	var payload string
	if body != nil {
		payload = body(id)
	} else {
		payload = canonicalPayload(id, n)
	}
	ev := adapter.Event{ID: id, Type: typ, Payload: []byte(payload)}
	if f.e.caps.IdempotencyKey {
		// Every event has a key of its own, unique across runs (the ids
		// repeat from run to run, and a provider keeps keys for a while):
		// only a deliberate duplicate repeats one.
		ev.IdemKey = f.e.runID + "-" + id
	}
	if f.e.caps.TargetEndpoints && !f.plan.Broadcast {
		for _, ep := range f.plan.Endpoints {
			if !ep.SinkOnly && (sub == "" || ep.Sub == sub) {
				ev.Endpoints = append(ev.Endpoints, ep.Path)
			}
		}
	}
	return ev
}

// canonicalPayload is JSON that every encoder re-encodes to the same bytes:
// sorted keys, no spaces, small integers, ASCII strings without HTML
// characters. It does not name the event type: a type the sink finds was
// added by the provider (check 9.3), not relayed from the payload.
func canonicalPayload(id string, n int64) string {
	b, _ := json.Marshal(struct {
		ID  string `json:"hookbench_id"`
		Seq int64  `json:"seq"`
	}{id, n})
	return string(b)
}

// trigger sends one event through the adapter and records it as a Sent.
// A transport error is recorded (Err, status 0), not returned: the checks
// judge refused triggers. Only a cancelled ctx is an error.
func (f *fragRun) trigger(ctx context.Context, ev adapter.Event, recordID, dupOf string, intended int64) error {
	e := f.e
	if intended == 0 {
		intended = e.tw.Now()
	}
	s := trace.Sent{EventID: ev.ID, Type: ev.Type, IntendedNs: intended, IdemKey: ev.IdemKey, DuplicateOf: dupOf}
	if recordID != "" {
		s.EventID = recordID
	}
	if f.plan.RecordPayloads && dupOf == "" {
		f.mu.Lock()
		f.frag.Payloads = append(f.frag.Payloads, conformance.Payload{EventID: ev.ID, Body: string(ev.Payload)})
		f.mu.Unlock()
	}
	s.SentNs = e.tw.Now()
	res, err := e.ad.Trigger(ctx, ev)
	s.LatencyNs = e.tw.Now() - s.SentNs
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.Err = netx.Classify(err)
		f.note(fmt.Sprintf("trigger %s: %v", ev.ID, err))
	}
	if res.Note != "" {
		f.note(fmt.Sprintf("trigger %s: %s", ev.ID, res.Note))
	}
	s.Status, s.ProviderID = res.Status, res.ProviderID
	if err := e.tw.WriteSent(&s); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	return nil
}

// triggerAll triggers n events of the fragment (type sub) one after another.
func (f *fragRun) triggerAll(ctx context.Context, n int, sub string, body func(id string) string) error {
	for range n {
		if err := f.trigger(ctx, f.newEvent(sub, body), "", "", 0); err != nil {
			return err
		}
	}
	return nil
}

func (f *fragRun) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.notes) < 5 {
		f.notes = append(f.notes, s)
	}
}

func parseRules(path string, rules []string) ([]sink.Rule, error) {
	var out []sink.Rule
	for _, r := range rules {
		rule, err := sink.ParseRule("endpoint=" + path + "," + r)
		if err != nil {
			return nil, fmt.Errorf("suite: fragment rule for %s: %w", path, err)
		}
		out = append(out, rule)
	}
	return out, nil
}

// allOK waits until every provider endpoint of the fragment answered 2xx at
// least n times (see settle for when it gives up).
func (f *fragRun) allOK(ctx context.Context, n uint64, d time.Duration) bool {
	return f.settle(ctx, d, func() bool {
		for _, ep := range f.plan.Endpoints {
			if !ep.SinkOnly && f.ok(ep.Path) < n {
				return false
			}
		}
		return true
	})
}

// allReceived waits until every provider endpoint of the fragment received
// at least n requests (see settle for when it gives up).
func (f *fragRun) allReceived(ctx context.Context, n uint64, d time.Duration) bool {
	return f.settle(ctx, d, func() bool {
		for _, ep := range f.plan.Endpoints {
			if !ep.SinkOnly && f.received(ep.Path) < n {
				return false
			}
		}
		return true
	})
}

// settle waits until cond holds. It gives up early once the expected time d
// has passed and the fragment's endpoints have been quiet for as long as
// the next retry may take (a provider that stopped retrying is seen
// quickly), and at the latest after d plus the grace period.
func (f *fragRun) settle(ctx context.Context, d time.Duration, cond func() bool) bool {
	e := f.e
	quiet := time.Duration(0)
	for k := 1; k <= f.plan.FailFirst+1; k++ {
		quiet = max(quiet, e.retryHi(k))
	}
	quiet += 4 * e.slack
	begin := time.Now()
	last, lastN := begin, f.total()
	met := waitFor(ctx, e.deadline(d), func() bool {
		if cond() {
			return true
		}
		if n := f.total(); n != lastN {
			last, lastN = time.Now(), n
		}
		return time.Since(begin) >= d && time.Since(last) >= quiet && lastN > 0
	}) && cond()
	f.expect(met, cond, f.plan.FailFirst+1)
	return met
}

// total is how many requests the fragment's endpoints received since it began.
func (f *fragRun) total() uint64 {
	var n uint64
	for _, ep := range f.plan.Endpoints {
		n += f.received(ep.Path)
	}
	return n
}

// retriesMid is how long the first n retries take when each comes in the
// middle of its jitter band: what a provider keeping the policy takes, on
// average, to deliver an event whose first n attempts fail.
func (e *env) retriesMid(n int) time.Duration {
	var s time.Duration
	for k := 1; k <= n && k < e.attempts(); k++ {
		if d, ok := e.p.Backoff.Nominal(k); ok {
			lo, hi := e.p.Backoff.Band(d)
			s += lo + (hi-lo)/2
		}
	}
	return s
}
