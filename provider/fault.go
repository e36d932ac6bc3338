package provider

import (
	"fmt"
	"strings"

	"github.com/hookbench/hookbench/internal/suggest"
)

// Fault is a named way for the reference provider to misbehave. Each
// breaks exactly one rule; Breaks says which, citing the rules of
// docs/rules.md ("rules §2.3") where the rule is stated.
type Fault struct {
	Name   string
	Breaks string
}

// fault numbers index faultList and are bits of a faultSet.
type fault uint8

const (
	fNoRetry fault = iota
	fRetry4xx
	fGiveUpEarly
	fConstantBackoff
	fNoJitter
	fRetryStorm
	fIgnoreRetryAfter
	fFollowRedirects
	fNoTimeout
	fTimeoutAsSuccess
	fIgnore410
	fDeliverToDeleted
	fNewIDPerAttempt
	fMutateBodyOnRetry
	fLossyPayload
	fSignReserialised
	fBadSignature
	fWrongSecret
	fUnsigned
	fStaleTimestamp
	fFutureTimestamp
	fReuseTimestamp
	fDropOldSecret
	fDropEvents
	fDuplicateDeliveries
	fIgnoreIdempotencyKey
	fSlow
	fLoseOnRestart
	fWrongContentType
	fDropEventTypeHeader
	fShortTimeout
	fFollow302AsGet
	fRedirectNoLocationSuccess
	fCEMissingAttributes
	fSkipAbuseHandshake
	fDeliverDespiteRefusal
	fLateRetries
	fIgnoreRetryWindow
	faultCount
)

// faultTable is the registry: one entry per fault constant. It is a
// function so that no package state can be changed by a caller.
func faultTable() [faultCount]Fault {
	return [faultCount]Fault{
		fNoRetry:                   {"no-retry", "never retries: every failed attempt is final (rules §2.2: 5xx, 408, 429, timeouts and connection errors are retried)"},
		fRetry4xx:                  {"retry-4xx", "retries permanent 4xx answers (400, 401, 403, 404, 422, ...) like 5xx (rules §2.2)"},
		fGiveUpEarly:               {"give-up-early", "gives up after half of max_attempts (rules §2.1 and §2.3: the documented number of attempts)"},
		fConstantBackoff:           {"constant-backoff", "every retry waits the first retry's delay instead of the growing schedule (rules §2.3)"},
		fNoJitter:                  {"no-jitter", "no jitter: events that fail together retry in lock-step (rules §2.3: no retry storm)"},
		fRetryStorm:                {"retry-storm", "retries at once, with no delay at all (rules §2.3)"},
		fIgnoreRetryAfter:          {"ignore-retry-after", "ignores Retry-After on 429 and 503 and retries on its own schedule (rules §2.4)"},
		fFollowRedirects:           {"follow-redirects", "follows a 3xx Location instead of counting it as a failure (rules §2.10)"},
		fNoTimeout:                 {"no-timeout", "waits up to an hour for an answer instead of the policy timeout (rules §2.5)"},
		fTimeoutAsSuccess:          {"timeout-as-success", "counts a timed-out attempt as delivered and never retries it (rules §2.5)"},
		fIgnore410:                 {"ignore-410", "410 Gone neither disables the endpoint nor stops retries (rules §2.8)"},
		fDeliverToDeleted:          {"deliver-to-deleted-endpoint", "a deleted endpoint keeps receiving new events and retries (rules §2.8)"},
		fNewIDPerAttempt:           {"new-id-per-attempt", "every retry carries a fresh webhook-id (rules §2.6: the id is identical on every retry)"},
		fMutateBodyOnRetry:         {"mutate-body-on-retry", "retries carry the payload re-serialised with other key order and spacing (rules §2.6: identical body bytes)"},
		fLossyPayload:              {"lossy-payload", "every delivery re-encodes the payload through float64 maps: keys sorted, large integers rounded (payload fidelity)"},
		fSignReserialised:          {"sign-reserialised-body", "signs a re-encoded body but sends the original bytes (rules §2.7 and §1.1: sign the raw bytes)"},
		fBadSignature:              {"bad-signature", "the signature header is well-formed but its MAC is wrong (rules §2.7)"},
		fWrongSecret:               {"wrong-secret", "signs with a secret the endpoint was never given (rules §2.7)"},
		fUnsigned:                  {"unsigned", "sends no signature headers at all (rules §2.7)"},
		fStaleTimestamp:            {"stale-timestamp", "signs a timestamp twice the tolerance in the past (rules §2.7: timestamp within tolerance)"},
		fFutureTimestamp:           {"future-timestamp", "signs a timestamp twice the tolerance in the future (rules §2.7: timestamp within tolerance)"},
		fReuseTimestamp:            {"reuse-timestamp", "every retry reuses the first attempt's timestamp (rules §2.7: a fresh timestamp per attempt)"},
		fDropOldSecret:             {"drop-old-secret", "a secret rotation stops signing with the old secret at once (rules §1.2: several signatures during rotation)"},
		fDropEvents:                {"drop-events", "silently never delivers every 5th event to each endpoint (the 2nd, 7th, 12th, ... there); the trigger still gets 202 (rules §2.1)"},
		fDuplicateDeliveries:       {"duplicate-deliveries", "delivers every 5th event to each endpoint (the 3rd, 8th, ... there) twice, the copy under a new webhook-id (rules §2.6: dedupe by id)"},
		fIgnoreIdempotencyKey:      {"ignore-idempotency-key", "ignores Idempotency-Key: a repeated trigger creates a new event (rules §2.9)"},
		fSlow:                      {"slow", "holds every first attempt for SlowDelay (default 2 s) before sending (declared latency_p50/p99)"},
		fLoseOnRestart:             {"lose-on-restart", "claims persistence but keeps pending deliveries in memory only: a restart loses them (rules §2.1, provider restart)"},
		fWrongContentType:          {"wrong-content-type", "sends Content-Type text/plain instead of application/json (payload and headers)"},
		fDropEventTypeHeader:       {"drop-event-type-header", "omits the X-Event-Type header (payload and headers)"},
		fShortTimeout:              {"short-timeout", "hangs up after a fifth of the policy timeout: answers within the declared timeout are cut off (rules §2.5)"},
		fFollow302AsGet:            {"follow-302-as-get", "follows 301, 302 and 303 with a GET without the body, as most HTTP clients do, and counts a 2xx there as delivered; refuses 307 and 308 (rules §2.10)"},
		fRedirectNoLocationSuccess: {"redirect-no-location-success", "counts a 3xx without a Location header as delivered and never retries it (rules §2.10: a 3xx is a failure)"},
		fCEMissingAttributes:       {"ce-missing-attributes", "with a CloudEvents format: events carry no source attribute (CloudEvents required attributes)"},
		fSkipAbuseHandshake:        {"skip-abuse-handshake", "with a CloudEvents format: delivers without the OPTIONS validation handshake (CloudEvents webhook abuse protection)"},
		fDeliverDespiteRefusal:     {"deliver-despite-refused-handshake", "with a CloudEvents format: takes any 2xx answer to the validation request as consent, with or without WebHook-Allowed-Origin (abuse protection)"},
		fLateRetries:               {"late-retries", "holds every retry 1.9 times its scheduled delay, then delivers it: slower than the documented schedule but short of twice it (rules §2.3: the documented schedule; the timing checks warn)"},
		fIgnoreRetryWindow:         {"ignore-retry-window", "keeps retrying after the declared retry_window has closed (rules §2.1 and §2.3: the documented retry period); seen only under a policy with a retry_window"},
	}
}

// Faults returns every fault the provider knows, in a stable order.
func Faults() []Fault {
	t := faultTable()
	return t[:]
}

// faultSet is a set of faults, one bit each.
type faultSet uint64

func (s faultSet) has(f fault) bool { return s&(1<<f) != 0 }

// names returns the set's fault names in registry order.
func (s faultSet) names() []string {
	out := []string{}
	t := faultTable()
	for f := fault(0); f < faultCount; f++ {
		if s.has(f) {
			out = append(out, t[f].Name)
		}
	}
	return out
}

// parseFaults turns fault names into a set; an unknown or repeated name is
// an error naming it and its position.
func parseFaults(names []string) (faultSet, error) {
	var s faultSet
	for i, n := range names {
		f, ok := lookupFault(strings.TrimSpace(n))
		if !ok {
			return 0, fmt.Errorf("[%d]: unknown fault %q%s (known: %s)", i, n, suggest.Hint(strings.TrimSpace(n), faultNames()), strings.Join(faultNames(), ", "))
		}
		if s.has(f) {
			return 0, fmt.Errorf("[%d]: fault %q given twice", i, n)
		}
		s |= 1 << f
	}
	return s, nil
}

func lookupFault(name string) (fault, bool) {
	t := faultTable()
	for f := fault(0); f < faultCount; f++ {
		if t[f].Name == name {
			return f, true
		}
	}
	return 0, false
}

func faultNames() []string {
	t := faultTable()
	out := make([]string, faultCount)
	for i := range t {
		out[i] = t[i].Name
	}
	return out
}
