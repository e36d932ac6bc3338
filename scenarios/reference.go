package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/reference"
	"github.com/hookbench/hookbench/trace"
)

// ReferenceAdapter runs the embedded reference provider in-process with the
// scenario's policy, time scale and faults, and drives it through its Go
// API (setup) and its HTTP API (triggers, so statuses are real). It can
// crash and restart the provider on the same address: unless the spec is
// Ephemeral, state lives in a temporary directory and survives restarts.
// Safe for concurrent use after Setup.
type ReferenceAdapter struct {
	spec   ReferenceSpec
	opts   AdapterOptions
	client *http.Client

	mu      sync.Mutex // guards everything below
	p       *reference.Provider
	url     string // the API's base URL, stable across restarts
	listen  string // host:port, fixed after the first start
	dataDir string
	eps     []EndpointSpec
	ids     map[string]string // endpoint name → provider endpoint id
}

var (
	_ Adapter         = (*ReferenceAdapter)(nil)
	_ Restarter       = (*ReferenceAdapter)(nil)
	_ Stopper         = (*ReferenceAdapter)(nil)
	_ EndpointDeleter = (*ReferenceAdapter)(nil)
	_ PolicyDeclarer  = (*ReferenceAdapter)(nil)
	_ Targeter        = (*ReferenceAdapter)(nil)
)

// NewReferenceAdapter returns an adapter for an embedded reference
// provider; the provider starts in Setup.
func NewReferenceAdapter(spec ReferenceSpec, opts AdapterOptions) (*ReferenceAdapter, error) {
	if _, err := referenceOptions(spec, opts, ""); err != nil {
		return nil, err
	}
	return &ReferenceAdapter{spec: spec, opts: opts, client: &http.Client{Timeout: DefaultStepTimeout}, ids: map[string]string{}}, nil
}

// referenceOptions maps the spec onto the provider's options.
func referenceOptions(spec ReferenceSpec, opts AdapterOptions, dataDir string) (reference.Options, error) {
	o := reference.NewOptions()
	if opts.PolicySet {
		o.Policy = opts.Policy
	}
	if spec.TimeScale > 0 {
		o.TimeScale = spec.TimeScale
	}
	o.Faults = spec.Faults
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
	o.DataDir = dataDir
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("reference provider: %w", err)
	}
	return o, nil
}

// Capabilities: the reference provider can do everything hookbench checks.
func (a *ReferenceAdapter) Capabilities() Capabilities {
	c := Capabilities{SetSecret: true, DeleteEndpoint: true, IdempotencyKey: true, Restart: true, EventTypes: true,
		TargetEndpoints: true, ProviderIDs: true, EventIDs: true}
	if a.spec.Ephemeral {
		c.Notes = append(c.Notes, "ephemeral: a restart loses endpoints and pending deliveries; the adapter registers the endpoints again")
	}
	return c
}

func (a *ReferenceAdapter) mark(name, detail string) {
	if a.opts.Trace == nil {
		return
	}
	_ = a.opts.Trace.WriteMark(&trace.Mark{AtNs: a.opts.Trace.Now(), Type: "provider", Name: name, Detail: detail})
}

// startLocked creates and starts a provider on the fixed address.
func (a *ReferenceAdapter) startLocked() error {
	o, err := referenceOptions(a.spec, a.opts, a.dataDir)
	if err != nil {
		return err
	}
	if a.listen != "" {
		o.Listen = a.listen
	}
	p, err := reference.New(o)
	if err != nil {
		return fmt.Errorf("reference provider: %w", err)
	}
	if err := p.Start(); err != nil {
		_ = p.Close()
		return fmt.Errorf("reference provider: %w", err)
	}
	a.p = p
	a.url = p.URL()
	a.listen = strings.TrimPrefix(a.url, "http://")
	detail := a.url
	if len(o.Faults) > 0 {
		detail += " faults=" + strings.Join(o.Faults, ",")
	}
	a.mark("start", detail)
	return nil
}

// Setup starts the provider and creates one endpoint per sink endpoint.
func (a *ReferenceAdapter) Setup(ctx context.Context, eps []EndpointSpec) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.p != nil {
		return errors.New("reference adapter: Setup called twice")
	}
	if !a.spec.Ephemeral {
		dir, err := os.MkdirTemp("", "hookbench-reference-")
		if err != nil {
			return fmt.Errorf("reference provider: data dir: %w", err)
		}
		a.dataDir = dir
	}
	if err := a.startLocked(); err != nil {
		return err
	}
	a.eps = append([]EndpointSpec(nil), eps...)
	return a.registerLocked(ctx)
}

func (a *ReferenceAdapter) registerLocked(ctx context.Context) error {
	for _, ep := range a.eps {
		if err := ctx.Err(); err != nil {
			return err
		}
		req := reference.EndpointRequest{URL: ep.URL, Secret: ep.Secret, EventTypes: ep.EventTypes, Scheme: ep.Scheme}
		if ep.Scheme == "" {
			req.Scheme, req.Secret = SchemeNone, ""
		}
		got, err := a.p.CreateEndpoint(req)
		if err != nil {
			return fmt.Errorf("reference provider: create endpoint %s: %w", ep.Name, a.opts.Redactor.RedactError(err))
		}
		a.ids[ep.Name] = got.ID
	}
	return nil
}

// DeclaredPolicy is the provider's effective policy (time-scaled,
// Persistent when it keeps state on disk).
func (a *ReferenceAdapter) DeclaredPolicy() (conformance.Policy, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.p == nil {
		return conformance.Policy{}, false
	}
	return a.p.Policy(), true
}

// URL returns the provider's API URL ("" before Setup).
func (a *ReferenceAdapter) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.url
}

// eventBody is the trigger request of the reference API.
type eventBody struct {
	Type      string          `json:"type"`
	Payload   json.RawMessage `json:"payload"`
	Endpoints []string        `json:"endpoints,omitempty"`
}

// Trigger posts one event to the provider's HTTP API.
func (a *ReferenceAdapter) Trigger(ctx context.Context, ev Event) (TriggerResult, error) {
	a.mu.Lock()
	url := a.url
	var ids []string
	for _, name := range ev.Endpoints {
		id, ok := a.ids[name]
		if !ok {
			a.mu.Unlock()
			return TriggerResult{}, fmt.Errorf("trigger: no endpoint named %q", name)
		}
		ids = append(ids, id)
	}
	a.mu.Unlock()
	if url == "" {
		return TriggerResult{}, errors.New("trigger: provider not started (Setup first)")
	}
	body, err := json.Marshal(eventBody{Type: ev.Type, Payload: ev.Payload, Endpoints: ids})
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
	if ev.IdemKey != "" {
		req.Header.Set(reference.IdempotencyHeader, ev.IdemKey)
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
		var pr reference.PublishResult
		if err := json.Unmarshal(rb, &pr); err != nil {
			return res, fmt.Errorf("trigger: response %s: %w", snippet(rb, 100), err)
		}
		res.ProviderID = pr.ID
	}
	return res, nil
}

// GeneratorTarget is POST /events with the phase payload inside.
func (a *ReferenceAdapter) GeneratorTarget(payload string) (Target, bool) {
	url := a.URL()
	if url == "" {
		return Target{}, false
	}
	tg := Target{
		URL:               url + "/events",
		Method:            http.MethodPost,
		Body:              `{"type":"{{type}}","payload":` + payload + `}`,
		IdempotencyHeader: reference.IdempotencyHeader,
		ProviderIDPath:    "$.id",
	}
	if a.spec.APIKey != "" {
		tg.Headers = [][2]string{{"Authorization", "Bearer " + a.spec.APIKey}}
	}
	return tg, true
}

// DeleteEndpoint deletes one endpoint by name.
func (a *ReferenceAdapter) DeleteEndpoint(ctx context.Context, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, ok := a.ids[name]
	if !ok || a.p == nil {
		return fmt.Errorf("delete endpoint %q: no such endpoint", name)
	}
	if err := a.p.DeleteEndpoint(id); err != nil {
		return fmt.Errorf("delete endpoint %q: %w", name, err)
	}
	delete(a.ids, name)
	return nil
}

// Stop closes the provider as a crash would: attempts in flight are cut
// off; pending deliveries survive only on disk.
func (a *ReferenceAdapter) Stop(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopLocked()
}

func (a *ReferenceAdapter) stopLocked() error {
	if a.p == nil {
		return nil
	}
	err := a.p.Close()
	a.p = nil
	a.mark("stop", "")
	if err != nil {
		return fmt.Errorf("reference provider: stop: %w", err)
	}
	return nil
}

// Start starts a stopped provider on the same address. An ephemeral one
// lost its endpoints: they are created again (with new ids).
func (a *ReferenceAdapter) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.startAgainLocked(ctx)
}

func (a *ReferenceAdapter) startAgainLocked(ctx context.Context) error {
	if a.p != nil {
		return nil
	}
	if a.listen == "" {
		return errors.New("reference provider: start before Setup")
	}
	// The port was just released; retry briefly if the kernel still holds it.
	var err error
	for i := 0; i < 50; i++ {
		if err = a.startLocked(); err == nil {
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
	if a.spec.Ephemeral {
		a.ids = map[string]string{}
		return a.registerLocked(ctx)
	}
	return nil
}

// Restart crashes the provider and starts it again on the same address.
func (a *ReferenceAdapter) Restart(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mark("restart", "")
	if err := a.stopLocked(); err != nil {
		return err
	}
	return a.startAgainLocked(ctx)
}

// Teardown deletes the endpoints, stops the provider and removes its data.
func (a *ReferenceAdapter) Teardown(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	if a.p != nil {
		for name, id := range a.ids {
			if err := a.p.DeleteEndpoint(id); err != nil {
				errs = append(errs, fmt.Errorf("delete endpoint %s: %w", name, err))
			}
		}
		a.ids = map[string]string{}
		if err := a.stopLocked(); err != nil {
			errs = append(errs, err)
		}
	}
	if a.dataDir != "" {
		if err := os.RemoveAll(a.dataDir); err != nil {
			errs = append(errs, fmt.Errorf("remove provider data: %w", err))
		}
		a.dataDir = ""
	}
	a.client.CloseIdleConnections()
	return errors.Join(errs...)
}
