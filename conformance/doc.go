// Package conformance grades a webhook provider: a numbered suite of checks,
// each a pure function of a run's trace and the provider's declared Policy,
// giving a Verdict with evidence. Checks never touch the network or a clock,
// so a saved trace can be re-checked offline.
package conformance
