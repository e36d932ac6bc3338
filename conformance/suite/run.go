package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/lifecycle"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/trace"
)

// countByEventHeader is a header no provider sends: naming it as an
// endpoint's id header makes the sink count arrivals per harness event id.
const countByEventHeader = "X-Hookbench-Count-By-Event-Id"

// Report is the outcome of a suite run.
type Report struct {
	// Results are the verdicts, in check id order.
	Results []conformance.Result
	// Policy is the policy the provider was graded against (effective:
	// durations already time-scaled).
	Policy policy.Policy
	// Capabilities are what the adapter could do.
	Capabilities adapter.Capabilities
	// Fragments says how each fragment went.
	Fragments []FragmentRun
	// Trace is the run's trace, as the checks read it.
	Trace *trace.Trace
	// Wall is how long the run took, setup to verdicts.
	Wall time.Duration
	// MaxStall is the longest the machine left this process without CPU
	// while the fragments ran (how late a 10 ms ticker fired). Beyond a few
	// hundred milliseconds, timing verdicts say as much about the machine
	// as about the provider.
	MaxStall time.Duration
	// Interference lists, by fragment id, the fragments other fragments
	// disturbed through the provider they shared (their FAILs and WARNs
	// are SKIPs that say so). Empty when none was seen.
	Interference map[string]*conformance.Interference
	// Rerun lists the fragments the Isolate option ran again, alone.
	Rerun []string
	// Interrupted: ctx ended the run early. The fragments that had
	// finished are graded; the checks of the others SKIP as interrupted.
	Interrupted bool
}

// NothingSent reports whether the run triggered events but the provider
// accepted none (every trigger failed to render, failed to send or was
// answered non-2xx): the verdicts then say nothing about deliveries. The
// reason is one line.
func (r *Report) NothingSent() (string, bool) {
	if r.Trace == nil || len(r.Trace.Sent) == 0 {
		return "", false
	}
	statuses := map[int]int{}
	failed := 0
	for i := range r.Trace.Sent {
		s := &r.Trace.Sent[i]
		if s.Err == trace.ErrNone && s.Status >= 200 && s.Status < 300 {
			return "", false
		}
		if s.Err != trace.ErrNone {
			failed++
		} else {
			statuses[s.Status]++
		}
	}
	msg := fmt.Sprintf("none of the %d triggers was accepted", len(r.Trace.Sent))
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed before an answer", failed))
	}
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d answered %d", statuses[c], c))
	}
	msg += " (" + strings.Join(parts, ", ") + ")"
	for _, f := range r.Fragments {
		if len(f.Notes) > 0 {
			first, _, _ := strings.Cut(f.Notes[0], "\n")
			if len(first) > 300 {
				first = first[:300] + "..."
			}
			return msg + "; first: " + first, true
		}
	}
	return msg, true
}

// FragmentRun is one fragment's outcome.
type FragmentRun struct {
	ID   string
	Skip string // why it did not run, "" when it ran
	Took time.Duration
	// Notes are problems met while running (trigger errors, a failed
	// restart), also written into the fragment mark.
	Notes []string
}

// SetupError is a failure to start the run (adapter, sink, policy): the
// provider was not graded. Callers map it to exit status 2.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return "conformance setup: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *SetupError) Unwrap() error { return e.Err }

func setupErr(format string, args ...any) error {
	return &SetupError{Err: fmt.Errorf(format, args...)}
}

// Latency the suite's reference declares (not time-scaled), and the delay
// its "slow" fault adds: the declared bounds are generous so that a loaded
// CI machine does not fail a correct provider, and the fault is slower than
// both, so it always fails them.
const (
	ReferenceLatencyP50 = 2 * time.Second
	ReferenceLatencyP99 = 5 * time.Second
	ReferenceSlowDelay  = 6 * time.Second
)

// ReferencePolicy is the policy the suite runs the reference provider with
// when none is given: the reference's default (Standard Webhooks) with the
// schedule cut to DefaultReferenceAttempts attempts and the timeout set to
// DefaultReferenceTimeout, both before time scaling.
func ReferencePolicy() policy.Policy {
	p := provider.DefaultPolicy()
	p.MaxAttempts = DefaultReferenceAttempts
	p.Timeout = DefaultReferenceTimeout
	p.LatencyP50, p.LatencyP99 = ReferenceLatencyP50, ReferenceLatencyP99
	return p
}

// Run sets the provider up, runs every fragment the selected checks need,
// and grades the trace. An error means the run could not be made (a
// *SetupError, or ctx ended before any fragment ran); a provider that
// misbehaves is graded, not an error. When ctx ends once fragments run,
// Run stops them, grades those that finished, marks the checks of the
// rest SKIP as interrupted, and returns a Report that says Interrupted.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, &SetupError{Err: err}
	}
	begin := time.Now()
	buf := &lockedBuffer{}
	var w io.Writer = buf
	if o.TraceTo != nil {
		w = io.MultiWriter(buf, o.TraceTo)
	}
	hdr := trace.NewHeader(o.Redactor.RedactAll(o.Args), o.Version)
	tw, err := trace.NewWriter(w, hdr)
	if err != nil {
		return nil, setupErr("open trace: %w", err)
	}
	closeTrace := sync.OnceValue(tw.Close)
	defer closeTrace()

	e := &env{o: &o, runID: hdr.RunID, tw: tw, slack: o.Eval.Slack}
	if e.slack == 0 {
		e.slack = conformance.DefaultSlack
	}
	// current is the batch whose endpoints the provider has now: a
	// teardown first marks when its fragments began losing them.
	var current []*fragmentPlan
	prov := &lifecycle.Provider{
		New:    func() (adapter.Adapter, error) { return newAdapter(&o, tw, hdr.RunID) },
		Config: func(what string, fn func() error) error { return e.config("", what, fn) },
		BeforeTeardown: func() {
			for _, fp := range current {
				_ = tw.WriteMark(&trace.Mark{AtNs: tw.Now(), Type: conformance.FragmentTeardownMark, Name: fp.ID})
			}
		},
	}
	frags := selectedPlans(&o.Eval)
	batches := planBatches(frags, o.MaxEndpoints)
	var secrets map[string]string
	var runs []FragmentRun
	var notes, rerun []string
	var stall time.Duration
	defer func() {
		if e.sink != nil {
			e.sink.Close()
		}
	}()
	_, runErr := prov.Run(ctx, lifecycle.Steps{
		Sink: func(s *lifecycle.Session) error {
			e.ad, e.caps = s.Adapter, s.Caps
			var err error
			if e.p, err = gradedPolicy(&o, s); err != nil {
				return &SetupError{Err: err}
			}
			if err := e.subscribe(); err != nil {
				return &SetupError{Err: err}
			}
			if secrets, err = e.startSink(frags); err != nil {
				return &SetupError{Err: err}
			}
			return nil
		},
		Endpoints: func() (string, []adapter.EndpointSpec) {
			var first []*fragmentPlan
			if len(batches) > 0 {
				first = batches[0]
			}
			regs := e.registrations(first, secrets)
			return fmt.Sprintf("register %d endpoints", len(regs)), regs
		},
		Adopt: func(learned map[string]string) error {
			if err := e.learnSecrets(frags, secrets, learned); err != nil {
				return &SetupError{Err: err}
			}
			return nil
		},
		MarkPolicy: func(*lifecycle.Session) error {
			if err := e.writePolicy(); err != nil {
				return setupErr("write trace: %w", err)
			}
			return nil
		},
		Work: func(ctx context.Context, s *lifecycle.Session) error {
			sctx, stopStalls := context.WithCancel(ctx)
			stallDone := make(chan struct{})
			go func() { defer close(stallDone); stall = watchStalls(sctx) }()
			plan, track := e.plan(batches, begin)
			e.track = track
			if o.OnPlan != nil {
				o.OnPlan(*plan)
			}
			stopTicks := make(chan struct{})
			ticksDone := make(chan struct{})
			go func() { defer close(ticksDone); track.tick(stopTicks) }()
			defer func() {
				close(stopTicks)
				<-ticksDone
				stopStalls()
				<-stallDone
			}()
			// runBatches runs fragments in batches, each but the run's very
			// first on a fresh adapter.
			runBatches := func(bs [][]*fragmentPlan) error {
				for i, b := range bs {
					if current != nil {
						torn, err := s.Renew(ctx)
						if torn != nil {
							notes = append(notes, torn.Error())
						}
						if err != nil {
							return stageErr(err)
						}
						e.ad = s.Adapter
						regs := e.registrations(b, secrets)
						if err := s.Setup(ctx, fmt.Sprintf("register %d endpoints", len(regs)), regs); err != nil {
							return stageErr(err)
						}
						if err := e.learnSecrets(frags, secrets, s.Learned()); err != nil {
							return &SetupError{Err: err}
						}
					}
					current = b
					if len(bs) > 1 && o.Progress != nil {
						o.Progress("batch %d/%d: %d endpoints", i+1, len(bs), registeredIn(b))
					}
					rs, err := e.runBatch(ctx, b)
					runs = append(runs, rs...)
					if err != nil {
						return err
					}
				}
				return nil
			}
			if err := runBatches(batches); err != nil {
				return err
			}
			if !o.Isolate || ctx.Err() != nil {
				return nil
			}
			// Judge the main run once its provider stopped delivering.
			if terr := s.Teardown(ctx); terr != nil {
				notes = append(notes, terr.Error())
			}
			again, err := e.interfered(buf, frags)
			if err != nil || len(again) == 0 {
				return err
			}
			for _, fp := range again {
				rerun = append(rerun, fp.ID)
			}
			if o.Progress != nil {
				o.Progress("isolate: interference seen in %s: running them again, one by one", strings.Join(rerun, ", "))
			}
			track.rerun(again)
			track.rerun(again)
			e.rerun = true
			main := runs
			runs = nil
			err = runBatches(planBatches(again, o.MaxEndpoints))
			runs = mergeRuns(main, runs)
			return err
		},
		TornDown: func(terr, runErr error) {
			if runErr == nil {
				notes = append(notes, terr.Error())
			}
		},
	})
	runErr = stageErr(runErr)
	interrupted := ctx.Err() != nil
	if interrupted && e.track != nil {
		// Whatever failed after the interrupt failed because of it; the
		// fragments that finished are graded, the rest SKIP.
		runErr = nil
		runs = e.interruptRest(frags, runs)
	}
	var sinkErr error
	if e.sink != nil {
		sinkErr = e.sink.Close()
		e.sink = nil
	}
	if err := closeTrace(); err != nil {
		return nil, fmt.Errorf("close trace: %w", err)
	}
	if runErr != nil {
		return nil, runErr
	}
	if sinkErr != nil {
		return nil, fmt.Errorf("close sink: %w", sinkErr)
	}
	tr, err := trace.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("read back trace: %w", err)
	}
	results, err := conformance.Evaluate(tr, &e.p, o.Eval)
	if err != nil {
		return nil, err
	}
	inter, err := conformance.DetectInterference(tr)
	if err != nil {
		return nil, err
	}
	rep := &Report{Results: results, Policy: e.p, Capabilities: e.caps, Fragments: runs, Trace: tr, Wall: time.Since(begin), MaxStall: stall,
		Interference: inter, Rerun: rerun, Interrupted: interrupted}
	if len(notes) > 0 {
		rep.Fragments = append(rep.Fragments, FragmentRun{ID: "teardown", Notes: notes})
	}
	return rep, nil
}

// lockedBuffer is the run's in-memory trace: the Isolate option reads it
// while the sink still writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Bytes returns a copy of what was written so far.
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// interfered returns the fragments whose part of the trace written so far
// shows interference, in plan order.
func (e *env) interfered(buf *lockedBuffer, frags []*fragmentPlan) ([]*fragmentPlan, error) {
	if err := e.tw.Flush(); err != nil {
		return nil, fmt.Errorf("write trace: %w", err)
	}
	tr, err := trace.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("read back trace: %w", err)
	}
	inter, err := conformance.DetectInterference(tr)
	if err != nil {
		return nil, err
	}
	var out []*fragmentPlan
	for _, fp := range frags {
		if inter[fp.ID] != nil {
			out = append(out, fp)
		}
	}
	return out, nil
}

// mergeRuns replaces the main run's outcome of each fragment run again by
// the re-run's.
func mergeRuns(main, again []FragmentRun) []FragmentRun {
	by := map[string]FragmentRun{}
	for _, r := range again {
		by[r.ID] = r
	}
	out := slices.Clone(main)
	for i, r := range out {
		if a, ok := by[r.ID]; ok {
			out[i] = a
		}
	}
	return out
}

// runBatch runs the fragments of a batch whose endpoints the provider has.
func (e *env) runBatch(ctx context.Context, batch []*fragmentPlan) ([]FragmentRun, error) {
	pctx, stopPoll := context.WithCancel(ctx)
	pollDone := make(chan struct{})
	go func() { defer close(pollDone); e.pollStats(pctx) }()
	runs, err := e.runFragments(ctx, batch)
	stopPoll()
	<-pollDone
	return runs, err
}

// stageErr turns a failure to build the adapter or to set the provider up
// into a *SetupError; other errors stay as they are.
func stageErr(err error) error {
	var se *lifecycle.StageError
	if !errors.As(err, &se) {
		return err
	}
	if se.Stage == lifecycle.StageSetup {
		return setupErr("adapter setup: %w", se.Err)
	}
	return &SetupError{Err: se.Err}
}

// registrations are the endpoint specs the adapter registers for frags.
func (e *env) registrations(frags []*fragmentPlan, secrets map[string]string) []adapter.EndpointSpec {
	var eps []adapter.EndpointSpec
	for _, fp := range frags {
		for _, ep := range fp.Endpoints {
			if ep.SinkOnly {
				continue
			}
			spec := adapter.EndpointSpec{Name: ep.Path, Path: ep.Path, URL: e.sinkBase() + ep.Path, Scheme: e.p.Scheme, EventTypes: []string{e.o.eventType(fp.ID, ep.Sub)}}
			if !e.p.Signed() {
				spec.Scheme = ""
			}
			if e.caps.SetSecret || e.o.Subscriber != nil && e.o.Subscriber.Secret != "" {
				spec.Secret = secrets[ep.Path]
			}
			eps = append(eps, spec)
		}
	}
	return eps
}

func registeredIn(frags []*fragmentPlan) int {
	n := 0
	for _, fp := range frags {
		n += fp.registered()
	}
	return n
}

// newAdapter builds the adapter: the options' own constructor, or the
// scenarios adapter named by Provider (the reference by default, with the
// suite's reference policy unless a policy was given).
func newAdapter(o *Options, tw *trace.Writer, runID string) (adapter.Adapter, error) {
	ao := adapter.Options{Policy: o.Policy, PolicySet: o.PolicySet, Seed: o.Seed, Trace: tw, RunID: runID, Redactor: o.Redactor}
	if o.NewAdapter != nil {
		ad, err := o.NewAdapter(ao)
		if err != nil {
			return nil, fmt.Errorf("adapter: %w", err)
		}
		return ad, nil
	}
	spec := o.Provider
	if o.IsReference() {
		spec.Adapter = adapter.Reference
		if spec.Reference == nil {
			spec.Reference = &adapter.ReferenceSpec{TimeScale: DefaultTimeScale}
		}
		if !o.PolicySet {
			ao.Policy, ao.PolicySet = ReferencePolicy(), true
		}
		if o.TypeHeader == "" {
			o.TypeHeader = ReferenceTypeHeader
		}
	}
	var ad adapter.Adapter
	var err error
	if spec.Adapter == adapter.Reference {
		ro := adapter.ReferenceOptions{InProcess: true, DataRoot: dataRoot(), SlowDelay: ReferenceSlowDelay}
		if o.IsolateReference {
			ro.Group, ro.Persistent = fragmentGroup(o.typePrefix()), fragmentPersistent
			ro.Notes = []string{"embedded reference provider: one instance per fragment"}
		}
		ad, err = adapter.NewReferenceAdapter(*spec.Reference, ao, ro)
	} else {
		ad, err = adapter.New(spec, ao)
	}
	if err != nil {
		return nil, fmt.Errorf("adapter %s: %w", spec.Adapter, err)
	}
	return ad, nil
}

// gradedPolicy is the declared policy the trace is judged against: what the
// adapter's provider says it runs (the reference: time-scaled), else the
// options' policy.
func gradedPolicy(o *Options, s *lifecycle.Session) (policy.Policy, error) {
	p, set, declared := s.Policy(o.Policy, o.PolicySet)
	switch {
	case declared:
		if err := p.Validate(); err != nil {
			return p, fmt.Errorf("the provider declares an invalid %w", err)
		}
	case !set:
		return policy.Policy{}, errors.New("no policy: the provider declares none; give a scenario with a policy or --profile")
	}
	return p, nil
}

// selectedPlans returns the fragments the selected checks read, in plan order.
func selectedPlans(eo *conformance.Options) []*fragmentPlan {
	need := map[string]bool{}
	for _, ch := range conformance.Checks() {
		if eo.Selected(ch.ID) {
			for _, f := range ch.Fragments {
				need[f] = true
			}
		}
	}
	var out []*fragmentPlan
	for _, fp := range plans() {
		if need[fp.ID] {
			out = append(out, fp)
		}
	}
	return out
}

// startSink starts the sink with every fragment endpoint, verifying the
// policy's scheme with a secret generated per endpoint (the provider gets
// it at setup when the adapter can set secrets).
func (e *env) startSink(frags []*fragmentPlan) (map[string]string, error) {
	rnd := rand.NewChaCha8(seedBytes(e.o.Seed))
	secrets := map[string]string{}
	fixed := ""
	if t := e.o.Subscriber; t != nil {
		fixed = t.Secret
	}
	for _, fp := range frags {
		for _, ep := range fp.Endpoints {
			if !e.p.Signed() || ep.SinkOnly {
				continue
			}
			if fixed != "" {
				secrets[ep.Path] = fixed
				continue
			}
			s, err := signature.GenerateSecret(e.p.Scheme, rnd)
			if err != nil {
				return nil, fmt.Errorf("secret for %s: %w", ep.Path, err)
			}
			secrets[ep.Path] = s
		}
	}
	// A secret the user gave is the provider's: the sink knows it even when
	// the adapter can neither set nor read one.
	e.secretUnknown = e.p.Signed() && !e.caps.SetSecret && fixed == ""
	return secrets, e.newSink(frags, secrets, e.o.SinkListen)
}

func seedBytes(seed int64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(uint64(seed) >> (8 * i))
	}
	copy(b[8:], "hookbench conformance suite.....")
	return b
}

func (e *env) newSink(frags []*fragmentPlan, secrets map[string]string, listen string) error {
	so := sink.NewOptions()
	if listen != "" {
		so.Listen = listen
	}
	so.AllowRemote = e.o.SinkPublic
	so.Trace, so.KeepBodies, so.MaxHang, so.Seed = e.tw, true, e.hangCap(), e.o.Seed
	for _, fp := range frags {
		for _, ep := range fp.Endpoints {
			cfg, err := e.endpointConfig(ep, secrets[ep.Path])
			if err != nil {
				return err
			}
			so.Endpoints = append(so.Endpoints, cfg)
		}
	}
	srv, err := sink.New(so)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	e.sink = srv
	for _, fp := range frags {
		if err := e.setRules(fp); err != nil {
			return err
		}
	}
	return nil
}

// setRules gives the fragment's sink endpoints their behaviour rules.
func (e *env) setRules(fp *fragmentPlan) error {
	for _, ep := range fp.Endpoints {
		rules := slices.Clone(ep.Rules(e))
		if !e.byAttempt() {
			for i := range rules {
				rules[i] = stripAttempt(rules[i])
			}
		}
		rs, err := parseRules(ep.Path, rules)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			continue
		}
		if err := e.sink.SetRules(ep.Path, rs); err != nil {
			return fmt.Errorf("sink rules for %s: %w", ep.Path, err)
		}
	}
	return nil
}

// learnSecrets restarts the sink on the same address with the secrets the
// provider generated (learned, by endpoint name), when the adapter could not
// set ours but read its own.
func (e *env) learnSecrets(frags []*fragmentPlan, secrets, learned map[string]string) error {
	if e.caps.SetSecret || learned == nil || !e.p.Signed() {
		return nil
	}
	n := 0
	for path := range secrets {
		if s := learned[path]; s != "" {
			secrets[path] = s
			n++
		}
	}
	if n == 0 {
		return nil
	}
	addr := e.sink.Addr()
	if err := e.sink.Close(); err != nil {
		return fmt.Errorf("sink restart: %w", err)
	}
	e.secretUnknown = false
	return e.newSink(frags, secrets, addr)
}

// sinkBase is the base URL the provider is given for the sink.
func (e *env) sinkBase() string {
	if e.o.SinkURL != "" {
		return strings.TrimSuffix(e.o.SinkURL, "/")
	}
	return e.sink.URL()
}

// writePolicy records the graded policy, so `hookbench check` can re-grade.
func (e *env) writePolicy() error {
	d, err := json.Marshal(&e.p)
	if err != nil {
		return err
	}
	return e.tw.WriteMark(&trace.Mark{AtNs: e.tw.Now(), Type: trace.PolicyMark, Name: e.p.Profile, Detail: string(d)})
}

// runFragments runs the side-by-side fragments together (or one by one when
// the adapter cannot aim events), then the Last ones alone.
func (e *env) runFragments(ctx context.Context, frags []*fragmentPlan) ([]FragmentRun, error) {
	first, last, seq := e.split(frags)
	runs := make([]FragmentRun, len(frags))
	index := map[*fragmentPlan]int{}
	for i, fp := range frags {
		index[fp] = i
	}
	var mu sync.Mutex
	var firstErr error
	do := func(fp *fragmentPlan) {
		var r FragmentRun
		var err error
		if ctx.Err() != nil {
			r = e.interrupted(fp)
		} else {
			r, err = e.runFragment(ctx, fp)
		}
		mu.Lock()
		defer mu.Unlock()
		runs[index[fp]] = r
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if seq {
		for _, fp := range first {
			do(fp)
		}
	} else {
		var wg sync.WaitGroup
		for _, fp := range first {
			wg.Add(1)
			go func() { defer wg.Done(); do(fp) }()
		}
		wg.Wait()
	}
	for _, fp := range last {
		do(fp)
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return runs, firstErr
}

// split parts a batch into the fragments that run first, side by side
// unless seq, and those that run last, one by one.
func (e *env) split(frags []*fragmentPlan) (first, last []*fragmentPlan, seq bool) {
	seq = e.o.Sequential || e.rerun || (!e.caps.TargetEndpoints && !e.caps.EventTypes)
	for _, fp := range frags {
		if e.alone(fp) {
			last = append(last, fp)
		} else {
			first = append(first, fp)
		}
	}
	return first, last, seq
}

// alone reports whether a fragment must run by itself after the others:
// it asks so (Alone), or its endpoints hang (Hangs), and the adapter does
// not give fragments providers of their own.
func (e *env) alone(fp *fragmentPlan) bool {
	if !fp.Alone && (!fp.Hangs || e.o.hangsBeside) {
		return false
	}
	return !e.ownProviders()
}

// runFragment runs one fragment and writes its marks.
func (e *env) runFragment(ctx context.Context, fp *fragmentPlan) (FragmentRun, error) {
	if e.rerun {
		// The first run switched rules (failPhase): start afresh.
		if err := e.setRules(fp); err != nil {
			return FragmentRun{ID: fp.ID}, err
		}
	}
	f := &fragRun{e: e, plan: fp, start: e.tw.Now(), base: map[string]sink.EndpointStats{}}
	e.snapshot()
	for _, ep := range fp.Endpoints {
		f.base[ep.Path] = e.stat(ep.Path)
	}
	f.frag = conformance.Fragment{EventPrefix: fp.ID + "/", FailFirst: fp.FailFirst, SecretUnknown: e.secretUnknown, OwnProvider: e.ownProviders(), Rerun: e.rerun}
	if e.rerun {
		// Ids of its own: the first run's late deliveries stay the first
		// run's.
		f.frag.EventPrefix = fp.ID + "/rerun/"
	}
	for _, ep := range fp.Endpoints {
		f.frag.Endpoints = append(f.frag.Endpoints, ep.Path)
		if ep.Sub != "" && !ep.SinkOnly {
			f.frag.Subscriptions = append(f.frag.Subscriptions, conformance.Subscription{Endpoint: ep.Path, Types: []string{e.o.eventType(fp.ID, ep.Sub)}})
		}
	}
	begin := time.Now()
	e.track.start(fp.ID)
	var err error
	if fp.Needs != nil {
		f.frag.Skip = fp.Needs(e)
	}
	if f.frag.Skip == "" {
		err = fp.Run(ctx, e, f)
		if err == nil {
			f.linger(ctx)
		}
		// An interrupt cut a wait short (or made a step fail): what the
		// fragment saw is not what it waited for.
		if ctx.Err() != nil && (err != nil || f.unmet != nil || f.frag.Skip != "") {
			f.frag.Skip, err = conformance.SkipInterrupted, nil
		}
	}
	f.mu.Lock()
	notes := slices.Clone(f.notes)
	f.frag.Note = joinNotes(notes)
	d, merr := json.Marshal(&f.frag)
	f.mu.Unlock()
	if merr == nil {
		merr = e.tw.WriteMark(&trace.Mark{AtNs: f.start, Type: trace.FragmentMark, Name: fp.ID, Detail: string(d)})
	}
	if merr == nil {
		merr = e.tw.WriteMark(&trace.Mark{AtNs: e.tw.Now(), Type: conformance.FragmentEndMark, Name: fp.ID})
	}
	if err == nil && merr != nil {
		err = fmt.Errorf("write trace: %w", merr)
	}
	r := FragmentRun{ID: fp.ID, Skip: f.frag.Skip, Took: time.Since(begin), Notes: notes}
	e.track.finish(r)
	return r, err
}

// interrupted records a fragment an interrupt kept from starting: its
// checks SKIP (with the reason it could not have run, if any).
func (e *env) interrupted(fp *fragmentPlan) FragmentRun {
	frag := conformance.Fragment{EventPrefix: fp.ID + "/", Skip: conformance.SkipInterrupted, Rerun: e.rerun}
	if e.rerun {
		frag.EventPrefix = fp.ID + "/rerun/"
	}
	if fp.Needs != nil {
		if why := fp.Needs(e); why != "" {
			frag.Skip = why
		}
	}
	for _, ep := range fp.Endpoints {
		frag.Endpoints = append(frag.Endpoints, ep.Path)
	}
	now := e.tw.Now()
	if d, err := json.Marshal(&frag); err == nil {
		_ = e.tw.WriteMark(&trace.Mark{AtNs: now, Type: trace.FragmentMark, Name: fp.ID, Detail: string(d)})
		_ = e.tw.WriteMark(&trace.Mark{AtNs: now, Type: conformance.FragmentEndMark, Name: fp.ID})
	}
	r := FragmentRun{ID: fp.ID, Skip: frag.Skip}
	e.track.finish(r)
	return r
}

// interruptRest records every fragment of frags that has no outcome in
// runs (its batch never started) as interrupted, and returns runs with
// them, in plan order.
func (e *env) interruptRest(frags []*fragmentPlan, runs []FragmentRun) []FragmentRun {
	have := map[string]bool{}
	var out []FragmentRun
	for _, r := range runs {
		if r.ID != "" {
			have[r.ID] = true
			out = append(out, r)
		}
	}
	for _, fp := range frags {
		if !have[fp.ID] {
			out = append(out, e.interrupted(fp))
		}
	}
	return out
}

func joinNotes(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += "; "
		}
		s += n
	}
	return s
}

// watchStalls returns, when ctx ends, the longest a 10 ms ticker fired late.
func watchStalls(ctx context.Context) time.Duration {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	var worst time.Duration
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return worst
		case now := <-t.C:
			worst = max(worst, now.Sub(last)-tick)
			last = now
		}
	}
}
