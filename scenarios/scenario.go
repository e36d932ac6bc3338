package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/threshold"
)

// Defaults and limits of scenario files.
const (
	// DefaultAdapter is used when provider.adapter is absent.
	DefaultAdapter = adapter.Default
	// DefaultDrain is how long a run waits, after the last phase, for
	// outstanding deliveries and retries when the scenario sets no drain.
	DefaultDrain = 30 * time.Second
	// MaxDuration bounds every phase, drain and timeout in a scenario.
	MaxDuration = adapter.MaxDuration
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
	Policy    policy.Policy
	PolicySet bool
	Sink      SinkSpec
	// Conform holds settings only `hookbench conform` reads.
	Conform ConformSpec
	Phases  []Phase
	Drain   time.Duration
	// Thresholds are pass/fail limits on the run's report (the
	// top-level thresholds: list), checked after the run.
	Thresholds []threshold.Threshold
	// Redactor knows every secret of the file: values of secret fields and
	// of variables with secret-sounding names. Use it on anything printed.
	Redactor *Redactor
}

// SinkSpec configures the sink: its endpoints and their behaviour rules.
type SinkSpec struct {
	Endpoints []EndpointSpec `yaml:"endpoints"`
	// Rules are sink behaviour rules, each in the sink's --rule form
	// ("endpoint=/orders,attempt=1-2,status=503") or the mapping form of
	// its rules file; first match wins.
	Rules      []RuleSpec    `yaml:"rules"`
	KeepBodies bool          `yaml:"keep_bodies"`
	Listen     string        `yaml:"listen"`   // default 127.0.0.1:0
	MaxHang    time.Duration `yaml:"max_hang"` // cap for hang rules
	// Public allows a Listen address that is not loopback (the sink's
	// --public).
	Public bool `yaml:"public"`
	// URL is the base URL the provider reaches the sink at, when that is not
	// the listen address: a provider in a container, or on another machine
	// (http://host.docker.internal:9301). Endpoints are registered under it.
	URL string `yaml:"url"`
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
	Rules    []RuleSpec    `yaml:"rules"`
	For      time.Duration `yaml:"for"`
}

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
