package suite

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	c "github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/scenarios"
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
	// Needs returns why the fragment cannot run with this adapter and
	// policy, "" when it can.
	Needs func(e *env) string
	Run   func(ctx context.Context, e *env, f *fragRun) error
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

// runSimple triggers n events at the fragment's endpoints, waits until each
// endpoint answered 2xx n times (within the time failFirst failed attempts
// take), then stays quiet for quiet to catch what should not come.
func runSimple(n int, body func(id string) string, quiet func(e *env) time.Duration) func(context.Context, *env, *fragRun) error {
	return func(ctx context.Context, e *env, f *fragRun) error {
		if err := f.triggerAll(ctx, n, "", body); err != nil {
			return err
		}
		if err := f.failPhase(ctx, n); err != nil {
			return err
		}
		f.allOK(ctx, uint64(n), e.scheduleHi(f.plan.FailFirst+1))
		if quiet != nil {
			return sleep(ctx, quiet(e))
		}
		return nil
	}
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
		{ID: c.FragDeliver, Endpoints: byMessage(c.FragDeliver), RecordPayloads: true, Run: runSimple(6, nil, quietRetry)},
		{ID: c.FragFanOut, Endpoints: []endpointPlan{{Path: "/f/fanout/a", Rules: rules()}, {Path: "/f/fanout/b", Rules: rules()}, {Path: "/f/fanout/c", Rules: rules()}},
			Run: runSimple(5, nil, quietFor(100*time.Millisecond))},
		{ID: c.FragTypes, Broadcast: true,
			Endpoints: []endpointPlan{{Path: "/f/types/a", Sub: "a", Rules: rules()}, {Path: "/f/types/b", Sub: "b", Rules: rules()}},
			Needs: func(e *env) string {
				if !e.caps.EventTypes {
					return "the adapter cannot subscribe endpoints to event types"
				}
				if e.caps.PerEndpointTrigger {
					return "the trigger is aimed at one endpoint at a time: hookbench, not the provider, routes events by type"
				}
				return ""
			},
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				for range 3 {
					for _, sub := range []string{"a", "b"} {
						if err := f.trigger(ctx, f.newEvent(sub, nil), "", "", 0); err != nil {
							return err
						}
					}
				}
				f.allOK(ctx, 3, 0)
				return sleep(ctx, 200*time.Millisecond)
			}},
		{ID: c.FragRecover, FailFirst: 2, Endpoints: single(c.FragRecover, "attempt=1-2,status=503"), Run: runSimple(4, nil, nil)},
		{ID: c.FragRetry5xx, FailFirst: 1, Endpoints: statusEndpoints(c.FragRetry5xx, func(s int) string { return "attempt=1,status=" + strconv.Itoa(s) }, 500, 502, 503, 504),
			Run: runSimple(1, nil, nil)},
		{ID: c.FragRetry408, FailFirst: 1, Endpoints: single(c.FragRetry408, "attempt=1,status=408"), Run: runSimple(1, nil, nil)},
		{ID: c.FragRetry429, FailFirst: 1, Endpoints: single(c.FragRetry429, "attempt=1,status=429"), Run: runSimple(1, nil, nil)},
		{ID: c.FragRetryReset, FailFirst: 1, Endpoints: single(c.FragRetryReset, "attempt=1,reset"), Run: runSimple(1, nil, nil)},
		{ID: c.FragNo4xx, Endpoints: statusEndpoints(c.FragNo4xx, func(s int) string { return "status=" + strconv.Itoa(s) }, 400, 401, 403, 404, 422),
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				if err := f.triggerAll(ctx, 1, "", nil); err != nil {
					return err
				}
				f.allReceived(ctx, 1, 0)
				// Watch until a first retry would be due (check 2.5 skips
				// rather than passes when the fragment could not wait that
				// long).
				return sleep(ctx, min(e.retryHi(1)+e.retryHi(2)/4+300*time.Millisecond, e.o.MaxFragment))
			}},
		{ID: c.FragRedirect, FailFirst: 1, Endpoints: redirectEndpoints(),
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				f.frag.Redirects = redirects()
				if err := f.triggerAll(ctx, 1, "", nil); err != nil {
					return err
				}
				if err := f.failPhase(ctx, 1); err != nil {
					return err
				}
				// Each redirect ends in a 2xx at its endpoint (retried) or
				// at its target (followed). A provider that counted a 3xx
				// as delivered sends nothing more: settle gives up once the
				// endpoints have been quiet for longer than a retry takes.
				f.settle(ctx, e.retryHi(1), func() bool {
					for _, r := range redirects() {
						if f.ok(r.From) < 1 && (r.To == "" || f.received(r.To) < 1) {
							return false
						}
					}
					return true
				})
				return sleep(ctx, 200*time.Millisecond)
			}},
		{ID: c.FragBackoff, Endpoints: byMessage(c.FragBackoff, "status=500"),
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				// Start after the burst of every fragment firing at once,
				// so the short first retries are not timed in it.
				if err := sleep(ctx, settle); err != nil {
					return err
				}
				const n = 8
				if err := f.triggerAll(ctx, n, "", nil); err != nil {
					return err
				}
				// Wait for every attempt, but never less than the schedule's
				// nominal length: a provider sending extra attempts (a
				// duplicate under a new id) reaches the count early.
				begin := time.Now()
				var nominal time.Duration
				for k := 1; k < e.attempts(); k++ {
					if d, ok := e.p.Backoff.Nominal(k); ok {
						_, hi := e.p.Backoff.Band(d)
						nominal += hi
					}
				}
				all := func() bool {
					return time.Since(begin) >= nominal && f.received("/f/"+c.FragBackoff) >= uint64(n*e.attempts())
				}
				wait := min(e.scheduleHi(e.attempts()), e.o.MaxFragment)
				if e.p.RetryWindow > 0 {
					// How many attempts fit in the window depends on the
					// jitter: watch until it has closed for every event, and
					// then as long as any retry takes, to see attempts after it.
					var longest time.Duration
					for k := 1; k < min(e.attempts(), 64); k++ {
						longest = max(longest, e.retryHi(k))
					}
					watch := min(e.p.RetryWindow, e.o.MaxFragment) + 2*longest
					all = func() bool { return time.Since(begin) >= watch }
					wait = min(watch, e.o.MaxFragment)
				}
				met := waitFor(ctx, wait, all)
				if !met {
					// Short of attempts: a provider that stopped early, or a
					// machine that made the last ones late. Give the latter
					// a little more time (and the fragment lingers after).
					met = waitFor(ctx, min(e.o.Grace, e.o.MaxFragment), all)
				}
				f.expect(met, all, e.attempts()-1)
				return sleep(ctx, 300*time.Millisecond)
			}},
		retryAfterPlan(c.FragRA429, 429, false),
		retryAfterPlan(c.FragRA503, 503, false),
		retryAfterPlan(c.FragRADate, 503, true),
		{ID: c.FragRACap, FailFirst: 1, Endpoints: single(c.FragRACap, "attempt=1,status=429,retry-after=100000"),
			Needs: func(e *env) string {
				switch {
				case e.p.RetryAfterMax <= 0:
					return "the policy declares no retry_after_max"
				case e.p.RetryAfterMax+e.retryHi(1) > e.o.MaxFragment:
					return fmt.Sprintf("retry_after_max %s is longer than a fragment may wait (%s)", e.p.RetryAfterMax, e.o.MaxFragment)
				}
				return ""
			},
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				return runRetryAfter(ctx, e, f, max(e.p.RetryAfterMax, e.retryHi(1)))
			}},
		{ID: c.FragTimeout, FailFirst: 1, Hangs: true, Endpoints: single(c.FragTimeout, "attempt=1,hang"), Needs: needsHang,
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				if err := f.triggerAll(ctx, 1, "", nil); err != nil {
					return err
				}
				if err := f.failPhase(ctx, 1); err != nil {
					return err
				}
				f.allOK(ctx, 1, e.p.Timeout+e.hangCap()+e.scheduleHi(2))
				return nil
			}},
		{ID: c.FragTimeoutOK, Hangs: true, Endpoints: []endpointPlan{{Path: "/f/" + c.FragTimeoutOK, Rules: func(e *env) []string {
			return []string{"delay=" + (e.p.Timeout / 3).Round(time.Millisecond).String()}
		}}}, Needs: needsTimeout, Run: runSimple(1, nil, quietFor(50*time.Millisecond))},
		// It runs unsigned too: 6.1 then says so (the other 6.x SKIP).
		{ID: c.FragSign, FailFirst: 1, Endpoints: single(c.FragSign, "attempt=1,status=500"), Run: runSimple(2, nil, nil)},
		{ID: c.FragSignRaw, Endpoints: single(c.FragSignRaw), Needs: needsScheme, Run: runSimple(2, trickyPayload, nil)},
		{ID: c.FragRotate, Endpoints: single(c.FragRotate),
			Needs: func(e *env) string {
				if s := needsScheme(e); s != "" {
					return s
				}
				if _, ok := e.ad.(SecretRotator); !ok || !e.caps.RotateSecret {
					return "the adapter cannot rotate an endpoint's secret"
				}
				return ""
			},
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				if err := e.config(c.FragRotate, "rotate the secret of /f/"+c.FragRotate, func() error {
					_, err := e.ad.(SecretRotator).RotateSecret(ctx, "/f/"+c.FragRotate)
					return err
				}); err != nil {
					f.frag.Skip = "rotating the secret failed: " + err.Error()
					return nil
				}
				return runSimple(2, nil, nil)(ctx, e, f)
			}},
		{ID: c.FragIdem, Endpoints: byMessage(c.FragIdem),
			Needs: func(e *env) string {
				switch {
				case e.p.IdempotencyHeader == "":
					return "the policy declares no idempotency header"
				case !e.caps.IdempotencyKey:
					return "the adapter cannot send an idempotency key"
				}
				return ""
			},
			Run: func(ctx context.Context, e *env, f *fragRun) error {
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
				return sleep(ctx, 300*time.Millisecond)
			}},
		{ID: c.FragAckLost, FailFirst: 1, Endpoints: byMessage(c.FragAckLost, "attempt=1,status=200,ack-lost"), Run: runSimple(2, nil, nil)},
		{ID: c.FragGone, Endpoints: single(c.FragGone, "gone"),
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				if err := f.triggerAll(ctx, 1, "", nil); err != nil {
					return err
				}
				f.allReceived(ctx, 1, 0)
				// Give the provider time to act on the 410 it got.
				if err := sleep(ctx, 500*time.Millisecond); err != nil {
					return err
				}
				if err := f.triggerAll(ctx, 2, "", nil); err != nil {
					return err
				}
				return sleep(ctx, e.retryHi(1)+e.retryHi(2)/3+300*time.Millisecond)
			}},
		{ID: c.FragDelete, Broadcast: true, Endpoints: single(c.FragDelete),
			Needs: func(e *env) string {
				if _, ok := e.ad.(scenarios.EndpointDeleter); !ok || !e.caps.DeleteEndpoint {
					return "the adapter cannot delete an endpoint"
				}
				if !e.caps.EventTypes {
					return "the adapter cannot subscribe endpoints to event types (a broadcast would reach every endpoint)"
				}
				return ""
			},
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				if err := e.config(c.FragDelete, "delete endpoint /f/"+c.FragDelete, func() error {
					return e.ad.(scenarios.EndpointDeleter).DeleteEndpoint(ctx, "/f/"+c.FragDelete)
				}); err != nil {
					f.frag.Skip = "deleting the endpoint failed: " + err.Error()
					return nil
				}
				if err := f.triggerAll(ctx, 2, "", nil); err != nil {
					return err
				}
				return sleep(ctx, 500*time.Millisecond)
			}},
		{ID: c.FragFidelity, FailFirst: 1, RecordPayloads: true, Endpoints: single(c.FragFidelity, "attempt=1,status=500"), Run: runSimple(2, trickyPayload, nil)},
		{ID: c.FragLoad, Alone: true, Endpoints: single(c.FragLoad),
			Needs: func(e *env) string {
				if e.o.LoadEvents == 0 {
					return "load fragment switched off (0 events)"
				}
				return ""
			},
			Run: runLoad},
		{ID: c.FragDown, FailFirst: 2, Endpoints: single(c.FragDown, "attempt=1-2,reset"), Run: runSimple(5, nil, nil)},
		{ID: c.FragRestart, Alone: true, FailFirst: 2, Endpoints: single(c.FragRestart, "attempt=1-2,status=503"),
			Needs: func(e *env) string {
				if _, ok := e.ad.(scenarios.Restarter); !ok || !e.caps.Restart {
					return "the adapter cannot restart the provider"
				}
				return ""
			},
			Run: func(ctx context.Context, e *env, f *fragRun) error {
				const n = 4
				if err := f.triggerAll(ctx, n, "", nil); err != nil {
					return err
				}
				f.allReceived(ctx, 2*n, e.scheduleHi(2))
				if err := e.tw.WriteMark(&trace.Mark{AtNs: e.tw.Now(), Type: c.ProviderMark, Name: "restart", Detail: "conformance suite: crash and restart"}); err != nil {
					return fmt.Errorf("write trace: %w", err)
				}
				restart := e.ad.(scenarios.Restarter).Restart
				if fr, ok := e.ad.(FragmentRestarter); ok {
					restart = func(ctx context.Context) error { return fr.RestartFragment(ctx, c.FragRestart) }
				}
				if err := e.config(c.FragRestart, "restart the provider", func() error { return restart(ctx) }); err != nil {
					f.note("restart: " + err.Error())
					return nil
				}
				f.allOK(ctx, n, e.scheduleHi(e.attempts()))
				return nil
			}},
		{ID: c.FragCloudEvents, FailFirst: 1, Endpoints: single(c.FragCloudEvents, "attempt=1,status=503"), Needs: needsFormat, Run: runSimple(2, nil, nil)},
		// A sender that takes any 2xx answer to OPTIONS as consent delivers
		// here: the sink answers 200 without WebHook-Allowed-Origin.
		{ID: c.FragHandshakeRefused, Endpoints: single(c.FragHandshakeRefused, "refuse-handshake"), Needs: needsFormat, Run: func(ctx context.Context, e *env, f *fragRun) error {
			if err := f.triggerAll(ctx, 1, "", nil); err != nil {
				return err
			}
			return sleep(ctx, quietRetry(e))
		}},
	}
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
		to := r.To
		out = append(out,
			endpointPlan{Path: r.From, Rules: func(e *env) []string { return []string{rule + ",redirect=" + e.sink.URL() + to} }},
			endpointPlan{Path: to, SinkOnly: true, Rules: rules()})
	}
	return out
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
	ask := func(e *env) time.Duration {
		if date {
			return e.retryAfterAsk() + time.Second
		}
		return e.retryAfterAsk()
	}
	return &fragmentPlan{ID: id, FailFirst: 1,
		Endpoints: []endpointPlan{{Path: "/f/" + id, Rules: func(e *env) []string {
			v := strconv.FormatInt(int64(ask(e)/time.Second), 10)
			if date {
				v = "date:" + v + "s"
			}
			return []string{"attempt=1,status=" + strconv.Itoa(status) + ",retry-after=" + v}
		}}},
		Needs: func(e *env) string {
			// The check allows the slack early, and a second for a date.
			early := e.slack
			if date {
				early += time.Second
			}
			if own := e.ownFirstRetry(); ask(e)-early <= own {
				return fmt.Sprintf("the longest Retry-After the fragment may ask (%s: within retry_after_max and half the longest fragment wait, %s) is no longer than the provider's own first retry (%s): honouring it could not be told from ignoring it", ask(e), e.o.MaxFragment, own)
			}
			return ""
		},
		Run: func(ctx context.Context, e *env, f *fragRun) error { return runRetryAfter(ctx, e, f, ask(e)) },
	}
}

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
	// As long as check 4.4 waits for the retry: twice the asked wait
	// (lateness is judged loosely), its tolerance, and the first
	// retry's own band.
	f.allOK(ctx, 1, 2*wait+c.LateFactor*e.slack+wait/10+e.retryHi(1))
	return nil
}

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
		ev       scenarios.Event
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
	return sleep(ctx, 100*time.Millisecond)
}
