package scenarios

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/internal/suggest"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/signature"
)

// fieldError is a validation failure at a field path such as
// "phases[1].rate"; the loader turns the path into a line.
type fieldError struct {
	path string
	msg  string
}

type validator struct{ errs []fieldError }

func (v *validator) errf(path, format string, args ...any) {
	v.errs = append(v.errs, fieldError{path: path, msg: fmt.Sprintf(format, args...)})
}

func (v *validator) duration(path string, d time.Duration) {
	if d < 0 {
		v.errf(path, "must not be negative, got %v", d)
	} else if d > MaxDuration {
		v.errf(path, "must be at most %v, got %v", MaxDuration, d)
	}
}

func (sc *Scenario) validate(v *validator) {
	if sc.Drain < 0 || sc.Drain > MaxDuration {
		v.duration("drain", sc.Drain)
	}
	sc.Provider.Validate(func(path, msg string) { v.errf(path, "%s", msg) })
	if sc.PolicySet || sc.Provider.Adapter == adapter.Reference {
		if err := sc.Policy.Validate(); err != nil {
			field, msg := "policy", err.Error()
			var pe *policy.Error
			if errors.As(err, &pe) {
				field, msg = "policy."+pe.Field, pe.Err.Error()
			}
			v.errf(field, "%s", msg)
		}
	}
	if sc.Policy.Scheme == signature.SchemeGeneric && len(sc.Policy.SchemeOptions) > 0 {
		c := signature.Config{Scheme: signature.SchemeGeneric, Secrets: []string{"placeholder"}}
		err := c.ApplyOptions(sc.Policy.SchemeOptions)
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			v.errf("policy.scheme_options", "%v", err)
		}
	}
	sc.Sink.validate(v)
	sc.Conform.validate(v)
	// Chaos needs the capability; a spec that builds no adapter was
	// reported above.
	var caps *adapter.Capabilities
	if c, ok := sc.Provider.Capabilities(); ok {
		caps = &c
	}
	if len(sc.Phases) == 0 {
		v.errf("phases", "at least one phase is required")
	}
	names := map[string]int{}
	paths := map[string]bool{}
	for _, ep := range sc.Sink.Endpoints {
		paths[ep.Path] = true
	}
	for i := range sc.Phases {
		p := &sc.Phases[i]
		path := fmt.Sprintf("phases[%d]", i)
		if j, dup := names[p.Name]; dup && p.Name != "" {
			v.errf(path+".name", "duplicate phase name %q (also phases[%d])", p.Name, j)
		}
		names[p.Name] = i
		p.validate(v, path, paths, sc.Provider.Adapter, caps)
	}
}

func (s *SinkSpec) validate(v *validator) {
	if len(s.Endpoints) == 0 {
		v.errf("sink.endpoints", "at least one endpoint is required")
	}
	seenPath := map[string]int{}
	seenName := map[string]int{}
	for i := range s.Endpoints {
		ep := &s.Endpoints[i]
		path := fmt.Sprintf("sink.endpoints[%d]", i)
		switch {
		case ep.Path == "" || ep.Path[0] != '/':
			v.errf(path+".path", "must start with /, got %q", ep.Path)
		case strings.HasPrefix(ep.Path, "/_hookbench/"):
			v.errf(path+".path", "paths under /_hookbench/ are reserved for the sink")
		case strings.ContainsAny(ep.Path, " ,?#\r\n\t"):
			v.errf(path+".path", "must not contain spaces, commas, ? or #, got %q", ep.Path)
		}
		if j, dup := seenPath[ep.Path]; dup {
			v.errf(path+".path", "duplicate endpoint path %q (also sink.endpoints[%d])", ep.Path, j)
		}
		seenPath[ep.Path] = i
		if j, dup := seenName[ep.Name]; dup {
			v.errf(path+".name", "duplicate endpoint name %q (also sink.endpoints[%d])", ep.Name, j)
		}
		seenName[ep.Name] = i
		for j, t := range ep.EventTypes {
			if t == "" || strings.ContainsAny(t, ",| \"") {
				v.errf(fmt.Sprintf("%s.event_types[%d]", path, j), "invalid event type %q", t)
			}
		}
	}
	for i := range s.Endpoints {
		if err := s.Endpoints[i].CheckSinkConfig(); err != nil {
			v.errf(fmt.Sprintf("sink.endpoints[%d]", i), "%s", sinkMessage(err))
		}
	}
	for i := range s.Rules {
		rule, err := s.Rules[i].parse()
		switch {
		case err != nil:
			v.errf(fmt.Sprintf("sink.rules[%d]", i), "%s", sinkMessage(err))
		case rule.Endpoint != "" && !hasPath(s.Endpoints, rule.Endpoint):
			v.errf(fmt.Sprintf("sink.rules[%d]", i), "rule names endpoint %q, which is not a sink endpoint", rule.Endpoint)
		}
	}
	v.duration("sink.max_hang", s.MaxHang)
	if s.Listen != "" {
		validateListen(v, "sink", s.Listen, s.Public)
	}
	if s.URL != "" {
		if err := checkSinkURL(s.URL); err != nil {
			v.errf("sink.url", "%v", err)
		}
	} else if host, _, err := net.SplitHostPort(s.Listen); err == nil && s.Public {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			v.errf("sink.listen", "%q listens on every address, so it is not one a provider can be given; set sink.url to the URL the provider reaches the sink at (e.g. http://10.0.0.5:%s)",
				s.Listen, portOf(s.Listen))
		}
	}
}

// checkSinkURL checks a sink.url: http or https, a host, no path, query or
// user.
func checkSinkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("want http://HOST[:PORT], got %q: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want http://HOST[:PORT] or https://, got %q", raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("want http://HOST[:PORT], got %q: no host", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return fmt.Errorf("want http://HOST[:PORT] with nothing after it (endpoint paths are added to it), got %q", raw)
	}
	return nil
}

func portOf(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	if p == "" || p == "0" {
		return "PORT"
	}
	return p
}

// validateListen checks a listen address (path.listen): host:port, and
// loopback unless path.public is set, as the sink and the provider
// require. It reports whether the address is not loopback.
func validateListen(v *validator, path, listen string, public bool) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		v.errf(path+".listen", "want host:port, got %q: %v", listen, err)
		return false
	}
	if host == "localhost" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return false
	}
	if !public {
		v.errf(path+".listen", "%q is not a loopback address; set %s.public: true to listen elsewhere", listen, path)
	}
	return true
}

func hasPath(eps []EndpointSpec, path string) bool {
	for i := range eps {
		if eps[i].Path == path {
			return true
		}
	}
	return false
}

func (p *Phase) validate(v *validator, path string, endpoints map[string]bool, adapterName string, caps *adapter.Capabilities) {
	v.duration(path+".duration", p.Duration)
	v.duration(path+".timeout", p.Timeout)
	if p.Duration == 0 && p.Count == 0 {
		v.errf(path, "needs a duration or a count")
	}
	if p.Count > MaxCount {
		v.errf(path+".count", "must be at most %d, got %d", uint64(MaxCount), p.Count)
	}
	if p.Rate < 0 || p.Rate > MaxRate {
		v.errf(path+".rate", "must be in [0, %g] events/s, got %g", float64(MaxRate), p.Rate)
	}
	if p.RateTo < 0 || p.RateTo > MaxRate {
		v.errf(path+".rate_to", "must be in [0, %g] events/s, got %g", float64(MaxRate), p.RateTo)
	}
	if p.RateTo > 0 && (p.Rate == 0 || p.Duration == 0) {
		v.errf(path+".rate_to", "a ramp needs a starting rate and a duration")
	}
	if p.Rate == 0 && p.Count == 0 && p.RateTo == 0 {
		// A quiet phase: nothing to send, nothing else to check.
	} else if p.Rate == 0 && p.Duration > 0 && p.Count == 0 {
		v.errf(path+".rate", "capacity mode (rate 0) needs a count")
	}
	switch p.Arrival {
	case "", "uniform", "poisson":
	default:
		v.errf(path+".arrival", "must be uniform or poisson, got %q", p.Arrival)
	}
	if p.Duplicates < 0 || p.Duplicates >= 1 {
		v.errf(path+".duplicates", "must be a fraction in [0, 1), got %g", p.Duplicates)
	}
	if p.Connections < 0 || p.Connections > 10000 {
		v.errf(path+".connections", "must be in [0, 10000], got %d", p.Connections)
	}
	if p.MaxInflight < 0 || p.MaxInflight > 100000 {
		v.errf(path+".max_inflight", "must be in [0, 100000], got %d", p.MaxInflight)
	}
	for j, t := range p.EventTypes {
		if t == "" || strings.ContainsAny(t, "|\"{}") {
			v.errf(fmt.Sprintf("%s.event_types[%d]", path, j), "invalid event type %q", t)
		}
	}
	if p.Payload != "" {
		if _, err := generator.ParseTemplate(p.Payload); err != nil {
			v.errf(path+".payload", "%v", err)
		}
	}
	for j := range p.Sink {
		rc := &p.Sink[j]
		rp := fmt.Sprintf("%s.sink[%d]", path, j)
		v.duration(rp+".at", rc.At)
		v.duration(rp+".for", rc.For)
		if p.Duration > 0 && rc.At > p.Duration {
			v.errf(rp+".at", "is after the phase ends (%v > %v)", rc.At, p.Duration)
		}
		if rc.Endpoint != "" && !endpoints[rc.Endpoint] {
			v.errf(rp+".endpoint", "no sink endpoint has path %q", rc.Endpoint)
		}
		for k := range rc.Rules {
			rule, err := rc.Rules[k].parse()
			switch {
			case err != nil:
				v.errf(fmt.Sprintf("%s.rules[%d]", rp, k), "%s", sinkMessage(err))
			case rule.Endpoint != "" && rule.Endpoint != rc.Endpoint:
				v.errf(fmt.Sprintf("%s.rules[%d]", rp, k), "rule names endpoint %q but the change is for %q", rule.Endpoint, rc.Endpoint)
			}
		}
	}
	for j := range p.Chaos {
		c := &p.Chaos[j]
		cp := fmt.Sprintf("%s.chaos[%d]", path, j)
		v.duration(cp+".at", c.At)
		v.duration(cp+".for", c.For)
		if p.Duration > 0 && c.At > p.Duration {
			v.errf(cp+".at", "is after the phase ends (%v > %v)", c.At, p.Duration)
		}
		known := false
		for _, a := range chaosActions {
			known = known || a == c.Action
		}
		if !known {
			v.errf(cp+".action", "must be one of %s, got %q%s", strings.Join(chaosActions, ", "), c.Action, suggest.Hint(c.Action, chaosActions))
			continue
		}
		endpointAction := c.Action == ChaosEndpointDown || c.Action == ChaosEndpointUp
		switch {
		case endpointAction && !endpoints[c.Endpoint]:
			v.errf(cp+".endpoint", "%s needs the path of a sink endpoint, got %q", c.Action, c.Endpoint)
		case !endpointAction && c.Endpoint != "":
			v.errf(cp+".endpoint", "only endpoint-down and endpoint-up take an endpoint")
		}
		switch {
		case caps == nil:
		case c.Action == ChaosProviderRestart && !caps.Restart:
			v.errf(cp+".action", "%s needs the reference adapter or restart steps in the %s block", c.Action, adapterName)
		case strings.HasPrefix(c.Action, "provider-") && c.Action != ChaosProviderRestart && !caps.Stop:
			v.errf(cp+".action", "%s needs the reference adapter (hookbench cannot stop a %s provider)", c.Action, adapterName)
		}
		if c.For > 0 && (c.Action == ChaosProviderStart || c.Action == ChaosSinkUp || c.Action == ChaosEndpointUp || c.Action == ChaosProviderRestart) {
			v.errf(cp+".for", "only a down or stop action can be undone after a while")
		}
	}
}

// sinkMessage drops the sink's echo of the whole spec from its errors: the
// loader already names the field and line.
func sinkMessage(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"endpoint ", "rule "} {
		if strings.HasPrefix(msg, prefix+"\"") {
			if i := strings.Index(msg, "\": "); i > 0 {
				return msg[i+3:]
			}
		}
	}
	return msg
}

func (c *ConformSpec) validate(v *validator) {
	if err := conformance.CheckTypePrefix(c.TypePrefix); err != nil {
		v.errf("conform.type_prefix", "%v", err)
	}
	if c.MaxEndpoints < 0 || c.MaxEndpoints > 10000 {
		v.errf("conform.max_endpoints", "must be in [0, 10000] (0 = no limit), got %d", c.MaxEndpoints)
	}
}
