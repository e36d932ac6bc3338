// Package threshold parses and evaluates pass/fail limits on a run's final
// figures, in the style of k6 thresholds: "e2e_first_p99<500ms",
// "errors<1%", "delivered>=99.9%".
//
// The package owns the vocabulary: every metric name a threshold may use,
// with its kind (a duration, a percentage, a count or a rate), which fixes
// the units its limit is written in. The names are those of the JSON
// report; the generator's summary answers the subset it measures. A
// threshold naming a metric outside the vocabulary is an error when it is
// parsed; a known metric that a run did not measure fails with "no value"
// when it is evaluated, so a gate never passes on a figure it did not see.
//
// The package imports nothing else of hookbench: reports and the generator
// supply values by name (a ValueFunc), and Evaluate compares them.
// Parsing and evaluation are pure functions, safe for concurrent use.
package threshold
