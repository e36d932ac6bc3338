package adapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookbench/hookbench/generator"
)

// maxResponseBody bounds what the http adapter reads of a response.
const maxResponseBody = 1 << 20

// HTTPAdapter drives a provider's HTTP API as an HTTPSpec declares it. It
// is safe for concurrent Trigger calls after Setup.
type HTTPAdapter struct {
	// engine runs the declared steps: Setup, RotateSecret, Restart,
	// DeleteEndpoint, EndpointSecrets.
	*engine[HTTPStep]
	spec   HTTPSpec
	client *http.Client
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
func NewHTTPAdapter(spec HTTPSpec, opts Options) (*HTTPAdapter, error) {
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
	a := &HTTPAdapter{spec: spec, client: client, perEndpoint: usesEndpoint(refs...)}
	a.engine = &engine[HTTPStep]{kind: "http adapter", unit: "step", vars: newStepVars(spec.Vars, opts), red: red, runner: a, prog: spec.program()}
	return a, nil
}

// httpTexts is a step's template text.
func httpTexts(s *HTTPStep) string {
	all := s.Path + s.Body
	for _, h := range s.Headers {
		all += h
	}
	return all
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
	return a.capabilities(&a.spec.Trigger, a.spec.Trigger.ProviderID, httpTexts, a.perEndpoint, "send")
}

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

// Teardown deletes every endpoint not yet deleted, then runs the teardown
// steps; it keeps going after errors.
func (a *HTTPAdapter) Teardown(ctx context.Context) error {
	err := a.engine.Teardown(ctx)
	a.client.CloseIdleConnections()
	return err
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
		if generator.IsPlaceholder(head) {
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
		return 0, nil, nil, a.red.RedactError(err) // keeps the chain: netx.Classify reads its type
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

// runStep sends one step's request and checks its status (see stepRunner).
func (a *HTTPAdapter) runStep(ctx context.Context, label string, s *HTTPStep, lookup func(string) (string, bool)) ([]byte, func(string) string, string, error) {
	sctx, cancel := context.WithTimeout(ctx, a.spec.Timeout)
	defer cancel()
	req, err := a.request(sctx, s, lookup)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", label, err)
	}
	target := req.Method + " " + a.red.Redact(req.URL.Redacted())
	status, body, hdr, err := a.do(req)
	if err != nil {
		return nil, nil, target, fmt.Errorf("%s (%s): %w", label, target, err)
	}
	if !accepted(s, status) {
		want := "2xx"
		if len(s.Expect) > 0 {
			want = fmt.Sprint(s.Expect)
		}
		return nil, nil, target, fmt.Errorf("%s (%s): status %d, want %s; response %s", label, target, status, want, a.red.Redact(snippet(body, 200)))
	}
	return body, hdr.Get, target, nil
}
