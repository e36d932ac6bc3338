// Package conformance grades a webhook provider: a numbered suite of checks,
// each a pure function of a run's trace and the provider's declared Policy,
// giving a Verdict with evidence. Checks never touch the network or a clock,
// so a saved trace can be re-checked offline (`hookbench check`).
//
// # Checks
//
// Checks (see Checks) are grouped like h2spec and Autobahn cases, with
// stable ids: 1 delivery and completeness, 2 retry triggers, 3 backoff
// shape, 4 Retry-After, 5 timeouts, 6 signatures, 7 idempotency and
// duplicates, 8 endpoint lifecycle, 9 payload fidelity, 10 load and latency,
// 11 failure recovery. Each names the rule's source and the policy fields
// it reads. Verdicts:
//
//   - FAIL: a MUST is broken, or the provider broke its own declared policy;
//   - WARN: a SHOULD is broken, or a spec default the policy leaves open
//     (Options.Strict turns it into FAIL, as h2spec --strict does);
//   - INFO: a fact worth knowing, not graded (e.g. a body-only signature is
//     replayable);
//   - SKIP: the run could not observe the rule, with the reason (the adapter
//     lacked a capability, the fragment is absent, nothing happened).
//
// # Fragments and scopes
//
// A conformance run is made of fragments (package conformance/suite): each
// owns some sink endpoints, scripts how they answer, and triggers events
// whose harness ids start with the fragment's prefix. A "fragment" mark
// carries a Fragment as JSON; ParseFragments reads them back and a View is
// the part of the trace one fragment produced: its endpoints' attempts
// (those of its own events whenever they arrive, those without an event id
// only inside its time window) and its triggers. A check reads only the
// views of the fragments it names, so fragments can run side by side on one
// sink without reading each other's evidence.
//
// # Interference
//
// Fragments beside each other share the provider (unless each has one of
// its own: Fragment.OwnProvider), and a provider can let one disturb
// another. DetectInterference finds two traces of it: deliveries for a
// fragment arriving after it closed while a fragment beside it held the
// provider with hanging or slow answers (a provider delivering one request
// at a time), and attempts the provider cut off while another fragment, or
// the suite's own setup and teardown, changed endpoints (a provider that
// reloads its configuration; the suite marks those changes with "config"
// marks). A check reading a disturbed fragment that would FAIL or WARN is a
// SKIP instead, naming what was seen and the verdict it would have been;
// its SKIPs name it too. Checks of what deliveries carry (groups 6, 9 and
// 12) keep their verdicts. The retry, backoff, Retry-After and timeout
// checks (groups 2 to 5, but 2.5) read a fragment's attempts only up to its
// "fragment-teardown" mark: a provider may cut or repeat deliveries to an
// endpoint being removed.
//
// # Timing
//
// Timing checks tolerate noise asymmetrically. Early is judged tightly
// (Options.Slack, 25 ms by default): nothing but the provider makes a retry
// early. Late is judged loosely (LateFactor times the slack plus 10 %, and
// the provider's dispatch lag seen in the fragment; for backoff, only a delay
// over twice the declared one fails): a loaded machine makes everything
// late. A backoff kept more than WarnLateFactor times slower than declared,
// beyond that tolerance, warns with the measured ratio. Statistical checks (mean delay, jitter, lock-step) use bounds of four
// standard deviations for the sample sizes the suite produces.
//
// # Adding a check
//
// Add an entry to Checks with a new id in its group, a one-line title, the
// source of the rule, the fragments it reads and a pure Run function; give
// it a table test with a passing and a failing synthetic trace; make sure a
// fragment of package conformance/suite produces its evidence; and add the
// reference provider fault that makes it fail to the suite's fault table
// test, which refuses a graded check no fault can fail.
package conformance
