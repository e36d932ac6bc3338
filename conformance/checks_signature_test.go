package conformance

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// signTrace builds the sign fragment (and sign-raw when raw != nil): one
// event retried once, each attempt with the given signature results.
func signTrace(plain []trace.SigResult, raw []trace.SigResult, mods ...func(*trace.Attempt)) *trace.Trace {
	b := newTB().frag(FragSign, Fragment{}, 0, 0).frag(FragSignRaw, Fragment{}, 0, 0)
	b.sent("sign/1", 0)
	for i, s := range plain {
		st := 500
		if i == len(plain)-1 {
			st = 200
		}
		b.att("/f/sign", "sign/1", "m1", int64(5+i*100), st, append([]func(*trace.Attempt){sig(s)}, mods...)...)
	}
	if raw != nil {
		b.sent("sign-raw/1", 0)
		for i, s := range raw {
			b.att("/f/sign-raw", "sign-raw/1", "m2", int64(5+i*100), 200, append([]func(*trace.Attempt){sig(s)}, mods...)...)
		}
	}
	return b.trace()
}

func sigs(s ...trace.SigResult) []trace.SigResult { return s }

func TestCheckSignatureValid(t *testing.T) {
	runCases(t, "6.1", []checkCase{
		{name: "valid", build: func() *trace.Trace { return signTrace(sigs(trace.SigValid, trace.SigValid), nil) }, want: Pass},
		{name: "retry mismatched", build: func() *trace.Trace { return signTrace(sigs(trace.SigValid, trace.SigMismatch), nil) }, want: Fail},
		{name: "missing header", build: func() *trace.Trace { return signTrace(sigs(trace.SigMissing), nil) }, want: Fail},
		{name: "unknown version only", build: func() *trace.Trace { return signTrace(sigs(trace.SigNoKnownVer), nil) }, want: Fail},
		{name: "stale is judged by 6.3", build: func() *trace.Trace { return signTrace(sigs(trace.SigStale), nil) }, want: Pass},
		{name: "weak algorithm", build: func() *trace.Trace { return signTrace(sigs(trace.SigValidWeak), nil) }, want: Warn},
		{name: "sink verified nothing", build: func() *trace.Trace { return signTrace(sigs(trace.SigNone), nil) }, want: Skip},
		{name: "policy unsigned", build: func() *trace.Trace { return signTrace(sigs(trace.SigNone), nil) },
			policy: func(p *policy.Policy) { p.Scheme = "" }, want: Warn},
	})
}

func TestCheckSignatureRawBody(t *testing.T) {
	runCases(t, "6.2", []checkCase{
		{name: "raw bytes signed", build: func() *trace.Trace { return signTrace(sigs(trace.SigValid), sigs(trace.SigValid)) }, want: Pass},
		{name: "re-encoding signed", build: func() *trace.Trace { return signTrace(sigs(trace.SigValid), sigs(trace.SigMismatch)) }, want: Fail},
		{name: "everything broken", build: func() *trace.Trace { return signTrace(sigs(trace.SigMismatch), sigs(trace.SigMismatch)) }, want: Fail},
	})
}

func TestCheckTimestamps(t *testing.T) {
	runCases(t, "6.3", []checkCase{
		{name: "fresh", build: func() *trace.Trace { return signTrace(sigs(trace.SigValid, trace.SigValid), nil) }, want: Pass},
		{name: "stale", build: func() *trace.Trace { return signTrace(sigs(trace.SigStale, trace.SigStale), nil, skew(-400_000)) }, want: Fail},
		{name: "scheme without timestamp", build: func() *trace.Trace {
			return signTrace(sigs(trace.SigValid), nil, func(a *trace.Attempt) { a.Flags &^= trace.FlagTimestamp })
		}, policy: func(p *policy.Policy) { p.Scheme = "github" }, want: Skip},
	})
	runCases(t, "6.4", []checkCase{
		{name: "fresh", build: func() *trace.Trace { return signTrace(sigs(trace.SigValid), nil) }, want: Pass},
		{name: "future", build: func() *trace.Trace { return signTrace(sigs(trace.SigFuture), nil, skew(400_000)) }, want: Fail},
		{name: "stale is not future", build: func() *trace.Trace { return signTrace(sigs(trace.SigStale), nil) }, want: Pass},
	})
}

// TestSignatureVariantNamed: 6.2 says what the provider signed when the
// sink diagnosed the mismatch, and 6.1's evidence does too.
func TestSignatureVariantNamed(t *testing.T) {
	t.Parallel()
	variant := func(v trace.SigVariant) func(*trace.Attempt) {
		return func(a *trace.Attempt) {
			if a.Sig == trace.SigMismatch {
				a.SigVariant = v
			}
		}
	}
	for _, tc := range []struct {
		v    trace.SigVariant
		want string
	}{
		{trace.SigCompactJSON, "the signature covers the JSON with whitespace removed, not the bytes sent"},
		{trace.SigSortedHTMLJSON, "the signature covers the JSON serialised again with keys sorted"},
		{trace.SigOtherTimestamp, "a timestamp other than the one sent"},
		{trace.SigVariantNone, "signatures are valid on canonical bodies only"},
	} {
		r := runOne(t, "6.2", signTrace(sigs(trace.SigValid), sigs(trace.SigMismatch, trace.SigMismatch), variant(tc.v)), testPolicy())
		if r.Verdict != Fail || !strings.Contains(r.Summary, tc.want) {
			t.Errorf("%q: 6.2 %s %q, want FAIL mentioning %q", tc.v, r.Verdict, r.Summary, tc.want)
		}
	}
	r := runOne(t, "6.1", signTrace(sigs(trace.SigMismatch), nil, variant(trace.SigTrailingNewline)), testPolicy())
	if r.Verdict != Fail || len(r.Evidence) == 0 || !strings.Contains(r.Evidence[0].Observed, "the body with a newline appended") {
		t.Errorf("6.1 %s %+v", r.Verdict, r.Evidence)
	}
}

// TestReplayGeneric: 6.5 reads the generic scheme's options.
func TestReplayGeneric(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{nil, "replayable"},
		{map[string]string{"header": "X-Sig", "template": "{body}"}, "replayable"},
		{map[string]string{"header": "X-Sig", "timestamp-header": "X-Ts"}, "replayable"},
		{map[string]string{"header": "X-Sig", "timestamp_param": "t"}, "signs a timestamp"},
		{map[string]string{"header": "X-Sig", "timestamp_param": "t", "template": "{timestamp},{body}"}, "but no message id"},
		{map[string]string{"header": "X-Sig", "timestamp-header": "X-Ts", "id-header": "X-Id", "template": "{id}.{timestamp}.{body}"}, "and a message id"},
	} {
		p := testPolicy()
		p.Scheme, p.SchemeOptions = "generic", tc.opts
		r := runOne(t, "6.5", signTrace(sigs(trace.SigValid), nil), p)
		if r.Verdict != Info || !strings.Contains(r.Summary, tc.want) {
			t.Errorf("%v: 6.5 %s %q, want INFO mentioning %q", tc.opts, r.Verdict, r.Summary, tc.want)
		}
	}
	p := testPolicy()
	p.Scheme, p.SchemeOptions = "standard", map[string]string{"template": "{body}"}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "scheme_options") {
		t.Errorf("scheme_options with scheme standard: Validate = %v", err)
	}
	p = testPolicy()
	p.Scheme = "github"
	if r := runOne(t, "6.5", signTrace(sigs(trace.SigValid), nil), p); r.Verdict != Info || !strings.HasPrefix(r.Summary, "replayable") {
		t.Errorf("github: 6.5 %s %q", r.Verdict, r.Summary)
	}
}

func TestCheckReplayResistance(t *testing.T) {
	for _, scheme := range []string{"standard", "github", "generic", ""} {
		runCases(t, "6.5", []checkCase{
			{name: "scheme " + scheme, build: func() *trace.Trace { return signTrace(sigs(trace.SigValid), nil) },
				policy: func(p *policy.Policy) { p.Scheme = scheme }, want: Info},
		})
	}
}

func TestCheckFreshTimestamp(t *testing.T) {
	build := func(skews []int64, gapMs int64) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragBackoff, Fragment{}, 0, 0).sent("backoff/1", 0)
			for i, s := range skews {
				b.att("/f/backoff", "backoff/1", "m", 5+int64(i)*gapMs, 500, skew(s))
			}
			return b.trace()
		}
	}
	runCases(t, "6.6", []checkCase{
		{name: "fresh", build: build([]int64{-300, -800, -100}, 4000), want: Pass},
		{name: "reused", build: build([]int64{-300, -4300, -8300}, 4000), want: Fail},
		{name: "retries too close together", build: build([]int64{-300, -1300}, 1000), want: Skip},
		{name: "no timestamps", build: func() *trace.Trace {
			return newTB().frag(FragBackoff, Fragment{}, 0, 0).sent("backoff/1", 0).
				att("/f/backoff", "backoff/1", "m", 5, 500, func(a *trace.Attempt) { a.Flags = 0 }).trace()
		}, want: Skip},
	})
}

func TestCheckRotation(t *testing.T) {
	build := func(s trace.SigResult) func() *trace.Trace {
		return func() *trace.Trace {
			return newTB().frag(FragRotate, Fragment{}, 0, 0).sent("rotate/1", 0).att("/f/rotate", "rotate/1", "m", 5, 200, sig(s)).trace()
		}
	}
	runCases(t, "6.7", []checkCase{
		{name: "old secret still signs", build: build(trace.SigValid), want: Pass},
		{name: "old secret dropped", build: build(trace.SigMismatch), want: Fail},
		{name: "rotation not possible", build: func() *trace.Trace {
			return newTB().frag(FragRotate, Fragment{Skip: "the adapter cannot rotate secrets"}, 0, 0).trace()
		}, want: Skip},
	})
}

func TestSecretUnknown(t *testing.T) {
	build := func(s trace.SigResult) func() *trace.Trace {
		return func() *trace.Trace {
			return newTB().frag(FragSign, Fragment{SecretUnknown: true}, 0, 0).frag(FragSignRaw, Fragment{SecretUnknown: true}, 0, 0).
				sent("sign/1", 0).att("/f/sign", "sign/1", "m", 5, 200, sig(s)).trace()
		}
	}
	runCases(t, "6.1", []checkCase{
		{name: "missing is still a failure", build: build(trace.SigMissing), want: Fail},
		{name: "mismatch says nothing", build: build(trace.SigMismatch), want: Skip},
	})
	runCases(t, "6.2", []checkCase{
		{name: "cannot attribute", build: build(trace.SigValid), want: Skip},
	})
}

// An unsigned policy is one finding: 6.1 warns, 6.5 informs, and the checks
// that need a signature skip instead of repeating the warning.
func TestUnsignedPolicyConsistent(t *testing.T) {
	unsignedAttempt := func(a *trace.Attempt) { a.Sig, a.Flags = trace.SigNone, 0 }
	build := func() *trace.Trace {
		b := newTB().frag(FragSign, Fragment{}, 0, 0).
			frag(FragSignRaw, Fragment{Skip: "the policy declares no signature scheme"}, 0, 0).
			frag(FragBackoff, Fragment{}, 0, 0).
			frag(FragRotate, Fragment{Skip: "the policy declares no signature scheme"}, 0, 0).
			sent("sign/1", 0).att("/f/sign", "sign/1", "m1", 5, 500, unsignedAttempt).att("/f/sign", "sign/1", "m1", 105, 200, unsignedAttempt).
			sent("backoff/1", 0)
		for i := range 3 {
			b.att("/f/backoff", "backoff/1", "m2", 5+int64(i)*4000, 500, unsignedAttempt)
		}
		return b.trace()
	}
	want := map[string]Verdict{"6.1": Warn, "6.2": Skip, "6.3": Skip, "6.4": Skip, "6.5": Info, "6.6": Skip, "6.7": Skip}
	for _, scheme := range []string{"", "none"} {
		unsigned := func(p *policy.Policy) { p.Scheme = scheme }
		for _, id := range []string{"6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7"} {
			runCases(t, id, []checkCase{{name: "scheme " + strconv.Quote(scheme), build: build, policy: unsigned, want: want[id]}})
		}
	}
}
