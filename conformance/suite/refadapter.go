package suite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/reference"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/trace"
)

// FragmentRestarter is an optional adapter capability: crash and restart
// only the provider serving one fragment, so the restart fragment can run
// beside the others instead of after them.
type FragmentRestarter interface {
	RestartFragment(ctx context.Context, fragment string) error
}

// refAdapter drives the embedded reference provider in-process through its
// Go API (the operations its HTTP API serves). With isolation on, every
// fragment gets a provider instance of its own, as h2spec opens a fresh
// connection per case: one fragment's events cannot shift another's (the
// every-5th-event faults count per instance) and a restart disturbs no
// other fragment. Unless the spec is ephemeral, the instances that can be
// restarted keep their state in a temporary directory, so a restart keeps
// pending deliveries (see persistent).
type refAdapter struct {
	opts    reference.Options // DataDir is set per instance
	spec    scenarios.ReferenceSpec
	trace   *trace.Writer
	isolate bool
	// typePrefix starts the suite's event types (Options.TypePrefix).
	typePrefix string

	// mu guards provs, ids and closed.
	mu     sync.Mutex
	provs  map[string]*refInstance // by fragment ("" = shared)
	ids    map[string]refID        // endpoint name → instance and id
	closed bool
}

type refInstance struct {
	group string
	opts  reference.Options
	dir   string
	p     *reference.Provider
}

type refID struct{ group, id string }

var (
	_ scenarios.Adapter         = (*refAdapter)(nil)
	_ scenarios.Restarter       = (*refAdapter)(nil)
	_ scenarios.EndpointDeleter = (*refAdapter)(nil)
	_ scenarios.PolicyDeclarer  = (*refAdapter)(nil)
	_ SecretRotator             = (*refAdapter)(nil)
	_ SecretRotator             = (*scenarios.HTTPAdapter)(nil)
	_ SecretRotator             = (*scenarios.CommandAdapter)(nil)
	_ FragmentRestarter         = (*refAdapter)(nil)
)

// newRefAdapter builds the adapter and starts the shared instance (the one
// that declares the policy and serves endpoints outside any fragment).
func newRefAdapter(spec scenarios.ReferenceSpec, ao scenarios.AdapterOptions, isolate bool) (*refAdapter, error) {
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
	o.SlowDelay = ReferenceSlowDelay
	a := &refAdapter{opts: o, spec: spec, trace: ao.Trace, isolate: isolate, provs: map[string]*refInstance{}, ids: map[string]refID{}}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.instanceLocked(""); err != nil {
		return nil, err
	}
	return a, nil
}

// persistent reports whether a group's instance keeps a store. With
// isolation only the shared instance (which declares the policy) and the
// restart fragment's need one: the others are never restarted, so a store
// would only cost time (every event and attempt is a synced write).
func (a *refAdapter) persistent(group string) bool {
	return !a.isolate || group == "" || group == conformance.FragRestart
}

// groupOf maps an endpoint name or event type to its fragment ("" without
// isolation or outside the suite's naming).
func (a *refAdapter) groupOf(nameOrType string) string {
	if !a.isolate {
		return ""
	}
	if rest, ok := strings.CutPrefix(nameOrType, "/f/"); ok {
		g, _, _ := strings.Cut(rest, "/")
		return g
	}
	if rest, ok := strings.CutPrefix(nameOrType, cmp.Or(a.typePrefix, DefaultTypePrefix)); ok {
		g, _, _ := strings.Cut(rest, ".")
		return g
	}
	return ""
}

// instanceLocked returns (starting it when needed) the provider of a group.
func (a *refAdapter) instanceLocked(group string) (*refInstance, error) {
	if a.closed {
		return nil, reference.ErrClosed
	}
	if in, ok := a.provs[group]; ok {
		return in, nil
	}
	in := &refInstance{group: group, opts: a.opts}
	if !a.spec.Ephemeral && a.persistent(group) {
		dir, err := os.MkdirTemp(dataRoot(), "hookbench-reference-")
		if err != nil {
			return nil, fmt.Errorf("reference data dir: %w", err)
		}
		in.opts.DataDir, in.dir = dir, dir
	}
	if err := in.start(); err != nil {
		in.removeDir()
		return nil, err
	}
	a.provs[group] = in
	a.mark(in, "start")
	return in, nil
}

func (in *refInstance) start() error {
	p, err := reference.New(in.opts)
	if err == nil {
		if err = p.Start(); err != nil {
			p.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("reference provider: %w", err)
	}
	in.p = p
	return nil
}

func (in *refInstance) removeDir() {
	if in.dir != "" {
		os.RemoveAll(in.dir)
	}
}

func (a *refAdapter) mark(in *refInstance, what string) {
	if a.trace == nil {
		return
	}
	name := "reference " + what
	if in.group != "" {
		name += " (" + in.group + ")"
	}
	a.trace.WriteMark(&trace.Mark{AtNs: a.trace.Now(), Type: conformance.ProviderMark, Name: name, Detail: in.p.URL()})
}

// Capabilities: the reference can do everything the suite asks.
func (a *refAdapter) Capabilities() scenarios.Capabilities {
	caps := scenarios.Capabilities{SetSecret: true, ReadSecret: true, DeleteEndpoint: true, IdempotencyKey: true, Restart: true, RotateSecret: true,
		EventTypes: true, TargetEndpoints: true, ProviderIDs: true, EventIDs: true}
	if a.isolate {
		caps.Notes = append(caps.Notes, "embedded reference provider: one instance per fragment")
	}
	return caps
}

// DeclaredPolicy is the provider's effective, time-scaled policy.
func (a *refAdapter) DeclaredPolicy() (conformance.Policy, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	in, ok := a.provs[""]
	if !ok {
		return conformance.Policy{}, false
	}
	return in.p.Policy(), true
}

// Setup registers the endpoints, each with its fragment's instance.
func (a *refAdapter) Setup(ctx context.Context, eps []scenarios.EndpointSpec) error {
	for _, ep := range eps {
		if err := ctx.Err(); err != nil {
			return err
		}
		g := a.groupOf(ep.Name)
		a.mu.Lock()
		in, err := a.instanceLocked(g)
		a.mu.Unlock()
		if err != nil {
			return err
		}
		req := reference.EndpointRequest{URL: ep.URL, Secret: ep.Secret, EventTypes: ep.EventTypes, Scheme: ep.Scheme}
		if ep.Scheme == "" {
			req.Scheme = "none"
		}
		got, err := in.p.CreateEndpoint(req)
		if err != nil {
			return fmt.Errorf("create endpoint %s: %w", ep.Name, err)
		}
		a.mu.Lock()
		a.ids[ep.Name] = refID{g, got.ID}
		a.mu.Unlock()
	}
	return nil
}

// lookup returns the instance and id of a named endpoint.
func (a *refAdapter) lookup(name string) (*reference.Provider, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, "", reference.ErrClosed
	}
	r, ok := a.ids[name]
	if !ok {
		return nil, "", fmt.Errorf("unknown endpoint %q", name)
	}
	return a.provs[r.group].p, r.id, nil
}

// Trigger publishes one event at the instance of its endpoints (or, for a
// broadcast, of its type).
func (a *refAdapter) Trigger(ctx context.Context, ev scenarios.Event) (scenarios.TriggerResult, error) {
	group := a.groupOf(ev.Type)
	req := reference.EventRequest{Type: ev.Type, Payload: ev.Payload}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return scenarios.TriggerResult{}, reference.ErrClosed
	}
	for i, name := range ev.Endpoints {
		r, ok := a.ids[name]
		if !ok {
			a.mu.Unlock()
			return scenarios.TriggerResult{}, fmt.Errorf("trigger %s: unknown endpoint %q", ev.ID, name)
		}
		if i == 0 {
			group = r.group
		} else if r.group != group {
			a.mu.Unlock()
			return scenarios.TriggerResult{}, fmt.Errorf("trigger %s: endpoints of different fragments", ev.ID)
		}
		req.Endpoints = append(req.Endpoints, r.id)
	}
	in, ok := a.provs[group]
	a.mu.Unlock()
	if !ok {
		return scenarios.TriggerResult{Status: 404}, nil
	}
	res, err := in.p.Publish(req, ev.IdemKey)
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
	p, id, err := a.lookup(name)
	if err != nil {
		return fmt.Errorf("delete endpoint: %w", err)
	}
	return p.DeleteEndpoint(id)
}

// RotateSecret gives an endpoint a new generated secret; the old one keeps
// signing for the provider's rotation overlap.
func (a *refAdapter) RotateSecret(_ context.Context, name string) (string, error) {
	p, id, err := a.lookup(name)
	if err != nil {
		return "", fmt.Errorf("rotate secret: %w", err)
	}
	ep, err := p.RotateSecret(id, "")
	if err != nil {
		return "", err
	}
	return ep.Secret, nil
}

// Restart crashes every instance (attempts in flight are cut off) and
// starts each again on its data directory.
func (a *refAdapter) Restart(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	groups := make([]string, 0, len(a.provs))
	for g := range a.provs {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		if err := a.restartLocked(g); err != nil {
			return err
		}
	}
	return nil
}

// RestartFragment crashes and restarts the instance serving one fragment.
func (a *refAdapter) RestartFragment(ctx context.Context, fragment string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.restartLocked(a.groupOf("/f/" + fragment))
}

func (a *refAdapter) restartLocked(group string) error {
	if a.closed {
		return reference.ErrClosed
	}
	in, ok := a.provs[group]
	if !ok {
		return fmt.Errorf("restart: no provider for %q", group)
	}
	if err := in.p.Close(); err != nil {
		return fmt.Errorf("restart: close: %w", err)
	}
	if err := in.start(); err != nil {
		delete(a.provs, group)
		in.removeDir()
		return fmt.Errorf("restart: %w", err)
	}
	a.mark(in, "restart")
	return nil
}

// Teardown stops every instance and removes their data.
func (a *refAdapter) Teardown(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	var errs []error
	for _, in := range a.provs {
		if err := in.p.Close(); err != nil {
			errs = append(errs, err)
		}
		in.removeDir()
	}
	return errors.Join(errs...)
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
