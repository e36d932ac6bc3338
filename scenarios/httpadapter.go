package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxResponseBody bounds what the http adapter reads of a response.
const maxResponseBody = 1 << 20

// HTTPAdapter drives a provider's HTTP API as an HTTPSpec declares it. It
// is safe for concurrent Trigger calls after Setup.
type HTTPAdapter struct {
	spec   HTTPSpec
	client *http.Client
	vars   *stepVars
	red    *Redactor
	// perEndpoint: the trigger refers to {{endpoint.NAME}}, so each event
	// is one request per endpoint it is aimed at.
	perEndpoint bool
}

var (
	_ Adapter         = (*HTTPAdapter)(nil)
	_ EndpointDeleter = (*HTTPAdapter)(nil)
	_ SecretSource    = (*HTTPAdapter)(nil)
	_ Targeter        = (*HTTPAdapter)(nil)
	_ Restarter       = (*HTTPAdapter)(nil)
	_ SecretRotator   = (*HTTPAdapter)(nil)
)

// NewHTTPAdapter returns an adapter for the declared API. The spec should
// come from a validated Scenario; templates are checked again here.
func NewHTTPAdapter(spec HTTPSpec, opts AdapterOptions) (*HTTPAdapter, error) {
	if spec.BaseURL == "" {
		return nil, errors.New("http adapter: base_url is required")
	}
	if spec.Timeout == 0 {
		spec.Timeout = DefaultStepTimeout
	}
	if spec.Trigger.Method == "" {
		spec.Trigger.Method = http.MethodPost
	}
	red := opts.Redactor
	if red == nil {
		red = &Redactor{}
	}
	opts.Redactor = red
	client := opts.HTTPClient
	if client == nil {
		// Idle connections close well before common server read timeouts
		// (30 s): a server timing one out answers it 400, unasked.
		client = &http.Client{
			Timeout:   spec.Timeout,
			Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 15 * time.Second, ResponseHeaderTimeout: spec.Timeout},
		}
	}
	t := spec.Trigger
	refs := []string{t.Path, t.Body}
	for _, h := range mergeHeaders(spec.Headers, t.Headers) {
		refs = append(refs, h[1])
	}
	return &HTTPAdapter{spec: spec, client: client, vars: newStepVars(spec.Vars, opts), red: red, perEndpoint: usesEndpoint(refs...)}, nil
}

// usesEndpoint reports whether any template refers to {{endpoint.NAME}}.
func usesEndpoint(texts ...string) bool {
	for _, s := range texts {
		t, err := compileTemplate(s)
		if err != nil {
			continue
		}
		for _, sg := range t {
			if sg.ref && strings.HasPrefix(sg.head, endpointPrefix) {
				return true
			}
		}
	}
	return false
}

// Capabilities derives what the declared API allows from the templates.
func (a *HTTPAdapter) Capabilities() Capabilities {
	c := Capabilities{DeleteEndpoint: len(a.spec.EndpointTeardown) > 0}
	for _, s := range a.spec.Endpoint {
		all := s.Path + s.Body
		for _, h := range s.Headers {
			all += h
		}
		c.SetSecret = c.SetSecret || templateUses(all, "secret")
		c.EventTypes = c.EventTypes || templateUses(all, "event_types") || templateUses(all, "event_types_json")
		if _, ok := s.Extract["secret"]; ok {
			c.ReadSecret = true
		}
	}
	t := a.spec.Trigger
	all := t.Path + t.Body
	for _, h := range t.Headers {
		all += h
	}
	c.IdempotencyKey = templateUses(all, "idempotency_key")
	c.EventIDs = templateUses(all, "id") || templateUses(all, "payload")
	c.ProviderIDs = t.ProviderID != ""
	c.TargetEndpoints, c.PerEndpointTrigger = a.perEndpoint, a.perEndpoint
	c.Restart = len(a.spec.Restart) > 0
	c.RotateSecret = len(a.spec.RotateSecret) > 0
	if !c.SetSecret && !c.ReadSecret {
		c.Notes = append(c.Notes, "the endpoint steps neither send {{secret}} nor extract a secret: signatures cannot be verified")
	}
	if !c.EventIDs {
		c.Notes = append(c.Notes, "the trigger sends neither {{id}} nor {{payload}}: deliveries are matched to triggers by count only")
	}
	if !c.DeleteEndpoint {
		c.Notes = append(c.Notes, "no endpoint_teardown steps: endpoints cannot be deleted")
	}
	if !c.IdempotencyKey {
		c.Notes = append(c.Notes, "the trigger sends no {{idempotency_key}}")
	}
	if c.PerEndpointTrigger {
		c.Notes = append(c.Notes, "the trigger is aimed at one endpoint at a time: an event that names none is sent to each endpoint subscribed to its type")
	}
	if !c.RotateSecret {
		c.Notes = append(c.Notes, "no rotate_secret steps: secrets cannot be rotated")
	}
	if !c.Restart {
		c.Notes = append(c.Notes, "no restart steps: the provider cannot be restarted")
	}
	return c
}

// Setup runs the setup steps, then the endpoint steps for each endpoint,
// then waits as settle says.
func (a *HTTPAdapter) Setup(ctx context.Context, eps []EndpointSpec) error {
	states := a.vars.setEndpoints(eps)
	if err := a.vars.resolve(true); err != nil {
		return fmt.Errorf("http adapter: %w", err)
	}
	for i := range a.spec.Setup {
		if err := a.step(ctx, "setup", &a.spec.Setup[i], a.vars.lookupGlobal, nil); err != nil {
			return err
		}
	}
	for _, ep := range states {
		for i := range a.spec.Endpoint {
			if err := a.step(ctx, "endpoint "+ep.spec.Name, &a.spec.Endpoint[i], a.vars.endpointLookup(ep), ep); err != nil {
				return err
			}
		}
	}
	return a.settle(ctx)
}

// settle waits until the provider applied its configuration (see Settle).
func (a *HTTPAdapter) settle(ctx context.Context) error {
	s := a.spec.Settle
	if s == nil {
		return nil
	}
	return settle(ctx, s, a.vars, func(ctx context.Context, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error) {
		body, err := a.exchange(ctx, "settle", s.Poll, lookup, ep)
		return body, err
	})
}

// RotateSecret runs the rotate_secret steps for one endpoint and returns
// its new secret ("" when the provider chose one and did not say).
func (a *HTTPAdapter) RotateSecret(ctx context.Context, name string) (string, error) {
	if len(a.spec.RotateSecret) == 0 {
		return "", fmt.Errorf("rotate secret of %q: %w (no rotate_secret steps)", name, ErrUnsupported)
	}
	return a.vars.rotate(name, func(ep *endpointVars, lookup func(string) (string, bool)) error {
		for i := range a.spec.RotateSecret {
			if err := a.step(ctx, "rotate_secret "+name, &a.spec.RotateSecret[i], lookup, ep); err != nil {
				return err
			}
		}
		return nil
	})
}

// Restart runs the restart steps, then waits as settle says.
func (a *HTTPAdapter) Restart(ctx context.Context) error {
	if len(a.spec.Restart) == 0 {
		return fmt.Errorf("restart: %w (no restart steps)", ErrUnsupported)
	}
	for i := range a.spec.Restart {
		if err := a.step(ctx, "restart", &a.spec.Restart[i], a.vars.lookupGlobal, nil); err != nil {
			return err
		}
	}
	return a.settle(ctx)
}

// EndpointSecrets returns every endpoint's secret after Setup, including
// secrets the provider generated.
func (a *HTTPAdapter) EndpointSecrets() map[string]string { return a.vars.secrets() }

// Trigger renders and sends the trigger request for one event: once, or,
// when the trigger refers to {{endpoint.NAME}}, once per endpoint the event
// is aimed at (every endpoint when it names none).
func (a *HTTPAdapter) Trigger(ctx context.Context, ev Event) (TriggerResult, error) {
	return a.vars.fanOut(ev, a.perEndpoint, func(lookup func(string) (string, bool)) (TriggerResult, error) {
		return a.triggerOnce(ctx, lookup)
	})
}

func (a *HTTPAdapter) triggerOnce(ctx context.Context, lookup func(string) (string, bool)) (TriggerResult, error) {
	t := &a.spec.Trigger
	req, err := a.request(ctx, t, lookup)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger: %w", err)
	}
	status, body, hdr, err := a.do(req)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger %s %s: %w", req.Method, a.red.Redact(req.URL.Redacted()), err)
	}
	res := TriggerResult{Status: status}
	if t.ProviderID != "" && accepted(t, status) {
		id, err := extractValue(t.ProviderID, body, hdr.Get)
		if err != nil {
			// The provider took the event: that is the result; the missing
			// id is only a note.
			res.Note = fmt.Sprintf("the trigger API answered %d but no provider id could be extracted (%s: %s)", status, t.ProviderID, a.red.Redact(err.Error()))
		}
		res.ProviderID = id
	}
	return res, nil
}

// DeleteEndpoint runs the endpoint_teardown steps for one endpoint.
func (a *HTTPAdapter) DeleteEndpoint(ctx context.Context, name string) error {
	if len(a.spec.EndpointTeardown) == 0 {
		return fmt.Errorf("delete endpoint %q: %w (no endpoint_teardown steps)", name, ErrUnsupported)
	}
	ep, ok := a.vars.endpoint(name)
	if !ok {
		return fmt.Errorf("delete endpoint %q: no such endpoint", name)
	}
	for i := range a.spec.EndpointTeardown {
		if err := a.step(ctx, "endpoint_teardown "+name, &a.spec.EndpointTeardown[i], a.vars.endpointLookup(ep), ep); err != nil {
			return err
		}
	}
	a.vars.mu.Lock()
	ep.deleted = true
	a.vars.mu.Unlock()
	return nil
}

// Teardown deletes every endpoint not yet deleted, then runs the teardown
// steps; it keeps going after errors.
func (a *HTTPAdapter) Teardown(ctx context.Context) error {
	var errs []error
	for _, ep := range a.vars.live() {
		for i := range a.spec.EndpointTeardown {
			if err := a.step(ctx, "endpoint_teardown "+ep.spec.Name, &a.spec.EndpointTeardown[i], a.vars.endpointLookup(ep), ep); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	for i := range a.spec.Teardown {
		if err := a.step(ctx, "teardown", &a.spec.Teardown[i], a.vars.lookupGlobal, nil); err != nil {
			errs = append(errs, err)
		}
	}
	a.client.CloseIdleConnections()
	return errors.Join(errs...)
}

// GeneratorTarget returns the trigger request with the adapter's values
// filled in and the generator's names left in place. {{payload}} becomes
// the phase's payload template; a header whose whole value is
// {{idempotency_key}} becomes the generator's idempotency header, and other
// uses of the key become {{id}} (a duplicate resends the same id).
func (a *HTTPAdapter) GeneratorTarget(payload string) (Target, bool) {
	var epLookup func(string) (string, bool)
	if a.perEndpoint {
		// The generator sends one request per event: it can aim at the only
		// endpoint, not at several.
		all := a.vars.all()
		if len(all) != 1 {
			return Target{}, false
		}
		epLookup = a.vars.endpointLookup(all[0])
	}
	generatorNames := map[string]bool{"id": true, "type": true, "seq": true, "now": true, "now_ms": true, "now_us": true, "now_ns": true, "now_unix": true, "now_rfc3339": true, "uuid": true}
	lookup := func(name string) (string, bool) {
		switch name {
		case "payload":
			return payload, true
		case "idempotency_key":
			return "{{id}}", true
		}
		if rest, ok := strings.CutPrefix(name, endpointPrefix); ok && epLookup != nil {
			return epLookup(rest)
		}
		head, _, _ := strings.Cut(name, " ")
		if generatorNames[head] || head == "rand_int" || head == "pick" {
			return "", false
		}
		return a.vars.lookupGlobal(name)
	}
	partial := func(s string) (string, bool) {
		t, err := compileTemplate(s)
		if err != nil {
			return "", false
		}
		return t.renderPartial(lookup), true
	}
	t := a.spec.Trigger
	u, ok := partial(a.url(t.Path))
	if !ok {
		return Target{}, false
	}
	body, ok := partial(t.Body)
	if !ok {
		return Target{}, false
	}
	if isJSONObject(t.Body) {
		// Drop the members known to be empty now; the generator's names
		// are never empty.
		tm, _ := compileTemplate(t.Body)
		body, _ = tm.renderJSON(func(name string) (string, bool) {
			if v, ok := lookup(name); ok {
				return v, true
			}
			return "{{" + name + "}}", true
		})
	}
	tg := Target{URL: u, Method: t.Method, Body: body, ProviderIDPath: t.ProviderID}
	if tg.Method == "" {
		tg.Method = http.MethodPost
	}
	if strings.HasPrefix(tg.ProviderIDPath, "header:") {
		tg.ProviderIDPath = ""
	}
	for _, h := range mergeHeaders(a.spec.Headers, t.Headers) {
		if strings.TrimSpace(h[1]) == "{{idempotency_key}}" {
			tg.IdempotencyHeader = h[0]
			continue
		}
		v, ok := partial(h[1])
		if !ok {
			return Target{}, false
		}
		tg.Headers = append(tg.Headers, [2]string{h[0], v})
	}
	return tg, true
}

// mergeHeaders returns the global headers overridden by the step's, sorted
// by name for a stable request.
func mergeHeaders(global, step map[string]string) [][2]string {
	m := map[string]string{}
	for k, v := range global {
		m[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range step {
		m[http.CanonicalHeaderKey(k)] = v
	}
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j][0] < out[j-1][0]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (a *HTTPAdapter) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return strings.TrimSuffix(a.spec.BaseURL, "/") + "/" + strings.TrimPrefix(path, "/")
}

func render(s string, lookup func(string) (string, bool)) (string, error) {
	t, err := compileTemplate(s)
	if err != nil {
		return "", err
	}
	return t.render(lookup)
}

// renderBody renders a request body or stdin: a JSON object leaves out
// members whose single reference renders empty (see renderJSON).
func renderBody(s string, lookup func(string) (string, bool)) (string, error) {
	t, err := compileTemplate(s)
	if err != nil {
		return "", err
	}
	if isJSONObject(s) {
		return t.renderJSON(lookup)
	}
	return t.render(lookup)
}

// request renders one step into an HTTP request.
func (a *HTTPAdapter) request(ctx context.Context, s *HTTPStep, lookup func(string) (string, bool)) (*http.Request, error) {
	u, err := render(a.url(s.Path), lookup)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	body, err := renderBody(s.Body, lookup)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	method := s.Method
	if method == "" {
		method = http.MethodPost
	}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", errors.New(a.red.Redact(err.Error())))
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", a.red.Redact(u))
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "hookbench")
	for _, h := range mergeHeaders(a.spec.Headers, s.Headers) {
		v, err := render(h[1], lookup)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", h[0], err)
		}
		if v == "" {
			continue // an empty value (e.g. no idempotency key) sends no header
		}
		req.Header.Set(h[0], v)
	}
	return req, nil
}

// do sends a request and reads a bounded response.
func (a *HTTPAdapter) do(req *http.Request) (int, []byte, http.Header, error) {
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, nil, errors.New(a.red.Redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return resp.StatusCode, nil, resp.Header, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, body, resp.Header, nil
}

func accepted(s *HTTPStep, status int) bool {
	if len(s.Expect) == 0 {
		return status >= 200 && status < 300
	}
	for _, e := range s.Expect {
		if e == status {
			return true
		}
	}
	return false
}

// step runs one setup, endpoint or teardown step and stores what it
// extracts (per endpoint when ep is not nil).
func (a *HTTPAdapter) step(ctx context.Context, stage string, s *HTTPStep, lookup func(string) (string, bool), ep *endpointVars) error {
	_, err := a.exchange(ctx, stage, s, lookup, ep)
	return err
}

// exchange sends one step's request, checks its status, stores what it
// extracts and returns the response body.
func (a *HTTPAdapter) exchange(ctx context.Context, stage string, s *HTTPStep, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error) {
	label := stage + " step"
	if s.Name != "" {
		label += " " + strconv.Quote(s.Name)
	}
	sctx, cancel := context.WithTimeout(ctx, a.spec.Timeout)
	defer cancel()
	req, err := a.request(sctx, s, lookup)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	target := req.Method + " " + a.red.Redact(req.URL.Redacted())
	status, body, hdr, err := a.do(req)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", label, target, err)
	}
	if !accepted(s, status) {
		want := "2xx"
		if len(s.Expect) > 0 {
			want = fmt.Sprint(s.Expect)
		}
		return nil, fmt.Errorf("%s (%s): status %d, want %s; response %s", label, target, status, want, a.red.Redact(snippet(body, 200)))
	}
	for name, expr := range s.Extract {
		v, err := extractValue(expr, body, hdr.Get)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): extract %s: %w", label, target, name, errors.New(a.red.Redact(err.Error())))
		}
		a.vars.extracted(ep, name, v)
	}
	return body, nil
}
