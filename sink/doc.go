// Package sink is hookbench's recording webhook receiver: a fasthttp server
// that a provider under test delivers to. It verifies signatures, answers as
// a configured consumer would (healthy, slow, failing, flapping, rate
// limited, dropping connections) and records one trace.Attempt per request.
//
// # Use
//
// In the httptest style:
//
//	opts := sink.NewOptions()                   // 127.0.0.1:0
//	ep, _ := sink.ParseEndpoint("path=/orders,scheme=standard,secret=whsec_...")
//	r, _ := sink.ParseRule("endpoint=/orders,attempt=1-2,status=503,retry-after=5")
//	opts.Endpoints, opts.Rules = []sink.EndpointConfig{ep}, []sink.Rule{r}
//	opts.Trace = w                              // a *trace.Writer, or nil
//	s, _ := sink.New(opts)
//	_ = s.Start()
//	defer s.Close()
//	// point the provider at s.URL() + "/orders"
//
// At run time a scenario can swap an endpoint's rules (SetRules), take the
// whole sink down and up again on the same port (SetDown), and read the
// counters (Stats, also GET /_hookbench/stats, and Prometheus text at GET
// /metrics). Paths under /_hookbench/ and /metrics are the sink's own.
//
// # What a request goes through
//
// An endpoint is matched by exact path (anything else gets 404 and is
// recorded with trace.FlagNoEndpoint). The sink then reads, without
// allocating: the provider's message id (the scheme's id header or
// EndpointConfig.IDHeader), the harness event id (a header, or the key
// hookbench_id at any depth of a JSON body), the event type, the provider's
// attempt-number header, body size and xxhash64, the signature verdict and
// timestamp skew. The n-th arrival of the message id (else the event id,
// else the identical body) at the endpoint is counted with a map keyed by a
// 64-bit hash. The endpoint's own checks answer first: body over the limit
// 413 (trace.FlagTooLarge), wrong credential 401 (trace.FlagAuthFailed),
// invalid signature when BadSigStatus is set, an event type not routed 400.
// Otherwise the first matching Rule answers (the endpoint's rules, then the
// global ones); with none, 200 and an empty body.
//
// # Invariants
//
//   - With a Standard Webhooks endpoint, a trace, and the default answer or a
//     plain status rule, the handler does not allocate (TestHandlerAllocs).
//   - Every request that reaches a handler is recorded exactly once, with
//     the status the sink sent, or 0 and trace.FlagAborted when it sent
//     nothing (reset, ack-lost, hang, interrupted sleep). When the provider
//     closed the connection while the sink was sleeping, the Attempt also
//     has trace.FlagProviderGaveUp (detected on Linux through TCP_INFO;
//     elsewhere sleeps run their full length).
//   - Randomness is repeatable: the numbers a request draws derive from
//     Options.Seed and the request's identity (id and arrival number), not
//     from arrival order, so concurrent deliveries do not disturb them.
//   - Every sleep is interruptible: Close (after ShutdownGrace) and SetDown
//     end them; delays and hangs are capped by Options.MaxHang.
//   - Bad input (malformed HTTP, oversized headers or bodies, slow clients,
//     invalid UTF-8, garbage signature headers) gets a clean answer or a
//     closed connection and is counted; it never panics the server.
//
// # Writing a Behavior
//
// A Behavior is the answer of a matching rule. It has one method,
// Respond(*Call), called for each matching request, concurrently, on the
// request's goroutine. The lifecycle (as caddy modules have it):
//
//  1. Construct: a struct literal, or a constructor of your own. Keep all
//     configuration in typed fields; keep run-time state (counters, buckets)
//     in fields that are safe for concurrent use (atomics or a mutex).
//  2. Validate: implement Validator (Validate() error) to reject a bad
//     configuration; New and SetRules call it through Rule.Validate.
//  3. Serve: Respond is called per request while the rule is installed.
//     Set the answer on c.Response() (status, headers, body). Leaving it
//     untouched answers 200. To wait, call c.Sleep(d) and return at once if
//     it reports an error (the provider gave up, or the sink is stopping;
//     the exchange has been aborted). To end the exchange without an
//     answer call c.Reset() (TCP RST), c.Drop(status) (ack-lost: the
//     request counts as processed but the connection closes before the
//     answer), or c.Hang(limit); to answer slowly call c.Trickle(rate)
//     after filling in the response.
//  4. Cleanup: implement Cleaner (Cleanup()) to release resources; it is
//     called once when the Server closes, after every request finished.
//
// Rules:
//
//   - Decide per request. c.Attempt() tells what the sink saw (ids, Nth,
//     event type, signature verdict); c.Elapsed() the time since start;
//     c.Rand() is the request's seeded generator: use it, not math/rand's
//     global, so runs repeat.
//   - Never block without c.Sleep: a bare time.Sleep cannot be interrupted
//     by Close or SetDown, and the provider's timeout would go unseen.
//   - The Call and the request's memory (headers, body, the Attempt's
//     strings) are valid only during Respond; copy what you keep.
//   - The recorded Behavior is the rule's String() (fmt.Stringer on your
//     type), so name it in the --rule syntax if you can.
//   - Do not panic; the sink serves a provider under test and must stay up.
//
// Register a Behavior by putting it in a Rule: sink.Rule{Endpoint: "/orders",
// Match: sink.Match{AttemptMin: 2}, Behavior: myBehavior}. Matching stays the
// sink's job (Match); a Behavior only answers.
package sink
