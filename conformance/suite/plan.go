package suite

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hookbench/hookbench/adapter"
	c "github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/trace"
)

// endpointPlan is one sink endpoint of a fragment.
type endpointPlan struct {
	Path string
	// Sub is the event subtype the endpoint subscribes to ("" = the
	// fragment's own type).
	Sub string
	// Rules are the sink's behaviour rules for this endpoint, without the
	// endpoint= key; built once the sink's URL is known.
	Rules func(e *env) []string
	// SinkOnly endpoints exist on the sink but are not registered with the
	// provider (a redirect target).
	SinkOnly bool
	// ByMessage counts arrivals (the attempt= of rules) per provider
	// message id and records it; otherwise the sink counts per harness
	// event id, so "fail the first two attempts" holds whatever ids the
	// provider sends.
	ByMessage bool
}

// fragmentPlan is a fragment: endpoints, when it cannot run, and how it runs.
type fragmentPlan struct {
	ID        string
	Endpoints []endpointPlan
	FailFirst int
	// Alone fragments run one by one after all others, unless the adapter
	// gives each fragment a provider of its own: a provider restart would
	// disturb the rest, and latency under load is measured on an otherwise
	// idle provider.
	Alone bool
	// Hangs: the fragment's endpoints hang or answer slowly. Unless the
	// adapter gives each fragment a provider of its own, it runs alone
	// after the others, as Alone: a provider that delivers one request at
	// a time (or a few) would hold everyone else's deliveries meanwhile.
	Hangs bool
	// Broadcast triggers by event type only, never naming endpoints.
	Broadcast bool
	// RecordPayloads writes every triggered payload into the fragment mark.
	RecordPayloads bool
	// Quiet, for a fragment run by simpleRun, is how long it stays quiet
	// after its deliveries to catch what should not come.
	Quiet func(e *env) time.Duration
	// Needs returns why the fragment cannot run with this adapter and
	// policy, "" when it can.
	Needs func(e *env) string
	Run   func(ctx context.Context, e *env, f *fragRun) error
	// Expect is how long the fragment takes against a provider that keeps
	// the policy (see expected); nil: the retries of its FailFirst failed
	// attempts, then Quiet.
	Expect func(e *env) time.Duration
}

func rules(rs ...string) func(*env) []string { return func(*env) []string { return rs } }

// one endpoint at /f/<id> with the given rules.
func single(id string, rs ...string) []endpointPlan {
	return []endpointPlan{{Path: "/f/" + id, Rules: rules(rs...)}}
}

// byMessage is single for fragments whose checks read provider message ids.
func byMessage(id string, rs ...string) []endpointPlan {
	return []endpointPlan{{Path: "/f/" + id, Rules: rules(rs...), ByMessage: true}}
}

// statusEndpoints is one endpoint per status under /f/<id>/<status>.
func statusEndpoints(id string, rule func(status int) string, statuses ...int) []endpointPlan {
	out := make([]endpointPlan, len(statuses))
	for i, s := range statuses {
		out[i] = endpointPlan{Path: "/f/" + id + "/" + strconv.Itoa(s), Rules: rules(rule(s))}
	}
	return out
}

// firstAttemptStatus answers an event's first attempt with status.
func firstAttemptStatus(status int) string { return "attempt=1,status=" + strconv.Itoa(status) }

// alwaysStatus answers every attempt with status.
func alwaysStatus(status int) string { return "status=" + strconv.Itoa(status) }

// simpleRun triggers n events at the fragment's endpoints (payloads from
// body, canonical when nil), waits until each endpoint answered 2xx n
// times (within the time FailFirst failed attempts take), then stays quiet
// for the fragment's Quiet to catch what should not come.
type simpleRun struct {
	n    int
	body func(id string) string
}

func (s simpleRun) run(ctx context.Context, e *env, f *fragRun) error {
	if err := f.triggerAll(ctx, s.n, "", s.body); err != nil {
		return err
	}
	if err := f.failPhase(ctx, s.n); err != nil {
		return err
	}
	f.allOK(ctx, uint64(s.n), e.scheduleHi(f.plan.FailFirst+1))
	if q := f.plan.Quiet; q != nil {
		return sleep(ctx, q(e))
	}
	return nil
}

func quietFor(d time.Duration) func(*env) time.Duration { return func(*env) time.Duration { return d } }

// quietRetry waits long enough for a first retry to show up.
func quietRetry(e *env) time.Duration { return e.retryHi(1) + 200*time.Millisecond }

// trickyPayload is pretty-printed (with uneven spacing) and has unusual
// key order, number forms and HTML characters: any re-encoding changes its
// bytes, and each common one (compaction, sorting, escaping) differently,
// so that the sink can tell which one a provider signed.
func trickyPayload(id string) string {
	return "{\n  \"z_last\": 1,\n  \"hookbench_id\": \"" + id + "\",  \"amount\": 1.50,\n  \"big\": 12345678901234567890, \"exp\": 1e3,\n" +
		"  \"nested\": {\"b\": [1, 2.0, -0], \"a\": \"é/<&>\"}\n}"
}

func needsFormat(e *env) string {
	if !e.p.CloudEvents() {
		return "the policy declares no CloudEvents format"
	}
	return ""
}

func needsScheme(e *env) string {
	if !e.p.Signed() {
		return "the policy declares no signature scheme"
	}
	return ""
}

// plans returns every fragment of the suite. The ids are the fragment
// constants of package conformance, which the checks read.
func plans() []*fragmentPlan {
	return []*fragmentPlan{
		{ID: c.FragDeliver, Endpoints: byMessage(c.FragDeliver), RecordPayloads: true, Run: simpleRun{n: 6}.run, Quiet: quietRetry},
		{ID: c.FragFanOut, Endpoints: []endpointPlan{{Path: "/f/fanout/a", Rules: rules()}, {Path: "/f/fanout/b", Rules: rules()}, {Path: "/f/fanout/c", Rules: rules()}},
			Run: simpleRun{n: 5}.run, Quiet: quietFor(100 * time.Millisecond)},
		{ID: c.FragTypes, Broadcast: true,
			Endpoints: []endpointPlan{{Path: "/f/types/a", Sub: "a", Rules: rules()}, {Path: "/f/types/b", Sub: "b", Rules: rules()}},
			Needs:     needsTypeRouting, Run: runTypes, Expect: quietFor(typesQuiet)},
		{ID: c.FragRecover, FailFirst: 2, Endpoints: single(c.FragRecover, "attempt=1-2,status=503"), Run: simpleRun{n: 4}.run},
		{ID: c.FragRetry5xx, FailFirst: 1, Endpoints: statusEndpoints(c.FragRetry5xx, firstAttemptStatus, 500, 502, 503, 504), Run: simpleRun{n: 1}.run},
		{ID: c.FragRetry408, FailFirst: 1, Endpoints: single(c.FragRetry408, "attempt=1,status=408"), Run: simpleRun{n: 1}.run},
		{ID: c.FragRetry429, FailFirst: 1, Endpoints: single(c.FragRetry429, "attempt=1,status=429"), Run: simpleRun{n: 1}.run},
		{ID: c.FragRetryReset, FailFirst: 1, Endpoints: single(c.FragRetryReset, "attempt=1,reset"), Run: simpleRun{n: 1}.run},
		{ID: c.FragNo4xx, Endpoints: statusEndpoints(c.FragNo4xx, alwaysStatus, 400, 401, 403, 404, 422), Run: runNo4xx, Expect: (*env).no4xxWatch},
		{ID: c.FragRedirect, FailFirst: 1, Endpoints: redirectEndpoints(), Run: runRedirect, Expect: expectRedirect},
		{ID: c.FragBackoff, Endpoints: byMessage(c.FragBackoff, "status=500"), Run: runBackoff, Expect: expectBackoff},
		retryAfterPlan(c.FragRA429, 429, false),
		retryAfterPlan(c.FragRA503, 503, false),
		retryAfterPlan(c.FragRADate, 503, true),
		{ID: c.FragRACap, FailFirst: 1, Endpoints: single(c.FragRACap, "attempt=1,status=429,retry-after=100000"),
			Needs: needsRetryAfterCap, Run: runRetryAfterCap, Expect: expectRetryAfterCap},
		{ID: c.FragTimeout, FailFirst: 1, Hangs: true, Endpoints: single(c.FragTimeout, "attempt=1,hang"), Needs: needsHang, Run: runTimeout, Expect: expectTimeout},
		{ID: c.FragTimeoutOK, Hangs: true, Endpoints: []endpointPlan{{Path: "/f/" + c.FragTimeoutOK, Rules: timeoutOKRules}}, Needs: needsTimeout,
			Run: simpleRun{n: 1}.run, Quiet: quietFor(50 * time.Millisecond), Expect: expectTimeoutOK},
		// It runs unsigned too: 6.1 then says so (the other 6.x SKIP).
		{ID: c.FragSign, FailFirst: 1, Endpoints: single(c.FragSign, "attempt=1,status=500"), Run: simpleRun{n: 2}.run},
		{ID: c.FragSignRaw, Endpoints: single(c.FragSignRaw), Needs: needsScheme, Run: simpleRun{n: 2, body: trickyPayload}.run},
		{ID: c.FragRotate, Endpoints: single(c.FragRotate), Needs: needsRotate, Run: runRotate},
		{ID: c.FragIdem, Endpoints: byMessage(c.FragIdem), Needs: needsIdempotency, Run: runIdempotency, Expect: quietFor(idemQuiet)},
		{ID: c.FragAckLost, FailFirst: 1, Endpoints: byMessage(c.FragAckLost, "attempt=1,status=200,ack-lost"), Run: simpleRun{n: 2}.run},
		{ID: c.FragGone, Endpoints: single(c.FragGone, "gone"), Run: runGone, Expect: expectGone},
		{ID: c.FragDelete, Broadcast: true, Endpoints: single(c.FragDelete), Needs: needsDelete, Run: runDelete, Expect: quietFor(deleteQuiet)},
		{ID: c.FragFidelity, FailFirst: 1, RecordPayloads: true, Endpoints: single(c.FragFidelity, "attempt=1,status=500"), Run: simpleRun{n: 2, body: trickyPayload}.run},
		{ID: c.FragLoad, Alone: true, Endpoints: single(c.FragLoad), Needs: needsLoad, Run: runLoad, Expect: expectLoad},
		{ID: c.FragDown, FailFirst: 2, Endpoints: single(c.FragDown, "attempt=1-2,reset"), Run: simpleRun{n: 5}.run},
		{ID: c.FragRestart, Alone: true, FailFirst: 2, Endpoints: single(c.FragRestart, "attempt=1-2,status=503"), Needs: needsRestart, Run: runRestart},
		{ID: c.FragCloudEvents, FailFirst: 1, Endpoints: single(c.FragCloudEvents, "attempt=1,status=503"), Needs: needsFormat, Run: simpleRun{n: 2}.run},
		// A sender that takes any 2xx answer to OPTIONS as consent delivers
		// here: the sink answers 200 without WebHook-Allowed-Origin.
		{ID: c.FragHandshakeRefused, Endpoints: single(c.FragHandshakeRefused, "refuse-handshake"), Needs: needsFormat, Run: runHandshakeRefused, Quiet: quietRetry},
	}
}

// expected is how long the fragment takes against a provider that keeps
// the declared policy: each retry in the middle of its jitter band, every
// delivery at once. It is what the run's time estimate adds up; a provider
// that breaks the policy may keep a fragment waiting longer, up to
// MaxFragment per wait.
func (fp *fragmentPlan) expected(e *env) time.Duration {
	if fp.Expect != nil {
		return fp.Expect(e)
	}
	d := e.retriesMid(fp.FailFirst)
	if fp.Quiet != nil {
		d += fp.Quiet(e)
	}
	return d
}

// Fixed waits of the fragments that make no retries.
const (
	typesQuiet  = 200 * time.Millisecond
	idemQuiet   = 300 * time.Millisecond
	deleteQuiet = 500 * time.Millisecond
	goneSettle  = 500 * time.Millisecond
)

func needsTypeRouting(e *env) string {
	if !e.caps.EventTypes {
		return "the adapter cannot subscribe endpoints to event types"
	}
	if e.caps.PerEndpointTrigger {
		return "the trigger is aimed at one endpoint at a time: hookbench, not the provider, routes events by type"
	}
	return ""
}

// runTypes triggers events of two types, each subscribed by one endpoint.
func runTypes(ctx context.Context, e *env, f *fragRun) error {
	for range 3 {
		for _, sub := range []string{"a", "b"} {
			if err := f.trigger(ctx, f.newEvent(sub, nil), "", "", 0); err != nil {
				return err
			}
		}
	}
	f.allOK(ctx, 3, 0)
	return sleep(ctx, typesQuiet)
}

// no4xxWatch is how long the 4xx fragment watches after its first
// attempts: until a first retry would be due (check 2.5 skips rather than
// passes when the fragment could not wait that long).
func (e *env) no4xxWatch() time.Duration {
	return min(e.retryHi(1)+e.retryHi(2)/4+300*time.Millisecond, e.o.MaxFragment)
}

func runNo4xx(ctx context.Context, e *env, f *fragRun) error {
	if err := f.triggerAll(ctx, 1, "", nil); err != nil {
		return err
	}
	f.allReceived(ctx, 1, 0)
	return sleep(ctx, e.no4xxWatch())
}

const redirectQuiet = 200 * time.Millisecond

func runRedirect(ctx context.Context, e *env, f *fragRun) error {
	f.frag.Redirects = redirects()
	if err := f.triggerAll(ctx, 1, "", nil); err != nil {
		return err
	}
	if err := f.failPhase(ctx, 1); err != nil {
		return err
	}
	// Each redirect ends in a 2xx at its endpoint (retried) or at its
	// target (followed). A provider that counted a 3xx as delivered sends
	// nothing more: settle gives up once the endpoints have been quiet for
	// longer than a retry takes.
	f.settle(ctx, e.retryHi(1), f.redirectsDone)
	return sleep(ctx, redirectQuiet)
}

// redirectsDone reports whether every redirecting endpoint answered 2xx
// or had its target reached.
func (f *fragRun) redirectsDone() bool {
	for _, r := range redirects() {
		if f.ok(r.From) < 1 && (r.To == "" || f.received(r.To) < 1) {
			return false
		}
	}
	return true
}

func expectRedirect(e *env) time.Duration { return e.retriesMid(1) + redirectQuiet }

const backoffQuiet = 300 * time.Millisecond

// backoffWait is how the backoff fragment waits: at least nominal (the
// schedule's length at the top of each jitter band), at most wait for
// every attempt; with a retry window, watch for as long as it is open
// and any retry takes after it (window).
func (e *env) backoffWait() (nominal, wait time.Duration, window bool) {
	for k := 1; k < e.attempts(); k++ {
		if d, ok := e.p.Backoff.Nominal(k); ok {
			_, hi := e.p.Backoff.Band(d)
			nominal += hi
		}
	}
	wait = min(e.scheduleHi(e.attempts()), e.o.MaxFragment)
	if e.p.RetryWindow > 0 {
		// How many attempts fit in the window depends on the jitter: watch
		// until it has closed for every event, and then as long as any
		// retry takes, to see attempts after it.
		var longest time.Duration
		for k := 1; k < min(e.attempts(), 64); k++ {
			longest = max(longest, e.retryHi(k))
		}
		return nominal, min(e.p.RetryWindow, e.o.MaxFragment) + 2*longest, true
	}
	return nominal, wait, false
}

func runBackoff(ctx context.Context, e *env, f *fragRun) error {
	// Start after the burst of every fragment firing at once, so the short
	// first retries are not timed in it.
	if err := sleep(ctx, settle); err != nil {
		return err
	}
	const n = 8
	if err := f.triggerAll(ctx, n, "", nil); err != nil {
		return err
	}
	// Wait for every attempt, but never less than the schedule's nominal
	// length: a provider sending extra attempts (a duplicate under a new
	// id) reaches the count early.
	begin := time.Now()
	nominal, wait, window := e.backoffWait()
	all := func() bool {
		return time.Since(begin) >= nominal && f.received("/f/"+c.FragBackoff) >= uint64(n*e.attempts())
	}
	if window {
		watch := wait
		all = func() bool { return time.Since(begin) >= watch }
		wait = min(watch, e.o.MaxFragment)
	}
	met := waitFor(ctx, wait, all)
	if !met {
		// Short of attempts: a provider that stopped early, or a machine
		// that made the last ones late. Give the latter a little more time
		// (and the fragment lingers after).
		met = waitFor(ctx, min(e.o.Grace, e.o.MaxFragment), all)
	}
	f.expect(met, all, e.attempts()-1)
	return sleep(ctx, backoffQuiet)
}

func expectBackoff(e *env) time.Duration {
	nominal, wait, window := e.backoffWait()
	if window {
		return settle + min(wait, e.o.MaxFragment) + backoffQuiet
	}
	return settle + min(nominal, wait) + backoffQuiet
}

func needsRetryAfterCap(e *env) string {
	switch {
	case e.p.RetryAfterMax <= 0:
		return "the policy declares no retry_after_max"
	case e.p.RetryAfterMax+e.retryHi(1) > e.o.MaxFragment:
		return fmt.Sprintf("retry_after_max %s is longer than a fragment may wait (%s)", e.p.RetryAfterMax, e.o.MaxFragment)
	}
	return ""
}

// retryAfterCapWait is when the Retry-After cap fragment expects its
// retry: a Retry-After far above retry_after_max is honoured up to it.
func (e *env) retryAfterCapWait() time.Duration { return max(e.p.RetryAfterMax, e.retryHi(1)) }

func expectRetryAfterCap(e *env) time.Duration { return e.retryAfterExpect(e.retryAfterCapWait()) }

func runRetryAfterCap(ctx context.Context, e *env, f *fragRun) error {
	return runRetryAfter(ctx, e, f, e.retryAfterCapWait())
}

func runTimeout(ctx context.Context, e *env, f *fragRun) error {
	if err := f.triggerAll(ctx, 1, "", nil); err != nil {
		return err
	}
	if err := f.failPhase(ctx, 1); err != nil {
		return err
	}
	f.allOK(ctx, 1, e.timeoutWait())
	return nil
}

// expectTimeout: the first attempt hangs until the provider gives up on
// it, then the retry comes; under a policy without retries the fragment
// waits as long as a retry could take.
func expectTimeout(e *env) time.Duration {
	if e.attempts() < 2 {
		return e.timeoutWait()
	}
	return e.p.Timeout + e.retriesMid(1)
}

// timeoutWait is how long the timeout fragment waits for the retry of its
// hanging attempt.
func (e *env) timeoutWait() time.Duration { return e.p.Timeout + e.hangCap() + e.scheduleHi(2) }

// timeoutOKRules answer after a third of the declared timeout.
func timeoutOKRules(e *env) []string {
	return []string{"delay=" + (e.p.Timeout / 3).Round(time.Millisecond).String()}
}

func expectTimeoutOK(e *env) time.Duration { return e.p.Timeout/3 + 50*time.Millisecond }

func needsRotate(e *env) string {
	if s := needsScheme(e); s != "" {
		return s
	}
	if _, ok := e.ad.(adapter.SecretRotator); !ok || !e.caps.RotateSecret {
		return "the adapter cannot rotate an endpoint's secret"
	}
	return ""
}

func runRotate(ctx context.Context, e *env, f *fragRun) error {
	if err := e.config(c.FragRotate, "rotate the secret of /f/"+c.FragRotate, func() error {
		_, err := e.ad.(adapter.SecretRotator).RotateSecret(ctx, "/f/"+c.FragRotate)
		return err
	}); err != nil {
		f.frag.Skip = "rotating the secret failed: " + err.Error()
		return nil
	}
	return simpleRun{n: 2}.run(ctx, e, f)
}

func needsIdempotency(e *env) string {
	switch {
	case e.p.IdempotencyHeader == "":
		return "the policy declares no idempotency header"
	case !e.caps.IdempotencyKey:
		return "the adapter cannot send an idempotency key"
	}
	return ""
}

// runIdempotency triggers each event twice under one idempotency key.
func runIdempotency(ctx context.Context, e *env, f *fragRun) error {
	const n = 2
	for range n {
		ev := f.newEvent("", nil)
		ev.IdemKey = "idem-" + e.runID + "-" + ev.ID
		if err := f.trigger(ctx, ev, "", "", 0); err != nil {
			return err
		}
		if err := f.trigger(ctx, ev, ev.ID+"~dup", ev.ID, 0); err != nil {
			return err
		}
	}
	f.allOK(ctx, n, 0)
	return sleep(ctx, idemQuiet)
}

// goneWatch is how long the 410 fragment watches after its later events:
// until their first retries, and some of the second, would be due.
func (e *env) goneWatch() time.Duration {
	return e.retryHi(1) + e.retryHi(2)/3 + 300*time.Millisecond
}

func runGone(ctx context.Context, e *env, f *fragRun) error {
	if err := f.triggerAll(ctx, 1, "", nil); err != nil {
		return err
	}
	f.allReceived(ctx, 1, 0)
	// Give the provider time to act on the 410 it got.
	if err := sleep(ctx, goneSettle); err != nil {
		return err
	}
	if err := f.triggerAll(ctx, 2, "", nil); err != nil {
		return err
	}
	return sleep(ctx, e.goneWatch())
}

func expectGone(e *env) time.Duration { return goneSettle + e.goneWatch() }

func needsDelete(e *env) string {
	if _, ok := e.ad.(adapter.EndpointDeleter); !ok || !e.caps.DeleteEndpoint {
		return "the adapter cannot delete an endpoint"
	}
	if !e.caps.EventTypes {
		return "the adapter cannot subscribe endpoints to event types (a broadcast would reach every endpoint)"
	}
	return ""
}

func runDelete(ctx context.Context, e *env, f *fragRun) error {
	if err := e.config(c.FragDelete, "delete endpoint /f/"+c.FragDelete, func() error {
		return e.ad.(adapter.EndpointDeleter).DeleteEndpoint(ctx, "/f/"+c.FragDelete)
	}); err != nil {
		f.frag.Skip = "deleting the endpoint failed: " + err.Error()
		return nil
	}
	if err := f.triggerAll(ctx, 2, "", nil); err != nil {
		return err
	}
	return sleep(ctx, deleteQuiet)
}

func needsLoad(e *env) string {
	if e.o.LoadEvents == 0 {
		return "load fragment switched off (0 events)"
	}
	return ""
}

func needsRestart(e *env) string {
	if _, ok := e.ad.(adapter.Restarter); !ok || !e.caps.Restart {
		return "the adapter cannot restart the provider"
	}
	return ""
}

// runRestart fails the first two attempts of its events, restarts the
// provider after them, and waits for the retries the restart must keep.
func runRestart(ctx context.Context, e *env, f *fragRun) error {
	const n = 4
	if err := f.triggerAll(ctx, n, "", nil); err != nil {
		return err
	}
	f.allReceived(ctx, 2*n, e.scheduleHi(2))
	if err := e.tw.WriteMark(&trace.Mark{AtNs: e.tw.Now(), Type: trace.ProviderMark, Name: trace.ProviderRestart, Detail: "conformance suite: crash and restart"}); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	if err := e.config(c.FragRestart, "restart the provider", func() error { return e.restartProvider(ctx) }); err != nil {
		f.note("restart: " + err.Error())
		return nil
	}
	f.allOK(ctx, n, e.scheduleHi(e.attempts()))
	return nil
}

// restartProvider restarts the restart fragment's provider: its own when
// the adapter gives fragments providers of their own, else the one.
func (e *env) restartProvider(ctx context.Context) error {
	if fr, ok := e.ad.(adapter.FragmentRestarter); ok {
		return fr.RestartFragment(ctx, c.FragRestart)
	}
	return e.ad.(adapter.Restarter).Restart(ctx)
}

// runHandshakeRefused triggers an event at an endpoint that refuses the
// validation handshake, and watches as long as a first retry takes.
func runHandshakeRefused(ctx context.Context, e *env, f *fragRun) error {
	if err := f.triggerAll(ctx, 1, "", nil); err != nil {
		return err
	}
	return sleep(ctx, f.plan.Quiet(e))
}

// noLocationPath is the redirect fragment's endpoint answering a 302
// without a Location: some providers count that as delivered.
const noLocationPath = "/f/" + c.FragRedirect + "/no-location"

// redirects describes the redirect fragment's endpoints for the checks:
// every 3xx with a Location, each from an endpoint of its own naming a
// target of its own (HTTP clients follow 301, 302 and 303 with a GET
// without the body, 307 and 308 with method and body kept), and a 302
// without Location.
func redirects() []c.Redirect {
	var out []c.Redirect
	for _, st := range []int{301, 302, 303, 307, 308} {
		from := "/f/" + c.FragRedirect + "/" + strconv.Itoa(st)
		out = append(out, c.Redirect{From: from, Status: st, To: from + "/target"})
	}
	return append(out, c.Redirect{From: noLocationPath, Status: 302})
}

// redirectEndpoints are the sink endpoints of the redirect fragment: each
// redirecting endpoint answers its first attempt with its 3xx, then 200;
// the targets (not registered with the provider) answer 200.
func redirectEndpoints() []endpointPlan {
	var out []endpointPlan
	for _, r := range redirects() {
		rule := "attempt=1,status=" + strconv.Itoa(r.Status)
		if r.To == "" {
			out = append(out, endpointPlan{Path: r.From, Rules: rules(rule)})
			continue
		}
		out = append(out,
			endpointPlan{Path: r.From, Rules: redirectRule{rule, r.To}.rules},
			endpointPlan{Path: r.To, SinkOnly: true, Rules: rules()})
	}
	return out
}

// redirectRule answers with rule and a Location naming the sink path to
// (the sink's address is known only once it listens).
type redirectRule struct{ rule, to string }

func (r redirectRule) rules(e *env) []string {
	return []string{r.rule + ",redirect=" + e.sinkBase() + r.to}
}

// settle is how long timing-sensitive fragments (backoff, load) wait for
// the burst at the start of a run to pass when they run beside others.
const settle = 700 * time.Millisecond

// loadSettle is when the load fragment starts when it runs beside others:
// after the backoff fragment's third retry at the default time scale.
const loadSettle = 3 * time.Second

func needsTimeout(e *env) string {
	if e.p.Timeout <= 0 {
		return "the policy declares no timeout"
	}
	return ""
}

// retryAfterFloor is the least wait the Retry-After fragments ask for, in
// the provider's time (scaled with the reference): a provider may retry
// later than it declares, and a wait it would keep anyway proves nothing.
const retryAfterFloor = 5 * time.Second

// retryAfterAsk is the wait the Retry-After fragments ask for: clearly
// longer than the provider's own next retry, max(retryAfterFloor, 3 × the
// top of the first retry's band), so that a provider ignoring the header
// retries visibly before it. Retry-After counts whole real seconds: at
// least 1 s (at the reference's default time scale already far above its
// few-millisecond first retry). It stays within retry_after_max (beyond it
// the wait is check 4.4's business) and half the longest a fragment may
// wait.
func (e *env) retryAfterAsk() time.Duration {
	scale := e.p.TimeScale
	if scale <= 0 {
		scale = 1
	}
	want := max(time.Duration(float64(retryAfterFloor)*scale), 3*e.ownFirstRetry())
	want = (want + time.Second - 1).Truncate(time.Second)
	limit := e.o.MaxFragment / 2
	if e.p.RetryAfterMax > 0 {
		limit = min(limit, e.p.RetryAfterMax)
	}
	return max(time.Second, min(want, limit.Truncate(time.Second)))
}

// retryAfterPlan is a Retry-After fragment: the first attempt is answered
// status with a Retry-After of retryAfterAsk seconds, or an HTTP-date that
// far ahead plus one second (a date has one-second resolution: the wait it
// asks is between the two).
func retryAfterPlan(id string, status int, date bool) *fragmentPlan {
	ra := retryAfterFrag{status: status, date: date}
	return &fragmentPlan{ID: id, FailFirst: 1,
		Endpoints: []endpointPlan{{Path: "/f/" + id, Rules: ra.rules}},
		Needs:     ra.needs,
		Run:       ra.run,
		Expect:    ra.expect,
	}
}

// retryAfterFrag is what tells the Retry-After fragments apart: the status
// they answer and the form of the header.
type retryAfterFrag struct {
	status int
	date   bool
}

// ask is the wait the fragment asks for.
func (ra retryAfterFrag) ask(e *env) time.Duration {
	if ra.date {
		return e.retryAfterAsk() + time.Second
	}
	return e.retryAfterAsk()
}

func (ra retryAfterFrag) rules(e *env) []string {
	v := strconv.FormatInt(int64(ra.ask(e)/time.Second), 10)
	if ra.date {
		v = "date:" + v + "s"
	}
	return []string{"attempt=1,status=" + strconv.Itoa(ra.status) + ",retry-after=" + v}
}

func (ra retryAfterFrag) needs(e *env) string {
	// The check allows the slack early, and a second for a date.
	early := e.slack
	if ra.date {
		early += time.Second
	}
	if own := e.ownFirstRetry(); ra.ask(e)-early <= own {
		return fmt.Sprintf("the longest Retry-After the fragment may ask (%s: within retry_after_max and half the longest fragment wait, %s) is no longer than the provider's own first retry (%s): honouring it could not be told from ignoring it", ra.ask(e), e.o.MaxFragment, own)
	}
	return ""
}

func (ra retryAfterFrag) run(ctx context.Context, e *env, f *fragRun) error {
	return runRetryAfter(ctx, e, f, ra.ask(e))
}

func (ra retryAfterFrag) expect(e *env) time.Duration { return e.retryAfterExpect(ra.ask(e)) }

// ownFirstRetry is the latest the policy's first retry comes on its own:
// the top of its jitter band (0 when the policy makes none).
func (e *env) ownFirstRetry() time.Duration {
	d, ok := e.p.Backoff.Nominal(1)
	if !ok {
		return 0
	}
	_, hi := e.p.Backoff.Band(d)
	return hi
}

// runRetryAfter triggers one event whose first attempt asks to wait wait,
// then waits for the retry.
func runRetryAfter(ctx context.Context, e *env, f *fragRun, wait time.Duration) error {
	if err := f.triggerAll(ctx, 1, "", nil); err != nil {
		return err
	}
	if err := f.failPhase(ctx, 1); err != nil {
		return err
	}
	f.allOK(ctx, 1, e.retryAfterWait(wait))
	return nil
}

// retryAfterWait is how long a Retry-After fragment asking for wait waits
// for the retry: as long as check 4.4 does, twice the asked wait
// (lateness is judged loosely), its tolerance, and the first retry's own
// band.
func (e *env) retryAfterWait(wait time.Duration) time.Duration {
	return 2*wait + c.LateFactor*e.slack + wait/10 + e.retryHi(1)
}

// retryAfterExpect is when a Retry-After fragment asking for wait ends:
// at the retry, or, under a policy without retries, once it gave up
// waiting for one.
func (e *env) retryAfterExpect(wait time.Duration) time.Duration {
	if e.attempts() < 2 {
		return e.retryAfterWait(wait)
	}
	return wait
}

// expectLoad: the load fragment's events at its rate, after the start of
// the run when it runs beside others.
func expectLoad(e *env) time.Duration {
	var d time.Duration
	if e.o.LoadRate > 0 {
		d = time.Duration(float64(e.o.LoadEvents) / e.o.LoadRate * float64(time.Second))
	}
	if e.ownProviders() {
		// Alone, but beside the others on a provider of its own.
		d += loadSettle
	}
	return d + loadQuiet
}

const loadQuiet = 100 * time.Millisecond

// runLoad triggers LoadEvents events at LoadRate from a bounded pool of
// workers, each with its intended send time, then waits for them.
func runLoad(ctx context.Context, e *env, f *fragRun) error {
	if !e.alone(f.plan) {
		// Beside the others: start after the burst at the start of the run
		// and the backoff fragment's first retries, so neither disturbs
		// the other's timing.
		if err := sleep(ctx, loadSettle); err != nil {
			return err
		}
	}
	n, rate := e.o.LoadEvents, e.o.LoadRate
	workers := min(32, n)
	type job struct {
		ev       adapter.Event
		intended int64
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := f.trigger(ctx, j.ev, "", "", j.intended); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	start := e.tw.Now()
	interval := time.Duration(float64(time.Second) / rate)
	var err error
feed:
	for i := range n {
		intended := start + int64(time.Duration(i)*interval)
		if wait := time.Duration(intended - e.tw.Now()); wait > 0 {
			if err = sleep(ctx, wait); err != nil {
				break
			}
		}
		select {
		case jobs <- job{f.newEvent("", nil), intended}:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	f.allOK(ctx, uint64(n), 0)
	return sleep(ctx, loadQuiet)
}
