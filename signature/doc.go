// Package signature verifies and produces webhook signatures for the
// schemes real providers use: Standard Webhooks v1 ("standard") and v1a
// ("standard-v1a", ed25519), Svix header names ("svix"), Stripe, GitHub
// (sha256, and "github-sha1" reported as weak), Shopify, Slack, Paddle,
// Zoom, Twitch EventSub and a configurable HMAC ("generic"). The sink uses
// a Verifier per endpoint; the reference provider uses a Signer.
//
// # Contract
//
// A Config names the scheme and its secrets; Config.Validate, NewVerifier
// and NewSigner reject bad input with a *ConfigError naming the field and
// wrapping ErrUnknownScheme, ErrNoSecret, ErrInvalidSecret or
// ErrInvalidConfig (secret values are never included in errors).
//
// Verifier.Verify always works on the raw received body bytes (never
// re-serialised) and returns a trace.SigResult:
//
//   - SigValid: one signature matched one secret and the timestamp (if the
//     scheme has one) is within the tolerance; SigValidWeak for HMAC-SHA1
//     (github-sha1, generic with sha1).
//   - SigMissing: a header the scheme requires is absent or empty.
//   - SigMalformed: a header is present but cannot be parsed (timestamp
//     not a number, signature not hex/base64, item without a version).
//   - SigNoKnownVer: only signatures of unknown versions ("v2,…", Stripe
//     "v0=…"); unknown versions are otherwise ignored, never errors.
//   - SigMismatch: at least one well-formed signature of the known version,
//     none matched.
//   - SigStale / SigFuture: the MAC is valid but the signed timestamp is
//     older / further ahead than the tolerance (both directions are
//     checked). The MAC is checked first, so these mean "correctly signed,
//     wrong time": typically a provider that re-sends an old signature.
//
// Every HMAC verifier is also a Diagnoser: after a SigMismatch, Diagnose
// recomputes the MAC over the usual mistaken forms of the signed content
// (compacted, HTML-escaped or re-serialised JSON, a changed trailing
// newline, another timestamp) and names the one the provider signed as a
// trace.SigVariant. It allocates and is kept off the valid path.
//
// Options and ParseOptions give the generic scheme's settings by key
// (sig-header, template, timestamp-param...) in the comma-separated form
// the sink and the provider take, where a value holding a comma is
// double-quoted.
//
// When several signatures are present (rotation) one valid signature is
// enough; when the Config has several secrets a signature matching any of
// them is enough. MACs are compared with hmac.Equal. Verification carries
// the provider's timestamp (unix seconds) whenever it could be parsed, even
// on failure, so callers can record the skew (timestamp − arrival).
//
// # Allocation and concurrency
//
// Verifiers and signers are immutable after construction and safe for
// concurrent use. Each keeps a sync.Pool of per-call scratch: one keyed
// HMAC per secret (reset between uses), the digest and decode buffers,
// and, for signers, the buffer header values are built in (standard-v1a
// keeps the contiguous signed content there, since ed25519 needs it in one
// piece). Once the pool is warm, Verify and Sign perform no allocation for
// any scheme (proved by AllocsPerRun tests, built without -race because the
// race detector makes sync.Pool drop items, and by the benchmarks), with
// one exception: for standard-v1a, crypto/ed25519.Verify allocates an error
// for a signature that does not verify, so a v1a mismatch costs one
// allocation per signature checked. Signers rely on
// HeaderSetter copying the value (fasthttp does); fasthttp itself may
// allocate the first time a header grows. A pooled buffer that grew beyond
// 64 KiB (HMAC signers) or 4 MiB (v1a) is dropped instead of being kept.
//
// Headers.Peek results and the body are only read during the call and
// never retained.
package signature
