// Package policy is the delivery contract a webhook provider declares: how
// many attempts an event gets, the backoff between them and its jitter,
// which statuses count as delivered or must not be retried, the attempt
// timeout, the signature scheme, and how 410, redirects and Retry-After
// are handled.
//
// One Policy value travels the whole pipeline: a scenario declares it (a
// built-in profile such as Standard Webhooks or Svix, or a mapping of
// fields), the reference provider runs it, and the conformance checks
// judge a trace against it. Keeping it in a package of its own lets each
// of those import the contract without importing one another.
//
// Validate reports a field that makes no sense as an *Error naming the
// field as a scenario writes it ("backoff.jitter"), so that callers can
// point at the field without reading the message. Backoff kinds and
// jitters are typed constants whose string forms are the YAML and CLI
// values.
package policy
