package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/policy"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/lifecycle"
	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/trace"
)

// Run defaults.
const (
	// DefaultProgressInterval is how often RunOptions.OnProgress is called.
	DefaultProgressInterval = time.Second
	// DefaultTeardownTimeout bounds teardown, which also runs after the
	// run's context was cancelled.
	DefaultTeardownTimeout = 30 * time.Second
	// DefaultConnections is a load phase's connection count when it sets
	// none.
	DefaultConnections = 16
	// drainPoll is how often the drain checks for outstanding events.
	drainPoll = 25 * time.Millisecond
)

// TraceFileError reports a trace file Run could not create.
type TraceFileError struct {
	Path string
	Err  error
}

func (e *TraceFileError) Error() string { return fmt.Sprintf("trace %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *TraceFileError) Unwrap() error { return e.Err }

// RunOptions configures Run.
type RunOptions struct {
	// TracePath is the trace file to create; "" writes to TraceOut, or
	// nowhere when that is nil too.
	TracePath string
	// TraceOut receives the trace when TracePath is "" (tests: a
	// bytes.Buffer). Run does not close it.
	TraceOut io.Writer
	// OverwriteTrace lets Run replace an existing TracePath; without it
	// an existing file is a *TraceFileError wrapping fs.ErrExist.
	OverwriteTrace bool
	// Args and Version go into the trace header (Args are redacted).
	Args    []string
	Version string
	// OnProgress, when set, is called every ProgressInterval from one
	// goroutine, and once more at the end.
	OnProgress       func(Progress)
	ProgressInterval time.Duration
	// TeardownTimeout bounds teardown; 0 = DefaultTeardownTimeout.
	TeardownTimeout time.Duration
	// Shard runs one part of every load phase (rate/N, count/N, ids
	// prefixed "sI-") so that N machines share one scenario; the zero
	// Shard runs it whole. It is recorded as a "note" Mark named "shard".
	Shard generator.Shard
	// Metrics, when set, receives the run's metrics (MetricList), its
	// generators' (generator.MetricList) and its sink's (sink.MetricList).
	Metrics *metrics.Set
	// StartAt is the time zero of the first phase's schedule (the zero Time
	// = when setup is done): Run sets up, then waits for it; when setup
	// ends after it, the first phase skips the hits due before then (see
	// generator.Options.StartAt). Shards given the same StartAt start
	// their load together.
	StartAt time.Time
}

// NewRunOptions returns the defaults.
func NewRunOptions() RunOptions {
	return RunOptions{ProgressInterval: DefaultProgressInterval, TeardownTimeout: DefaultTeardownTimeout}
}

// Validate reports the first unusable option.
func (o *RunOptions) Validate() error {
	if o.ProgressInterval < 0 || o.TeardownTimeout < 0 {
		return errors.New("run options: negative interval or timeout")
	}
	if err := o.Shard.Validate(); err != nil {
		return fmt.Errorf("run options: %w", err)
	}
	return nil
}

// PhaseResult is what one phase did.
type PhaseResult struct {
	Name     string
	Started  time.Duration // since the run started
	Elapsed  time.Duration
	Sent     uint64 // trigger requests (duplicates included)
	Failed   uint64 // trigger requests without a 2xx answer
	Skipped  int    // scheduled actions that never ran (the phase ended first)
	Pacer    string // the schedule, e.g. "50/s"
	Summary  *generator.Summary
	Warnings []string
	// FirstFailure says why the first trigger that failed failed ("" when
	// none did or the generator sent them).
	FirstFailure string
}

// NothingSent reports whether a phase meant to send events got none
// accepted (every trigger failed to render, failed to send or was
// answered non-2xx), with a one-line reason.
func (p *PhaseResult) NothingSent() (string, bool) {
	if p.Sent == 0 || p.Failed < p.Sent {
		return "", false
	}
	msg := fmt.Sprintf("phase %s: none of its %d triggers was accepted", p.Name, p.Sent)
	switch {
	case p.FirstFailure != "":
		msg += " (first: " + oneLine(p.FirstFailure) + ")"
	case p.Summary != nil:
		if why := describeFailures(p.Summary); why != "" {
			msg += " (" + why + ")"
		}
	}
	return msg, true
}

// describeFailures summarises a generator's failed requests: statuses and
// error kinds, most frequent first.
func describeFailures(s *generator.Summary) string {
	type kv struct {
		k string
		n uint64
	}
	var all []kv
	for st, n := range s.Statuses {
		if st < 200 || st > 299 {
			all = append(all, kv{"answered " + strconv.Itoa(st), n})
		}
	}
	for k, n := range s.Errors {
		all = append(all, kv{"failed with " + k + " errors", n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || (all[i].n == all[j].n && all[i].k < all[j].k) })
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = fmt.Sprintf("%d %s", e.n, e.k)
	}
	return strings.Join(parts, ", ")
}

// oneLine keeps the first line of s, bounded.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// RunResult is the outcome of Run.
type RunResult struct {
	RunID     string
	TracePath string
	// Policy is the effective policy: the provider's own (reference
	// adapter, time-scaled) or the scenario's. PolicySet is false when
	// neither declared one.
	Policy       policy.Policy
	PolicySet    bool
	Capabilities Capabilities
	Endpoints    []EndpointSpec // as configured, URLs filled, secrets redacted
	Phases       []PhaseResult
	Progress     Progress // final counts
	// Drained: every accepted event reached a terminal outcome before the
	// drain time ended.
	Drained     bool
	Interrupted bool // the context was cancelled
	Elapsed     time.Duration
	Warnings    []string
}

// runner is the state of one Run.
type runner struct {
	sc   *Scenario
	opts RunOptions
	red  *Redactor

	tw      *trace.Writer
	tee     *teeBuffer
	tracker *tracker
	adapter adapter.Adapter
	caps    Capabilities
	eps     []EndpointSpec
	verify  []bool // per endpoint: the sink verifies signatures

	sinkMu sync.Mutex // guards srv
	srv    *sink.Server

	rulesMu sync.Mutex // guards rules and downPrev
	rules   map[string][]sink.Rule
	// downPrev holds the rules of endpoints taken down by chaos.
	downPrev map[string][]sink.Rule

	sched   *scheduler
	res     *RunResult
	metrics *runMetrics // nil without RunOptions.Metrics

	warnMu sync.Mutex // guards res.Warnings
}

// Run executes a scenario: start the sink, set the provider up through its
// adapter, run the phases (load, sink rule changes, chaos), drain until
// every accepted event reached a terminal outcome or the drain time ends,
// tear down and close the trace. Cancelling ctx stops the run early; the
// trace is still closed cleanly and the result says Interrupted.
//
// Errors are setup errors (the sink, the adapter, the trace file); what
// happened to the events is in the result and the trace.
func Run(ctx context.Context, sc *Scenario, opts RunOptions) (*RunResult, error) {
	if sc == nil {
		return nil, errors.New("run: nil scenario")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.ProgressInterval == 0 {
		opts.ProgressInterval = DefaultProgressInterval
	}
	if opts.TeardownTimeout == 0 {
		opts.TeardownTimeout = DefaultTeardownTimeout
	}
	r := &runner{sc: sc, opts: opts, red: sc.Redactor.Clone(), rules: map[string][]sink.Rule{}, res: &RunResult{TracePath: opts.TracePath}}
	if opts.Metrics != nil {
		r.metrics = newRunMetrics(opts.Metrics)
	}
	return r.run(ctx)
}

func (r *runner) warn(format string, args ...any) {
	msg := r.red.Redact(fmt.Sprintf(format, args...))
	r.warnMu.Lock()
	r.res.Warnings = append(r.res.Warnings, msg)
	r.warnMu.Unlock()
	if r.tw != nil {
		_ = r.tw.WriteMark(&trace.Mark{AtNs: r.tw.Now(), Type: trace.NoteMark, Name: "warning", Detail: msg})
	}
}

func (r *runner) mark(typ, name, detail string) {
	_ = r.tw.WriteMark(&trace.Mark{AtNs: r.tw.Now(), Type: typ, Name: name, Detail: r.red.Redact(detail)})
}

func (r *runner) run(ctx context.Context) (res *RunResult, err error) {
	start := time.Now()
	sc := r.sc

	// The trace goes to the file (or TraceOut) and to the tracker.
	var out io.Writer = io.Discard
	var file *os.File
	if r.opts.TracePath != "" {
		file, err = trace.OpenFile(r.opts.TracePath, r.opts.OverwriteTrace)
		if err != nil {
			return nil, &TraceFileError{Path: r.opts.TracePath, Err: err}
		}
	}
	switch {
	case file != nil:
		out = file
	case r.opts.TraceOut != nil:
		out = r.opts.TraceOut
	}
	r.eps = append([]EndpointSpec(nil), sc.Sink.Endpoints...)
	r.tee = newTeeBuffer()
	r.tracker = newTracker(sc.Policy, r.eps, false)
	if r.metrics != nil {
		r.metrics.setTracker(r.tracker)
	}
	trackerDone := make(chan struct{})
	go func() {
		defer close(trackerDone)
		if r.tracker.consume(r.tee) != nil {
			r.tee.abandon()
		}
	}()
	hdr := trace.NewHeader(r.red.RedactAll(r.opts.Args), r.opts.Version)
	r.res.RunID = hdr.RunID
	r.tw, err = trace.NewWriter(io.MultiWriter(out, r.tee), hdr)
	if err != nil {
		r.tee.Close()
		<-trackerDone
		if file != nil {
			file.Close()
		}
		return nil, fmt.Errorf("start trace: %w", err)
	}
	// Whatever happens from here, the trace ends cleanly.
	defer func() {
		if cerr := r.tw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close trace: %w", cerr)
		}
		r.tee.Close()
		<-trackerDone
		if file != nil {
			if cerr := file.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("close trace: %w", cerr)
			}
		}
		if res != nil {
			res.Progress = r.tracker.snapshot()
			res.Elapsed = time.Since(start)
			if r.opts.OnProgress != nil {
				r.opts.OnProgress(res.Progress)
			}
		}
	}()
	if sc.Name != "" || sc.File != "" {
		r.mark(trace.NoteMark, "scenario", sc.Name+" "+sc.File)
	}
	if r.opts.Shard.Active() {
		r.mark(trace.NoteMark, "shard", r.opts.Shard.String())
	}

	prov := &lifecycle.Provider{
		New: func() (adapter.Adapter, error) {
			return adapter.New(sc.Provider, adapter.Options{
				Policy: sc.Policy, PolicySet: sc.PolicySet, Seed: sc.Seed, Trace: r.tw, Redactor: r.red, RunID: hdr.RunID,
			})
		},
		TeardownTimeout: r.opts.TeardownTimeout,
		BeforeTeardown:  func() { r.mark(trace.PhaseMark, "teardown", "") },
	}
	sinkStarted := false
	defer func() {
		if !sinkStarted {
			return
		}
		if cerr := r.closeSink(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	_, err = prov.Run(ctx, lifecycle.Steps{
		Sink: func(s *lifecycle.Session) error {
			r.adapter, r.caps = s.Adapter, s.Caps
			r.res.Capabilities = r.caps
			r.tracker.setByCount(!r.caps.EventIDs)
			if capJSON, err := json.Marshal(r.caps); err == nil {
				r.mark(trace.NoteMark, "capabilities", string(capJSON))
			}
			if err := r.prepareSecrets(); err != nil {
				return err
			}
			sinkStarted = true
			return r.startSink("")
		},
		Endpoints: func() (string, []adapter.EndpointSpec) { return "setup", r.eps },
		Adopt:     r.adoptSecrets,
		MarkPolicy: func(s *lifecycle.Session) error {
			r.res.Policy, r.res.PolicySet, _ = s.Policy(sc.Policy, sc.PolicySet)
			r.tracker.setPolicy(r.res.Policy)
			if r.res.PolicySet {
				if pj, err := json.Marshal(r.res.Policy); err == nil {
					r.mark(trace.PolicyMark, r.res.Policy.Profile, string(pj))
				}
			}
			for _, ep := range r.eps {
				shown := ep
				shown.Secret = r.red.Redact(ep.Secret)
				if shown.Secret != "" {
					shown.Secret = Redacted
				}
				r.res.Endpoints = append(r.res.Endpoints, shown)
			}
			return nil
		},
		Work: func(ctx context.Context, _ *lifecycle.Session) error {
			r.work(ctx, start)
			return nil
		},
		TornDown: func(terr, runErr error) {
			if runErr == nil {
				r.warn("teardown: %v", terr)
			}
		},
	})
	var se *lifecycle.StageError
	if errors.As(err, &se) {
		switch se.Stage {
		case lifecycle.StageAdapter:
			return nil, fmt.Errorf("adapter: %w", se.Err)
		case lifecycle.StageSetup:
			return nil, fmt.Errorf("provider setup: %w", r.red.RedactError(se.Err))
		}
	}
	if err != nil {
		return nil, err
	}
	return r.res, nil
}

// work runs the phases, with progress reports and scheduled actions, then
// drains; it undoes what chaos left down or changed before it returns, so
// teardown finds a working setup.
func (r *runner) work(ctx context.Context, start time.Time) {
	sc := r.sc
	stopProgress := r.startProgress()
	defer stopProgress()
	r.sched = newScheduler()
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		r.sched.loop(schedCtx)
	}()
	defer func() {
		stopSched()
		<-schedDone
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.TeardownTimeout)
		r.sched.finish(fctx)
		cancel()
	}()

	var expectedSent uint64
	for i := range sc.Phases {
		if ctx.Err() != nil {
			break
		}
		pr := r.phase(ctx, i, start)
		expectedSent += pr.Sent
		r.res.Phases = append(r.res.Phases, pr)
	}
	if ctx.Err() == nil {
		r.res.Drained = r.drain(ctx, expectedSent)
	}
	r.res.Interrupted = ctx.Err() != nil
	if r.res.Interrupted {
		r.mark(trace.NoteMark, "interrupted", "the run was cancelled")
	}
}

// prepareSecrets gives each signed endpoint a secret the sink can verify
// with: the scenario's, a generated one the adapter passes to the provider,
// or (for providers that generate their own) the one Setup reads back.
func (r *runner) prepareSecrets() error {
	r.verify = make([]bool, len(r.eps))
	for i := range r.eps {
		ep := &r.eps[i]
		if ep.Scheme == "" {
			continue
		}
		switch {
		case ep.Secret != "":
			r.verify[i] = true
		case r.caps.SetSecret:
			s, err := signature.GenerateSecret(ep.Scheme, nil)
			if err != nil {
				return fmt.Errorf("endpoint %s: %w", ep.Name, err)
			}
			ep.Secret = s
			r.red.Add(s)
			r.verify[i] = true
		case r.caps.ReadSecret:
			// Verified once Setup has read the provider's secret.
		default:
			r.warn("endpoint %s: the adapter can neither set nor read the signing secret and the scenario gives none: signatures are not verified", ep.Name)
		}
	}
	return nil
}

// adoptSecrets takes the secrets the adapter learned during Setup and, if
// any changed, restarts the sink on the same address with them.
func (r *runner) adoptSecrets(got map[string]string) error {
	changed := false
	for i := range r.eps {
		ep := &r.eps[i]
		s, ok := got[ep.Name]
		if !ok || s == "" || s == ep.Secret {
			continue
		}
		r.red.Add(s)
		ep.Secret = s
		if ep.Scheme != "" {
			r.verify[i] = true
			changed = true
		}
	}
	if !changed {
		return nil
	}
	r.sinkMu.Lock()
	addr := r.srv.Addr()
	r.sinkMu.Unlock()
	if err := r.closeSink(); err != nil {
		return err
	}
	r.mark(trace.NoteMark, "sink", "restarted with the secrets the provider generated")
	return r.startSink(addr)
}

// startSink starts the sink (on listen, or the scenario's address).
func (r *runner) startSink(listen string) error {
	o := sink.NewOptions()
	o.AllowRemote = r.sc.Sink.Public
	switch {
	case listen != "":
		o.Listen = listen
	case r.sc.Sink.Listen != "":
		o.Listen = r.sc.Sink.Listen
	}
	for i := range r.eps {
		cfg, err := r.eps[i].SinkConfig(r.verify[i])
		if err != nil {
			return fmt.Errorf("sink endpoint %s: %w", r.eps[i].Name, r.red.RedactError(err))
		}
		o.Endpoints = append(o.Endpoints, cfg)
	}
	rules, err := sinkRules(r.sc.Sink.Rules)
	if err != nil {
		return fmt.Errorf("sink rules: %w", err)
	}
	o.Rules = rules
	r.rulesMu.Lock()
	if len(r.rules) == 0 {
		for _, rule := range rules {
			r.rules[rule.Endpoint] = append(r.rules[rule.Endpoint], rule)
		}
	} else {
		// A restart keeps the rules in force now.
		o.Rules = nil
		for _, rs := range r.rules {
			o.Rules = append(o.Rules, rs...)
		}
	}
	r.rulesMu.Unlock()
	o.Seed = r.sc.Seed
	o.Trace = r.tw
	o.KeepBodies = r.sc.Sink.KeepBodies
	if r.sc.Sink.MaxHang > 0 {
		o.MaxHang = r.sc.Sink.MaxHang
	}
	srv, err := sink.New(o)
	if err != nil {
		return fmt.Errorf("sink: %w", r.red.RedactError(err))
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	r.sinkMu.Lock()
	r.srv = srv
	r.sinkMu.Unlock()
	if r.metrics != nil {
		r.metrics.setSink(srv)
	}
	base := srv.URL()
	if r.sc.Sink.URL != "" {
		base = strings.TrimSuffix(r.sc.Sink.URL, "/")
	}
	for i := range r.eps {
		r.eps[i].URL = base + r.eps[i].Path
	}
	return nil
}

func (r *runner) sink() *sink.Server {
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	return r.srv
}

func (r *runner) closeSink() error {
	r.sinkMu.Lock()
	srv := r.srv
	r.srv = nil
	r.sinkMu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("close sink: %w", err)
	}
	return nil
}

// startProgress calls OnProgress every interval until the returned stop.
func (r *runner) startProgress() (stop func()) {
	if r.opts.OnProgress == nil && r.metrics == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(r.opts.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = r.tw.Flush() // the tracker (progress and metrics) reads the trace
				if r.opts.OnProgress != nil {
					r.opts.OnProgress(r.tracker.snapshot())
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// drain waits until the tracker has seen every trigger of the run and no
// accepted event awaits an outcome, or the drain time ends.
func (r *runner) drain(ctx context.Context, expectedSent uint64) bool {
	r.tracker.setPhase("drain")
	r.mark(trace.PhaseMark, "drain", r.sc.Drain.String())
	deadline := time.NewTimer(r.sc.Drain)
	defer deadline.Stop()
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		_ = r.tw.Flush()
		p := r.tracker.snapshot()
		if p.Sent >= expectedSent && p.Outstanding == 0 && !r.sched.pendingReverts() {
			r.mark(trace.NoteMark, "drained", "every accepted event reached a terminal outcome")
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			_ = r.tw.Flush()
			p = r.tracker.snapshot()
			r.mark(trace.NoteMark, "drain-timeout", strconv.FormatUint(p.Outstanding, 10)+" outstanding")
			return false
		case <-tick.C:
		}
	}
}

// scheduler runs timed actions of a run in order, one at a time. Actions
// with revert set undo a change; finish runs the reverts still pending so
// the run ends with the sink up and the provider running.
type scheduler struct {
	mu    sync.Mutex // guards items
	items []*schedItem
	wake  chan struct{}
}

type schedItem struct {
	at     time.Time
	phase  int
	revert bool
	name   string
	fn     func(context.Context)
}

func newScheduler() *scheduler { return &scheduler{wake: make(chan struct{}, 1)} }

func (s *scheduler) add(it *schedItem) {
	s.mu.Lock()
	s.items = append(s.items, it)
	sort.SliceStable(s.items, func(i, j int) bool { return s.items[i].at.Before(s.items[j].at) })
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dropPhase removes the forward actions of a phase that ended before they
// were due, returning how many.
func (s *scheduler) dropPhase(phase int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.items[:0]
	n := 0
	for _, it := range s.items {
		if it.phase == phase && !it.revert {
			n++
			continue
		}
		kept = append(kept, it)
	}
	s.items = kept
	return n
}

func (s *scheduler) pendingReverts() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.items {
		if it.revert {
			return true
		}
	}
	return false
}

func (s *scheduler) next() (*schedItem, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) == 0 {
		return nil, time.Hour
	}
	it := s.items[0]
	if d := time.Until(it.at); d > 0 {
		return nil, d
	}
	s.items = s.items[1:]
	return it, 0
}

func (s *scheduler) loop(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		it, wait := s.next()
		if it != nil {
			it.fn(ctx)
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// finish runs the pending reverts now, in order, and drops the rest.
func (s *scheduler) finish(ctx context.Context) {
	s.mu.Lock()
	items := s.items
	s.items = nil
	s.mu.Unlock()
	for _, it := range items {
		if it.revert {
			it.fn(ctx)
		}
	}
}
