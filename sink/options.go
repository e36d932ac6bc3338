package sink

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// Defaults. Every duration is a time.Duration; sizes are bytes.
const (
	// DefaultListen is where a sink listens unless told otherwise: loopback,
	// a port picked by the kernel.
	DefaultListen = "127.0.0.1:0"
	// DefaultMaxBody is an endpoint's body limit; larger bodies get 413.
	DefaultMaxBody = 1 << 20
	// DefaultTolerance is the signature timestamp tolerance of an endpoint
	// (both directions), as in Standard Webhooks, Stripe and Slack.
	DefaultTolerance = 300 * time.Second
	// DefaultEventIDPath finds the harness event id: the key hookbench_id at
	// any depth of the JSON body.
	DefaultEventIDPath = "..hookbench_id"
	// DefaultTypePath finds the event type when no type header is set and
	// none of WellKnownTypeHeaders came: the top-level "type" member of a
	// JSON body (the Standard Webhooks and Stripe envelopes).
	DefaultTypePath = "type"
	// DefaultMaxHang caps `hang` and every delay: after it the sink drops
	// the connection without an answer.
	DefaultMaxHang = 60 * time.Second
	// DefaultReadTimeout bounds reading one request (header and body), so
	// slow clients (slowloris) cannot hold connections forever.
	DefaultReadTimeout = 60 * time.Second
	// DefaultIdleTimeout closes keep-alive connections idle this long. It
	// equals DefaultReadTimeout so that read deadlines rarely need moving
	// (see the connection's deadline coarsening).
	DefaultIdleTimeout = 60 * time.Second
	// DefaultShutdownGrace is how long Close lets in-flight requests finish
	// before it interrupts their sleeps.
	DefaultShutdownGrace = 2 * time.Second
	// DefaultMaxHeaderSize is the largest request header accepted; larger
	// ones get 431.
	DefaultMaxHeaderSize = 16 << 10
	// DefaultConcurrency is the most connections served at once.
	DefaultConcurrency = 16 << 10
	// DefaultDedupWindow is how many message ids an endpoint remembers at
	// least (see Options.DedupWindow). Held ids cost ~36 bytes each
	// (BenchmarkNthCounterBytesPerID), 36 MB per million; at most two
	// windows are held, ~75 MB per endpoint once 2 Mi distinct ids came.
	DefaultDedupWindow = 1 << 20
)

// Options configures a Server. Build one with NewOptions, change fields, and
// pass it to New, which validates it. Options holds configuration only; run
// state lives in the Server.
type Options struct {
	// Listen is host:port. Only loopback addresses are allowed unless
	// AllowRemote is set; port 0 picks a free port.
	Listen string
	// AllowRemote permits a non-loopback Listen address.
	AllowRemote bool
	// TLS serves HTTPS with a self-signed certificate generated at start
	// for 127.0.0.1, ::1 and localhost.
	TLS bool
	// CertFile is where the PEM certificate is written when TLS is set, so
	// a provider can trust it; "" writes it to a temporary file (see
	// Server.CertFile).
	CertFile string
	// Endpoints are the paths the sink receives on. At least one.
	Endpoints []EndpointConfig
	// Rules are the behaviours, first match wins: rules naming an endpoint
	// are tried before global ones (Endpoint ""), each list in order.
	Rules []Rule
	// Seed makes probabilistic rules and delay distributions repeatable:
	// each request's random numbers derive from the seed, its message id
	// (else event id, else body hash) and its arrival number.
	Seed int64
	// Trace receives an Attempt per request and Marks for endpoints and
	// rule changes; nil records nothing. The caller owns it (Close only
	// flushes it).
	Trace *trace.Writer
	// KeepBodies copies request bodies into the trace.
	KeepBodies bool
	// MaxHang caps `hang` and every delay.
	MaxHang time.Duration
	// ReadTimeout bounds reading one request; IdleTimeout closes idle
	// keep-alive connections.
	ReadTimeout, IdleTimeout time.Duration
	// ShutdownGrace is how long Close waits for in-flight requests before
	// interrupting them.
	ShutdownGrace time.Duration
	// MaxHeaderSize is the largest request header accepted (431 above).
	MaxHeaderSize int
	// Concurrency is the most connections open at once; the sink answers
	// 503 to (or, with TLS, closes) the ones past it, counts them in
	// Stats.OverCapacity and writes a "note" Mark named "over-capacity".
	Concurrency int
	// DedupWindow bounds the memory that counts arrivals per message id
	// (Attempt.Nth, unique and duplicate counters): an id is remembered
	// until at least DedupWindow other ids have arrived after it, and at
	// most 2*DedupWindow ids are held per endpoint (~36 bytes each). An id
	// seen again after it was forgotten counts as a first arrival.
	DedupWindow int
	// Now is the clock for rule windows, flapping, rate limits and
	// signature timestamps; nil means time.Now.
	Now func() time.Time
	// Logf receives rare operational messages (connections still open at
	// Close, trace write errors); nil discards them.
	Logf func(format string, args ...any)
}

// NewOptions returns the defaults: loopback, no TLS, no endpoints yet.
func NewOptions() Options {
	return Options{
		Listen:        DefaultListen,
		MaxHang:       DefaultMaxHang,
		ReadTimeout:   DefaultReadTimeout,
		IdleTimeout:   DefaultIdleTimeout,
		ShutdownGrace: DefaultShutdownGrace,
		MaxHeaderSize: DefaultMaxHeaderSize,
		Concurrency:   DefaultConcurrency,
		DedupWindow:   DefaultDedupWindow,
	}
}

// ErrNotLoopback is returned (wrapped) by Validate when Listen is not a
// loopback address and AllowRemote is not set.
var ErrNotLoopback = errors.New("sink: listen address is not loopback (set AllowRemote / --public to listen elsewhere)")

// Validate reports the first problem with o, naming the field.
func (o *Options) Validate() error {
	host, port, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return fmt.Errorf("listen %q: %w", o.Listen, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("listen %q: bad port: %w", o.Listen, err)
	}
	if !o.AllowRemote && !isLoopback(host) {
		return fmt.Errorf("listen %q: %w", o.Listen, ErrNotLoopback)
	}
	if len(o.Endpoints) == 0 {
		return errors.New("endpoints: none configured (add one, e.g. path=/webhook)")
	}
	seen := make(map[string]bool, len(o.Endpoints))
	for i := range o.Endpoints {
		ep := &o.Endpoints[i]
		if err := ep.Validate(); err != nil {
			return fmt.Errorf("endpoint %d: %w", i+1, err)
		}
		if seen[ep.Path] {
			return fmt.Errorf("endpoint %d: path %q configured twice", i+1, ep.Path)
		}
		seen[ep.Path] = true
	}
	for i := range o.Rules {
		r := &o.Rules[i]
		if err := r.Validate(); err != nil {
			return fmt.Errorf("rule %d (%s): %w", i+1, r, err)
		}
		if r.Endpoint != "" && !seen[r.Endpoint] {
			return fmt.Errorf("rule %d (%s): endpoint %q is not configured", i+1, r, r.Endpoint)
		}
	}
	switch {
	case o.MaxHang <= 0:
		return fmt.Errorf("max hang %v: must be positive", o.MaxHang)
	case o.ReadTimeout <= 0:
		return fmt.Errorf("read timeout %v: must be positive", o.ReadTimeout)
	case o.IdleTimeout <= 0:
		return fmt.Errorf("idle timeout %v: must be positive", o.IdleTimeout)
	case o.ShutdownGrace < 0:
		return fmt.Errorf("shutdown grace %v: must not be negative", o.ShutdownGrace)
	case o.MaxHeaderSize < 1024:
		return fmt.Errorf("max header size %d: must be at least 1024", o.MaxHeaderSize)
	case o.Concurrency <= 0:
		return fmt.Errorf("concurrency %d: must be positive", o.Concurrency)
	case o.DedupWindow <= 0:
		return fmt.Errorf("dedup window %d: must be positive", o.DedupWindow)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WellKnownTypeHeaders returns the headers an endpoint without a TypeHeader
// reads the event type from, in order: the reference provider's and many
// others' X-Event-Type, CloudEvents binary mode's ce-type, GitHub's, GitLab's
// and Shopify's. Each call returns a new slice.
func WellKnownTypeHeaders() []string {
	return []string{"X-Event-Type", "Ce-Type", "X-GitHub-Event", "X-Gitlab-Event", "X-Shopify-Topic"}
}
