// Package lifecycle is the order in which a run drives a provider through
// its adapter, shared by the scenario runner and the conformance suite:
// build the adapter, start the sink, set the provider up, give the sink the
// secrets the provider chose, record the policy, do the run's work, and tear
// the provider down, bounded in time, whatever happened. The run-specific
// parts (which sink, which endpoints, what work) are Steps.
package lifecycle

import (
	"context"
	"sync"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/policy"
)

// DefaultTeardownTimeout bounds a teardown, which also runs after the run's
// context was cancelled.
const DefaultTeardownTimeout = 30 * time.Second

// Stage names the part of the lifecycle an error came from.
type Stage string

// Stages whose errors Run wraps in a *StageError.
const (
	StageAdapter Stage = "adapter"
	StageSetup   Stage = "setup"
)

// StageError is a failure to build the adapter or to set the provider up.
type StageError struct {
	Stage Stage
	Err   error
}

func (e *StageError) Error() string { return string(e.Stage) + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *StageError) Unwrap() error { return e.Err }

// Provider is how a run builds and tears down adapters: once, or once per
// batch of endpoints.
type Provider struct {
	// New builds an adapter.
	New func() (adapter.Adapter, error)
	// TeardownTimeout bounds each teardown; 0 = DefaultTeardownTimeout.
	TeardownTimeout time.Duration
	// Config, when set, runs a change of the provider's configuration
	// (setup, teardown) described by what, e.g. between trace marks.
	Config func(what string, fn func() error) error
	// BeforeTeardown, when set, is called before each teardown.
	BeforeTeardown func()
}

// Session is one adapter's life: built, set up, torn down once.
type Session struct {
	p       *Provider
	Adapter adapter.Adapter
	Caps    adapter.Capabilities

	mu    sync.Mutex // guards setUp and torn
	setUp bool
	torn  bool
}

// Open builds an adapter; its error is a *StageError (StageAdapter).
func (p *Provider) Open() (*Session, error) {
	ad, err := p.New()
	if err != nil {
		return nil, &StageError{Stage: StageAdapter, Err: err}
	}
	return &Session{p: p, Adapter: ad, Caps: ad.Capabilities()}, nil
}

func (p *Provider) config(what string, fn func() error) error {
	if p.Config == nil {
		return fn()
	}
	return p.Config(what, fn)
}

// Policy is the policy the provider declares (the reference's effective,
// time-scaled one), else fallback; declared says which.
func (s *Session) Policy(fallback policy.Policy, fallbackSet bool) (p policy.Policy, set, declared bool) {
	if pd, ok := s.Adapter.(adapter.PolicyDeclarer); ok {
		if p, ok := pd.DeclaredPolicy(); ok {
			return p, true, true
		}
	}
	return fallback, fallbackSet, false
}

// Setup registers the endpoints; its error is a *StageError (StageSetup).
// From here on Teardown tears the provider down.
func (s *Session) Setup(ctx context.Context, what string, eps []adapter.EndpointSpec) error {
	s.mu.Lock()
	s.setUp = true
	s.mu.Unlock()
	if err := s.p.config(what, func() error { return s.Adapter.Setup(ctx, eps) }); err != nil {
		return &StageError{Stage: StageSetup, Err: err}
	}
	return nil
}

// Learned returns the endpoint secrets the adapter learned from the
// provider during Setup (endpoint name → secret, empty ones left out); nil
// when the adapter learns none.
func (s *Session) Learned() map[string]string {
	src, ok := s.Adapter.(adapter.SecretSource)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for name, secret := range src.EndpointSecrets() {
		if secret != "" {
			out[name] = secret
		}
	}
	return out
}

// Teardown tears the provider down once, if Setup was tried, bounded by the
// teardown timeout even when ctx has ended; later calls return nil.
func (s *Session) Teardown(ctx context.Context) error {
	s.mu.Lock()
	if s.torn || !s.setUp {
		s.torn = true
		s.mu.Unlock()
		return nil
	}
	s.torn = true
	s.mu.Unlock()
	if s.p.BeforeTeardown != nil {
		s.p.BeforeTeardown()
	}
	d := s.p.TeardownTimeout
	if d <= 0 {
		d = DefaultTeardownTimeout
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	return s.p.config("teardown", func() error { return s.Adapter.Teardown(tctx) })
}

// Steps are a run's own parts, called by Run in this order.
type Steps struct {
	// Sink starts the sink, knowing what the adapter can do.
	Sink func(s *Session) error
	// Endpoints are what Setup registers, described by what.
	Endpoints func() (what string, eps []adapter.EndpointSpec)
	// Adopt gives the sink the secrets the provider chose (Learned; nil
	// when the adapter learns none).
	Adopt func(learned map[string]string) error
	// MarkPolicy records the policy the run is judged against.
	MarkPolicy func(s *Session) error
	// Work is the run itself.
	Work func(ctx context.Context, s *Session) error
	// TornDown, when set, receives the teardown's error and the run's
	// (a run that otherwise worked reports the first as a warning).
	TornDown func(teardownErr, runErr error)
}

// Run drives one adapter through the lifecycle: build it, start the sink,
// set the provider up, adopt its secrets, mark the policy, work, and tear
// down (bounded, also after an error or a cancelled ctx). Errors of the
// steps are returned as they are; building the adapter and Setup fail with
// a *StageError.
func (p *Provider) Run(ctx context.Context, st Steps) (s *Session, err error) {
	s, err = p.Open()
	if err != nil {
		return nil, err
	}
	defer func() {
		terr := s.Teardown(ctx)
		if st.TornDown != nil && terr != nil {
			st.TornDown(terr, err)
		}
	}()
	if err := st.Sink(s); err != nil {
		return s, err
	}
	what, eps := st.Endpoints()
	if err := s.Setup(ctx, what, eps); err != nil {
		return s, err
	}
	if err := st.Adopt(s.Learned()); err != nil {
		return s, err
	}
	if err := st.MarkPolicy(s); err != nil {
		return s, err
	}
	return s, st.Work(ctx, s)
}

// Renew tears the provider down (if not done yet) and builds a fresh
// adapter in the session's place, for a run that sets the provider up more
// than once (batch by batch). torn is the teardown's error, err the
// building's (a *StageError).
func (s *Session) Renew(ctx context.Context) (torn, err error) {
	torn = s.Teardown(ctx)
	ad, err := s.p.New()
	if err != nil {
		return torn, &StageError{Stage: StageAdapter, Err: err}
	}
	s.mu.Lock()
	s.Adapter, s.Caps, s.setUp, s.torn = ad, ad.Capabilities(), false, false
	s.mu.Unlock()
	return torn, nil
}
