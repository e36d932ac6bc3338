package adapter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// Adapter is how hookbench sets a provider up and triggers events. The
// lifecycle is New → Setup (once) → Trigger (any number of times,
// concurrently) → Teardown (once, also after a failed Setup). Load phases
// normally bypass Trigger and drive the provider's API through the
// generator (see Targeter); Trigger serves conformance fragments and
// adapters the generator cannot drive.
//
// Optional capabilities are further interfaces found by type assertion:
// Restarter, FragmentRestarter, SecretRotator, Stopper, EndpointDeleter,
// PolicyDeclarer, Targeter, SecretSource.
type Adapter interface {
	// Setup registers endpoints pointing at the sink (EndpointSpec.URL).
	Setup(ctx context.Context, eps []EndpointSpec) error
	// Trigger sends one event. An HTTP answer of any status is a result,
	// not an error; errors are transport, template or command failures.
	Trigger(ctx context.Context, ev Event) (TriggerResult, error)
	// Teardown removes what Setup created and releases resources. It tries
	// every step even when one fails, and returns their errors joined.
	Teardown(ctx context.Context) error
	// Capabilities says what the adapter can and cannot do; checks that
	// need a missing capability SKIP instead of passing.
	Capabilities() Capabilities
}

// Capabilities is what an adapter can do with its provider.
type Capabilities struct {
	SetSecret       bool // hookbench chooses each endpoint's signing secret
	ReadSecret      bool // the adapter learns a secret the provider generated (SecretSource)
	DeleteEndpoint  bool // EndpointDeleter works
	IdempotencyKey  bool // triggers carry an idempotency key
	Restart         bool // Restarter works (crash and restart mid-run)
	Stop            bool // Stopper works (stop the provider, start it again)
	RotateSecret    bool // RotateSecret works (a new signing secret mid-run)
	EventTypes      bool // endpoints can subscribe to some event types only
	TargetEndpoints bool // a trigger can name the endpoints it goes to
	// PerEndpointTrigger: each trigger request is aimed at one endpoint, so
	// an event that names none is sent to each endpoint subscribed to its
	// type: hookbench routes it, and event-type routing cannot be judged.
	PerEndpointTrigger bool
	ProviderIDs        bool // a trigger reports the provider's event id
	// EventIDs: the delivered payload carries the harness event id, so
	// deliveries can be matched to triggers (a seed 003-style server sends a
	// fixed payload: completeness is then judged by counts).
	EventIDs bool
	// Notes say, in words, what the adapter could not do and why.
	Notes []string
}

// Event is one event to trigger.
type Event struct {
	ID      string // harness event id, unique per run
	Type    string
	Payload []byte // JSON, normally carrying {"hookbench_id": ID}
	// IdemKey is the idempotency key; "" lets the http and command
	// adapters use ID, so that every event has a key of its own.
	IdemKey   string
	Endpoints []string
}

// TriggerResult is the provider's answer to a trigger.
type TriggerResult struct {
	// Status is the HTTP status of the trigger request; the command
	// adapter reports 200 for exit status 0.
	Status     int
	ProviderID string // the provider's event id, "" when unknown
	// Note says what went wrong short of an error, e.g. the provider
	// accepted the event but its id could not be extracted.
	Note string
}

// Restarter is an adapter that can crash and restart its provider.
type Restarter interface {
	Restart(ctx context.Context) error
}

// SecretRotator is an adapter that can give one endpoint (by name) a new
// signing secret; it returns the new secret ("" when the provider did not
// say). The provider should keep signing with the old one for a while.
type SecretRotator interface {
	RotateSecret(ctx context.Context, name string) (string, error)
}

// FragmentRestarter is an adapter that can crash and restart only the
// provider serving one conformance fragment, so the restart fragment can
// run beside the others instead of after them.
type FragmentRestarter interface {
	RestartFragment(ctx context.Context, fragment string) error
}

// Stopper is an adapter that can stop its provider and start it again.
type Stopper interface {
	Stop(ctx context.Context) error
	Start(ctx context.Context) error
}

// EndpointDeleter is an adapter that can delete one endpoint (by name)
// during a run.
type EndpointDeleter interface {
	DeleteEndpoint(ctx context.Context, name string) error
}

// PolicyDeclarer is an adapter whose provider states its own policy (the
// reference provider's effective, time-scaled policy).
type PolicyDeclarer interface {
	DeclaredPolicy() (policy.Policy, bool)
}

// SecretSource is an adapter that learned endpoint secrets from the
// provider during Setup (endpoint name → secret). The runner reconfigures
// the sink with them.
type SecretSource interface {
	EndpointSecrets() map[string]string
}

// Target is a trigger request the generator can send at a rate: the
// adapter's own values are filled in, generator names ({{id}}, {{type}},
// {{seq}}, ...) are left for the generator.
type Target struct {
	URL    string
	Method string
	// Headers to send; values may hold generator names.
	Headers [][2]string
	// Body template in the generator's language.
	Body string
	// IdempotencyHeader carries the idempotency key ("" when none).
	IdempotencyHeader string
	// ProviderIDPath is a JSON path to the provider's event id in the
	// trigger response ("" when none).
	ProviderIDPath string
}

// Targeter is an adapter whose trigger the generator can drive. payload is
// the phase's payload template (generator language).
type Targeter interface {
	GeneratorTarget(payload string) (Target, bool)
}

// Options is what New needs besides the provider spec.
type Options struct {
	// Policy the scenario declared (PolicySet false: none); the reference
	// adapter configures its provider with it.
	Policy    policy.Policy
	PolicySet bool
	Seed      int64
	// Trace receives "provider" marks (start, stop, restart); may be nil.
	Trace *trace.Writer
	// Redactor learns secrets the adapter extracts; may be nil.
	Redactor *Redactor
	RunID    string
	// HTTPClient for the http adapter; nil = a client with the spec's
	// timeout.
	HTTPClient *http.Client
}

// ErrUnsupported is returned by optional operations an adapter cannot do.
var ErrUnsupported = errors.New("not supported by this adapter")

// adapterConstructors is the registry of adapters: an explicit map literal
// of constructors.
func adapterConstructors() map[string]func(ProviderSpec, Options) (Adapter, error) {
	return map[string]func(ProviderSpec, Options) (Adapter, error){
		HTTP: func(s ProviderSpec, o Options) (Adapter, error) {
			if s.HTTP == nil {
				return nil, errors.New("http adapter: no http block")
			}
			return NewHTTPAdapter(*s.HTTP, o)
		},
		Reference: func(s ProviderSpec, o Options) (Adapter, error) {
			r := ReferenceSpec{}
			if s.Reference != nil {
				r = *s.Reference
			}
			return NewReferenceAdapter(r, o, ReferenceOptions{})
		},
		Command: func(s ProviderSpec, o Options) (Adapter, error) {
			if s.Command == nil {
				return nil, errors.New("command adapter: no command block")
			}
			return NewCommandAdapter(*s.Command, o)
		},
	}
}

// Names lists the adapter names New knows, sorted.
func Names() []string {
	m := adapterConstructors()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Capabilities returns what the adapter the spec names can do, without
// setting anything up; ok is false when the spec builds no adapter (the
// spec's own errors say why).
func (ps ProviderSpec) Capabilities() (c Capabilities, ok bool) {
	a, err := New(ps, Options{})
	if err != nil {
		return Capabilities{}, false
	}
	return a.Capabilities(), true
}

// New builds the adapter the spec names.
func New(spec ProviderSpec, opts Options) (Adapter, error) {
	name := spec.Adapter
	if name == "" {
		name = Default
	}
	f, ok := adapterConstructors()[name]
	if !ok {
		return nil, fmt.Errorf("unknown adapter %q (known: %v)", name, Names())
	}
	return f(spec, opts)
}
