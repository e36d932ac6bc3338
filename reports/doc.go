// Package reports turns hookbench traces into measurements and reports: a
// terminal summary, JSON (schema.json), JUnit XML, HdrHistogram interval
// logs (.hlog), a per-interval CSV and a self-contained HTML page.
//
// # Model
//
// A Report consumes trace records one at a time (Add, AddBatch, or Feed for
// whole trace streams) and Close turns what it gathered into a Summary.
// Reporters (func(io.Writer) error, after vegeta) render a Summary; they
// are pure functions of it. Conformance verdicts are not computed here:
// callers put them in Summary.Checks (see also WriteJUnit and WriteJSON,
// which the conform command uses directly).
//
// # Measurements
//
// Latencies are matched by harness event id (a Sent whose IntendedNs is 0
// counts as sent on schedule: intended = SentNs):
//
//   - e2e_first: intended trigger time (Sent.IntendedNs) to the first
//     arrival of the event at each endpoint;
//   - e2e_success: intended trigger time to the first 2xx answer at each
//     endpoint, after retries;
//   - trigger: trigger API latency from the intended send time (corrected
//     for coordinated omission), and trigger_uncorrected from the actual
//     send time;
//   - gap: time between consecutive attempts of one event at one endpoint.
//
// Each is kept for the whole run, per endpoint and per event type, and per
// interval of the time series (1 s unless a very long run coarsens it),
// along with throughput and the status mix. Attempts whose delivery failed
// or was retried keep a short timeline; marks (phases, behaviour changes)
// become shaded spans.
//
// # Invariants
//
// No raw sample is kept: every distribution is an HdrHistogram over
// 1 µs..1 h. Whole-run and interval histograms keep 3 significant digits
// (0.1 %), per-endpoint and per-event-type ones 2 (1 %). Values outside the
// range are counted, not recorded. Percentiles are the library's (the top
// of the bucket holding the rank), capped at the exact maximum; min and max
// are exact. Histograms of several traces merge exactly: Feed puts every
// record of every trace into the same histograms, so merged percentiles
// are those of the union, never averages.
//
// Memory is bounded by Options, not by the trace: matching keeps a compact
// hash-keyed state per event (xxhash64 of the harness id: intended time,
// flags and the delivery to the first endpoint seen, 48-byte slots) and per
// further (event, endpoint) (last and pending arrival, 32-byte slots), each
// in two generations of Options.MatchEntries slots: at most 12 MiB + 8 MiB
// with the default 2^17, the second table staying small when events go to
// one endpoint. An event's state is dropped only after MatchEntries/2
// newer events arrived since it was last touched; Summary.Match and a
// warning say when a state was dropped while still open, and a delivery
// whose first attempt was never seen is counted (DeliveriesNoFirst)
// rather than given a wrong first arrival. Groups (MaxGroups per
// dimension), timelines, marks, series points and .hlog intervals have
// their own caps.
//
// A Report is not safe for concurrent use. Feed decodes on other
// goroutines, matches records on the calling one and records histograms
// on one more, so the three run in parallel; Add and AddBatch do all of it
// on the caller's goroutine.
package reports
