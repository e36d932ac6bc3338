package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/reference"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/trace"
)

// refAdapter drives the embedded reference provider in-process through its
// Go API (the same operations its HTTP API serves). It keeps state in a
// temporary directory unless the spec is ephemeral, so a restart keeps
// pending deliveries, and it can rotate secrets (check 6.7).
type refAdapter struct {
	opts  reference.Options
	trace *trace.Writer
	dir   string // temporary DataDir to remove at Teardown, "" when none

	// mu guards p, ids and closed.
	mu     sync.Mutex
	p      *reference.Provider
	ids    map[string]string // endpoint name → provider endpoint id
	closed bool
}

var (
	_ scenarios.Adapter         = (*refAdapter)(nil)
	_ scenarios.Restarter       = (*refAdapter)(nil)
	_ scenarios.EndpointDeleter = (*refAdapter)(nil)
	_ scenarios.PolicyDeclarer  = (*refAdapter)(nil)
	_ SecretRotator             = (*refAdapter)(nil)
)

// newRefAdapter builds and starts the reference provider.
func newRefAdapter(spec scenarios.ReferenceSpec, ao scenarios.AdapterOptions) (*refAdapter, error) {
	o := reference.NewOptions()
	if ao.PolicySet {
		o.Policy = ao.Policy
	}
	if spec.TimeScale > 0 {
		o.TimeScale = spec.TimeScale
	}
	o.Faults = append([]string(nil), spec.Faults...)
	o.APIKey = spec.APIKey
	if spec.Concurrency > 0 {
		o.Concurrency = spec.Concurrency
	}
	if spec.QueueSize > 0 {
		o.QueueSize = spec.QueueSize
	}
	if spec.Listen != "" {
		o.Listen = spec.Listen
	}
	o.Seed = uint64(ao.Seed)
	a := &refAdapter{trace: ao.Trace, ids: map[string]string{}}
	if !spec.Ephemeral {
		dir, err := os.MkdirTemp(dataRoot(), "hookbench-reference-")
		if err != nil {
			return nil, fmt.Errorf("reference data dir: %w", err)
		}
		o.DataDir, a.dir = dir, dir
	}
	a.opts = o
	p, err := reference.New(o)
	if err == nil {
		err = p.Start()
	}
	if err != nil {
		if p != nil {
			p.Close()
		}
		a.removeDir()
		return nil, fmt.Errorf("reference provider: %w", err)
	}
	a.p = p
	a.mark("start")
	return a, nil
}

func (a *refAdapter) removeDir() {
	if a.dir != "" {
		os.RemoveAll(a.dir)
	}
}

func (a *refAdapter) mark(name string) {
	if a.trace != nil {
		a.trace.WriteMark(&trace.Mark{AtNs: a.trace.Now(), Type: conformance.ProviderMark, Name: name + "-reference", Detail: a.p.URL()})
	}
}

func (a *refAdapter) provider() (*reference.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, reference.ErrClosed
	}
	return a.p, nil
}

// Capabilities: the reference can do everything the suite asks.
func (a *refAdapter) Capabilities() scenarios.Capabilities {
	return scenarios.Capabilities{SetSecret: true, ReadSecret: true, DeleteEndpoint: true, IdempotencyKey: true, Restart: true,
		EventTypes: true, TargetEndpoints: true, ProviderIDs: true, EventIDs: true}
}

// DeclaredPolicy is the provider's effective, time-scaled policy.
func (a *refAdapter) DeclaredPolicy() (conformance.Policy, bool) {
	p, err := a.provider()
	if err != nil {
		return conformance.Policy{}, false
	}
	return p.Policy(), true
}

// Setup registers the endpoints.
func (a *refAdapter) Setup(ctx context.Context, eps []scenarios.EndpointSpec) error {
	p, err := a.provider()
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if err := ctx.Err(); err != nil {
			return err
		}
		req := reference.EndpointRequest{URL: ep.URL, Secret: ep.Secret, EventTypes: ep.EventTypes, Scheme: ep.Scheme}
		if ep.Scheme == "" {
			req.Scheme = "none"
		}
		got, err := p.CreateEndpoint(req)
		if err != nil {
			return fmt.Errorf("create endpoint %s: %w", ep.Name, err)
		}
		a.mu.Lock()
		a.ids[ep.Name] = got.ID
		a.mu.Unlock()
	}
	return nil
}

// Trigger publishes one event.
func (a *refAdapter) Trigger(ctx context.Context, ev scenarios.Event) (scenarios.TriggerResult, error) {
	p, err := a.provider()
	if err != nil {
		return scenarios.TriggerResult{}, err
	}
	req := reference.EventRequest{Type: ev.Type, Payload: ev.Payload}
	a.mu.Lock()
	for _, name := range ev.Endpoints {
		id, ok := a.ids[name]
		if !ok {
			a.mu.Unlock()
			return scenarios.TriggerResult{}, fmt.Errorf("trigger %s: unknown endpoint %q", ev.ID, name)
		}
		req.Endpoints = append(req.Endpoints, id)
	}
	a.mu.Unlock()
	res, err := p.Publish(req, ev.IdemKey)
	switch {
	case err == nil:
		return scenarios.TriggerResult{Status: 202, ProviderID: res.ID}, nil
	case errors.Is(err, reference.ErrQueueFull), errors.Is(err, reference.ErrClosed):
		return scenarios.TriggerResult{Status: 503}, nil
	}
	var ie *reference.InputError
	if errors.As(err, &ie) {
		return scenarios.TriggerResult{Status: 400}, nil
	}
	return scenarios.TriggerResult{Status: 500}, nil
}

// DeleteEndpoint deletes one endpoint by name.
func (a *refAdapter) DeleteEndpoint(_ context.Context, name string) error {
	p, err := a.provider()
	if err != nil {
		return err
	}
	a.mu.Lock()
	id, ok := a.ids[name]
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("delete endpoint: unknown endpoint %q", name)
	}
	return p.DeleteEndpoint(id)
}

// RotateSecret gives an endpoint a new generated secret; the old one keeps
// signing for the provider's rotation overlap.
func (a *refAdapter) RotateSecret(_ context.Context, name string) (string, error) {
	p, err := a.provider()
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	id, ok := a.ids[name]
	a.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("rotate secret: unknown endpoint %q", name)
	}
	ep, err := p.RotateSecret(id, "")
	if err != nil {
		return "", err
	}
	return ep.Secret, nil
}

// Restart crashes the provider (attempts in flight are cut off) and starts
// a new one on the same data directory.
func (a *refAdapter) Restart(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return reference.ErrClosed
	}
	if err := a.p.Close(); err != nil {
		return fmt.Errorf("restart: close: %w", err)
	}
	p, err := reference.New(a.opts)
	if err == nil {
		err = p.Start()
	}
	if err != nil {
		a.closed = true
		if p != nil {
			p.Close()
		}
		return fmt.Errorf("restart: %w", err)
	}
	a.p = p
	a.mark("restart")
	return nil
}

// Teardown stops the provider and removes its data.
func (a *refAdapter) Teardown(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		a.removeDir()
		return nil
	}
	a.closed = true
	err := a.p.Close()
	a.removeDir()
	return err
}

// dataRoot picks where the reference keeps its store: a RAM-backed /dev/shm
// when there is one (the store syncs every write; on a disk shared with
// other work that makes the provider, not the rules, the bottleneck), else
// the default temporary directory. A restart within the run still finds
// the data.
func dataRoot() string {
	const shm = "/dev/shm"
	if st, err := os.Stat(shm); err == nil && st.IsDir() {
		if f, err := os.CreateTemp(shm, "hookbench-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return shm
		}
	}
	return ""
}
