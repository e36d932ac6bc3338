package suite

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/signature"
)

// Defaults of Options.
const (
	// DefaultTimeScale runs the reference provider's policy 1000 times
	// faster: the fifth attempt of the Standard Webhooks schedule comes
	// 9.3 s after the first instead of 2.6 h.
	DefaultTimeScale = 0.001
	// DefaultReferenceAttempts cuts the reference's schedule to its first
	// five attempts (5 s, 5 min, 30 min, 2 h before time scaling).
	DefaultReferenceAttempts = 5
	// DefaultReferenceTimeout is the reference's declared timeout before
	// scaling: 4000 s, i.e. 4 s at DefaultTimeScale. (15 s would be 15 ms:
	// a provider's timeout clock starts before it connects, and on a loaded
	// machine a burst of deliveries can spend that long just reaching the
	// sink, turning answered attempts into timeouts.)
	DefaultReferenceTimeout = 4000 * time.Second
	// DefaultMaxFragment bounds how long any fragment waits for evidence.
	DefaultMaxFragment = 45 * time.Second
	// DefaultGrace is added to every wait for an expected delivery, so a
	// slow provider is seen as slow rather than as missing.
	DefaultGrace = 3 * time.Second
	// DefaultMaxHang is the least the sink's hanging endpoints wait before
	// cutting off a provider that never times out; HangCap raises it for
	// longer declared timeouts.
	DefaultMaxHang = 7 * time.Second
	// HangMargin is the least a hang outlasts the declared timeout, so a
	// provider that waits past its timeout is seen waiting past it.
	HangMargin = 3 * time.Second
	// DefaultTypePrefix starts the suite's event type names
	// ("hookbench.deliver", "hookbench.types.a").
	DefaultTypePrefix = "hookbench."
	// MaxMaxEndpoints bounds Options.MaxEndpoints.
	MaxMaxEndpoints = 10000
	// DefaultLoadEvents and DefaultLoadRate shape the load fragment.
	DefaultLoadEvents = 300
	DefaultLoadRate   = 200.0 // events per second
	// DefaultSeed seeds secrets and the sink's random choices.
	DefaultSeed = 1
	// ReferenceTypeHeader is the header the reference provider names the
	// event type in.
	ReferenceTypeHeader = "X-Event-Type"
)

// Options configures a suite run. Build it with NewOptions; Run validates it.
type Options struct {
	// Provider says which adapter drives the provider under test; the zero
	// value (or Adapter "reference") is the embedded reference provider.
	Provider adapter.ProviderSpec
	// NewAdapter, when set, replaces Provider: it builds the adapter from
	// the options the suite prepares (trace, policy). For embedding and tests.
	NewAdapter func(adapter.Options) (adapter.Adapter, error)
	// Policy is what the provider promises. PolicySet false: the adapter's
	// declared policy (the reference's own); an adapter that declares none
	// is a setup error.
	Policy    policy.Policy
	PolicySet bool
	// Eval selects checks (--only, --skip), --strict and the timing slack.
	Eval conformance.Options
	// Seed makes secrets and sink randomness repeatable.
	Seed int64
	// SinkListen is the sink's address (default 127.0.0.1:0).
	SinkListen string
	// SinkPublic permits a SinkListen that is not loopback.
	SinkPublic bool
	// SinkURL, when set, is the base URL the provider reaches the sink at
	// (a provider in a container or on another machine): endpoints are
	// registered, and redirects point, under it instead of the listen
	// address.
	SinkURL string
	// MaxHang caps hanging sink endpoints; 0 follows the declared timeout
	// (HangCap).
	MaxHang time.Duration
	// TypeHeader is the header the sink reads the event type from; "" reads
	// the "type" member of the body. The reference uses X-Event-Type. A
	// Subscriber's type-header or type-path takes precedence.
	TypeHeader string
	// Subscriber, when set, is the endpoint every suite endpoint copies its
	// subscriber settings from: scheme ("" = unsigned; it becomes the graded
	// policy's scheme), secret (one for every endpoint; "" = generated per
	// endpoint or read from the provider) and options in the sink's
	// --endpoint form (tolerance, id-header, type-header, the generic
	// scheme's settings, auth...). Its path and event types are ignored.
	// nil: the policy's scheme with generated secrets.
	Subscriber *adapter.EndpointSpec
	// TypePrefix starts every suite event type name; "" means
	// DefaultTypePrefix.
	TypePrefix string
	// MaxEndpoints, when not 0, registers no more than this many suite
	// endpoints with the provider at once: fragments run in batches, each
	// with its own adapter (Setup, fragments, Teardown).
	MaxEndpoints int
	// LoadEvents and LoadRate shape the load fragment.
	LoadEvents int
	LoadRate   float64
	// IsolateReference gives every fragment its own reference provider
	// instance (the reference adapter only): fragments cannot disturb each
	// other, and the restart and load fragments run beside the rest.
	IsolateReference bool
	// Sequential runs fragments one after another even when they could run
	// side by side (forced when the adapter cannot aim events at endpoints).
	Sequential bool
	// Isolate runs again, after the main run, the fragments whose part of
	// the trace shows interference from fragments beside them (see
	// conformance.Interference): one after another, each alone on a fresh
	// registration of its endpoints, with event ids of their own. Their
	// checks are graded from the re-run; the first run stays in the trace.
	Isolate bool
	// hangsBeside runs the Hangs fragments beside the others, as before
	// they ran alone (tests show what that did to a shared provider).
	hangsBeside bool
	// MaxFragment bounds each fragment's waiting; Grace pads every wait for
	// an expected delivery.
	MaxFragment time.Duration
	Grace       time.Duration
	// TraceTo, when set, receives a copy of the raw trace as it is written.
	TraceTo io.Writer
	// Redactor hides the scenario's secrets from the trace header and
	// from what the adapter records; nil hides nothing.
	Redactor *adapter.Redactor
	// Args and Version go into the trace header, Args through Redactor.
	Args    []string
	Version string
	// Progress, when set, receives a line for each step of the run beyond
	// its fragments (a batch begins, fragments run again). It must be safe
	// for concurrent use.
	Progress func(format string, args ...any)
	// OnPlan, when set, receives the run's plan once the provider is set
	// up, before the first fragment starts.
	OnPlan func(Plan)
	// OnProgress, when set, receives how far the run is each time a
	// fragment finishes and every ProgressEvery in between. It must be
	// safe for concurrent use and return quickly.
	OnProgress func(Progress)
}

// NewOptions returns the defaults: the reference provider at time scale
// DefaultTimeScale, every check, parallel fragments.
func NewOptions() Options {
	return Options{
		Provider:    adapter.ProviderSpec{Adapter: adapter.Reference, Reference: &adapter.ReferenceSpec{TimeScale: DefaultTimeScale}},
		Seed:        DefaultSeed,
		SinkListen:  "127.0.0.1:0",
		LoadEvents:  DefaultLoadEvents,
		LoadRate:    DefaultLoadRate,
		MaxFragment: DefaultMaxFragment,
		Grace:       DefaultGrace,

		IsolateReference: true,
	}
}

// IsReference reports whether the options drive the embedded reference.
func (o *Options) IsReference() bool {
	return o.NewAdapter == nil && (o.Provider.Adapter == "" || o.Provider.Adapter == adapter.Reference)
}

// Validate reports the first option that makes no sense.
func (o *Options) Validate() error {
	if err := o.Eval.Validate(); err != nil {
		return err
	}
	if o.PolicySet {
		if err := o.Policy.Validate(); err != nil {
			return fmt.Errorf("suite: %w", err)
		}
	}
	switch {
	case o.LoadEvents < 0 || o.LoadEvents > 100_000:
		return fmt.Errorf("suite: load events must be 0..100000, got %d", o.LoadEvents)
	case o.LoadEvents > 0 && !(o.LoadRate > 0 && o.LoadRate <= 50_000):
		return fmt.Errorf("suite: load rate must be in (0, 50000] events/s, got %v", o.LoadRate)
	case o.MaxFragment <= 0 || o.MaxFragment > time.Hour:
		return fmt.Errorf("suite: max fragment time must be in (0, 1h], got %v", o.MaxFragment)
	case o.Grace < 0:
		return fmt.Errorf("suite: grace is negative (%v)", o.Grace)
	case o.MaxHang < 0:
		return fmt.Errorf("suite: max hang (--max-hang, sink.max_hang) must not be negative, got %v", o.MaxHang)
	case o.MaxEndpoints < 0 || o.MaxEndpoints > MaxMaxEndpoints:
		return fmt.Errorf("suite: max endpoints (--max-endpoints, conform.max_endpoints) must be in [0, %d] (0 = no limit), got %d", MaxMaxEndpoints, o.MaxEndpoints)
	}
	if err := conformance.CheckTypePrefix(o.TypePrefix); err != nil {
		return fmt.Errorf("suite: type prefix (--type-prefix, conform.type_prefix): %w", err)
	}
	if n := largestFragment(o); o.MaxEndpoints > 0 && n.count > o.MaxEndpoints {
		return fmt.Errorf("suite: max endpoints (--max-endpoints, conform.max_endpoints) %d is below the %d endpoints fragment %s registers at once", o.MaxEndpoints, n.count, n.id)
	}
	if t := o.Subscriber; t != nil {
		probe := *t
		probe.Path, probe.Name, probe.EventTypes = "/f/probe", "/f/probe", nil
		if probe.Scheme == adapter.SchemeNone {
			probe.Scheme = ""
		}
		if probe.Scheme != "" && probe.Secret == "" {
			s, err := signature.GenerateSecret(probe.Scheme, nil)
			if err != nil {
				return fmt.Errorf("suite: subscriber scheme %q: %w", probe.Scheme, err)
			}
			probe.Secret = s
		}
		if _, err := probe.SinkConfig(true); err != nil {
			return fmt.Errorf("suite: subscriber settings: %w", err)
		}
	}
	if o.NewAdapter == nil && o.Provider.Adapter != "" && !slicesContains(adapter.Names(), o.Provider.Adapter) {
		return fmt.Errorf("suite: unknown adapter %q", o.Provider.Adapter)
	}
	if r := o.Provider.Reference; o.IsReference() && r != nil && r.TimeScale < 0 {
		return errors.New("suite: reference time scale is negative")
	}
	if o.IsReference() {
		if err := o.checkScaledTimeout(); err != nil {
			return err
		}
	}
	return nil
}

// MinScaledTimeout is the shortest timeout, after time scaling, the suite
// grades the embedded reference provider with. A provider's timeout clock
// starts before it connects; with tens of fragments delivering at once on
// a loaded machine, reaching the sink can take tens of milliseconds, so a
// shorter timeout turns answered attempts into timeouts, and their retries
// into false FAILs of the retry, Retry-After, idempotency and 410 checks.
const MinScaledTimeout = time.Second

// shortTimeout reads the embedded reference provider's declared policy and
// time scale, and the least declared timeout that runs for
// MinScaledTimeout; short reports whether the declared one runs shorter.
func (o *Options) shortTimeout() (p policy.Policy, scale float64, least time.Duration, short bool) {
	p, scale = ReferencePolicy(), DefaultTimeScale
	if o.PolicySet {
		p = o.Policy
	}
	if r := o.Provider.Reference; r != nil && r.TimeScale > 0 {
		scale = r.TimeScale
	}
	least = time.Duration(math.Ceil(float64(MinScaledTimeout)/scale/float64(time.Second))) * time.Second
	short = p.Timeout > 0 && scaleBy(p.Timeout, scale) < MinScaledTimeout
	return p, scale, least, short
}

func scaleBy(d time.Duration, scale float64) time.Duration { return time.Duration(float64(d) * scale) }

// FloorScaledTimeout raises the embedded reference provider's timeout, the
// declared one and the one it runs with, so that it is at least
// MinScaledTimeout after time scaling, and says so in one line ("" when
// nothing changed). A scenario written for `run` (a 15 s timeout at time
// scale 0.001 is 15 ms) can then be graded without false FAILs.
func (o *Options) FloorScaledTimeout() string {
	if !o.IsReference() {
		return ""
	}
	p, scale, least, short := o.shortTimeout()
	if !short {
		return ""
	}
	was := p.Timeout
	p.Timeout = least
	o.Policy, o.PolicySet = p, true
	return fmt.Sprintf("the reference provider's %v timeout would run as %v at time scale %g, too short to grade "+
		"(a loaded machine turns answered attempts into timeouts): graded with a %v timeout (%v scaled) instead",
		was, scaleBy(was, scale).Round(time.Microsecond), scale, least, scaleBy(least, scale).Round(time.Millisecond))
}

// checkScaledTimeout refuses a reference policy whose timeout the time
// scale makes shorter than MinScaledTimeout, saying what to change.
func (o *Options) checkScaledTimeout() error {
	p, scale, least, short := o.shortTimeout()
	if !short {
		return nil
	}
	return fmt.Errorf("suite: the reference provider's %v timeout runs as %v at time scale %g: too short to grade "+
		"(a loaded machine turns answered attempts into timeouts); declare a timeout of at least %v (policy.timeout) "+
		"or a time scale of at least %.3g (provider.reference.time_scale, or --time-scale)",
		p.Timeout, scaleBy(p.Timeout, scale).Round(time.Microsecond), scale, least, float64(MinScaledTimeout)/float64(p.Timeout))
}

// HangCap is the sink's cap on hanging endpoints for a declared timeout:
// at least DefaultMaxHang, and at least HangMargin (or half the timeout,
// if more) beyond it, so a provider that ignores its timeout is cut off
// well after a correct one gave up.
func HangCap(timeout time.Duration) time.Duration {
	return max(DefaultMaxHang, timeout+max(HangMargin, timeout/2))
}

func (o *Options) typePrefix() string {
	if o.TypePrefix == "" {
		return DefaultTypePrefix
	}
	return o.TypePrefix
}

type fragmentSize struct {
	id    string
	count int
}

// largestFragment is the fragment (of those the selected checks need) that
// registers the most endpoints.
func largestFragment(o *Options) fragmentSize {
	var big fragmentSize
	for _, fp := range selectedPlans(&o.Eval) {
		if n := fp.registered(); n > big.count {
			big = fragmentSize{fp.ID, n}
		}
	}
	return big
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
