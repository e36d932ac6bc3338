package scenarios

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/reference"
	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/sink/signature"
)

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

// Defaults and limits of scenario files.
const (
	// DefaultAdapter is used when provider.adapter is absent.
	DefaultAdapter = "reference"
	// DefaultDrain is how long a run waits, after the last phase, for
	// outstanding deliveries and retries when the scenario sets no drain.
	DefaultDrain = 30 * time.Second
	// MaxDuration bounds every phase, drain and timeout in a scenario.
	MaxDuration = 24 * time.Hour
	// DefaultSettleInterval is how often a settle poll repeats its request.
	DefaultSettleInterval = time.Second
	// DefaultSettleTimeout bounds a settle poll.
	DefaultSettleTimeout = time.Minute
	// DefaultStepTimeout bounds each setup, trigger and teardown request
	// of the http adapter and each command of the command adapter.
	DefaultStepTimeout = 10 * time.Second
	// MaxFileSize is the largest scenario file Load accepts.
	MaxFileSize = 1 << 20
	// MaxRate bounds a phase's rate (events per second).
	MaxRate = 1e6
	// MaxCount bounds a phase's event count.
	MaxCount = 1e9
	// DefaultPayload is the event payload a phase sends when it sets none,
	// in the generator's template language: the harness id lets the sink
	// correlate deliveries with triggers.
	DefaultPayload = `{"hookbench_id":"{{id}}","type":"{{type}}","seq":{{seq}}}`
	// DefaultEventType is the event type of phases that list none.
	DefaultEventType = "hookbench.test"
)

// Scenario is a loaded, validated scenario file. It is immutable after
// Parse and safe to share; Run copies what it changes.
type Scenario struct {
	Name        string
	Description string
	File        string // where it was loaded from ("" when parsed from memory)
	Seed        int64
	Provider    ProviderSpec
	// Policy is what the provider promises, from a built-in profile and/or
	// explicit fields. PolicySet is false when the scenario declared none
	// (then the reference adapter's own policy is used, and checks that need
	// a policy SKIP for other adapters).
	Policy    conformance.Policy
	PolicySet bool
	Sink      SinkSpec
	// Conform holds settings only `hookbench conform` reads.
	Conform ConformSpec
	Phases  []Phase
	Drain   time.Duration
	// Redactor knows every secret of the file: values of secret fields and
	// of variables with secret-sounding names. Use it on anything printed.
	Redactor *Redactor
}

// ProviderSpec says which adapter drives the provider and how.
type ProviderSpec struct {
	// Adapter is "reference" (default), "http" or "command"; the matching
	// block below holds its settings.
	Adapter   string         `yaml:"adapter"`
	Reference *ReferenceSpec `yaml:"reference"`
	HTTP      *HTTPSpec      `yaml:"http"`
	Command   *CommandSpec   `yaml:"command"`
}

// ReferenceSpec configures the embedded reference provider.
type ReferenceSpec struct {
	// TimeScale multiplies every policy duration (0.001 turns 5 min into
	// 300 ms); 0 means 1.
	TimeScale float64 `yaml:"time_scale"`
	// Faults switches on reference provider faults by name.
	Faults []string `yaml:"faults"`
	// APIKey protects the provider's API (Authorization: Bearer).
	APIKey string `yaml:"api_key"`
	// Ephemeral keeps the provider's state in memory only, so a restart
	// loses endpoints and pending retries. By default state lives in a
	// temporary directory and survives chaos restarts.
	Ephemeral   bool   `yaml:"ephemeral"`
	Concurrency int    `yaml:"concurrency"`
	QueueSize   int    `yaml:"queue_size"`
	Listen      string `yaml:"listen"` // default 127.0.0.1:0
}

// HTTPSpec declares a provider's HTTP API: setup requests, one set of
// requests per sink endpoint, the trigger request and teardown. Templates
// ({{name}}) in paths, headers and bodies take values from Vars, from the
// built-ins (sink_url, path, url, secret, scheme, name, event_types_json)
// and from values earlier steps extracted.
type HTTPSpec struct {
	BaseURL string            `yaml:"base_url"`
	Headers map[string]string `yaml:"headers"` // sent with every request
	Timeout time.Duration     `yaml:"timeout"` // per request; default DefaultStepTimeout
	// Vars are named values; each is a template over sink_url, run_id and
	// the other vars (app: "hb-{{run_id}}").
	Vars map[string]string `yaml:"vars"`
	// Setup runs once before any endpoint is created.
	Setup []HTTPStep `yaml:"setup"`
	// Endpoint runs once per sink endpoint, with that endpoint's built-ins;
	// values it extracts are kept per endpoint (an extracted "secret"
	// replaces the endpoint's secret: the provider generated it).
	Endpoint []HTTPStep `yaml:"endpoint"`
	// Trigger sends one event. Its body is a template in the generator's
	// language ({{id}}, {{type}}, {{payload}}, {{idempotency_key}}, ...);
	// {{endpoint.NAME}} is a value of the endpoint the event is aimed at
	// (one request per such endpoint). In a JSON object body a member whose
	// value is one quoted reference is left out when it renders empty.
	Trigger HTTPStep `yaml:"trigger"`
	// EndpointTeardown deletes one endpoint (enables endpoint-deletion
	// checks); it runs for each endpoint at teardown.
	EndpointTeardown []HTTPStep `yaml:"endpoint_teardown"`
	// Teardown runs once at the end, even after a failed run.
	Teardown []HTTPStep `yaml:"teardown"`
	// Settle waits after setup (and after a restart) until the provider
	// has applied its configuration.
	Settle *Settle[HTTPStep] `yaml:"settle"`
	// RotateSecret gives one endpoint a new signing secret, with that
	// endpoint's values and {{new_secret}} (a fresh secret hookbench
	// chose); an extracted "secret" is the provider's new secret.
	RotateSecret []HTTPStep `yaml:"rotate_secret"`
	// Restart crashes or restarts the provider (its state should survive).
	Restart []HTTPStep `yaml:"restart"`
}

// Settle is a wait for a provider that applies configuration
// asynchronously: a fixed Wait, then, with Poll, the poll step repeated
// every Interval until it succeeds and every Until JSON path has its
// value, for at most Timeout.
type Settle[S any] struct {
	Wait time.Duration `yaml:"wait"`
	Poll *S            `yaml:"poll"`
	// Until maps JSON paths into the poll's response (stdout for a
	// command) to the values they must have, e.g. {"$.status": "active"}.
	Until map[string]string `yaml:"until"`
	// EachEndpoint polls once per endpoint, with its values.
	EachEndpoint bool          `yaml:"each_endpoint"`
	Interval     time.Duration `yaml:"interval"` // default DefaultSettleInterval
	Timeout      time.Duration `yaml:"timeout"`  // default DefaultSettleTimeout
}

// HTTPStep is one templated request.
type HTTPStep struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"` // default POST
	Path    string            `yaml:"path"`   // appended to base_url, or a full http(s) URL
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	// Expect lists accepted statuses; empty accepts any 2xx.
	Expect []int `yaml:"expect"`
	// Extract maps variable names to a JSON path into the response body
	// ("$.data.id", "$.items[0].key") or "header:Name".
	Extract map[string]string `yaml:"extract"`
	// ProviderID (trigger only) is where the provider's event id is.
	ProviderID string `yaml:"provider_id"`
}

// CommandSpec drives a provider through a user's command line tool. Each
// command runs without a shell (use ["sh", "-c", "..."] for one), bounded by
// Timeout, with output capped.
type CommandSpec struct {
	Timeout          time.Duration     `yaml:"timeout"` // per command; default DefaultStepTimeout
	Dir              string            `yaml:"dir"`
	Env              map[string]string `yaml:"env"`  // added to the inherited environment
	Vars             map[string]string `yaml:"vars"` // templates, as in HTTPSpec
	Setup            []CommandStep     `yaml:"setup"`
	Endpoint         []CommandStep     `yaml:"endpoint"`
	Trigger          CommandStep       `yaml:"trigger"`
	EndpointTeardown []CommandStep     `yaml:"endpoint_teardown"`
	Teardown         []CommandStep     `yaml:"teardown"`
	// Settle, RotateSecret and Restart are as in HTTPSpec; a poll command
	// succeeds when it exits 0.
	Settle       *Settle[CommandStep] `yaml:"settle"`
	RotateSecret []CommandStep        `yaml:"rotate_secret"`
	Restart      []CommandStep        `yaml:"restart"`
}

// CommandStep is one templated command.
type CommandStep struct {
	Name  string   `yaml:"name"`
	Run   []string `yaml:"run"` // argv, each element a template
	Stdin string   `yaml:"stdin"`
	// Extract maps variable names to a JSON path into stdout, or "stdout"
	// for the whole trimmed output.
	Extract    map[string]string `yaml:"extract"`
	ProviderID string            `yaml:"provider_id"`
}

// SinkSpec configures the sink: its endpoints and their behaviour rules.
type SinkSpec struct {
	Endpoints []EndpointSpec `yaml:"endpoints"`
	// Rules are sink behaviour rules in the sink's --rule form, e.g.
	// "endpoint=/orders,attempt=1-2,status=503"; first match wins.
	Rules      []string      `yaml:"rules"`
	KeepBodies bool          `yaml:"keep_bodies"`
	Listen     string        `yaml:"listen"`   // default 127.0.0.1:0
	MaxHang    time.Duration `yaml:"max_hang"` // cap for hang rules
}

// ConformSpec shapes the endpoints the conformance suite registers with the
// provider. Their subscriber settings (scheme, secret, options) come from
// the scenario's Subscriber, their hang cap from sink.max_hang.
type ConformSpec struct {
	// TypePrefix replaces "hookbench." in the suite's event type names, for
	// providers that accept allow-listed types only.
	TypePrefix string `yaml:"type_prefix"`
	// MaxEndpoints, when not 0, runs the suite's fragments in batches so
	// that no more than this many endpoints are registered at once.
	MaxEndpoints int `yaml:"max_endpoints"`
}

// MaxTypePrefix bounds conform.type_prefix (and --type-prefix).
const MaxTypePrefix = 64

// CheckTypePrefix reports why p cannot start an event type name.
func CheckTypePrefix(p string) error {
	switch {
	case len(p) > MaxTypePrefix:
		return fmt.Errorf("must be at most %d bytes, got %d", MaxTypePrefix, len(p))
	case strings.ContainsAny(p, ",|\" {}\r\n\t"):
		return fmt.Errorf("must not contain spaces, commas, |, quotes or braces, got %q", p)
	}
	return nil
}

func (c *ConformSpec) validate(v *validator) {
	if err := CheckTypePrefix(c.TypePrefix); err != nil {
		v.errf("conform.type_prefix", "%v", err)
	}
	if c.MaxEndpoints < 0 || c.MaxEndpoints > 10000 {
		v.errf("conform.max_endpoints", "must be in [0, 10000] (0 = no limit), got %d", c.MaxEndpoints)
	}
}

// Subscriber is the endpoint whose settings the conformance suite copies to
// every endpoint it registers: the first of sink.endpoints. Its scheme,
// secret and options (tolerance, id-header, type-header, the generic
// scheme's settings...) apply; its path and event types do not. nil when
// the scenario has no endpoint.
func (sc *Scenario) Subscriber() *EndpointSpec {
	if len(sc.Sink.Endpoints) == 0 {
		return nil
	}
	ep := sc.Sink.Endpoints[0]
	ep.EventTypes = nil
	return &ep
}

// EndpointSpec is one sink endpoint the provider delivers to.
type EndpointSpec struct {
	// Name identifies the endpoint in marks and reports; default: Path.
	Name string `yaml:"name"`
	Path string `yaml:"path"`
	// URL is filled in at run time: the sink's URL + Path.
	URL string `yaml:"-"`
	// Secret signs deliveries; empty: taken from the policy, else generated
	// at run time (or extracted from the provider by the adapter).
	Secret string `yaml:"secret"`
	// Scheme is the signature scheme; empty: the policy's scheme; "none"
	// (SchemeNone) in a file: unsigned (Scheme "" after loading).
	Scheme     string   `yaml:"scheme"`
	EventTypes []string `yaml:"event_types"`
	// Options are extra sink endpoint settings in the sink's --endpoint
	// form, e.g. "tolerance=60s,auth=bearer:T".
	Options string `yaml:"options"`

	// inherited: the file gave no scheme, Scheme is the policy's.
	inherited bool
}

// InheritsScheme reports whether the endpoint's scheme came from the
// policy (the file named none for it).
func (ep *EndpointSpec) InheritsScheme() bool { return ep.inherited }

// Phase is one stretch of a run: load at a rate, scheduled sink rule
// changes and chaos actions.
type Phase struct {
	Name string `yaml:"name"`
	// Duration of the phase. With Rate 0 and Count 0 the phase sends
	// nothing (a quiet phase: only rule changes and chaos).
	Duration time.Duration `yaml:"duration"`
	// Count bounds the events sent; 0 = bounded by Duration only.
	Count uint64 `yaml:"count"`
	// Rate in events per second; 0 with a Count = as fast as the
	// connections allow (capacity mode).
	Rate float64 `yaml:"rate"`
	// RateTo ramps the rate linearly from Rate to RateTo over Duration.
	RateTo float64 `yaml:"rate_to"`
	// Arrival is "uniform" (default) or "poisson".
	Arrival    string   `yaml:"arrival"`
	EventTypes []string `yaml:"event_types"`
	// Payload is the event payload template (generator language); default
	// DefaultPayload.
	Payload string `yaml:"payload"`
	// Duplicates is the fraction of triggers sent twice with the same
	// Idempotency-Key.
	Duplicates  float64       `yaml:"duplicates"`
	Connections int           `yaml:"connections"`
	MaxInflight int           `yaml:"max_inflight"`
	Timeout     time.Duration `yaml:"timeout"` // trigger request timeout
	// Sink changes endpoint rules during the phase.
	Sink  []RuleChange  `yaml:"sink"`
	Chaos []ChaosAction `yaml:"chaos"`
}

// RuleChange swaps one endpoint's sink rules at an offset into a phase,
// optionally restoring the previous rules after For.
type RuleChange struct {
	At       time.Duration `yaml:"at"`
	Endpoint string        `yaml:"endpoint"` // path; "" = the global rules
	Rules    []string      `yaml:"rules"`
	For      time.Duration `yaml:"for"`
}

// SchemeNone in a file says an endpoint's deliveries are not signed.
const SchemeNone = "none"

// Chaos actions.
const (
	ChaosProviderRestart = "provider-restart" // crash and restart the reference provider
	ChaosProviderStop    = "provider-stop"
	ChaosProviderStart   = "provider-start"
	ChaosSinkDown        = "sink-down" // the sink refuses connections
	ChaosSinkUp          = "sink-up"
	ChaosEndpointDown    = "endpoint-down" // one endpoint resets every connection
	ChaosEndpointUp      = "endpoint-up"
)

var chaosActions = []string{ChaosProviderRestart, ChaosProviderStop, ChaosProviderStart, ChaosSinkDown, ChaosSinkUp, ChaosEndpointDown, ChaosEndpointUp}

// ChaosAction is a failure injected at an offset into a phase. With For,
// a down/stop action is undone after that long.
type ChaosAction struct {
	At       time.Duration `yaml:"at"`
	Action   string        `yaml:"action"`
	Endpoint string        `yaml:"endpoint"` // endpoint-down/up only: the path
	For      time.Duration `yaml:"for"`
}

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

var (
	namePattern        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	policyFieldPattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*(\[[0-9]+\])?$`)
	policyKeys         = map[string]bool{"max_attempts": true, "backoff": true, "success": true, "no_retry": true, "timeout": true,
		"scheme": true, "secrets": true, "tolerance": true, "gone": true, "redirects": true, "retry_after": true,
		"retry_after_max": true, "idempotency_header": true, "persistent": true, "latency_p50": true, "latency_p99": true, "format": true,
		"scheme_options": true, "retry_window": true}
)

func (sc *Scenario) validate(v *validator) {
	if sc.Drain < 0 || sc.Drain > MaxDuration {
		v.duration("drain", sc.Drain)
	}
	sc.Provider.validate(v)
	if sc.PolicySet || sc.Provider.Adapter == "reference" {
		if err := sc.Policy.Validate(); err != nil {
			msg := strings.TrimPrefix(err.Error(), "policy: ")
			field := "policy"
			// Policy.Validate names the field first ("max_attempts must ...").
			if f, _, ok := strings.Cut(msg, " "); ok && policyFieldPattern.MatchString(f) && policyKeys[strings.FieldsFunc(f, func(r rune) bool { return r == '.' || r == '[' })[0]] {
				field = "policy." + f
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
	restartable := sc.Provider.Adapter == "reference" ||
		(sc.Provider.HTTP != nil && len(sc.Provider.HTTP.Restart) > 0) ||
		(sc.Provider.Command != nil && len(sc.Provider.Command.Restart) > 0)
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
		p.validate(v, path, paths, sc.Provider.Adapter, restartable)
	}
}

func (ps *ProviderSpec) validate(v *validator) {
	blocks := 0
	for _, set := range []bool{ps.Reference != nil, ps.HTTP != nil, ps.Command != nil} {
		if set {
			blocks++
		}
	}
	switch ps.Adapter {
	case "reference":
		if ps.HTTP != nil || ps.Command != nil {
			v.errf("provider", "adapter reference takes only a reference block")
		}
		if ps.Reference != nil {
			ps.Reference.validate(v, "provider.reference")
		}
	case "http":
		if ps.HTTP == nil || blocks != 1 {
			v.errf("provider", "adapter http needs an http block and no other")
			return
		}
		ps.HTTP.validate(v, "provider.http")
	case "command":
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
	for _, f := range reference.Faults() {
		known[f.Name] = true
		names = append(names, f.Name)
	}
	for i, f := range r.Faults {
		if !known[f] {
			v.errf(fmt.Sprintf("%s.faults[%d]", path, i), "unknown fault %q (known: %s)", f, strings.Join(names, ", "))
		}
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
	for i := range h.Setup {
		h.Setup[i].validate(v, fmt.Sprintf("%s.setup[%d]", path, i), known, false)
	}
	epScope := known.child(builtinsEndpoint)
	for i := range h.Endpoint {
		h.Endpoint[i].validate(v, fmt.Sprintf("%s.endpoint[%d]", path, i), epScope, false)
	}
	if h.Trigger.Path == "" {
		v.errf(path+".trigger", "a trigger request (at least its path) is required")
	} else {
		ts := known.child(builtinsTrigger)
		ts.endpoint = epScope
		h.Trigger.validate(v, path+".trigger", ts, true)
	}
	for i := range h.EndpointTeardown {
		h.EndpointTeardown[i].validate(v, fmt.Sprintf("%s.endpoint_teardown[%d]", path, i), epScope, false)
	}
	for i := range h.Teardown {
		h.Teardown[i].validate(v, fmt.Sprintf("%s.teardown[%d]", path, i), known, false)
	}
	if s := h.Settle; s != nil {
		s.validate(v, path+".settle", known, epScope)
		if s.Poll != nil {
			s.Poll.validate(v, path+".settle.poll", s.scope(known, epScope), false)
		}
	}
	rotScope := epScope.child(builtinsRotate)
	for i := range h.RotateSecret {
		h.RotateSecret[i].validate(v, fmt.Sprintf("%s.rotate_secret[%d]", path, i), rotScope, false)
	}
	for i := range h.Restart {
		h.Restart[i].validate(v, fmt.Sprintf("%s.restart[%d]", path, i), known, false)
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
	for i := range c.Setup {
		c.Setup[i].validate(v, fmt.Sprintf("%s.setup[%d]", path, i), known, false)
	}
	epScope := known.child(builtinsEndpoint)
	for i := range c.Endpoint {
		c.Endpoint[i].validate(v, fmt.Sprintf("%s.endpoint[%d]", path, i), epScope, false)
	}
	if len(c.Trigger.Run) == 0 {
		v.errf(path+".trigger.run", "a trigger command is required")
	} else {
		ts := known.child(builtinsTrigger)
		ts.endpoint = epScope
		c.Trigger.validate(v, path+".trigger", ts, true)
	}
	for i := range c.EndpointTeardown {
		c.EndpointTeardown[i].validate(v, fmt.Sprintf("%s.endpoint_teardown[%d]", path, i), epScope, false)
	}
	for i := range c.Teardown {
		c.Teardown[i].validate(v, fmt.Sprintf("%s.teardown[%d]", path, i), known, false)
	}
	if s := c.Settle; s != nil {
		s.validate(v, path+".settle", known, epScope)
		if s.Poll != nil {
			s.Poll.validate(v, path+".settle.poll", s.scope(known, epScope), false)
		}
	}
	rotScope := epScope.child(builtinsRotate)
	for i := range c.RotateSecret {
		c.RotateSecret[i].validate(v, fmt.Sprintf("%s.rotate_secret[%d]", path, i), rotScope, false)
	}
	for i := range c.Restart {
		c.Restart[i].validate(v, fmt.Sprintf("%s.restart[%d]", path, i), known, false)
	}
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
		if err := s.Endpoints[i].checkSinkConfig(); err != nil {
			v.errf(fmt.Sprintf("sink.endpoints[%d]", i), "%s", sinkMessage(err))
		}
	}
	for i, r := range s.Rules {
		rule, err := sink.ParseRule(r)
		switch {
		case err != nil:
			v.errf(fmt.Sprintf("sink.rules[%d]", i), "%s", sinkMessage(err))
		case rule.Endpoint != "" && !hasPath(s.Endpoints, rule.Endpoint):
			v.errf(fmt.Sprintf("sink.rules[%d]", i), "rule names endpoint %q, which is not a sink endpoint", rule.Endpoint)
		}
	}
	v.duration("sink.max_hang", s.MaxHang)
}

func hasPath(eps []EndpointSpec, path string) bool {
	for i := range eps {
		if eps[i].Path == path {
			return true
		}
	}
	return false
}

func (p *Phase) validate(v *validator, path string, endpoints map[string]bool, adapter string, restartable bool) {
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
		for k, r := range rc.Rules {
			rule, err := sink.ParseRule(r)
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
			v.errf(cp+".action", "must be one of %s, got %q", strings.Join(chaosActions, ", "), c.Action)
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
		case c.Action == ChaosProviderRestart && !restartable:
			v.errf(cp+".action", "%s needs the reference adapter or restart steps in the %s block", c.Action, adapter)
		case strings.HasPrefix(c.Action, "provider-") && c.Action != ChaosProviderRestart && adapter != "reference":
			v.errf(cp+".action", "%s needs the reference adapter (hookbench cannot stop a %s provider)", c.Action, adapter)
		}
		if c.For > 0 && (c.Action == ChaosProviderStart || c.Action == ChaosSinkUp || c.Action == ChaosEndpointUp || c.Action == ChaosProviderRestart) {
			v.errf(cp+".for", "only a down or stop action can be undone after a while")
		}
	}
}
