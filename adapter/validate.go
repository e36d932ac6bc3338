package adapter

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hookbench/hookbench/internal/suggest"
	"github.com/hookbench/hookbench/provider"
)

// validator collects what is wrong with a spec, by field path.
type validator struct{ report func(path, msg string) }

func (v *validator) errf(path, format string, args ...any) {
	v.report(path, fmt.Sprintf(format, args...))
}

func (v *validator) duration(path string, d time.Duration) {
	if d < 0 {
		v.errf(path, "must not be negative, got %v", d)
	} else if d > MaxDuration {
		v.errf(path, "must be at most %v, got %v", MaxDuration, d)
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports, through report, each field of the spec that is wrong
// (path "provider..." as in a scenario file), in a stable order.
func (ps *ProviderSpec) Validate(report func(path, msg string)) {
	ps.validate(&validator{report: report})
}

func (ps *ProviderSpec) validate(v *validator) {
	blocks := 0
	for _, set := range []bool{ps.Reference != nil, ps.HTTP != nil, ps.Command != nil} {
		if set {
			blocks++
		}
	}
	switch ps.Adapter {
	case Reference:
		if ps.HTTP != nil || ps.Command != nil {
			v.errf("provider", "adapter reference takes only a reference block")
		}
		if ps.Reference != nil {
			ps.Reference.validate(v, "provider.reference")
		}
	case HTTP:
		if ps.HTTP == nil || blocks != 1 {
			v.errf("provider", "adapter http needs an http block and no other")
			return
		}
		ps.HTTP.validate(v, "provider.http")
	case Command:
		if ps.Command == nil || blocks != 1 {
			v.errf("provider", "adapter command needs a command block and no other")
			return
		}
		ps.Command.validate(v, "provider.command")
	default:
		v.errf("provider.adapter", "must be reference, http or command, got %q", ps.Adapter)
	}
}

func (r *ReferenceSpec) validate(v *validator, path string) {
	if r.TimeScale < 0 || r.TimeScale > 1000 {
		v.errf(path+".time_scale", "must be in (0, 1000], got %v", r.TimeScale)
	}
	if r.Concurrency < 0 || r.Concurrency > 100000 {
		v.errf(path+".concurrency", "must be in [0, 100000], got %d", r.Concurrency)
	}
	if r.QueueSize < 0 || r.QueueSize > 100000000 {
		v.errf(path+".queue_size", "must be in [0, 1e8], got %d", r.QueueSize)
	}
	known := map[string]bool{}
	var names []string
	for _, f := range provider.Faults() {
		known[f.Name] = true
		names = append(names, f.Name)
	}
	for i, f := range r.Faults {
		if !known[f] {
			v.errf(fmt.Sprintf("%s.faults[%d]", path, i), "unknown fault %q%s (known: %s)", f, suggest.Hint(f, names), strings.Join(names, ", "))
		}
	}
	if r.Listen != "" {
		r.validateListen(v, path)
	}
}

// validateListen checks path.listen: host:port, and loopback unless
// path.public is set, with an API key, as `hookbench provider` requires.
func (r *ReferenceSpec) validateListen(v *validator, path string) {
	host, _, err := net.SplitHostPort(r.Listen)
	if err != nil {
		v.errf(path+".listen", "want host:port, got %q: %v", r.Listen, err)
		return
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return
	}
	switch {
	case !r.Public:
		v.errf(path+".listen", "%q is not a loopback address; set %s.public: true to listen elsewhere", r.Listen, path)
	case r.APIKey == "":
		v.errf(path+".listen", "%q is not a loopback address: %s.api_key is required with %s.public", r.Listen, path, path)
	}
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme must be http or https, got %q", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	return nil
}

func (h *HTTPSpec) validate(v *validator, path string) {
	if h.BaseURL == "" {
		v.errf(path+".base_url", "is required")
	} else if !strings.Contains(h.BaseURL, "{{") {
		if err := validURL(h.BaseURL); err != nil {
			v.errf(path+".base_url", "must be an http(s) URL: %v", err)
		}
	}
	v.duration(path+".timeout", h.Timeout)
	validateVars(v, path+".vars", h.Vars)
	known := newScope(builtinsGlobal, h.Vars)
	checkHeaders(v, path+".headers", h.Headers, known)
	trigger := &h.Trigger
	if h.Trigger.Path == "" {
		trigger = nil
	}
	validateProgram(v, path, h.program(), trigger, known, func() {
		v.errf(path+".trigger", "a trigger request (at least its path) is required")
	}, func(s *HTTPStep, path string, sc *scope, trigger bool) { s.validate(v, path, sc, trigger) })
}

// validateProgram checks every step of a program in the scope it runs in
// (check validates one step); trigger nil reports noTrigger instead.
func validateProgram[S step](v *validator, path string, p program[S], trigger *S, known *scope, noTrigger func(), check func(s *S, path string, sc *scope, trigger bool)) {
	for i := range p.setup {
		check(&p.setup[i], fmt.Sprintf("%s.setup[%d]", path, i), known, false)
	}
	epScope := known.child(builtinsEndpoint)
	for i := range p.endpoint {
		check(&p.endpoint[i], fmt.Sprintf("%s.endpoint[%d]", path, i), epScope, false)
	}
	if trigger == nil {
		noTrigger()
	} else {
		ts := known.child(builtinsTrigger)
		ts.endpoint = epScope
		check(trigger, path+".trigger", ts, true)
	}
	for i := range p.endpointTeardown {
		check(&p.endpointTeardown[i], fmt.Sprintf("%s.endpoint_teardown[%d]", path, i), epScope, false)
	}
	for i := range p.teardown {
		check(&p.teardown[i], fmt.Sprintf("%s.teardown[%d]", path, i), known, false)
	}
	if s := p.settle; s != nil {
		s.validate(v, path+".settle", known, epScope)
		if s.Poll != nil {
			check(s.Poll, path+".settle.poll", s.scope(known, epScope), false)
		}
	}
	rotScope := epScope.child(builtinsRotate)
	for i := range p.rotateSecret {
		check(&p.rotateSecret[i], fmt.Sprintf("%s.rotate_secret[%d]", path, i), rotScope, false)
	}
	for i := range p.restart {
		check(&p.restart[i], fmt.Sprintf("%s.restart[%d]", path, i), known, false)
	}
}

// scope is where the poll step's templates take their values: the
// endpoint's with EachEndpoint, else the global ones.
func (s *Settle[S]) scope(global, endpoint *scope) *scope {
	if s.EachEndpoint {
		return endpoint
	}
	return global
}

func (s *Settle[S]) validate(v *validator, path string, global, endpoint *scope) {
	v.duration(path+".wait", s.Wait)
	v.duration(path+".interval", s.Interval)
	v.duration(path+".timeout", s.Timeout)
	switch {
	case s.Poll == nil && s.Wait == 0:
		v.errf(path, "needs a wait, a poll step or both")
	case s.Poll == nil && (len(s.Until) > 0 || s.EachEndpoint):
		v.errf(path, "until and each_endpoint need a poll step")
	}
	for expr := range s.Until {
		if !strings.HasPrefix(expr, "$") {
			v.errf(path+".until", "keys are JSON paths ($.status), got %q", expr)
		} else if _, err := parseJSONPath(expr); err != nil {
			v.errf(path+".until", "%v", err)
		}
	}
}

// validateVars checks a vars block: names, and templates that refer only
// to the global built-ins and other vars, without a cycle.
func validateVars(v *validator, path string, vars map[string]string) {
	builtins := map[string]string{}
	for _, n := range builtinsGlobal {
		builtins[n] = "x"
	}
	for k := range vars {
		if !namePattern.MatchString(k) {
			v.errf(path+"."+k, "variable names are letters, digits and _, got %q", k)
		}
	}
	if _, err := resolveVars(vars, builtins); err != nil {
		var name string
		msg := err.Error()
		if rest, ok := strings.CutPrefix(msg, "var "); ok {
			name, _, _ = strings.Cut(rest, " ")
			name = strings.TrimSuffix(name, ":")
		}
		v.errf(path+"."+name, "%s (vars may use %s and other vars)", msg, strings.Join(builtinsGlobal, ", "))
	}
}

func checkHeaders(v *validator, path string, hs map[string]string, sc *scope) {
	for k, val := range hs {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") {
			v.errf(path, "invalid header name %q", k)
		}
		if strings.ContainsAny(val, "\r\n") {
			v.errf(path+"."+k, "header values must not contain line breaks")
		}
		if err := sc.check(val); err != nil {
			v.errf(path+"."+k, "%v", err)
		}
	}
}

var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

func (s *HTTPStep) validate(v *validator, path string, sc *scope, trigger bool) {
	if s.Method != "" && !httpMethods[s.Method] {
		v.errf(path+".method", "must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, got %q", s.Method)
	}
	if s.Path == "" {
		v.errf(path+".path", "is required")
	} else if err := sc.check(s.Path); err != nil {
		v.errf(path+".path", "%v", err)
	}
	checkHeaders(v, path+".headers", s.Headers, sc)
	if err := sc.check(s.Body); err != nil {
		v.errf(path+".body", "%v", err)
	}
	for i, st := range s.Expect {
		if st < 100 || st > 599 {
			v.errf(fmt.Sprintf("%s.expect[%d]", path, i), "must be an HTTP status in [100, 599], got %d", st)
		}
	}
	validateExtract(v, path, s.Extract, trigger, true)
	if s.ProviderID != "" {
		if !trigger {
			v.errf(path+".provider_id", "only the trigger step reports a provider id")
		} else if err := checkExtractor(s.ProviderID, true); err != nil {
			v.errf(path+".provider_id", "%v", err)
		}
	}
	for name := range s.Extract {
		sc.define(name)
	}
}

func validateExtract(v *validator, path string, ex map[string]string, trigger, httpStep bool) {
	if trigger && len(ex) > 0 {
		v.errf(path+".extract", "the trigger step extracts only provider_id")
	}
	for name, expr := range ex {
		if !namePattern.MatchString(name) {
			v.errf(path+".extract", "variable names are letters, digits and _, got %q", name)
			continue
		}
		if err := checkExtractor(expr, httpStep); err != nil {
			v.errf(path+".extract."+name, "%v", err)
		}
	}
}

func checkExtractor(expr string, httpStep bool) error {
	switch {
	case strings.HasPrefix(expr, "$"):
		_, err := parseJSONPath(expr)
		return err
	case httpStep && strings.HasPrefix(expr, "header:") && len(expr) > len("header:"):
		return nil
	case !httpStep && expr == "stdout":
		return nil
	}
	if httpStep {
		return fmt.Errorf("want a JSON path ($.a.b[0]) or header:NAME, got %q", expr)
	}
	return fmt.Errorf("want a JSON path ($.a.b[0]) or stdout, got %q", expr)
}

func (c *CommandSpec) validate(v *validator, path string) {
	v.duration(path+".timeout", c.Timeout)
	for k := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			v.errf(path+".env", "invalid environment variable name %q", k)
		}
	}
	validateVars(v, path+".vars", c.Vars)
	known := newScope(builtinsGlobal, c.Vars)
	for k, val := range c.Env {
		if err := known.check(val); err != nil {
			v.errf(path+".env."+k, "%v", err)
		}
	}
	trigger := &c.Trigger
	if len(c.Trigger.Run) == 0 {
		trigger = nil
	}
	validateProgram(v, path, c.program(), trigger, known, func() {
		v.errf(path+".trigger.run", "a trigger command is required")
	}, func(s *CommandStep, path string, sc *scope, trigger bool) { s.validate(v, path, sc, trigger) })
}

func (s *CommandStep) validate(v *validator, path string, sc *scope, trigger bool) {
	if len(s.Run) == 0 || s.Run[0] == "" {
		v.errf(path+".run", "needs a command: a list [program, args...]")
	}
	for i, a := range s.Run {
		if strings.ContainsRune(a, 0) {
			v.errf(fmt.Sprintf("%s.run[%d]", path, i), "contains a NUL byte")
		}
		if err := sc.check(a); err != nil {
			v.errf(fmt.Sprintf("%s.run[%d]", path, i), "%v", err)
		}
	}
	if err := sc.check(s.Stdin); err != nil {
		v.errf(path+".stdin", "%v", err)
	}
	validateExtract(v, path, s.Extract, trigger, false)
	if s.ProviderID != "" {
		if !trigger {
			v.errf(path+".provider_id", "only the trigger step reports a provider id")
		} else if err := checkExtractor(s.ProviderID, false); err != nil {
			v.errf(path+".provider_id", "%v", err)
		}
	}
	for name := range s.Extract {
		sc.define(name)
	}
}
