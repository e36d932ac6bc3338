// Package generator triggers events at a provider's API on a scripted,
// open-loop schedule and records what it sent, so conformance checks can
// match every trigger to its deliveries and measure end-to-end latency.
//
// # Schedule
//
// A Pacer is a pure function from (time since start, hits scheduled) to the
// wait until the next hit: Constant (Rate 0 = capacity mode), Linear ramps,
// Steps, Spike and seeded Poisson arrivals. Every hit carries its intended
// send time; the Generator never lets the schedule slip silently:
//
//   - latency is measured from the intended time (corrected for coordinated
//     omission) and, beside it, from when the request left (uncorrected);
//   - a send that leaves more than LateThreshold after its intended time is
//     counted as late (with the worst lateness and a lateness histogram);
//   - hits that were due but could not leave before the end of the run
//     (every worker busy) are counted as missed.
//
// # Workers and connections
//
// Options.MaxInflight workers (default: one per connection) each claim the
// next hit number from a shared counter, wait for its intended time, send it
// over a fasthttp HostClient limited to Options.Connections connections and
// record the outcome. The pool never grows. Latency histograms
// (HdrHistogram, microseconds, 3 significant digits) belong to one worker
// (to a small group of workers beyond 64 workers, so memory stays bounded)
// and are merged into the Summary at the end.
//
// # Timing
//
// Go timers fire on a 1 ms grid while the process idles (the runtime waits
// in epoll with millisecond resolution), which alone would make sends up to
// a millisecond late. So: on slow schedules (hits ≥ 500 µs apart) each
// worker waits on its own timerfd through the netpoller; at moderate rates
// (50–500 µs apart) workers wake on a 200 µs grid and a periodic timerfd
// (the ticker, running only while such waits happen) wakes the scheduler at
// each grid point; faster schedules keep the process busy enough for plain
// Go timers. Lateness is always measured from the exact intended time.
//
// # Bodies
//
// Body templates (Template) are compiled once: {{id}}, {{seq}}, {{now}}
// variants, {{uuid}}, {{rand_int a b}}, {{pick a|b|c}}, {{type}}. Unless the
// template places {{id}} itself, the harness event id is embedded as the
// first member of the top-level JSON object under Options.IDField
// ("hookbench_id"), which is what the sink correlates deliveries by. With
// FormatMsgpack the JSON template is compiled to msgpack segments and only
// placeholders are encoded per request. Randomness is derived from
// Options.Seed and the hit number, so an event's body does not depend on
// which worker sends it.
//
// # Trace records
//
// With Options.Trace set, every request becomes one trace.Sent record:
// EventID (unique per event), intended and actual send times, trigger-API
// latency, status or error kind, the idempotency key (the event id) and the
// provider's id when the response is a JSON object with a top-level "id".
// A duplicate (Options.Duplicates) is the same event sent again, with the
// same body and key: its record has the original's EventID and
// DuplicateOf set to that id, so EventID is unique among records whose
// DuplicateOf is empty.
//
// # Hot path
//
// Sending does not allocate: each worker owns its fasthttp Request and
// Response, body and id buffers, random source and counters; bodies are
// rendered by append-style encoders; the response is scanned for "id"
// without decoding. TestSendDoesNotAllocate guards this.
package generator
