package scenarios

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stepVars holds the template values of one declarative adapter (http,
// command): declared vars, built-ins and values extracted by steps, globally
// and per endpoint. It is safe for concurrent use.
type stepVars struct {
	red *Redactor

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

func newStepVars(declared map[string]string, opts AdapterOptions) *stepVars {
	v := &stepVars{
		red:    opts.Redactor,
		global: map[string]string{"run_id": opts.RunID},
		rnd:    rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
	}
	for k, val := range declared {
		v.global[k] = val
	}
	return v
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

// triggerLookup fills one event's values and the generator-language names.
func (v *stepVars) triggerLookup(ev Event, now time.Time) func(string) (string, bool) {
	var seq string
	return func(name string) (string, bool) {
		switch name {
		case "id":
			return ev.ID, true
		case "type":
			return ev.Type, true
		case "payload":
			return string(ev.Payload), true
		case "idempotency_key":
			return ev.IdemKey, true
		case "seq":
			if seq == "" {
				seq = strconv.FormatUint(v.seq.Add(1), 10)
			}
			return seq, true
		case "now", "now s", "now unix", "now_unix":
			return strconv.FormatInt(now.Unix(), 10), true
		case "now_ms", "now ms":
			return strconv.FormatInt(now.UnixMilli(), 10), true
		case "now_us", "now us":
			return strconv.FormatInt(now.UnixMicro(), 10), true
		case "now_ns", "now ns":
			return strconv.FormatInt(now.UnixNano(), 10), true
		case "now_rfc3339", "now rfc3339":
			return now.UTC().Format(time.RFC3339), true
		case "now rfc3339nano":
			return now.UTC().Format(time.RFC3339Nano), true
		case "uuid":
			return v.uuid(), true
		}
		if args, ok := strings.CutPrefix(name, "rand_int "); ok {
			return v.randInt(args)
		}
		if args, ok := strings.CutPrefix(name, "pick "); ok {
			choices := strings.Split(strings.TrimSpace(args), "|")
			v.rndMu.Lock()
			defer v.rndMu.Unlock()
			return choices[v.rnd.IntN(len(choices))], true
		}
		return v.lookupGlobal(name)
	}
}

func (v *stepVars) randInt(args string) (string, bool) {
	f := strings.Fields(args)
	if len(f) != 2 {
		return "", false
	}
	lo, err1 := strconv.ParseInt(f[0], 10, 64)
	hi, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || hi < lo || hi-lo < 0 || hi-lo == math.MaxInt64 {
		return "", false
	}
	v.rndMu.Lock()
	defer v.rndMu.Unlock()
	return strconv.FormatInt(lo+v.rnd.Int64N(hi-lo+1), 10), true
}

func (v *stepVars) uuid() string {
	v.rndMu.Lock()
	a, b := v.rnd.Uint64(), v.rnd.Uint64()
	v.rndMu.Unlock()
	a = a&^(0xf<<12) | 0x4<<12 // version 4
	b = b&^(0x3<<62) | 0x2<<62 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// extracted stores a value a step extracted: per endpoint when ep is not
// nil, else globally. Secret-sounding names are registered for redaction;
// an endpoint's "secret" replaces the endpoint's signing secret.
func (v *stepVars) extracted(ep *endpointVars, name, value string) {
	if secretName(name) {
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
