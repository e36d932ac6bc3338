// Package adapter is how hookbench drives a webhook provider: it sets the
// provider's endpoints up (pointing at the sink), triggers events, and tears
// everything down again. An Adapter is built from a ProviderSpec (a scenario
// file's provider block) by New; the reference adapter runs the embedded
// reference provider, the http adapter a provider's HTTP API as declared
// steps, the command adapter a provider's command line tool.
//
// What an adapter can do beyond Setup, Trigger and Teardown is stated twice,
// and both must agree: as Capabilities flags (checks that need a missing one
// SKIP) and as optional interfaces found by type assertion (Restarter,
// Stopper, SecretRotator, EndpointDeleter, SecretSource, ...). Both the
// scenario runner and the conformance suite use this package; it imports
// neither.
package adapter
