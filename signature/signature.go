package signature

import (
	"errors"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// Scheme names accepted in Config.Scheme.
const (
	SchemeStandard    = "standard"     // Standard Webhooks v1 (HMAC-SHA256)
	SchemeStandardV1a = "standard-v1a" // Standard Webhooks v1a (ed25519)
	SchemeSvix        = "svix"         // Standard Webhooks v1 with svix-* header names
	SchemeStripe      = "stripe"       // Stripe-Signature: t=…,v1=…
	SchemeGitHub      = "github"       // X-Hub-Signature-256: sha256=…
	SchemeGitHubSHA1  = "github-sha1"  // X-Hub-Signature: sha1=… (weak)
	SchemeShopify     = "shopify"      // X-Shopify-Hmac-Sha256: base64
	SchemeSlack       = "slack"        // X-Slack-Signature: v0=…
	SchemePaddle      = "paddle"       // Paddle-Signature: ts=…;h1=…
	SchemeZoom        = "zoom"         // x-zm-signature: v0=…
	SchemeTwitch      = "twitch"       // Twitch-Eventsub-Message-Signature: sha256=…
	SchemeGeneric     = "generic"      // configurable HMAC
)

// Default timestamp tolerances, applied in both directions (too old is
// SigStale, too far ahead is SigFuture) when Config.Tolerance is 0.
const (
	// DefaultTolerance is used by Standard Webhooks, Svix, Stripe, Slack,
	// Zoom and generic (with a timestamp header).
	DefaultTolerance = 300 * time.Second
	// DefaultPaddleTolerance is the Paddle SDKs' default.
	DefaultPaddleTolerance = 5 * time.Second
	// DefaultTwitchTolerance follows Twitch's EventSub guidance to reject
	// messages older than 10 minutes.
	DefaultTwitchTolerance = 10 * time.Minute
)

// Errors returned by Validate, NewVerifier, NewSigner and GenerateSecret.
// They are wrapped in a *ConfigError naming the field; match with errors.Is.
var (
	// ErrUnknownScheme: Config.Scheme is not one of Schemes().
	ErrUnknownScheme = errors.New("unknown signature scheme")
	// ErrNoSecret: Config.Secrets is empty.
	ErrNoSecret = errors.New("no secret")
	// ErrInvalidSecret: a secret cannot be decoded for the scheme.
	ErrInvalidSecret = errors.New("invalid secret")
	// ErrInvalidConfig: any other field is invalid.
	ErrInvalidConfig = errors.New("invalid signature config")
)

// ConfigError reports an invalid Config field. Secret values are never
// included in Value.
type ConfigError struct {
	Field string // e.g. "scheme", "secrets[1]", "template"
	Value string // offending value ("" for secrets)
	Err   error  // one of the Err* sentinels, possibly wrapping a cause
}

// Error implements error.
func (e *ConfigError) Error() string {
	s := "signature: " + e.Field + ": " + e.Err.Error()
	if e.Value != "" {
		s += " (got " + quote(e.Value) + ")"
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

// Config selects and parameterises a scheme. The zero value is invalid:
// Scheme and at least one secret are required.
type Config struct {
	// Scheme is one of Schemes().
	Scheme string
	// Secrets holds one or more secrets (rotation): a signature matching
	// any of them is valid. Signers sign with every secret for standard,
	// svix, standard-v1a, stripe, paddle and generic in the parameter form
	// (several signatures in one header), and with the first for the other
	// schemes. Formats:
	// standard/svix: optional "whsec_" prefix + base64 key bytes;
	// standard-v1a: "whsk_" + base64 (32-byte seed or 64-byte private key;
	// required by signers) or, for verifiers, "whpk_" + base64 32-byte
	// public key; every other scheme: the raw bytes of the string.
	Secrets []string
	// Tolerance bounds |provider timestamp - now| (0 = scheme default:
	// DefaultTolerance, DefaultPaddleTolerance, DefaultTwitchTolerance).
	// Ignored by schemes without a timestamp (github, shopify, generic
	// without a timestamp).
	Tolerance time.Duration

	// The remaining fields are for scheme "generic" only; setting them for
	// another scheme is an error.

	// Header carries the signature(s). Required. Several signatures may
	// be given separated by spaces (rotation).
	Header string
	// Algorithm is "sha1" (valid results are SigValidWeak), "sha256"
	// (default) or "sha512".
	Algorithm string
	// Encoding is "hex" (default; decoding accepts either case) or
	// "base64" (standard alphabet, padded or not).
	Encoding string
	// Prefix precedes each signature in Header, e.g. "sha256=" or "v1,".
	Prefix string
	// Template is the signed content: literal text with the placeholders
	// {id}, {timestamp} and {body} (raw bytes). Default "{body}"; {body} is
	// required; {id} needs IDHeader, {timestamp} needs TimestampHeader.
	Template string
	// IDHeader carries the message id (reported by Verifier.IDHeader and
	// set by the signer).
	IDHeader string
	// TimestampHeader carries the timestamp; when set, it is required and
	// checked against Tolerance.
	TimestampHeader string
	// TimestampFormat is how the timestamp is written: "unix" (seconds,
	// default), "unix-ms" (milliseconds) or "rfc3339".
	TimestampFormat string
	// TimestampParam and SignatureParam select the parameter form of
	// Header, as Stripe uses: "t=<timestamp>,v1=<sig>[,v1=<sig>…]".
	// TimestampParam names the parameter carrying the timestamp (then the
	// default Template is "{timestamp}.{body}" and TimestampHeader must be
	// empty); SignatureParam names the parameter carrying a signature
	// (default "v1"; it may repeat, rotation). Parameters of other names
	// are ignored as unknown versions. Prefix is not used in this form.
	TimestampParam string
	SignatureParam string
	// ParamSeparator separates parameters (default ","); KeySeparator
	// separates a parameter's name from its value (default "="). Each is
	// one character.
	ParamSeparator string
	KeySeparator   string
}

// Validate reports whether c is usable by NewVerifier. NewSigner is
// stricter for standard-v1a (it needs secret keys, not public keys).
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// Headers gives read access to request headers. Lookups are
// case-insensitive. The returned slice must stay valid and unmodified for
// the duration of one Verify call. *fasthttp.RequestHeader satisfies it.
type Headers interface {
	Peek(name string) []byte
}

// HeaderSetter sets a request header, replacing any previous value. The
// implementation must copy value: signers pass pooled buffers.
// *fasthttp.RequestHeader satisfies it.
type HeaderSetter interface {
	SetBytesV(key string, value []byte)
}

// Verification is the outcome of one Verify call.
type Verification struct {
	// Result is SigValid (or SigValidWeak) or the reason for rejection.
	Result trace.SigResult
	// Timestamp is the provider's signed timestamp in unix seconds; valid
	// when HasTimestamp (it is reported even when the signature fails, so
	// the caller can record skew = Timestamp - arrival).
	Timestamp    int64
	HasTimestamp bool
}

// Verifier checks one scheme's signatures. Implementations are safe for
// concurrent use and must not be copied after first use.
type Verifier interface {
	// Verify checks the raw body against the headers at time now. It does
	// not allocate (hot path; the one exception is a standard-v1a signature
	// that fails, see doc.go) and is safe for concurrent use. The MAC is checked before the
	// timestamp: SigStale/SigFuture mean "correctly signed, but outside the
	// tolerance"; a wrong MAC is SigMismatch whatever the timestamp.
	Verify(h Headers, body []byte, now time.Time) Verification
	// IDHeader is the header carrying the provider's message id
	// ("webhook-id", "svix-id", "X-GitHub-Delivery", "" when none).
	IDHeader() string
}

// Signer produces one scheme's headers. Implementations are safe for
// concurrent use.
type Signer interface {
	// Sign sets the scheme's headers (id, timestamp, signature) for one
	// attempt. msgID may be ignored by schemes without an id header.
	Sign(h HeaderSetter, msgID string, ts time.Time, body []byte)
}

// Schemes returns the scheme names, sorted. The slice is new on every call.
func Schemes() []string {
	return []string{
		SchemeGeneric, SchemeGitHub, SchemeGitHubSHA1, SchemePaddle, SchemeShopify, SchemeSlack,
		SchemeStandard, SchemeStandardV1a, SchemeStripe, SchemeSvix, SchemeTwitch, SchemeZoom,
	}
}

// NewVerifier returns the verifier for c (c is validated first).
func NewVerifier(c Config) (Verifier, error) {
	cc, err := c.compile()
	if err != nil {
		return nil, err
	}
	switch {
	case cc.scheme == SchemeStandardV1a:
		return newV1aVerifier(cc), nil
	case cc.kvSpec != nil:
		return newKVVerifier(cc.kvSpec), nil
	default:
		return newHMACVerifier(cc.hmacSpec), nil
	}
}

// NewSigner returns the signer for c (c is validated first).
func NewSigner(c Config) (Signer, error) {
	cc, err := c.compile()
	if err != nil {
		return nil, err
	}
	switch {
	case cc.scheme == SchemeStandardV1a:
		return newV1aSigner(cc)
	case cc.kvSpec != nil:
		return newKVSigner(cc.kvSpec), nil
	default:
		return newHMACSigner(cc.hmacSpec), nil
	}
}
