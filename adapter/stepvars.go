package adapter

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookbench/hookbench/generator"
)

// stepVars holds the template values of one declarative adapter (http,
// command): declared vars, built-ins and values extracted by steps, globally
// and per endpoint. It is safe for concurrent use.
type stepVars struct {
	red *Redactor

	// declared are the spec's vars as written: templates over the
	// built-ins and each other, rendered into global by resolve.
	declared map[string]string

	mu     sync.Mutex // guards global and eps
	global map[string]string
	eps    []*endpointVars

	seq atomic.Uint64

	rndMu sync.Mutex // guards rnd
	rnd   *rand.Rand
}

// endpointVars is one endpoint's spec and the values its steps extracted.
type endpointVars struct {
	spec    EndpointSpec
	vars    map[string]string
	deleted bool
}

func newStepVars(declared map[string]string, opts Options) *stepVars {
	v := &stepVars{
		red:      opts.Redactor,
		declared: declared,
		global:   map[string]string{"run_id": opts.RunID},
		rnd:      rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
	}
	// Vars that need sink_url stay unset until Setup knows it.
	_ = v.resolve(false)
	return v
}

// resolve renders the declared vars into the global values. A var may use
// the built-ins and other vars; strict makes an unknown name an error
// (after Setup every built-in is known).
func (v *stepVars) resolve(strict bool) error {
	v.mu.Lock()
	builtins := make(map[string]string, len(builtinsGlobal))
	for _, n := range builtinsGlobal {
		if val, ok := v.global[n]; ok {
			builtins[n] = val
		}
	}
	v.mu.Unlock()
	vals, err := resolveVars(v.declared, builtins)
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, val := range vals {
		v.global[k] = val
		if SecretName(k) {
			v.red.Add(val)
		}
	}
	if strict {
		return err
	}
	return nil
}

// resolveVars renders declared vars whose templates refer to built-ins
// and other vars. It returns every var it could render; the error names
// the first var it could not (an unknown name or a cycle).
func resolveVars(declared, builtins map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(declared))
	state := map[string]int{} // 1 rendering, 2 done
	var firstErr error
	var visit func(name string) (string, error)
	visit = func(name string) (string, error) {
		switch state[name] {
		case 1:
			return "", fmt.Errorf("var %s refers to itself through other vars", name)
		case 2:
			return out[name], nil
		}
		state[name] = 1
		var inner error
		val, err := render(declared[name], func(ref string) (string, bool) {
			if _, ok := declared[ref]; ok {
				s, err := visit(ref)
				if err != nil {
					inner = err
					return "", false
				}
				return s, true
			}
			s, ok := builtins[ref]
			return s, ok
		})
		if inner != nil {
			state[name] = 0
			return "", inner
		}
		if err != nil {
			state[name] = 0
			return "", fmt.Errorf("var %s: %w", name, err)
		}
		state[name] = 2
		out[name] = val
		return val, nil
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := visit(n); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return out, firstErr
}

// setEndpoints records the endpoints and derives sink_url from them.
func (v *stepVars) setEndpoints(eps []EndpointSpec) []*endpointVars {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.eps = v.eps[:0]
	for _, ep := range eps {
		v.eps = append(v.eps, &endpointVars{spec: ep, vars: map[string]string{}})
		if _, ok := v.global["sink_url"]; !ok && ep.URL != "" {
			v.global["sink_url"] = strings.TrimSuffix(ep.URL, ep.Path)
		}
	}
	return append([]*endpointVars(nil), v.eps...)
}

// all returns every endpoint, deleted ones included.
func (v *stepVars) all() []*endpointVars {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*endpointVars(nil), v.eps...)
}

func (v *stepVars) endpoint(name string) (*endpointVars, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, ep := range v.eps {
		if ep.spec.Name == name {
			return ep, true
		}
	}
	return nil, false
}

func (v *stepVars) lookupGlobal(name string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	val, ok := v.global[name]
	return val, ok
}

func (v *stepVars) endpointLookup(ep *endpointVars) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v.mu.Lock()
		val, ok := ep.vars[name]
		spec := ep.spec
		v.mu.Unlock()
		if ok {
			return val, true
		}
		switch name {
		case "path":
			return spec.Path, true
		case "url":
			return spec.URL, true
		case "secret":
			return spec.Secret, true
		case "scheme":
			return spec.Scheme, true
		case "name":
			return spec.Name, true
		case "event_types":
			return strings.Join(spec.EventTypes, ","), true
		case "event_types_json":
			types := spec.EventTypes
			if types == nil {
				types = []string{}
			}
			b, _ := json.Marshal(types)
			return string(b), true
		}
		return v.lookupGlobal(name)
	}
}

// idemKey is the event's idempotency key: its own, else its id, so that
// every event has a key of its own and only a deliberate duplicate (the
// same Event again) repeats one.
func idemKey(ev Event) string {
	if ev.IdemKey != "" {
		return ev.IdemKey
	}
	return ev.ID
}

// triggerLookup fills one event's values and the generator-language names;
// ep is the endpoint the request is aimed at (nil: none), key its
// idempotency key.
func (v *stepVars) triggerLookup(ev Event, now time.Time, ep *endpointVars, key string) func(string) (string, bool) {
	var seq string
	var epLookup func(string) (string, bool)
	if ep != nil {
		epLookup = v.endpointLookup(ep)
	}
	return func(name string) (string, bool) {
		switch name {
		case "id":
			return ev.ID, true
		case "type":
			return ev.Type, true
		case "payload":
			return string(ev.Payload), true
		case "idempotency_key":
			return key, true
		case "seq":
			if seq == "" {
				seq = strconv.FormatUint(v.seq.Add(1), 10)
			}
			return seq, true
		}
		if rest, ok := strings.CutPrefix(name, endpointPrefix); ok {
			if epLookup == nil {
				return "", false
			}
			return epLookup(rest)
		}
		if head, _, _ := strings.Cut(name, " "); generator.IsPlaceholder(head) {
			return v.generated(name, now)
		}
		return v.lookupGlobal(name)
	}
}

// generated renders a placeholder of the generator's template language
// (now, uuid, rand_int, pick) at now; false when it does not compile.
func (v *stepVars) generated(name string, now time.Time) (string, bool) {
	t, err := generator.ParseTemplate("{{" + name + "}}")
	if err != nil {
		return "", false
	}
	v.rndMu.Lock()
	defer v.rndMu.Unlock()
	return string(t.Append(nil, &generator.Event{Time: now, Rand: v.rnd})), true
}

// extracted stores a value a step extracted: per endpoint when ep is not
// nil, else globally. Secret-sounding names are registered for redaction;
// an endpoint's "secret" replaces the endpoint's signing secret.
func (v *stepVars) extracted(ep *endpointVars, name, value string) {
	if SecretName(name) {
		v.red.Add(value)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ep == nil {
		v.global[name] = value
		return
	}
	if name == "secret" {
		ep.spec.Secret = value
		return
	}
	ep.vars[name] = value
}

// targets returns the endpoints one event's trigger is sent for, one
// request each: nil (one request, no endpoint) unless the trigger refers
// to {{endpoint.NAME}}; else the endpoints the event names, or, when it
// names none, every endpoint subscribed to its type (deleted ones too: the
// provider must refuse or drop those).
func (v *stepVars) targets(ev Event, perEndpoint bool) ([]*endpointVars, error) {
	if !perEndpoint {
		return nil, nil
	}
	if len(ev.Endpoints) == 0 {
		var out []*endpointVars
		for _, ep := range v.all() {
			if len(ep.spec.EventTypes) == 0 || slices.Contains(ep.spec.EventTypes, ev.Type) {
				out = append(out, ep)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no endpoint subscribes to event type %q: the trigger, aimed at one endpoint at a time, has nowhere to go", ev.Type)
		}
		return out, nil
	}
	out := make([]*endpointVars, 0, len(ev.Endpoints))
	for _, name := range ev.Endpoints {
		ep, ok := v.endpoint(name)
		if !ok {
			return nil, fmt.Errorf("unknown endpoint %q", name)
		}
		out = append(out, ep)
	}
	return out, nil
}

// fanOut sends one event: one request, or one per target endpoint when the
// trigger refers to the endpoint. With several requests, each carries the
// event's key with the endpoint's position appended (a provider whose keys
// are global would otherwise drop all but the first), the result is the
// first failing answer (else the first), and errors are joined.
func (v *stepVars) fanOut(ev Event, perEndpoint bool, send func(lookup func(string) (string, bool)) (TriggerResult, error)) (TriggerResult, error) {
	now := time.Now()
	eps, err := v.targets(ev, perEndpoint)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger %s: %w", ev.ID, err)
	}
	key := idemKey(ev)
	if len(eps) == 0 {
		return send(v.triggerLookup(ev, now, nil, key))
	}
	var res TriggerResult
	var errs, notes []string
	var firstErr error
	for i, ep := range eps {
		k := key
		if len(eps) > 1 {
			k = key + "-" + strconv.Itoa(i+1)
		}
		r, err := send(v.triggerLookup(ev, now, ep, k))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			errs = append(errs, "endpoint "+ep.spec.Name+": "+err.Error())
		}
		if r.Note != "" {
			notes = append(notes, "endpoint "+ep.spec.Name+": "+r.Note)
		}
		if i == 0 || (ok2xx(res.Status) && !ok2xx(r.Status)) {
			res.Status = r.Status
		}
		if res.ProviderID == "" {
			res.ProviderID = r.ProviderID
		}
	}
	res.Note = strings.Join(notes, "; ")
	switch len(errs) {
	case 0:
		return res, nil
	case 1:
		if len(eps) == 1 {
			return res, firstErr
		}
	}
	return res, &fanOutError{msg: strings.Join(errs, "; "), first: firstErr}
}

// fanOutError joins the errors of one event's per-endpoint requests,
// keeping the first in the chain.
type fanOutError struct {
	msg   string
	first error
}

func (e *fanOutError) Error() string { return e.msg }
func (e *fanOutError) Unwrap() error { return e.first }

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// secrets returns the endpoints' current secrets by name.
func (v *stepVars) secrets() map[string]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := make(map[string]string, len(v.eps))
	for _, ep := range v.eps {
		m[ep.spec.Name] = ep.spec.Secret
	}
	return m
}

// extractValue applies one extractor ("$.json.path", "header:Name",
// "stdout") to a step's output.
func extractValue(expr string, body []byte, header func(string) string) (string, error) {
	switch {
	case strings.HasPrefix(expr, "$"):
		p, err := parseJSONPath(expr)
		if err != nil {
			return "", err
		}
		return p.extract(body)
	case strings.HasPrefix(expr, "header:"):
		name := strings.TrimPrefix(expr, "header:")
		if header == nil {
			return "", fmt.Errorf("%s: no headers here", expr)
		}
		val := header(name)
		if val == "" {
			return "", fmt.Errorf("response has no %s header", name)
		}
		return val, nil
	case expr == "stdout":
		return strings.TrimSpace(string(body)), nil
	}
	return "", fmt.Errorf("unknown extractor %q", expr)
}

// snippet returns at most n bytes of b as text for error messages.
func snippet(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strconv.Quote(s)
}

// live returns the endpoints not deleted yet, for teardown.
func (v *stepVars) live() []*endpointVars {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []*endpointVars
	for _, ep := range v.eps {
		if !ep.deleted {
			out = append(out, ep)
		}
	}
	return out
}
