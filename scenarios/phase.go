package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hookbench/hookbench/adapter"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/internal/netx"
	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/trace"
)

// phaseDetail is the JSON written in a phase's Mark.
type phaseDetail struct {
	Duration   string   `json:"duration,omitempty"`
	Count      uint64   `json:"count,omitempty"`
	Rate       float64  `json:"rate"`
	RateTo     float64  `json:"rate_to,omitempty"`
	Arrival    string   `json:"arrival,omitempty"`
	EventTypes []string `json:"event_types,omitempty"`
	Duplicates float64  `json:"duplicates,omitempty"`
	Load       string   `json:"load"` // generator, trigger or none
}

// phase runs one phase: its scheduled sink changes and chaos actions, and
// its load. It returns when the load is done (or the quiet phase's
// duration passed, or ctx ended).
func (r *runner) phase(ctx context.Context, i int, runStart time.Time) PhaseResult {
	ph := &r.sc.Phases[i]
	pr := PhaseResult{Name: ph.Name, Started: time.Since(runStart)}
	r.tracker.setPhase(ph.Name)
	quiet := ph.Rate == 0 && ph.Count == 0 && ph.RateTo == 0
	tg, gen := adapter.Target{}, false
	if t, ok := r.adapter.(adapter.Targeter); ok && !quiet {
		tg, gen = t.GeneratorTarget(payloadOf(ph))
	}
	d := phaseDetail{Count: ph.Count, Rate: ph.Rate, RateTo: ph.RateTo, Arrival: ph.Arrival, EventTypes: ph.EventTypes, Duplicates: ph.Duplicates, Load: "none"}
	if ph.Duration > 0 {
		d.Duration = ph.Duration.String()
	}
	switch {
	case quiet:
	case gen:
		d.Load = "generator"
	default:
		d.Load = "trigger"
	}
	dj, _ := json.Marshal(d)
	r.mark(trace.PhaseMark, ph.Name, string(dj))

	t0 := time.Now()
	startAt := time.Time{} // the generator's time zero: only the first phase's is set
	if i == 0 && !r.opts.StartAt.IsZero() {
		// t0.Add keeps the monotonic reading (see generator.Run).
		t0 = t0.Add(r.opts.StartAt.Sub(t0))
		startAt = r.opts.StartAt
		if !gen && !waitUntil(ctx, t0) {
			pr.Elapsed = 0
			return pr
		}
	}
	for j := range ph.Sink {
		rc := ph.Sink[j]
		r.sched.add(&schedItem{at: t0.Add(rc.At), phase: i, name: "sink rules " + rc.Endpoint, fn: func(ctx context.Context) {
			rules, err := sinkRules(rc.Rules)
			if err != nil {
				r.warn("phase %s: %v", ph.Name, err)
				return
			}
			prev := r.setEndpointRules(rc.Endpoint, rules)
			if rc.For > 0 {
				r.sched.add(&schedItem{at: time.Now().Add(rc.For), phase: i, revert: true, name: "restore rules " + rc.Endpoint, fn: func(context.Context) {
					r.setEndpointRules(rc.Endpoint, prev)
				}})
			}
		}})
	}
	for j := range ph.Chaos {
		c := ph.Chaos[j]
		r.sched.add(&schedItem{at: t0.Add(c.At), phase: i, name: c.Action, fn: func(ctx context.Context) {
			r.chaos(ctx, i, ph.Name, c)
		}})
	}

	switch {
	case quiet:
		t := time.NewTimer(time.Until(t0.Add(ph.Duration)))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	case gen:
		r.generate(ctx, i, ph, tg, startAt, &pr)
	default:
		r.triggerLoop(ctx, i, ph, t0, &pr)
	}
	pr.Elapsed = time.Since(t0)
	if n := r.sched.dropPhase(i); n > 0 {
		pr.Skipped = n
	}
	if pr.Skipped > 0 && ctx.Err() == nil {
		r.warn("phase %s ended after %v, before %d of its scheduled actions were due; they were skipped", ph.Name, pr.Elapsed.Round(time.Millisecond), pr.Skipped)
	}
	return pr
}

func payloadOf(ph *Phase) string {
	if ph.Payload != "" {
		return ph.Payload
	}
	return DefaultPayload
}

func typesOf(ph *Phase) []string {
	if len(ph.EventTypes) > 0 {
		return ph.EventTypes
	}
	return []string{DefaultEventType}
}

// pacer returns the phase's arrival schedule.
func (r *runner) pacer(i int, ph *Phase) generator.Pacer {
	switch {
	case ph.Rate == 0:
		return generator.Constant{Rate: 0}
	case ph.RateTo > 0:
		return generator.Linear{From: ph.Rate, To: ph.RateTo, Over: ph.Duration}
	case ph.Arrival == "poisson":
		return generator.NewPoisson(ph.Rate, r.sc.Seed+int64(i))
	}
	return generator.Constant{Rate: ph.Rate}
}

func (r *runner) idPrefix(i int) string {
	id := r.res.RunID
	if len(id) > 8 {
		id = id[:8]
	}
	return "hb-" + id + "-" + strconv.Itoa(i+1) + "-" + r.opts.Shard.IDPrefix()
}

// generate drives the phase's load through the generator.
func (r *runner) generate(ctx context.Context, i int, ph *Phase, tg adapter.Target, startAt time.Time, pr *PhaseResult) {
	o := generator.NewOptions()
	o.URL, o.Method, o.Headers = tg.URL, tg.Method, tg.Headers
	o.Body = tg.Body
	o.IdempotencyHeader = tg.IdempotencyHeader
	o.Types = typesOf(ph)
	o.Rate = r.pacer(i, ph)
	o.Duration, o.Count = ph.Duration, ph.Count
	o.Connections = DefaultConnections
	if ph.Connections > 0 {
		o.Connections = ph.Connections
	}
	o.MaxInflight = ph.MaxInflight
	if ph.Timeout > 0 {
		o.Timeout = ph.Timeout
	}
	o.Duplicates = ph.Duplicates
	o.Trace = r.tw
	o.Seed = r.sc.Seed + int64(i)
	o.IDPrefix = r.idPrefix(i)
	o.Shard = r.opts.Shard
	if r.metrics != nil {
		o.Metrics = r.metrics.gen
	}
	o.StartAt = startAt
	o.IDPrefix = strings.TrimSuffix(o.IDPrefix, o.Shard.IDPrefix()) // the generator adds it
	g, err := generator.New(o)
	if err != nil {
		r.warn("phase %s: generator: %v", ph.Name, err)
		return
	}
	pr.Warnings = append(pr.Warnings, g.Warnings()...)
	sum, err := g.Run(ctx)
	if err != nil {
		r.warn("phase %s: generator: %v", ph.Name, err)
	}
	pr.Summary = &sum
	pr.Sent, pr.Failed, pr.Pacer = sum.Sent, sum.Failed, sum.Pacer
	if sum.Skipped > 0 {
		r.warn("phase %s started %v after the start time: %d hits due before then were skipped (counted as missed)",
			ph.Name, sum.StartedLate.Round(time.Millisecond), sum.Skipped)
	}
}

// waitUntil waits for t; false when ctx ended first.
func waitUntil(ctx context.Context, t time.Time) bool {
	left := time.Until(t)
	if left <= 0 {
		return true
	}
	tm := time.NewTimer(left)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// triggerLoop drives the phase's load through adapter.Adapter.Trigger, for
// adapters the generator cannot drive: the same pacers, bounded
// concurrency, a Sent record per trigger.
func (r *runner) triggerLoop(ctx context.Context, i int, ph *Phase, start time.Time, pr *PhaseResult) {
	sh := r.opts.Shard
	pacer := sh.Pacer(r.pacer(i, ph), ph.Count)
	count := sh.Count(ph.Count)
	pr.Pacer = describePacer(pacer)
	tmpl, err := generator.ParseTemplate(payloadOf(ph))
	if err != nil {
		r.warn("phase %s: payload: %v", ph.Name, err)
		return
	}
	types := typesOf(ph)
	rnd := rand.New(rand.NewPCG(uint64(r.sc.Seed), uint64(i)+1))
	limit := ph.MaxInflight
	if limit == 0 {
		limit = ph.Connections
	}
	if limit == 0 {
		limit = 4
	}
	timeout := ph.Timeout
	if timeout == 0 {
		timeout = adapter.DefaultStepTimeout
	}
	prefix := r.idPrefix(i)
	var firstMu sync.Mutex // guards pr.FirstFailure and noted
	noted := false
	report := func(failure, note string) {
		firstMu.Lock()
		defer firstMu.Unlock()
		if failure != "" && pr.FirstFailure == "" {
			pr.FirstFailure = r.red.Redact(failure)
		}
		if note != "" && !noted {
			noted = true
			r.warn("phase %s: %s", ph.Name, note)
		}
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var sent, failed atomic.Uint64
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var n uint64
	if late := time.Since(start); late > time.Millisecond {
		// Joined after the start time (setup ended after it): the hits
		// due before now are skipped, not sent in a burst.
		if w, stop := pacer.Pace(0, 1<<20); !stop && w > 0 { // not capacity mode
			at := late
			if ph.Duration > 0 {
				at = min(at, ph.Duration)
			}
			n = generator.DueBefore(pacer, count, at)
			r.warn("phase %s started %v after the start time: %d hits due before then were skipped",
				ph.Name, late.Round(time.Millisecond), n)
		}
	}
loop:
	for ctx.Err() == nil {
		if count > 0 && n >= count {
			break
		}
		elapsed := time.Since(start)
		if ph.Duration > 0 && elapsed >= ph.Duration {
			break
		}
		wait, stop := pacer.Pace(elapsed, n)
		if stop {
			break
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
			continue
		}
		intended := start.Add(elapsed + wait)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		seq := sh.Global(n) + 1 // the full schedule's sequence number
		n++
		id := prefix + strconv.FormatUint(seq, 10)
		typ := types[rnd.IntN(len(types))]
		payload := tmpl.Append(nil, &generator.Event{ID: []byte(id), Seq: seq, Time: intended, Type: typ, Rand: rnd})
		ev := adapter.Event{ID: id, Type: typ, Payload: payload}
		if r.caps.IdempotencyKey {
			ev.IdemKey = id
		}
		dup := ph.Duplicates > 0 && rnd.Float64() < ph.Duplicates
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if !r.triggerOne(ctx, ev, intended, timeout, false, report) {
				failed.Add(1)
			}
			sent.Add(1)
			if dup {
				if !r.triggerOne(ctx, ev, time.Now(), timeout, true, report) {
					failed.Add(1)
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	pr.Sent, pr.Failed = sent.Load(), failed.Load()
}

func describePacer(p generator.Pacer) string {
	if s, ok := p.(interface{ String() string }); ok {
		return s.String()
	}
	return ""
}

// triggerOne sends one event through the adapter and records it; it
// reports whether the provider accepted it (2xx), and passes report why
// not and the adapter's note.
func (r *runner) triggerOne(ctx context.Context, ev adapter.Event, intended time.Time, timeout time.Duration, dup bool, report func(failure, note string)) bool {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sentAt := time.Now()
	res, err := r.adapter.Trigger(tctx, ev)
	done := time.Now()
	s := trace.Sent{
		EventID:    ev.ID,
		Type:       ev.Type,
		IntendedNs: r.tw.At(intended),
		SentNs:     r.tw.At(sentAt),
		LatencyNs:  int64(done.Sub(sentAt)),
		Status:     res.Status,
		IdemKey:    ev.IdemKey,
		ProviderID: res.ProviderID,
	}
	if dup {
		s.DuplicateOf = ev.ID
	}
	if err != nil && res.Status == 0 {
		s.Err = netx.Classify(err)
	}
	_ = r.tw.WriteSent(&s)
	ok := s.Err == trace.ErrNone && res.Status >= 200 && res.Status <= 299
	failure := ""
	switch {
	case err != nil:
		failure = err.Error()
	case !ok:
		failure = fmt.Sprintf("the trigger answered status %d", res.Status)
	}
	report(failure, res.Note)
	return ok
}

// setEndpointRules installs rules for one endpoint ("" = global) and
// returns the rules they replace.
func (r *runner) setEndpointRules(endpoint string, rules []sink.Rule) []sink.Rule {
	own := make([]sink.Rule, len(rules))
	for k, rule := range rules {
		rule.Endpoint = endpoint
		own[k] = rule
	}
	r.rulesMu.Lock()
	prev := r.rules[endpoint]
	r.rules[endpoint] = own
	r.rulesMu.Unlock()
	if srv := r.sink(); srv != nil {
		if err := srv.SetRules(endpoint, own); err != nil {
			r.warn("set sink rules for %q: %v", endpoint, err)
		}
	}
	return prev
}

// chaos performs one chaos action, scheduling its undo when it has a
// duration.
func (r *runner) chaos(ctx context.Context, i int, phase string, c ChaosAction) {
	detail := c.Action
	if c.Endpoint != "" {
		detail += " " + c.Endpoint
	}
	if c.For > 0 {
		detail += " for " + c.For.String()
	}
	r.mark(trace.NoteMark, "chaos", detail)
	undo := func(name string, fn func(context.Context)) {
		if c.For > 0 {
			r.sched.add(&schedItem{at: time.Now().Add(c.For), phase: i, revert: true, name: name, fn: fn})
		}
	}
	switch c.Action {
	case ChaosProviderRestart:
		rs, ok := r.adapter.(adapter.Restarter)
		if !ok {
			r.warn("phase %s: %s: %v", phase, c.Action, adapter.ErrUnsupported)
			return
		}
		if err := rs.Restart(ctx); err != nil {
			r.warn("phase %s: provider restart: %v", phase, err)
		}
	case ChaosProviderStop, ChaosProviderStart:
		st, ok := r.adapter.(adapter.Stopper)
		if !ok {
			r.warn("phase %s: %s: %v", phase, c.Action, adapter.ErrUnsupported)
			return
		}
		if c.Action == ChaosProviderStart {
			if err := st.Start(ctx); err != nil {
				r.warn("phase %s: provider start: %v", phase, err)
			}
			return
		}
		if err := st.Stop(ctx); err != nil {
			r.warn("phase %s: provider stop: %v", phase, err)
			return
		}
		undo("provider-start", func(ctx context.Context) {
			r.mark(trace.NoteMark, "chaos", "provider-start (end of provider-stop)")
			if err := st.Start(ctx); err != nil {
				r.warn("provider start: %v", err)
			}
		})
	case ChaosSinkDown, ChaosSinkUp:
		down := c.Action == ChaosSinkDown
		if srv := r.sink(); srv != nil {
			if err := srv.SetDown(down); err != nil {
				r.warn("phase %s: %s: %v", phase, c.Action, err)
				return
			}
		}
		if down {
			undo("sink-up", func(context.Context) {
				if srv := r.sink(); srv != nil {
					if err := srv.SetDown(false); err != nil {
						r.warn("sink up: %v", err)
					}
				}
			})
		}
	case ChaosEndpointDown:
		reset, err := sink.ParseRule("reset")
		if err != nil {
			r.warn("phase %s: %v", phase, err)
			return
		}
		prev := r.setEndpointRules(c.Endpoint, []sink.Rule{reset})
		r.rulesMu.Lock()
		if r.downPrev == nil {
			r.downPrev = map[string][]sink.Rule{}
		}
		if _, already := r.downPrev[c.Endpoint]; !already {
			r.downPrev[c.Endpoint] = prev
		}
		r.rulesMu.Unlock()
		undo("endpoint-up "+c.Endpoint, func(context.Context) { r.endpointUp(c.Endpoint) })
	case ChaosEndpointUp:
		r.endpointUp(c.Endpoint)
	}
}

// endpointUp restores the rules an endpoint had before endpoint-down.
func (r *runner) endpointUp(path string) {
	r.rulesMu.Lock()
	prev, ok := r.downPrev[path]
	delete(r.downPrev, path)
	r.rulesMu.Unlock()
	if ok {
		r.setEndpointRules(path, prev)
	}
}
