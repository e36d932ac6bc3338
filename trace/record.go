package trace

import (
	"strconv"
	"time"
)

// FormatVersion is the trace format written by this package. Readers accept
// files of this version only; the header says which version a file has.
const FormatVersion = 1

// Kind tells which record a Record holds.
type Kind uint8

// Record kinds. The numbers are part of the file format.
const (
	KindHeader  Kind = 1
	KindSent    Kind = 2
	KindAttempt Kind = 3
	KindMark    Kind = 4
	// kindString defines an interned string; it never reaches callers.
	kindString Kind = 5
	// kindReset empties the string table (the writer's table was full).
	kindReset Kind = 6
)

// String returns the name used in `hookbench trace dump` ("header", "sent", ...).
func (k Kind) String() string {
	switch k {
	case KindHeader:
		return "header"
	case KindSent:
		return "sent"
	case KindAttempt:
		return "attempt"
	case KindMark:
		return "mark"
	case kindString:
		return "string"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Header opens every trace file.
type Header struct {
	Version int    // FormatVersion of the file
	RunID   string // unique per run
	// StartWall is the wall-clock time of the run's monotonic base: every
	// *Ns field in other records is nanoseconds since this instant.
	StartWall time.Time
	Args      []string // command line, secrets redacted by the writer's caller
	Hookbench string   // hookbench version that wrote the file
}

// ErrKind classifies a failed trigger or delivery request.
type ErrKind uint8

// Error kinds of a Sent record (and of provider-reported attempts).
const (
	ErrNone       ErrKind = 0
	ErrTimeout    ErrKind = 1
	ErrConnection ErrKind = 2 // refused, reset, closed
	ErrOther      ErrKind = 3
)

// String returns "", "timeout", "connection" or "other".
func (e ErrKind) String() string {
	switch e {
	case ErrNone:
		return ""
	case ErrTimeout:
		return "timeout"
	case ErrConnection:
		return "connection"
	}
	return "other"
}

// Sent is one trigger request the generator made at the provider's API.
type Sent struct {
	EventID     string // harness event id, unique per run ("" never)
	Type        string // event type, "" when not known
	IntendedNs  int64  // when the schedule wanted it sent
	SentNs      int64  // when it actually left
	LatencyNs   int64  // response time of the trigger API, from SentNs
	Status      int    // HTTP status of the trigger API, 0 on error
	Err         ErrKind
	IdemKey     string // Idempotency-Key sent, "" when none
	ProviderID  string // the provider's event id, when its API returned one
	DuplicateOf string // harness id of the original when sent as a duplicate
}

// SigResult is what the sink concluded about a request's signature.
type SigResult uint8

// Signature results. SigNone means the endpoint verifies no signature.
const (
	SigNone        SigResult = 0
	SigValid       SigResult = 1
	SigMissing     SigResult = 2 // a required header is absent
	SigMalformed   SigResult = 3 // header present but unparseable
	SigNoKnownVer  SigResult = 4 // only unknown versions (e.g. "v2,...")
	SigMismatch    SigResult = 5 // well-formed, wrong MAC
	SigStale       SigResult = 6 // timestamp older than the tolerance
	SigFuture      SigResult = 7 // timestamp further ahead than the tolerance
	SigValidWeak   SigResult = 8 // valid, but with a weak algorithm (HMAC-SHA1)
	sigResultCount           = 9
)

var sigNames = [sigResultCount]string{"none", "valid", "missing", "malformed", "no-known-version", "mismatch", "stale", "future", "valid-weak"}

// String returns the verdict as written in dumps and stats.
func (s SigResult) String() string {
	if int(s) < len(sigNames) {
		return sigNames[s]
	}
	return "sig(" + strconv.Itoa(int(s)) + ")"
}

// OK reports whether the signature was accepted.
func (s SigResult) OK() bool { return s == SigValid || s == SigValidWeak }

// ParseSigResult is the inverse of SigResult.String.
func ParseSigResult(name string) (SigResult, bool) {
	for i, n := range sigNames {
		if n == name {
			return SigResult(i), true
		}
	}
	return 0, false
}

// SigVariant names the mistaken signed content the sink found when a
// signature did not verify over the raw bytes: the provider signed
// something other than what it sent. It is only set with SigMismatch.
type SigVariant uint8

// Signature variants. The numbers are part of the file format.
const (
	SigVariantNone SigVariant = 0 // not diagnosed, or no known mistake matched
	// SigCompactJSON: the JSON with the whitespace between tokens removed.
	SigCompactJSON SigVariant = 1
	// SigHTMLEscapedJSON: the JSON with <, > and & in strings escaped as
	// \u003c, \u003e and \u0026 (Go's json.HTMLEscape).
	SigHTMLEscapedJSON SigVariant = 2
	// SigCompactHTMLJSON: compacted and HTML-escaped, as Go re-marshals a
	// json.RawMessage.
	SigCompactHTMLJSON SigVariant = 3
	// SigReencodedJSON: parsed and written again in the same key order:
	// compact, numbers and string escapes normalised (JSON.stringify of
	// JSON.parse).
	SigReencodedJSON SigVariant = 4
	// SigSortedJSON: parsed into maps and written with keys sorted and
	// numbers normalised, without HTML escaping.
	SigSortedJSON SigVariant = 5
	// SigSortedHTMLJSON: as SigSortedJSON with <, > and & escaped: Go's
	// json.Marshal of a decoded map.
	SigSortedHTMLJSON SigVariant = 6
	// SigNoTrailingNewline: the body without its trailing newline.
	SigNoTrailingNewline SigVariant = 7
	// SigTrailingNewline: the body with a newline appended.
	SigTrailingNewline SigVariant = 8
	// SigTimestampFormat: the raw body, but the timestamp written in
	// another unit or format than the one sent (seconds vs milliseconds,
	// RFC 3339 vs unix).
	SigTimestampFormat SigVariant = 9
	// SigOtherTimestamp: the raw body with a timestamp a few seconds away
	// from the one sent (the provider read the clock twice).
	SigOtherTimestamp SigVariant = 10
	sigVariantCount   SigVariant = 11
)

var sigVariantNames = [sigVariantCount]string{"", "compact-json", "html-escaped-json", "compact-html-json", "reencoded-json",
	"sorted-json", "sorted-html-json", "no-trailing-newline", "trailing-newline", "timestamp-format", "other-timestamp"}

// String returns the variant's name ("" for SigVariantNone).
func (v SigVariant) String() string {
	if int(v) < len(sigVariantNames) {
		return sigVariantNames[v]
	}
	return "variant(" + strconv.Itoa(int(v)) + ")"
}

// ParseSigVariant is the inverse of SigVariant.String.
func ParseSigVariant(name string) (SigVariant, bool) {
	for i, n := range sigVariantNames {
		if n == name {
			return SigVariant(i), true
		}
	}
	return 0, false
}

// Attempt flags.
const (
	// FlagAuthFailed: the endpoint's auth check (bearer/header) failed.
	FlagAuthFailed uint8 = 1 << iota
	// FlagAborted: the sink gave no complete response (reset, ack-lost,
	// hang cut by the provider closing the connection).
	FlagAborted
	// FlagProviderGaveUp: the provider closed the connection before the
	// sink answered (it timed out).
	FlagProviderGaveUp
	// FlagTooLarge: the body was over the endpoint's limit (Size is what
	// was announced or seen).
	FlagTooLarge
	// FlagNoEndpoint: no endpoint has this path (answered 404).
	FlagNoEndpoint
	// FlagTimestamp: the scheme carried a timestamp; SkewMs is meaningful.
	FlagTimestamp
)

// Attempt is one delivery attempt as the sink saw it.
type Attempt struct {
	Endpoint  string // endpoint path, e.g. "/orders"
	MsgID     string // provider's message id (webhook-id, X-GitHub-Delivery...), "" when none
	EventID   string // harness event id found in the body or a header, "" when none
	EventType string // event type header or body field, "" when none
	Nth       uint32 // n-th arrival of MsgID (or EventID when no MsgID) at this endpoint, from 1
	ProviderN uint32 // attempt number the provider reported in a header, 0 when none
	ArrivalNs int64  // when the request was read, since the header's base
	HandleNs  int64  // how long the sink took to answer (delays included)
	Status    int    // what the sink answered; 0 when it sent nothing (reset, ack-lost)
	Sig       SigResult
	// SigVariant, with SigMismatch, is what the provider signed instead of
	// the raw bytes, when the sink could tell (older traces: always none).
	SigVariant SigVariant
	SkewMs     int64  // provider timestamp - arrival, ms (valid with FlagTimestamp)
	Size       int    // body size in bytes
	BodyHash   uint64 // 64-bit hash of the raw body (xxhash64)
	Behavior   string // behaviour applied, e.g. "status=503", "delay=2s", "" for the default
	Flags      uint8
	RetryAfter int64 // Retry-After the sink sent, in ms; 0 when none
	Body       []byte
	// Method is the request method ("POST", "GET", ...); "" in traces
	// written before it was recorded.
	Method string

	// CloudEvents attributes, recorded only by an endpoint that expects
	// CloudEvents (CE is 0 otherwise, and in traces written before).
	CE     CEAttrs
	CEID   string // the id attribute, "" when absent
	CEType string // the type attribute, "" when absent
}

// CEAttrs says how a delivery carried a CloudEvent: the content mode the
// sink saw and which required attributes were present and non-empty.
type CEAttrs uint8

// CloudEvents bits of Attempt.CE.
const (
	// CEChecked: the endpoint expected CloudEvents and looked (set on every
	// such attempt, so a request with no attribute at all is told apart
	// from one that was not inspected).
	CEChecked CEAttrs = 1 << iota
	// CEBinary: attributes came as ce- headers (ce-specversion present).
	CEBinary
	// CEStructured: Content-Type was application/cloudevents+json.
	CEStructured
	// CEHasSpecVersion: specversion was "1.0".
	CEHasSpecVersion
	CEHasID
	CEHasSource
	CEHasType
	// CEHasData: a structured event had a data or data_base64 member.
	CEHasData
)

// CERequired are the attributes every CloudEvent must carry.
const CERequired = CEHasSpecVersion | CEHasID | CEHasSource | CEHasType

// Has reports whether every bit of f is set.
func (c CEAttrs) Has(f CEAttrs) bool { return c&f == f }

var ceNames = [...]string{"checked", "binary", "structured", "specversion", "id", "source", "type", "data"}

// Names returns the names of the bits set, as dumps print them.
func (c CEAttrs) Names() []string {
	var out []string
	for i, n := range ceNames {
		if c&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Has reports whether every bit of f is set.
func (a *Attempt) Has(f uint8) bool { return a.Flags&f == f }

// Mark notes something that happened during a run: a phase starting, a sink
// behaviour changing, a provider restart.
type Mark struct {
	AtNs   int64
	Type   string // one of the *Mark constants, or a conformance suite mark
	Name   string
	Detail string
}

// Mark types that more than one component writes or reads. The
// conformance suite's own bookkeeping marks (fragment-end, config, ...) are
// defined by package conformance.
const (
	// PhaseMark starts a load phase (Name = phase, Detail = its JSON) or
	// the drain and teardown.
	PhaseMark = "phase"
	// BehaviorMark is a change of the sink's answers: Name is the endpoint
	// path ("" = every endpoint), Detail the rules.
	BehaviorMark = "behavior"
	// EndpointMark records a sink endpoint's configuration (Name = path,
	// Detail = its JSON with secrets redacted).
	EndpointMark = "endpoint"
	// NoteMark is anything else worth reading in a report: Name says
	// what ("sink", "chaos", "warning", ...).
	NoteMark = "note"
	// ProviderMark notes provider lifecycle events: Name "start", "stop",
	// or ProviderRestart.
	ProviderMark = "provider"
	// PolicyMark carries the declared policy as JSON (Name = its profile).
	PolicyMark = "policy"
	// FragmentMark opens a conformance fragment's part of the run: Name is
	// the fragment id, Detail the fragment as JSON.
	FragmentMark = "fragment"
	// HandshakeMark is a webhook validation handshake the sink answered
	// (an OPTIONS request carrying WebHook-Request-Origin): Name is the
	// endpoint path, Detail starts with "allowed" or "refused" and names
	// the origin ("allowed origin=sender.example").
	HandshakeMark = "handshake"
)

// ProviderRestart is the Name of a ProviderMark for a provider crash and
// restart.
const ProviderRestart = "restart"

// Record holds one decoded record; Kind says which field is meaningful.
// A Decoder reuses the Record it is given, so copy what you keep.
type Record struct {
	Kind    Kind
	Header  Header
	Sent    Sent
	Attempt Attempt
	Mark    Mark
}
