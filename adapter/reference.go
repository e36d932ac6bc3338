package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/trace"
)

// ReferenceOptions are the reference adapter's settings beyond its spec.
type ReferenceOptions struct {
	// Group maps an endpoint name or an event type to the key of the
	// provider instance serving it; "" is the shared instance, which also
	// declares the policy. nil: one instance serves everything. Separate
	// instances keep one group's events from shifting another's (the
	// every-n-th-event faults count per instance) and let one be restarted
	// alone.
	Group func(nameOrType string) string
	// Persistent reports whether a group's instance keeps a store on disk
	// (unless the spec is Ephemeral); nil: every instance does. An instance
	// never restarted needs none, and a store costs a synced write per
	// event and attempt.
	Persistent func(group string) bool
	// InProcess triggers through the provider's Go API, statuses mapped
	// as its HTTP API maps them (provider.StatusOf); else triggers are
	// requests to its HTTP API, so statuses and timing are real.
	InProcess bool
	// DataRoot is where stores are created ("" = the default temporary
	// directory).
	DataRoot string
	// SlowDelay is the delay of the provider's "slow" fault (0 = its
	// default).
	SlowDelay time.Duration
	// Notes are added to the capability notes.
	Notes []string
}

// ReferenceAdapter runs the embedded reference provider in-process with the
// spec's policy, time scale and faults: one instance, or one per group
// (ReferenceOptions.Group). Endpoints are created through the provider's Go
// API; events are triggered through its HTTP API or in-process. It can crash
// and restart an instance on the same address: unless the spec is
// Ephemeral, state lives in a temporary directory and survives restarts (an
// ephemeral instance loses its endpoints, which the adapter registers
// again). Safe for concurrent use after Setup.
type ReferenceAdapter struct {
	spec   ReferenceSpec
	opts   Options
	ro     ReferenceOptions
	base   provider.Options // DataDir and Listen are set per instance
	client *http.Client

	mu     sync.Mutex // guards everything below
	insts  map[string]*refInstance
	ids    map[string]*refEndpoint // by endpoint name
	closed bool
}

// refInstance is one provider instance and where it lives.
type refInstance struct {
	group  string
	opts   provider.Options
	dir    string
	listen string // host:port, fixed after the first start
	p      *provider.Provider
}

// refEndpoint is a registered endpoint: its spec, instance and id.
type refEndpoint struct {
	spec    EndpointSpec
	group   string
	id      string
	deleted bool
}

var (
	_ Adapter           = (*ReferenceAdapter)(nil)
	_ Restarter         = (*ReferenceAdapter)(nil)
	_ FragmentRestarter = (*ReferenceAdapter)(nil)
	_ Stopper           = (*ReferenceAdapter)(nil)
	_ EndpointDeleter   = (*ReferenceAdapter)(nil)
	_ SecretRotator     = (*ReferenceAdapter)(nil)
	_ PolicyDeclarer    = (*ReferenceAdapter)(nil)
	_ Targeter          = (*ReferenceAdapter)(nil)
)

// NewReferenceAdapter returns an adapter for the embedded reference
// provider; instances start in Setup.
func NewReferenceAdapter(spec ReferenceSpec, opts Options, ro ReferenceOptions) (*ReferenceAdapter, error) {
	o := provider.NewOptions()
	if opts.PolicySet {
		o.Policy = opts.Policy
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
	o.Seed = uint64(opts.Seed)
	if ro.SlowDelay > 0 {
		o.SlowDelay = ro.SlowDelay
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("reference provider: %w", err)
	}
	return &ReferenceAdapter{spec: spec, opts: opts, ro: ro, base: o, client: &http.Client{Timeout: DefaultStepTimeout},
		insts: map[string]*refInstance{}, ids: map[string]*refEndpoint{}}, nil
}

// Capabilities: the reference provider can do everything hookbench checks.
func (a *ReferenceAdapter) Capabilities() Capabilities {
	c := Capabilities{SetSecret: true, DeleteEndpoint: true, IdempotencyKey: true, Restart: true, Stop: true, RotateSecret: true,
		EventTypes: true, TargetEndpoints: true, ProviderIDs: true, EventIDs: true}
	if a.spec.Ephemeral {
		c.Notes = append(c.Notes, "ephemeral: a restart loses endpoints and pending deliveries; the adapter registers the endpoints again")
	}
	c.Notes = append(c.Notes, a.ro.Notes...)
	return c
}

// Grouped reports whether the adapter gives each group of endpoints a
// provider instance of its own.
func (a *ReferenceAdapter) Grouped() bool { return a.ro.Group != nil }

func (a *ReferenceAdapter) group(nameOrType string) string {
	if a.ro.Group == nil {
		return ""
	}
	return a.ro.Group(nameOrType)
}

func (a *ReferenceAdapter) persistent(group string) bool {
	return !a.spec.Ephemeral && (a.ro.Persistent == nil || a.ro.Persistent(group))
}

func (a *ReferenceAdapter) mark(in *refInstance, what, detail string) {
	tw := a.opts.Trace
	if tw == nil {
		return
	}
	if in.group != "" {
		what += " (" + in.group + ")"
	}
	_ = tw.WriteMark(&trace.Mark{AtNs: tw.Now(), Type: trace.ProviderMark, Name: what, Detail: detail})
}

// instanceLocked returns the instance of a group, creating and starting it
// when needed.
func (a *ReferenceAdapter) instanceLocked(group string) (*refInstance, error) {
	if a.closed {
		return nil, provider.ErrClosed
	}
	if in, ok := a.insts[group]; ok {
		return in, nil
	}
	in := &refInstance{group: group, opts: a.base}
	if a.persistent(group) {
		dir, err := os.MkdirTemp(a.ro.DataRoot, "hookbench-reference-")
		if err != nil {
			return nil, fmt.Errorf("reference provider: data dir: %w", err)
		}
		in.opts.DataDir, in.dir = dir, dir
	}
	if err := a.startLocked(in); err != nil {
		in.removeDir()
		return nil, err
	}
	a.insts[group] = in
	return in, nil
}

// startLocked creates and starts an instance's provider, on its fixed
// address once it had one.
func (a *ReferenceAdapter) startLocked(in *refInstance) error {
	o := in.opts
	if in.listen != "" {
		o.Listen = in.listen
	}
	p, err := provider.New(o)
	if err == nil {
		if err = p.Start(); err != nil {
			_ = p.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("reference provider: %w", err)
	}
	in.p = p
	in.listen = strings.TrimPrefix(p.URL(), "http://")
	detail := p.URL()
	if len(o.Faults) > 0 {
		detail += " faults=" + strings.Join(o.Faults, ",")
	}
	a.mark(in, "start", detail)
	return nil
}

func (in *refInstance) removeDir() {
	if in.dir != "" {
		_ = os.RemoveAll(in.dir)
		in.dir = ""
	}
}

// Setup starts the shared instance and creates each endpoint with its
// group's instance.
func (a *ReferenceAdapter) Setup(ctx context.Context, eps []EndpointSpec) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.instanceLocked(""); err != nil {
		return err
	}
	for _, ep := range eps {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &refEndpoint{spec: ep, group: a.group(ep.Name)}
		if err := a.registerLocked(r); err != nil {
			return err
		}
		a.ids[ep.Name] = r
	}
	return nil
}

// registerLocked creates one endpoint with its group's instance.
func (a *ReferenceAdapter) registerLocked(r *refEndpoint) error {
	in, err := a.instanceLocked(r.group)
	if err != nil {
		return err
	}
	ep := r.spec
	req := provider.EndpointRequest{URL: ep.URL, Secret: ep.Secret, EventTypes: ep.EventTypes, Scheme: ep.Scheme}
	if ep.Scheme == "" {
		req.Scheme, req.Secret = SchemeNone, ""
	}
	got, err := in.p.CreateEndpoint(req)
	if err != nil {
		return fmt.Errorf("reference provider: create endpoint %s: %w", ep.Name, a.opts.Redactor.RedactError(err))
	}
	r.id = got.ID
	return nil
}

// DeclaredPolicy is the shared instance's effective policy (time-scaled,
// Persistent when it keeps a store), known before it starts.
func (a *ReferenceAdapter) DeclaredPolicy() (policy.Policy, bool) {
	p := a.base.EffectivePolicy()
	p.Persistent = a.persistent("")
	return p, true
}

// URL returns the shared instance's API URL ("" before Setup).
func (a *ReferenceAdapter) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in, ok := a.insts[""]; ok {
		return "http://" + in.listen // also while stopped: the address stays
	}
	return ""
}

// eventBody is the trigger request of the reference API.
type eventBody struct {
	Type      string          `json:"type"`
	Payload   json.RawMessage `json:"payload"`
	Endpoints []string        `json:"endpoints,omitempty"`
}

// Trigger publishes one event at the instance of its endpoints (or, for a
// broadcast, of its type). An instance that does not exist answers 404.
func (a *ReferenceAdapter) Trigger(ctx context.Context, ev Event) (TriggerResult, error) {
	group := a.group(ev.Type)
	var ids []string
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return TriggerResult{}, provider.ErrClosed
	}
	for i, name := range ev.Endpoints {
		r, ok := a.ids[name]
		if !ok {
			a.mu.Unlock()
			return TriggerResult{}, fmt.Errorf("trigger %s: unknown endpoint %q", ev.ID, name)
		}
		if i == 0 {
			group = r.group
		} else if r.group != group {
			a.mu.Unlock()
			return TriggerResult{}, fmt.Errorf("trigger %s: endpoints of different groups", ev.ID)
		}
		ids = append(ids, r.id)
	}
	in, ok := a.insts[group]
	var p *provider.Provider
	if ok {
		p = in.p
	}
	a.mu.Unlock()
	switch {
	case !ok:
		return TriggerResult{Status: http.StatusNotFound}, nil
	case a.ro.InProcess && p == nil:
		return TriggerResult{Status: provider.StatusOf(provider.ErrClosed)}, nil
	case a.ro.InProcess:
		res, err := p.Publish(provider.EventRequest{Type: ev.Type, Payload: ev.Payload, Endpoints: ids}, ev.IdemKey)
		if err != nil {
			return TriggerResult{Status: provider.StatusOf(err)}, nil
		}
		return TriggerResult{Status: http.StatusAccepted, ProviderID: res.ID}, nil
	}
	a.mu.Lock()
	url := "http://" + in.listen
	a.mu.Unlock()
	return a.post(ctx, url, eventBody{Type: ev.Type, Payload: ev.Payload, Endpoints: ids}, ev.IdemKey)
}

// post sends one event to an instance's HTTP API.
func (a *ReferenceAdapter) post(ctx context.Context, url string, ev eventBody, idemKey string) (TriggerResult, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/events", bytes.NewReader(body))
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.spec.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+a.spec.APIKey)
	}
	if idemKey != "" {
		req.Header.Set(provider.IdempotencyHeader, idemKey)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger: %w", a.opts.Redactor.RedactError(err))
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	res := TriggerResult{Status: resp.StatusCode}
	if err != nil {
		return res, fmt.Errorf("trigger: read response: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		var pr provider.PublishResult
		if err := json.Unmarshal(rb, &pr); err != nil {
			return res, fmt.Errorf("trigger: response %s: %w", snippet(rb, 100), err)
		}
		res.ProviderID = pr.ID
	}
	return res, nil
}

// GeneratorTarget is POST /events of the shared instance with the phase
// payload inside.
func (a *ReferenceAdapter) GeneratorTarget(payload string) (Target, bool) {
	url := a.URL()
	if url == "" {
		return Target{}, false
	}
	tg := Target{
		URL:               url + "/events",
		Method:            http.MethodPost,
		Body:              `{"type":"{{type}}","payload":` + payload + `}`,
		IdempotencyHeader: provider.IdempotencyHeader,
		ProviderIDPath:    "$.id",
	}
	if a.spec.APIKey != "" {
		tg.Headers = [][2]string{{"Authorization", "Bearer " + a.spec.APIKey}}
	}
	return tg, true
}

// endpoint returns the running provider and the record of a named endpoint.
func (a *ReferenceAdapter) endpoint(name string) (*provider.Provider, *refEndpoint, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, nil, provider.ErrClosed
	}
	r, ok := a.ids[name]
	if !ok {
		return nil, nil, fmt.Errorf("no such endpoint %q", name)
	}
	in := a.insts[r.group]
	if in == nil || in.p == nil {
		return nil, nil, fmt.Errorf("endpoint %q: %w", name, provider.ErrClosed)
	}
	return in.p, r, nil
}

// DeleteEndpoint deletes one endpoint by name. Events may still name it:
// the provider must refuse or drop them.
func (a *ReferenceAdapter) DeleteEndpoint(_ context.Context, name string) error {
	p, r, err := a.endpoint(name)
	if err != nil {
		return fmt.Errorf("delete endpoint: %w", err)
	}
	if err := p.DeleteEndpoint(r.id); err != nil {
		return fmt.Errorf("delete endpoint %q: %w", name, err)
	}
	a.mu.Lock()
	r.deleted = true
	a.mu.Unlock()
	return nil
}

// RotateSecret gives an endpoint a new generated secret; the old one keeps
// signing for the provider's rotation overlap.
func (a *ReferenceAdapter) RotateSecret(_ context.Context, name string) (string, error) {
	p, r, err := a.endpoint(name)
	if err != nil {
		return "", fmt.Errorf("rotate secret: %w", err)
	}
	ep, err := p.RotateSecret(r.id, "")
	if err != nil {
		return "", err
	}
	a.opts.Redactor.Add(ep.Secret)
	return ep.Secret, nil
}

// Stop closes every instance as a crash would: attempts in flight are cut
// off; pending deliveries survive only on disk.
func (a *ReferenceAdapter) Stop(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for _, g := range a.groupsLocked() {
		errs = append(errs, a.stopLocked(a.insts[g]))
	}
	return errors.Join(errs...)
}

func (a *ReferenceAdapter) stopLocked(in *refInstance) error {
	if in.p == nil {
		return nil
	}
	err := in.p.Close()
	in.p = nil
	a.mark(in, "stop", "")
	if err != nil {
		return fmt.Errorf("reference provider: stop: %w", err)
	}
	return nil
}

// Start starts the stopped instances again on their addresses.
func (a *ReferenceAdapter) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.insts) == 0 {
		return errors.New("reference provider: start before Setup")
	}
	for _, g := range a.groupsLocked() {
		if err := a.startAgainLocked(ctx, a.insts[g]); err != nil {
			return err
		}
	}
	return nil
}

// startAgainLocked starts a stopped instance on its address; an ephemeral
// one lost its endpoints, which are created again (with new ids).
func (a *ReferenceAdapter) startAgainLocked(ctx context.Context, in *refInstance) error {
	if a.closed {
		return provider.ErrClosed
	}
	if in.p != nil {
		return nil
	}
	// The port was just released; retry briefly if the kernel still holds it.
	var err error
	for range 50 {
		if err = a.startLocked(in); err == nil {
			break
		}
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	if err != nil {
		return err
	}
	if in.opts.DataDir != "" {
		return nil
	}
	names := make([]string, 0, len(a.ids))
	for name, r := range a.ids {
		if r.group == in.group && !r.deleted {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if err := a.registerLocked(a.ids[name]); err != nil {
			return err
		}
	}
	return nil
}

// Restart crashes every instance and starts each again on its address.
func (a *ReferenceAdapter) Restart(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, g := range a.groupsLocked() {
		if err := a.restartLocked(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// RestartFragment crashes and restarts only the instance of one group (the
// only instance when the adapter has no groups).
func (a *ReferenceAdapter) RestartFragment(ctx context.Context, group string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ro.Group == nil {
		group = ""
	}
	return a.restartLocked(ctx, group)
}

func (a *ReferenceAdapter) restartLocked(ctx context.Context, group string) error {
	if a.closed {
		return provider.ErrClosed
	}
	in, ok := a.insts[group]
	if !ok {
		return fmt.Errorf("restart: no provider for %q", group)
	}
	a.mark(in, "restart", "")
	if err := a.stopLocked(in); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if err := a.startAgainLocked(ctx, in); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

// groupsLocked returns the instances' groups, sorted.
func (a *ReferenceAdapter) groupsLocked() []string {
	gs := make([]string, 0, len(a.insts))
	for g := range a.insts {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	return gs
}

// Teardown stops every instance and removes their data.
func (a *ReferenceAdapter) Teardown(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	var errs []error
	for _, g := range a.groupsLocked() {
		in := a.insts[g]
		errs = append(errs, a.stopLocked(in))
		in.removeDir()
	}
	a.client.CloseIdleConnections()
	return errors.Join(errs...)
}
