// Package suite runs the conformance suite: it turns each check's
// scenario fragment into sink endpoints with scripted behaviour and events
// triggered through a provider adapter, runs the fragments on one sink
// (in parallel where the adapter can aim events at endpoints), records one
// trace, and grades it with the checks of package conformance.
//
// A fragment owns its sink endpoints (paths under /f/<fragment>/), its event
// ids (prefix "<fragment>/") and its event types ("hookbench.<fragment>", or
// Options.TypePrefix + "<fragment>"), so fragments running side by side
// never read each other's evidence. Every endpoint takes the subscriber
// settings of Options.Subscriber (a scenario's first sink endpoint);
// Registrations lists them, and Options.MaxEndpoints runs the fragments in
// batches that each register no more endpoints than that. Its
// part of the trace is described by a "fragment" mark (see
// conformance.Fragment), which makes a saved trace gradable offline with
// `hookbench check`.
//
// Fragments whose endpoints hang or answer slowly (the timeout fragments)
// run alone after the others, as the restart and load fragments do, unless
// every fragment has a provider of its own (the embedded reference,
// isolated): a provider that delivers one request at a time would hold the
// other fragments' deliveries meanwhile. The suite marks every change of
// the provider's endpoints (registration, deletion, secret rotation,
// restart, teardown) so that the checks can tell a provider that reloads
// its configuration cutting other fragments' requests (see
// conformance.DetectInterference). With Options.Isolate, the fragments the
// trace shows disturbed run again after the main run, one by one, on a
// fresh registration, and are graded from the re-run.
//
// A fragment that gave up waiting for deliveries it expected lingers once
// more the longest declared retry delay still pending (at most
// Options.MaxFragment) before its end mark: a provider slower than it
// declares is then seen late rather than missing.
//
// With no adapter given, Run starts the embedded reference provider with the
// Standard Webhooks policy cut to its first five attempts and a time scale of
// 0.001 (see DefaultTimeScale), so the whole suite runs in well under a
// minute.
//
// Run owns every goroutine it starts and returns only after they ended; it
// honours ctx (a cancelled run still closes the sink, tears the adapter
// down and returns the error).
package suite
