// Package scenarios loads and runs scenario files: scripted runs against a
// webhook provider. A scenario says which provider to drive and how (an
// adapter.Adapter: the embedded reference provider, a provider's HTTP API declared
// entirely in YAML, or a user's command), what the provider promises (a
// policy.Policy, possibly a built-in profile), the sink endpoints and
// their behaviour, the load phases with their scheduled behaviour changes and
// chaos actions, and how long to drain outstanding retries.
//
// Loading is strict: unknown keys, wrong types and out-of-range values are
// errors of type *LoadError that name the file, the line and the field.
// ${VAR} references are substituted from a variables map the caller builds
// (usually the environment plus --var flags) before decoding; substituted
// values and every secret field are redacted from errors, marks and output
// by the Scenario's Redactor.
//
// Run executes a loaded scenario: start the sink, set the provider up
// through its adapter, run the phases (load through the generator, sink
// rule changes and chaos actions, each written to the trace as a Mark), drain
// until every triggered event reached a terminal outcome or the drain time
// ends, tear down and close the trace. Cancelling the context stops a run
// cleanly; the trace stays readable.
//
// Invariants: nothing here reads the process environment or the wall clock
// except Run (which owns a run's timing); a Scenario is immutable after
// Parse and safe to share between goroutines.
package scenarios
