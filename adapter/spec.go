package adapter

import "time"

// Adapter names, as a scenario's provider.adapter gives them.
const (
	// Reference is the embedded reference provider.
	Reference = "reference"
	// HTTP drives a provider's HTTP API as an HTTPSpec declares it.
	HTTP = "http"
	// Command drives a provider through a command line tool.
	Command = "command"
	// Default is used when a spec names no adapter.
	Default = Reference
)

// Defaults of the declarative adapters.
const (
	// DefaultSettleInterval is how often a settle poll repeats its request.
	DefaultSettleInterval = time.Second
	// DefaultSettleTimeout bounds a settle poll.
	DefaultSettleTimeout = time.Minute
	// DefaultStepTimeout bounds each setup, trigger and teardown request
	// of the http adapter and each command of the command adapter.
	DefaultStepTimeout = 10 * time.Second
	// MaxDuration bounds every timeout and wait in a provider spec.
	MaxDuration = 24 * time.Hour
)

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
	// Public allows a Listen address that is not loopback (the provider's
	// --public); APIKey is then required.
	Public bool `yaml:"public"`
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

	// SchemeInherited: the file gave no scheme, Scheme is the policy's.
	SchemeInherited bool `yaml:"-"`
}

// InheritsScheme reports whether the endpoint's scheme came from the
// policy (the file named none for it).
func (ep *EndpointSpec) InheritsScheme() bool { return ep.SchemeInherited }

// SchemeNone in a file says an endpoint's deliveries are not signed.
const SchemeNone = "none"
