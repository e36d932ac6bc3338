package conformance

import "strings"

// Fragment ids: each names a part of a conformance run (sink endpoints with
// their behaviour, and the events triggered at them). The suite package
// builds a scenario fragment for each; the checks below read them by name.
const (
	FragDeliver    = "deliver"      // one endpoint answering 200
	FragFanOut     = "fanout"       // three endpoints, every event to all
	FragTypes      = "types"        // two endpoints subscribed to different event types
	FragRecover    = "recover"      // fails the first attempts with 503, then 200
	FragRetry5xx   = "retry-5xx"    // 500/502/503/504 on the first attempt, then 200
	FragRetry408   = "retry-408"    // 408 on the first attempt, then 200
	FragRetry429   = "retry-429"    // 429 without Retry-After, then 200
	FragRetryReset = "retry-reset"  // connection reset on the first attempt, then 200
	FragNo4xx      = "no-retry-4xx" // 400/401/403/404/422 always
	FragRedirect   = "redirect"     // 301/302/303/307/308 to endpoints answering 200, and a 302 without Location
	FragBackoff    = "backoff"      // 500 always, several events at once
	FragRA429      = "ra-429"       // 429 with Retry-After in seconds, then 200
	FragRA503      = "ra-503"       // 503 with Retry-After in seconds, then 200
	FragRADate     = "ra-date"      // 503 with Retry-After as an HTTP-date, then 200
	FragRACap      = "ra-cap"       // 429 with a Retry-After far above retry_after_max, then 200
	FragTimeout    = "timeout"      // hangs on the first attempt, then 200
	FragTimeoutOK  = "timeout-ok"   // answers 200 after a third of the timeout
	FragSign       = "sign"         // signed, canonical body, fails once then 200
	FragSignRaw    = "sign-raw"     // signed, body with unusual key order, spacing, numbers
	FragIdem       = "idempotency"  // each trigger sent twice with one Idempotency-Key
	FragRotate     = "rotate"       // the sink knows only the old secret; the provider rotated it
	FragAckLost    = "ack-lost"     // processes the first attempt, then drops the connection
	FragGone       = "gone"         // 410 always; more events after the first 410
	FragDelete     = "delete"       // endpoint deleted before the events
	FragFidelity   = "fidelity"     // bodies kept; payload with tricky JSON; fails once
	FragLoad       = "load"         // a burst of events at a steady rate
	FragDown       = "down"         // connection resets for a while, then 200
	FragRestart    = "restart"      // 503 for a while; the provider restarts meanwhile

	FragCloudEvents      = "cloudevents"       // CloudEvents deliveries, the first attempt fails with 503
	FragHandshakeRefused = "handshake-refused" // refuses the webhook validation handshake
)

// Sources cited by checks.
const (
	srcSW         = "Standard Webhooks spec, Retries / Delivery"
	srcSWSig      = "Standard Webhooks spec, Signature scheme and Verifying"
	srcCE         = "CloudEvents HTTP webhook spec §2.2 and §4.1"
	srcSvixRetry  = "Svix retry schedule (±20 % jitter); AWS SNS delivery policy"
	srcStripeSig  = "Stripe webhook signatures (tolerance, replay)"
	srcHTTPSem    = "RFC 9110 §10.2.3 Retry-After, §15.5.9 408, RFC 6585 §4 429"
	srcAzure      = "Azure Event Grid delivery and retry"
	srcSvixIdem   = "Svix / Stripe idempotency keys on the event API"
	srcCoordOmiss = "hookbench rules §3.1 (docs/rules.md)"
	srcCESpec     = "CloudEvents spec v1.0 §3.1 required attributes"
	srcCEBinding  = "CloudEvents HTTP protocol binding §3.1 binary and §3.2 structured content mode"
	srcCEAbuse    = "CloudEvents HTTP Web Hooks spec §4 abuse protection"
)

// rule cites the rules of docs/rules.md a check enforces ("2.3").
func rule(ns ...string) string {
	return "hookbench rules §" + strings.Join(ns, ", §") + " (docs/rules.md)"
}

// Checks returns the whole suite in id order. The list is explicit: adding a
// check means adding it here, with a fault in the reference provider's tests
// that makes it fail.
func Checks() []Check {
	return []Check{
		{ID: "1.1", Title: "Every accepted event is delivered to a healthy endpoint", Source: srcSW + "; " + rule("2.1"), Level: Must,
			Fragments: []string{FragDeliver}, Run: checkEveryEventDelivered},
		{ID: "1.2", Title: "No redelivery after a 2xx", Source: srcSW + " (a 2xx ends delivery)", Level: Should,
			Fragments: []string{FragDeliver}, Uses: []string{"success"}, Run: checkNoDeliveryAfterSuccess},
		{ID: "1.3", Title: "Fan-out: an event reaches every subscribed endpoint", Source: rule("2.1"), Level: Must,
			Fragments: []string{FragFanOut}, Run: checkFanOut},
		{ID: "1.4", Title: "Event-type routing: endpoints get only (and all) the types they subscribed to", Source: "Svix/Stripe event type filters; " + rule("2.1"), Level: Must,
			Fragments: []string{FragTypes}, Run: checkEventTypeRouting},
		{ID: "1.5", Title: "An event is delivered once the endpoint recovers within the retry window", Source: rule("2.1"), Level: Must,
			Fragments: []string{FragRecover}, Uses: []string{"max_attempts"}, Run: checkDeliveredAfterTransientFailures},

		{ID: "2.1", Title: "5xx answers are retried", Source: srcSW + "; " + rule("2.2"), Level: Must,
			Fragments: []string{FragRetry5xx}, Uses: []string{"max_attempts", "no_retry", "backoff"}, Run: checkRetry5xx},
		{ID: "2.2", Title: "408 Request Timeout is retried", Source: srcHTTPSem + "; " + rule("2.2"), Level: Must,
			Fragments: []string{FragRetry408}, Uses: []string{"max_attempts", "no_retry", "backoff"}, Run: checkRetry408},
		{ID: "2.3", Title: "429 Too Many Requests is retried", Source: srcHTTPSem + "; " + rule("2.2"), Level: Must,
			Fragments: []string{FragRetry429}, Uses: []string{"max_attempts", "no_retry", "backoff"}, Run: checkRetry429},
		{ID: "2.4", Title: "A connection reset is retried", Source: rule("2.2"), Level: Must,
			Fragments: []string{FragRetryReset}, Uses: []string{"max_attempts", "backoff"}, Run: checkRetryConnectionError},
		{ID: "2.5", Title: "A permanent 4xx is not retried", Source: srcAzure + "; " + rule("2.2"), Level: Must,
			Fragments: []string{FragNo4xx}, Uses: []string{"no_retry"}, Run: checkNoRetryPermanent4xx},
		{ID: "2.6", Title: "A 3xx is a failure and its Location is not followed", Source: srcSW + "; " + srcCE + "; " + rule("2.10"), Level: Must,
			Fragments: []string{FragRedirect}, Uses: []string{"redirects"}, Run: checkRedirectNotFollowed},
		{ID: "2.7", Title: "A permanently failing event gets exactly max_attempts attempts, or retries until its retry window closes and not after", Source: "declared policy (max_attempts, retry_window)", Level: Must,
			Fragments: []string{FragBackoff}, Uses: []string{"max_attempts", "retry_window", "backoff"}, Run: checkMaxAttempts},

		{ID: "3.1", Title: "Each retry delay lies in the declared band, with the declared mean", Source: "declared policy (backoff); " + srcSvixRetry + "; " + rule("2.3"), Level: Must,
			Fragments: []string{FragBackoff}, Uses: []string{"backoff"}, Run: checkBackoffBand},
		{ID: "3.2", Title: "Delays grow from retry to retry as declared", Source: srcSW + " (exponential backoff); " + rule("2.3"), Level: Must,
			Fragments: []string{FragBackoff}, Uses: []string{"backoff"}, Run: checkBackoffGrows},
		{ID: "3.3", Title: "The declared jitter is present in retry delays", Source: srcSW + " (with jitter); " + srcSvixRetry + "; " + rule("2.3"), Level: Must,
			Fragments: []string{FragBackoff}, Uses: []string{"backoff.jitter", "backoff.jitter_frac"}, Run: checkJitterObserved},
		{ID: "3.4", Title: "No retry storm: events that failed together do not retry in lock-step", Source: rule("2.3"), Level: Should,
			Fragments: []string{FragBackoff}, Uses: []string{"backoff.jitter"}, Run: checkNoLockStep},
		{ID: "3.5", Title: "The retry window (first to last attempt) spans the declared schedule", Source: "declared policy (backoff, max_attempts, retry_window)", Level: Must,
			Fragments: []string{FragBackoff}, Uses: []string{"backoff", "max_attempts", "retry_window"}, Run: checkRetryWindow},

		{ID: "4.1", Title: "Retry-After (seconds) on 429 is honoured", Source: srcHTTPSem + "; " + srcCE + "; " + rule("2.4"), Level: Must,
			Fragments: []string{FragRA429}, Uses: []string{"retry_after", "retry_after_max", "time_scale"}, Run: checkRetryAfterSeconds},
		{ID: "4.2", Title: "Retry-After (seconds) on 503 is honoured", Source: srcHTTPSem + "; " + rule("2.4"), Level: Must,
			Fragments: []string{FragRA503}, Uses: []string{"retry_after", "retry_after_max", "time_scale"}, Run: checkRetryAfterSeconds},
		{ID: "4.3", Title: "Retry-After as an HTTP-date is honoured", Source: srcHTTPSem + "; " + rule("2.4"), Level: Must,
			Fragments: []string{FragRADate}, Uses: []string{"retry_after", "retry_after_max", "time_scale"}, Run: checkRetryAfterDate},
		{ID: "4.4", Title: "A huge Retry-After is capped at retry_after_max", Source: "Svix (Retry-After clamped); declared policy (retry_after_max)", Level: Must,
			Fragments: []string{FragRACap}, Uses: []string{"retry_after_max", "time_scale", "backoff"}, Run: checkRetryAfterCapped},

		{ID: "5.1", Title: "A hanging endpoint is cut off at the declared timeout", Source: srcSW + " (15–30 s); " + rule("2.5"), Level: Must,
			Fragments: []string{FragTimeout}, Uses: []string{"timeout"}, Run: checkTimeoutEnforced},
		{ID: "5.2", Title: "A timed-out attempt counts as a failure and is retried", Source: rule("2.5"), Level: Must,
			Fragments: []string{FragTimeout}, Uses: []string{"timeout", "max_attempts", "backoff"}, Run: checkTimeoutRetried},
		{ID: "5.3", Title: "An answer within the timeout is awaited (not cut off early)", Source: "declared policy (timeout); " + rule("2.5"), Level: Must,
			Fragments: []string{FragTimeoutOK, FragTimeout}, Uses: []string{"timeout"}, Run: checkNotCutEarly},

		{ID: "6.1", Title: "Every attempt, retries included, carries a valid signature", Source: srcSWSig + "; " + rule("2.7"), Level: Must,
			Fragments: []string{FragSign}, Uses: []string{"scheme"}, Run: checkSignatureValid},
		{ID: "6.2", Title: "The signature covers the raw bytes sent, not a re-encoding", Source: srcSWSig + " (raw body); " + rule("1.1"), Level: Must,
			Fragments: []string{FragSignRaw, FragSign}, Uses: []string{"scheme"}, Run: checkSignatureRawBody},
		{ID: "6.3", Title: "Signed timestamps are not stale", Source: srcSWSig + "; " + srcStripeSig + "; " + rule("1.3"), Level: Must,
			Fragments: []string{FragSign}, Uses: []string{"scheme", "tolerance"}, Run: checkTimestampNotStale},
		{ID: "6.4", Title: "Signed timestamps are not in the future", Source: srcSWSig + " (both directions); " + rule("1.3"), Level: Must,
			Fragments: []string{FragSign}, Uses: []string{"scheme", "tolerance"}, Run: checkTimestampNotFuture},
		{ID: "6.5", Title: "Replay resistance of the signature scheme", Source: srcStripeSig + "; " + rule("1.4"), Level: Informational,
			Fragments: []string{FragSign}, Uses: []string{"scheme", "tolerance"}, Run: checkReplayResistance},
		{ID: "6.6", Title: "Each retry is signed with a fresh timestamp", Source: srcSWSig + "; " + rule("2.7", "1.3"), Level: Must,
			Fragments: []string{FragBackoff}, Uses: []string{"scheme"}, Run: checkFreshTimestamp},

		{ID: "6.7", Title: "During a secret rotation, deliveries still verify with the previous secret", Source: srcSWSig + " (several signatures during rotation); " + rule("1.2"), Level: Must,
			Fragments: []string{FragRotate}, Uses: []string{"scheme"}, Run: checkSignatureValid},

		{ID: "7.1", Title: "The message id is identical on every retry", Source: srcSW + " (webhook-id); " + rule("2.6"), Level: Must,
			Fragments: []string{FragBackoff}, Run: checkStableIDAcrossRetries},
		{ID: "7.2", Title: "The body bytes are identical on every retry", Source: rule("2.6"), Level: Must,
			Fragments: []string{FragBackoff}, Run: checkIdenticalBodyAcrossRetries},
		{ID: "7.3", Title: "A repeated trigger with the same idempotency key creates one event", Source: srcSvixIdem + "; " + rule("2.9"), Level: Must,
			Fragments: []string{FragIdem}, Uses: []string{"idempotency_header"}, Run: checkIdempotencyKey},
		{ID: "7.4", Title: "A delivery whose acknowledgement was lost is delivered again", Source: srcSW + " (at-least-once); " + rule("2.1", "2.6"), Level: Must,
			Fragments: []string{FragAckLost}, Uses: []string{"max_attempts", "backoff"}, Run: checkLostAckRedelivered},
		{ID: "7.5", Title: "The redelivery after a lost acknowledgement keeps the message id", Source: srcSW + " (webhook-id for deduplication); " + rule("2.6"), Level: Must,
			Fragments: []string{FragAckLost}, Run: checkLostAckSameID},
		{ID: "7.6", Title: "Spontaneous duplicates carry the original's message id", Source: srcSW + " (consumers deduplicate by id); " + rule("2.6"), Level: Must,
			Fragments: []string{FragDeliver}, Run: checkDuplicatesDetectable},

		{ID: "8.1", Title: "410 Gone is not retried", Source: srcSW + "; " + srcCE + "; " + rule("2.8"), Level: Must,
			Fragments: []string{FragGone}, Uses: []string{"gone"}, Run: checkGoneNotRetried},
		{ID: "8.2", Title: "410 Gone disables the endpoint: later events are not sent to it", Source: srcSW + "; " + rule("2.8"), Level: Must,
			Fragments: []string{FragGone}, Uses: []string{"gone"}, Run: checkGoneDisables},
		{ID: "8.3", Title: "A deleted endpoint receives nothing", Source: rule("2.8"), Level: Must,
			Fragments: []string{FragDelete}, Run: checkDeletedGetsNothing},

		{ID: "9.1", Title: "The delivered payload keeps the triggered bytes (key order, numbers, big integers)", Source: rule("1.1") + "; RFC 8259 §6 (number precision)", Level: Must,
			Fragments: []string{FragFidelity}, Run: checkPayloadFidelity},
		{ID: "9.2", Title: "Retries carry the same payload bytes", Source: rule("2.6"), Level: Must,
			Fragments: []string{FragFidelity}, Run: checkPayloadFidelityOnRetry},

		{ID: "9.3", Title: "Every delivery names its event type (a header or an envelope around the payload)", Source: "Standard Webhooks payload type; CloudEvents ce-type", Level: Must,
			Fragments: []string{FragDeliver}, Run: checkEventTypeNamed},

		{ID: "10.1", Title: "End-to-end p50 latency under load is within the declared threshold", Source: srcCoordOmiss + "; declared policy (latency_p50)", Level: Must,
			Fragments: []string{FragLoad}, Uses: []string{"latency_p50"}, Run: checkLatencyP50},
		{ID: "10.2", Title: "End-to-end p99 latency under load is within the declared threshold", Source: srcCoordOmiss + "; declared policy (latency_p99)", Level: Must,
			Fragments: []string{FragLoad}, Uses: []string{"latency_p99"}, Run: checkLatencyP99},
		{ID: "10.3", Title: "No event is lost under load", Source: rule("2.1"), Level: Must,
			Fragments: []string{FragLoad}, Run: checkNoLossUnderLoad},
		{ID: "10.4", Title: "Trigger API under load (rate, latency, refusals)", Source: srcCoordOmiss, Level: Informational,
			Fragments: []string{FragLoad}, Run: checkTriggerAPI},

		{ID: "11.1", Title: "Events triggered while the endpoint is down are delivered after it recovers", Source: rule("2.1"), Level: Must,
			Fragments: []string{FragDown}, Uses: []string{"max_attempts", "backoff"}, Run: checkBacklogDelivered},
		{ID: "11.2", Title: "Order in which a backlog is delivered", Source: srcSW + " (no ordering guarantee)", Level: Informational,
			Fragments: []string{FragDown}, Run: checkBacklogOrder},
		{ID: "11.3", Title: "Events pending at a provider restart are delivered after it", Source: "declared policy (persistent); " + rule("2.1"), Level: Must,
			Fragments: []string{FragRestart}, Uses: []string{"persistent"}, Run: checkRestartKeepsPending},

		{ID: "12.1", Title: "Every delivery is a CloudEvent in the declared content mode, with specversion, id, source and type", Source: srcCEBinding + "; " + srcCESpec, Level: Must,
			Fragments: []string{FragCloudEvents}, Uses: []string{"format"}, Run: checkCloudEventAttributes},
		{ID: "12.2", Title: "The CloudEvents id is the same on every retry of an event", Source: srcCESpec + " (source and id identify an event; consumers treat a repeat as a duplicate)", Level: Must,
			Fragments: []string{FragCloudEvents}, Uses: []string{"format"}, Run: checkCloudEventIDStable},
		{ID: "12.3", Title: "The abuse-protection handshake (OPTIONS, WebHook-Request-Origin) is granted before the first delivery", Source: srcCEAbuse + " (§4.1 validation request)", Level: Must,
			Fragments: []string{FragCloudEvents}, Uses: []string{"format"}, Run: checkHandshakeFirst},
		{ID: "12.4", Title: "Nothing is delivered to an endpoint that did not grant the handshake", Source: srcCEAbuse + " (§4.2: consent is WebHook-Allowed-Origin, not the status code)", Level: Must,
			Fragments: []string{FragHandshakeRefused}, Uses: []string{"format"}, Run: checkNoDeliveryUnvalidated},
	}
}
