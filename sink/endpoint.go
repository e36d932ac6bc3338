package sink

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/internal/suggest"
	"github.com/hookbench/hookbench/signature"
)

// ReservedPrefix is the path prefix the sink keeps for itself
// (GET /_hookbench/stats). MetricsPath serves Prometheus metrics.
const (
	ReservedPrefix = "/_hookbench/"
	MetricsPath    = "/metrics"
)

// EndpointConfig describes one path the sink receives webhooks on. Zero
// values mean the documented defaults, so EndpointConfig{Path: "/x"} is a
// complete endpoint that verifies nothing and answers 200.
type EndpointConfig struct {
	// Path is matched exactly against the request path, e.g. "/orders".
	Path string
	// Signature selects the verification scheme; Scheme "" (or "none")
	// verifies nothing. Tolerance 0 means the scheme's default
	// (DefaultTolerance, 300 s; Paddle 5 s).
	Signature signature.Config
	// BadSigStatus, when not 0, is answered to requests whose signature is
	// not valid (e.g. 401); 0 records the verdict and answers per rules.
	BadSigStatus int
	// Auth, when set, is checked first: a wrong or missing credential
	// gets 401 and FlagAuthFailed.
	Auth Auth
	// TypeHeader names the header carrying the event type; "" reads the
	// first of the well-known type headers the request carries
	// (WellKnownTypeHeaders), else the JSON body at TypePath.
	TypeHeader string
	// TypePath is the JSON path of the event type in the body when
	// TypeHeader is "" and no well-known type header came; "" means
	// DefaultTypePath, "-" disables it.
	TypePath string
	// Types, when not empty, routes by event type: any other type
	// (or none) gets 400 "Invalid event type", as a typical hand-written receiver does.
	Types []string
	// MaxBody is the body limit in bytes (413 above); 0 means DefaultMaxBody.
	MaxBody int
	// IDHeader overrides the header carrying the provider's message id;
	// "" uses the scheme's (webhook-id, svix-id, X-GitHub-Delivery...).
	IDHeader string
	// EventIDHeader, when set, carries the harness event id; otherwise it
	// is read from the JSON body at EventIDPath.
	EventIDHeader string
	// EventIDPath is the JSON path of the harness event id: "a.b" is an
	// exact path from the top level, "..key" finds key at any depth
	// (first in document order). "" means DefaultEventIDPath, "-" disables.
	EventIDPath string
	// AttemptHeader names a header where the provider reports its attempt
	// number (e.g. X-Slack-Retry-Num); "" when none.
	AttemptHeader string
	// CloudEvents records on every attempt how it carried a CloudEvent
	// (binary ce- headers or structured JSON) and takes the event type
	// from the type attribute when no other source names it.
	CloudEvents bool
}

// Auth is an endpoint's credential check. The zero value checks nothing.
type Auth struct {
	Kind   string // "", "bearer" or "header"
	Header string // header name for Kind "header"
	Value  string // expected token (bearer) or header value
}

// String returns the auth spec with the secret part redacted.
func (a Auth) String() string {
	switch a.Kind {
	case "bearer":
		return "bearer:REDACTED"
	case "header":
		return "header:" + a.Header + ":REDACTED"
	}
	return ""
}

func parseAuth(s string) (Auth, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case "bearer":
		if rest == "" {
			return Auth{}, errors.New("expected bearer:TOKEN, found an empty token")
		}
		return Auth{Kind: "bearer", Header: "Authorization", Value: rest}, nil
	case "header":
		name, val, ok := strings.Cut(rest, ":")
		if !ok || name == "" || val == "" {
			return Auth{}, fmt.Errorf("expected header:NAME:VALUE, found %q", "header:"+redactTail(rest))
		}
		return Auth{Kind: "header", Header: name, Value: val}, nil
	}
	return Auth{}, fmt.Errorf("expected bearer:TOKEN or header:NAME:VALUE, found kind %q", kind)
}

func redactTail(s string) string {
	if name, _, ok := strings.Cut(s, ":"); ok {
		return name + ":REDACTED"
	}
	return s
}

// endpointKeys lists the keys ParseEndpoint accepts, in help order.
var endpointKeys = []string{"path", "scheme", "secret", "tolerance", "bad-sig", "auth", "type-header", "type-path", "types",
	"max-body", "id-header", "event-id", "event-id-header", "attempt-header", "cloudevents",
	"sig-header", "algorithm", "encoding", "prefix", "template", "timestamp-header", "timestamp-format",
	"timestamp-param", "signature-param", "param-separator", "key-separator"}

// ParseEndpoint parses the --endpoint form: comma-separated key=value pairs,
// e.g. "path=/orders,scheme=standard,secret=whsec_...,tolerance=300s".
// A value holding a comma is written in double quotes
// (template="{timestamp},{body}"; \" and \\ escape inside them, see
// signature.ParseOptions); '_' in a key reads as '-'.
// secret may repeat (rotation); types separates names with '|'. Keys:
// path, scheme, secret, tolerance, bad-sig, auth (bearer:TOKEN or
// header:NAME:VALUE), type-header, type-path, types, max-body (bytes, or
// with KiB/MiB), id-header, event-id (JSON path), event-id-header,
// attempt-header, and for scheme=generic: sig-header, algorithm, encoding,
// prefix, template, timestamp-header, timestamp-format, timestamp-param,
// signature-param, param-separator, key-separator (id-header doubles as
// the generic id). Errors name the key and value (secrets redacted).
func ParseEndpoint(s string) (EndpointConfig, error) {
	var ep EndpointConfig
	opts, err := signature.ParseOptions(s)
	if err != nil {
		return ep, fmt.Errorf("endpoint %q: %w", Redact(s), err)
	}
	return endpointFrom(s, opts)
}

// ParseEndpointOptions is ParseEndpoint for options already split into
// keys and values (e.g. from a YAML mapping).
func ParseEndpointOptions(opts []signature.Option) (EndpointConfig, error) {
	return endpointFrom(Redact(signature.FormatOptions(opts)), opts)
}

func endpointFrom(s string, opts []signature.Option) (EndpointConfig, error) {
	var ep EndpointConfig
	seen := map[string]bool{}
	for _, o := range opts {
		k, v := strings.ReplaceAll(o.Key, "_", "-"), o.Value
		if seen[k] && k != "secret" {
			return ep, fmt.Errorf("endpoint %q: key %q given twice", Redact(s), k)
		}
		seen[k] = true
		if err := ep.set(k, v); err != nil {
			return ep, fmt.Errorf("endpoint %q: %s: %w", Redact(s), k, err)
		}
	}
	if !seen["path"] {
		return ep, fmt.Errorf("endpoint %q: missing path= (e.g. path=/webhook)", Redact(s))
	}
	if err := ep.Validate(); err != nil {
		return ep, fmt.Errorf("endpoint %q: %w", Redact(s), err)
	}
	return ep, nil
}

// splitFields splits a rule's key=value,... spec on commas, dropping
// empty fields.
func splitFields(s string) []string {
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

func (ep *EndpointConfig) set(k, v string) error {
	var err error
	switch k {
	case "path":
		ep.Path = v
	case "scheme":
		ep.Signature.Scheme = v
	case "secret":
		if v == "" {
			return errors.New("empty secret")
		}
		ep.Signature.Secrets = append(ep.Signature.Secrets, v)
	case "tolerance":
		ep.Signature.Tolerance, err = parseDuration(v)
	case "bad-sig":
		ep.BadSigStatus, err = parseStatus(v)
	case "auth":
		ep.Auth, err = parseAuth(v)
	case "type-header":
		ep.TypeHeader = v
	case "type-path":
		ep.TypePath = v
	case "types":
		ep.Types = nil
		for _, t := range strings.Split(v, "|") {
			if t != "" {
				ep.Types = append(ep.Types, t)
			}
		}
		if len(ep.Types) == 0 {
			return errors.New("expected type names separated by '|', found none")
		}
	case "max-body":
		ep.MaxBody, err = parseSize(v)
	case "id-header":
		ep.IDHeader = v
	case "event-id":
		ep.EventIDPath = v
	case "event-id-header":
		ep.EventIDHeader = v
	case "attempt-header":
		ep.AttemptHeader = v
	case "cloudevents":
		ep.CloudEvents, err = flagValue(v)
	default:
		// The generic scheme's settings ("header" stays the sink's
		// sig-header, so that it is not mistaken for another header).
		if k == "header" || !signature.IsOption(k) {
			return fmt.Errorf("unknown key%s (known: %s)", suggest.Hint(k, endpointKeys), strings.Join(endpointKeys, ", "))
		}
		return ep.Signature.SetOption(k, v)
	}
	return err
}

// Validate reports the first problem with the endpoint.
func (ep *EndpointConfig) Validate() error {
	if err := validatePath(ep.Path); err != nil {
		return err
	}
	if ep.verifies() {
		c := ep.sigConfig()
		if err := c.Validate(); err != nil {
			return fmt.Errorf("scheme %q: %w", c.Scheme, err)
		}
	} else if len(ep.Signature.Secrets) > 0 {
		return errors.New("secret given without scheme= (e.g. scheme=standard)")
	}
	if ep.Signature.Tolerance < 0 {
		return fmt.Errorf("tolerance %v: must not be negative", ep.Signature.Tolerance)
	}
	if ep.MaxBody < 0 {
		return fmt.Errorf("max-body %d: must not be negative", ep.MaxBody)
	}
	if ep.BadSigStatus != 0 && (ep.BadSigStatus < 100 || ep.BadSigStatus > 999) {
		return fmt.Errorf("bad-sig %d: not an HTTP status", ep.BadSigStatus)
	}
	if ep.Auth.Kind != "" && ep.Auth.Kind != "bearer" && ep.Auth.Kind != "header" {
		return fmt.Errorf("auth kind %q: expected bearer or header", ep.Auth.Kind)
	}
	if ep.Auth.Kind != "" && (ep.Auth.Value == "" || ep.Auth.Header == "" && ep.Auth.Kind == "header") {
		return errors.New("auth: empty header name or value")
	}
	for _, p := range []struct{ name, v string }{{"event-id", ep.EventIDPath}, {"type-path", ep.TypePath}} {
		if p.v == "" || p.v == "-" {
			continue
		}
		if _, err := compileJSONPath(p.v); err != nil {
			return fmt.Errorf("%s %q: %w", p.name, p.v, err)
		}
	}
	return nil
}

func (ep *EndpointConfig) verifies() bool {
	return ep.Signature.Scheme != "" && ep.Signature.Scheme != "none"
}

// sigConfig is the signature config given to the signature package
// (Tolerance 0 there means the scheme's default).
func (ep *EndpointConfig) sigConfig() signature.Config {
	c := ep.Signature
	if c.Scheme == "generic" && c.IDHeader == "" {
		c.IDHeader = ep.IDHeader
	}
	return c
}

func validatePath(p string) error {
	switch {
	case p == "":
		return errors.New("path: empty (e.g. path=/webhook)")
	case p[0] != '/':
		return fmt.Errorf("path %q: must start with '/'", p)
	case strings.HasPrefix(p, ReservedPrefix) || p+"/" == ReservedPrefix:
		return fmt.Errorf("path %q: %s is reserved for the sink", p, ReservedPrefix)
	case p == MetricsPath:
		return fmt.Errorf("path %q: reserved for Prometheus metrics", p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == '"' || c == '\\' || c == ',' {
			return fmt.Errorf("path %q: character %q not allowed", p, c)
		}
	}
	return nil
}

// endpointJSON is the endpoint as written to "endpoint" marks: secrets
// and credentials are redacted.
type endpointJSON struct {
	Path          string   `json:"path"`
	Scheme        string   `json:"scheme,omitempty"`
	Secrets       int      `json:"secrets,omitempty"`
	ToleranceMs   int64    `json:"tolerance_ms,omitempty"`
	BadSigStatus  int      `json:"bad_sig_status,omitempty"`
	Auth          string   `json:"auth,omitempty"`
	TypeHeader    string   `json:"type_header,omitempty"`
	TypePath      string   `json:"type_path,omitempty"`
	Types         []string `json:"types,omitempty"`
	MaxBody       int      `json:"max_body"`
	IDHeader      string   `json:"id_header,omitempty"`
	EventIDHeader string   `json:"event_id_header,omitempty"`
	EventIDPath   string   `json:"event_id_path,omitempty"`
	AttemptHeader string   `json:"attempt_header,omitempty"`
	CloudEvents   bool     `json:"cloudevents,omitempty"`
}

// RedactedJSON returns the endpoint's configuration as JSON with secrets
// and credentials replaced by counts or "REDACTED".
func (ep *EndpointConfig) RedactedJSON() string {
	j := endpointJSON{
		Path: ep.Path, Scheme: ep.Signature.Scheme, Secrets: len(ep.Signature.Secrets),
		BadSigStatus: ep.BadSigStatus, Auth: ep.Auth.String(), TypeHeader: ep.TypeHeader, TypePath: ep.TypePath,
		Types: ep.Types, MaxBody: cmp.Or(ep.MaxBody, DefaultMaxBody), IDHeader: ep.IDHeader, EventIDHeader: ep.EventIDHeader,
		EventIDPath: ep.EventIDPath, AttemptHeader: ep.AttemptHeader, CloudEvents: ep.CloudEvents,
	}
	if ep.verifies() {
		j.ToleranceMs = ep.Signature.Tolerance.Milliseconds() // 0: the scheme's default
	}
	b, _ := json.Marshal(j) // cannot fail: strings, ints and slices only
	return string(b)
}

// Redact returns an --endpoint spec (or any key=value,... list) with the
// values of secret= and the credential of auth= replaced by REDACTED, for
// trace headers and error messages.
func Redact(spec string) string {
	if opts, err := signature.ParseOptions(spec); err == nil && len(opts) > 0 {
		redacted := false
		for i, o := range opts {
			switch o.Key {
			case "secret":
				opts[i].Value, redacted = "REDACTED", true
			case "auth":
				kind, rest, _ := strings.Cut(o.Value, ":")
				if kind == "header" {
					opts[i].Value = "header:" + redactTail(rest)
				} else {
					opts[i].Value = kind + ":REDACTED"
				}
				redacted = true
			}
		}
		if !redacted {
			return spec
		}
		return signature.FormatOptions(opts)
	}
	parts := strings.Split(spec, ",")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "secret":
			parts[i] = k + "=REDACTED"
		case "auth":
			kind, rest, _ := strings.Cut(v, ":")
			if kind == "header" {
				parts[i] = k + "=header:" + redactTail(rest)
			} else {
				parts[i] = k + "=" + kind + ":REDACTED"
			}
		}
	}
	return strings.Join(parts, ",")
}

// parseDuration accepts Go durations ("300s", "1m30s") and bare seconds ("300").
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 || n > 1e9 {
			return 0, fmt.Errorf("%q: out of range", v)
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("expected a duration such as 300s or 1.5s, found %q", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", v)
	}
	return d, nil
}

// parseSize accepts bytes ("1048576") or a KiB/MiB/KB/MB suffix ("1MiB").
func parseSize(v string) (int, error) {
	mult := 1
	num := v
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"k", 1 << 10}, {"m", 1 << 20}} {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > (1<<31-1)/mult {
		return 0, fmt.Errorf("expected a size in bytes such as 1048576 or 1MiB, found %q", v)
	}
	return n * mult, nil
}

func parseStatus(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 100 || n > 999 {
		return 0, fmt.Errorf("expected an HTTP status 100-999, found %q", v)
	}
	return n, nil
}
