package generator

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// Defaults, used by NewOptions.
const (
	DefaultMethod            = "POST"
	DefaultRate              = 100.0 // hits per second
	DefaultDuration          = 10 * time.Second
	DefaultConnections       = 64
	DefaultTimeout           = 5 * time.Second
	DefaultIdempotencyHeader = "Idempotency-Key"
	DefaultIDField           = "hookbench_id"
	DefaultType              = "hookbench.test"
	// DefaultBody is the body template when none is given; the event id is
	// embedded as DefaultIDField.
	DefaultBody = `{"type":"{{type}}","seq":{{seq}},"created_at":"{{now rfc3339}}"}`
	// LateThreshold is how far after its intended time a send may leave
	// before it counts as late.
	LateThreshold = time.Millisecond
	// HeldRateError and HeldLatenessP99 are the limits of a held schedule
	// (Summary.ScheduleHeld): beyond either the generator, not the target,
	// set the pace, so latencies measured at that rate describe a
	// different load than the one asked for.
	HeldRateError   = 1.0 // percent, either sign
	HeldLatenessP99 = 5 * time.Millisecond
	// MaxInflightLimit bounds Connections and MaxInflight.
	MaxInflightLimit = 100_000
	// MaxBodySize bounds BodySize.
	MaxBodySize = 64 << 20
	// maxResponseBody is the largest trigger response the client reads.
	maxResponseBody = 4 << 20
)

// Options configures a Generator. Build it with NewOptions, change what you
// need, and pass it to New, which validates it. Options is a plain value:
// the Generator keeps its own copy.
type Options struct {
	URL    string // target, http:// or https://
	Method string // default POST
	// Headers are extra request headers; values may be templates.
	Headers [][2]string
	// Body is the request body template (see Template); "" = DefaultBody.
	Body string
	// Format is FormatJSON (the template is sent as rendered) or
	// FormatMsgpack (the template must be JSON; it is sent as msgpack).
	Format string
	// ContentType overrides the Content-Type derived from Format.
	ContentType string
	// BodySize pads every body to about this many bytes (0 = no padding).
	BodySize int
	// IDField is the JSON field the event id is embedded as when the body
	// template has no {{id}}; "" embeds nothing.
	IDField string
	// IDPrefix starts every event id; "" = "hb-" and a random run tag.
	IDPrefix string
	// Types are the event types; each event gets one at random ({{type}}).
	Types []string

	Rate     Pacer         // arrival schedule; Constant{0} = capacity mode
	Duration time.Duration // schedule length; 0 = bounded by Count only
	Count    uint64        // most events to send; 0 = bounded by Duration only
	// Shard runs one part of the run described by Rate, Duration and Count
	// (see Shard): New restricts the pacer and the count to the shard and
	// adds Shard.IDPrefix to the event ids. The zero Shard is the whole run.
	Shard Shard
	// StartAt is the schedule's time zero; the zero Time means when Run
	// starts. It lets several processes (the shards of a run) start one
	// schedule together. Run waits for a StartAt in the future (Stop and
	// the context end the wait). A StartAt in the past skips the hits due
	// before Run started: they count as Missed (and Skipped), none is sent
	// late in a burst, and a Duration still ends the schedule at
	// StartAt+Duration.
	StartAt time.Time

	Connections int // TCP connections to the target
	// MaxInflight bounds concurrent requests (the number of workers);
	// 0 = Connections. More than Connections makes requests wait for a
	// free connection.
	MaxInflight int
	Timeout     time.Duration // per request, from when it leaves
	// Drain is how long in-flight requests may run after the schedule ends
	// or Stop is called; then their connections are closed. 0 = Timeout.
	Drain time.Duration

	// Duplicates is the fraction of events sent a second time with the same
	// body and the same idempotency key, in [0, 1).
	Duplicates float64
	// IdempotencyHeader carries the event id as an idempotency key on every
	// trigger (and its duplicate); "" sends none.
	IdempotencyHeader string

	Trace *trace.Writer // Sent records go here; nil = none
	// Metrics publishes the live counters while Run runs; nil = none.
	Metrics *Metrics
	Seed    int64 // seeds body randomness, types and duplicates

	// TLSConfig is used for https targets; nil = system defaults.
	TLSConfig *tls.Config
	// Dial opens connections; nil = TCP. Tests use in-memory listeners.
	Dial func(addr string) (net.Conn, error)
	// UserAgent is sent when no User-Agent header is given.
	UserAgent string
}

// NewOptions returns the defaults: POST DefaultBody at DefaultRate for
// DefaultDuration over DefaultConnections connections.
func NewOptions() Options {
	return Options{
		Method:            DefaultMethod,
		Format:            FormatJSON,
		IDField:           DefaultIDField,
		Types:             []string{DefaultType},
		Rate:              Constant{Rate: DefaultRate},
		Duration:          DefaultDuration,
		Connections:       DefaultConnections,
		Timeout:           DefaultTimeout,
		IdempotencyHeader: DefaultIdempotencyHeader,
		UserAgent:         "hookbench",
	}
}

// OptionError is an invalid option: which one, and why.
type OptionError struct {
	Field string // Options field name
	Err   error
}

func (e *OptionError) Error() string { return "generator option " + e.Field + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

func optErr(field, format string, args ...any) error {
	return &OptionError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate checks the options without compiling templates (New does that).
func (o *Options) Validate() error {
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		return optErr("URL", "missing target URL")
	case err != nil:
		return &OptionError{Field: "URL", Err: err}
	case u.Scheme != "http" && u.Scheme != "https":
		return optErr("URL", "%q: want an http:// or https:// URL", o.URL)
	case u.Host == "":
		return optErr("URL", "%q: no host", o.URL)
	}
	if o.Method == "" || strings.ContainsAny(o.Method, " \t\r\n") {
		return optErr("Method", "%q is not an HTTP method", o.Method)
	}
	for _, h := range o.Headers {
		if !validHeaderName(h[0]) {
			return optErr("Headers", "%q is not a valid header name", h[0])
		}
		if strings.ContainsAny(h[1], "\r\n") {
			return optErr("Headers", "value of %s contains a line break", h[0])
		}
	}
	if o.Format != FormatJSON && o.Format != FormatMsgpack {
		return optErr("Format", "%q: want json or msgpack", o.Format)
	}
	if o.BodySize < 0 || o.BodySize > MaxBodySize {
		return optErr("BodySize", "%d: want 0 to %d bytes", o.BodySize, MaxBodySize)
	}
	if o.IdempotencyHeader != "" && !validHeaderName(o.IdempotencyHeader) {
		return optErr("IdempotencyHeader", "%q is not a valid header name", o.IdempotencyHeader)
	}
	if strings.ContainsAny(o.IDPrefix, "\"\\\r\n") {
		return optErr("IDPrefix", "%q: no quotes, backslashes or line breaks", o.IDPrefix)
	}
	for _, t := range o.Types {
		if t == "" || strings.ContainsAny(t, "\"\\\r\n") {
			return optErr("Types", "%q: want a non-empty type without quotes, backslashes or line breaks", t)
		}
	}
	if o.Rate == nil {
		return optErr("Rate", "missing pacer")
	}
	if err := o.Shard.Validate(); err != nil {
		return &OptionError{Field: "Shard", Err: err}
	}
	if o.Duration < 0 {
		return optErr("Duration", "%v is negative", o.Duration)
	}
	if o.Duration == 0 && o.Count == 0 {
		return optErr("Duration", "unbounded run: set a duration, a count, or both")
	}
	if o.Connections < 1 || o.Connections > MaxInflightLimit {
		return optErr("Connections", "%d: want 1 to %d", o.Connections, MaxInflightLimit)
	}
	if o.MaxInflight < 0 || o.MaxInflight > MaxInflightLimit {
		return optErr("MaxInflight", "%d: want 0 (= connections) to %d", o.MaxInflight, MaxInflightLimit)
	}
	if o.Timeout <= 0 {
		return optErr("Timeout", "%v: want a positive timeout", o.Timeout)
	}
	if o.Drain < 0 {
		return optErr("Drain", "%v is negative", o.Drain)
	}
	if o.Duplicates < 0 || o.Duplicates >= 1 || math.IsNaN(o.Duplicates) {
		return optErr("Duplicates", "%v: want a fraction in [0, 1)", o.Duplicates)
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// ErrRunTwice is returned by Run on a Generator that already ran.
var ErrRunTwice = errors.New("generator: Run called twice")
