// Package provider is hookbench's embedded reference webhook provider: a
// small but real provider (subscription API, bounded queue, retries with
// backoff, Standard Webhooks signatures, persistence) whose every delivery
// rule can be broken on demand by a named fault.
//
// It exists for two reasons. With no faults it is a correct provider that
// the conformance suite must pass, so `hookbench conform` works on a fresh
// machine with nothing else installed. With one fault switched on it breaks
// exactly one rule of the conformance suite (see Faults), which proves that
// the check for that rule can fail.
//
// # Lifecycle
//
// Like httptest.Server: New validates Options and opens the store (loading
// endpoints and pending deliveries when DataDir is set), Start listens and
// begins delivering, URL gives the API address, Close stops. Close is
// crash-safe rather than graceful: attempts in flight are abandoned and,
// with a DataDir, redone after the next New+Start on the same directory.
//
// # HTTP API
//
// JSON over HTTP, bearer API key when Options.APIKey is set. The API
// listens on loopback unless AllowRemote is set, which needs an APIKey.
//
//	GET    /healthz              {status, accept_errors, over_capacity}; no key needed
//	POST   /endpoints            {url, secret?, secrets?, event_types?, scheme?} → 201 {id, secret, ...}
//	GET    /endpoints            list
//	GET    /endpoints/{id}       one, with active/disabled and why
//	DELETE /endpoints/{id}       → 204
//	POST   /endpoints/{id}/rotate  {secret?} → new secret; the old one keeps signing for RotationOverlap
//	POST   /endpoints/{id}/enable  re-enables an endpoint disabled by 410
//	POST   /events               {type, payload, endpoints?} (+Idempotency-Key) → 202 {id}
//	GET    /events/{id}          the event and its deliveries
//	GET    /events/{id}/attempts the delivery log
//	GET    /policy               {policy, time_scale, faults}
//	POST   /webhook              minimal-server shape: {"webhookUrl"} registers an endpoint
//	POST   /trigger              minimal-server shape: fans out a fixed new_order event
//
// Request bodies are decoded strictly: unknown fields, trailing data, wrong
// types and missing required fields are 400 with a JSON error naming the
// field; a body over Options.MaxBody is 413. A rejected request creates
// nothing. A full queue is 503 with Retry-After. Endpoint URLs on
// link-local or cloud metadata addresses are 400 unless AllowLinkLocal is
// set; a name that resolves to one fails when dialled.
//
// # Delivery
//
// Each event is delivered to every active endpoint subscribed to its type.
// The body is the event's payload, byte for byte. Headers: the signature
// scheme's (Standard Webhooks by default: webhook-id = event id on every
// attempt, a fresh webhook-timestamp per attempt), Content-Type
// application/json, X-Event-Type, X-Webhook-Attempt (1-based) and
// User-Agent. 2xx is success; 5xx, 408, 429, 3xx (not followed), timeouts
// and connection errors are retried per the Policy; other 4xx are final;
// 410 disables the endpoint. Retry-After on 429 and 503 (seconds or
// HTTP-date) postpones the retry, capped at Policy.RetryAfterMax. Retry-After
// is the consumer's real-world instruction and is not multiplied by
// TimeScale; every Policy duration is.
//
// # Persistence
//
// With Options.DataDir, endpoints, events (with their targets), delivery
// results and idempotency keys live in a bbolt file, written by one
// goroutine with group commit. Publish returns once its event is
// committed; delivery results are written behind (losing one in a crash
// repeats an attempt, which at-least-once delivery allows). Without
// Options.Fsync commits are not flushed to the disk: they survive the
// provider crashing or being restarted, not the machine.
//
// # Concurrency
//
// A Provider is safe for concurrent use. Each endpoint has at most
// Options.Concurrency attempts in flight; the number of deliveries not yet
// finished is bounded by Options.QueueSize.
package provider
