package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/threshold"
	"github.com/hookbench/hookbench/trace"
	"github.com/spf13/pflag"
)

const genExamples = `  # 2000 events/s for 30 s at a provider's trigger API, Sent records into a trace
  hookbench gen --url http://127.0.0.1:8080/events --rate 2000 --duration 30s \
    -H 'Authorization: Bearer KEY' --trace gen.hbt

  # ramp from 100/s to 5000/s over a minute, with a templated body
  hookbench gen --url http://127.0.0.1:8080/events --rate 100:5000 --ramp 60s --duration 70s \
    --body '{"type":"{{type}}","order":{{rand_int 1 1000}},"color":"{{pick red|green}}","at":{{now ms}}}' \
    --type order.created --type order.paid

  # steps, a spike over a 200/s baseline, Poisson arrivals
  hookbench gen --url http://127.0.0.1:8080/events --steps 500:10s,1000:10s,2000:10s
  hookbench gen --url http://127.0.0.1:8080/events --rate 200 --spike 5000@10s+5s --duration 30s
  hookbench gen --url http://127.0.0.1:8080/events --rate 1000 --arrivals poisson --seed 7

  # 5 % duplicate triggers (same body, same Idempotency-Key), msgpack bodies padded to 2 KiB
  hookbench gen --url http://127.0.0.1:8080/events --rate 500 --count 10000 --duplicates 0.05 \
    --format msgpack --body-size 2048

  # one scenario from 3 machines: machine 2 of 3 sends every third hit of 3000/s (1000/s) and
  # 10000/3 of the events, ids hb-TAG-s2-...; keep --seed equal on all three, then merge the traces
  hookbench gen --url http://10.0.0.5:8080/events --rate 3000 --count 10000 --shard 2/3 --trace s2.hbt
  hookbench report --merge s1.hbt s2.hbt s3.hbt

  # the same as a Kubernetes Indexed Job of 3 pods (JOB_COMPLETION_INDEX 0..2 = shards 1..3),
  # all starting the schedule at one agreed time
  hookbench gen --url http://10.0.0.5:8080/events --rate 3000 --count 10000 --shard auto/3 \
    --start-at 2026-01-02T15:04:05Z --trace /traces/s$JOB_COMPLETION_INDEX.hbt

  # a CI gate: exit 1 unless under 1 % of triggers fail and the corrected p99 stays under 250 ms
  hookbench gen --url http://127.0.0.1:8080/events --rate 500 --duration 30s \
    --threshold 'errors<1%' --threshold 'latency_p99<250ms'
  # at hookbench provider, whose POST /events takes {"type","payload"} only: the id goes inside the payload
  hookbench gen --url http://127.0.0.1:8070/events -H 'Authorization: Bearer k' --rate 20 --count 100 \
    --type order.created --body '{"type":"{{type}}","payload":{"hookbench_id":"{{id}}","n":{{seq}}}}'

  # serve live Prometheus metrics while it runs (hookbench gen --list-metrics; docs/metrics.md)
  hookbench gen --url http://127.0.0.1:8080/events --rate 500 --duration 10m --metrics-listen 127.0.0.1:9101

  # capacity: as fast as 64 connections allow
  hookbench gen --url http://127.0.0.1:8080/events --rate 0 --connections 64 --duration 10s`

// genFlags are the flags that do not map one to one onto generator.Options.
type genFlags struct {
	headers  []string
	types    []string
	body     string
	pacer    generator.PacerSpec
	trace    string
	force    bool
	insecure bool
	progress string
	output   string
	procs    int
	shard    string
	startAt  string
	limits   threshold.List
	metrics  string
}

// thresholdUsage is the --threshold help text of gen, run and report.
const thresholdUsage = "pass/fail limit METRIC OP VALUE on the final figures, e.g. 'e2e_p99<500ms', 'errors<1%', " +
	"'delivered>=99.9%' (repeatable; OP is <, <=, >, >=, ==; any miss exits 1; the metric names are listed in docs/reports.md)"

var _ pflag.Value = (*threshold.List)(nil)

// thresholdsMissed is the failure of a run that missed thresholds.
func thresholdsMissed(rs []threshold.Result) error {
	n := 0
	for _, r := range rs {
		if !r.OK {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return failError{fmt.Sprintf("%d of %d thresholds missed", n, len(rs))}
}

// shardUsage is the --shard help text of gen and run.
const shardUsage = "run part I of N of the load, I/N (1-based), so N machines share it: each sends rate/N " +
	"(every N-th hit of the full schedule) and count/N, with ids prefixed sI-; merge the traces with report --merge. " +
	"auto/N takes I from " + jobIndexEnv + " (a Kubernetes Indexed Job's 0-based index: I = index+1)"

// jobIndexEnv is the variable Kubernetes sets in every pod of an Indexed
// Job to the pod's completion index, 0 to completions-1.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

// parseShard parses a --shard value; "" is the whole run. "auto/N" reads
// the 0-based index from JOB_COMPLETION_INDEX (getenv) and returns the
// 1-based shard index+1 of N. The pod sees no variable holding N (the
// Job's completions), so a bare "auto" is refused rather than guessed.
func parseShard(s string, getenv func(string) string) (generator.Shard, error) {
	if s == "" {
		return generator.Shard{}, nil
	}
	spec := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(spec, "auto"); ok {
		return autoShard(s, rest, getenv)
	}
	sh, err := generator.ParseShard(s)
	if err != nil {
		return generator.Shard{}, fmt.Errorf("--shard: %w", err)
	}
	return sh, nil
}

// autoShard resolves "auto" + rest ("/N").
func autoShard(s, rest string, getenv func(string) string) (generator.Shard, error) {
	nStr, ok := strings.CutPrefix(strings.TrimSpace(rest), "/")
	if !ok {
		return generator.Shard{}, fmt.Errorf("--shard %q: want auto/N, N being the number of shards (the Indexed Job's completions); "+
			"%s gives only the index", s, jobIndexEnv)
	}
	n, err := strconv.Atoi(strings.TrimSpace(nStr))
	if err != nil || n < 1 || n > generator.MaxShards {
		return generator.Shard{}, fmt.Errorf("--shard %q: the number of shards must be 1 to %d", s, generator.MaxShards)
	}
	v, set := getenv(jobIndexEnv), true
	if v == "" {
		set = false
	}
	if !set {
		return generator.Shard{}, fmt.Errorf("--shard %q: %s is not set (auto reads the 0-based index of a Kubernetes Indexed Job from it; elsewhere give I/N)", s, jobIndexEnv)
	}
	idx, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || idx < 0 || idx >= n {
		return generator.Shard{}, fmt.Errorf("--shard %q: %s=%q: want a 0-based index 0 to %d", s, jobIndexEnv, v, n-1)
	}
	return generator.Shard{Index: idx + 1, Of: n}, nil
}

// resolvedArgs returns args with the --shard value sh was parsed from
// replaced by sh itself ("auto/3" by "2/3"), so a trace header says which
// shard wrote it.
func resolvedArgs(args []string, raw string, sh generator.Shard) []string {
	if raw == "" || raw == sh.String() || sh == (generator.Shard{}) {
		return args
	}
	out := slices.Clone(args)
	for i, a := range out {
		switch {
		case a == "--shard="+raw:
			out[i] = "--shard=" + sh.String()
		case a == raw && i > 0 && out[i-1] == "--shard":
			out[i] = sh.String()
		}
	}
	return out
}

// startAtUsage is the --start-at help text of gen and run.
const startAtUsage = "the schedule's time zero, RFC 3339 (2026-01-02T15:04:05.000Z) or unix milliseconds: " +
	"wait for it, or when it has passed skip the hits due before now (counted as missed, not sent late); " +
	"give every shard the same value (within 24h of now)"

// maxStartSkew bounds how far from now --start-at may be: further is a
// mistake (seconds for milliseconds, a stale value, a wrong clock).
const maxStartSkew = 24 * time.Hour

// parseStartAt parses a --start-at value relative to now; "" is the zero
// Time (start at once).
func parseStartAt(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	var t time.Time
	digits := strings.Trim(s, "0123456789") == ""
	if digits {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms > 1<<53 {
			return time.Time{}, fmt.Errorf("--start-at %q: unix milliseconds out of range", s)
		}
		t = time.UnixMilli(ms)
	} else {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, fmt.Errorf("--start-at %q: want RFC 3339 (2026-01-02T15:04:05Z) or unix milliseconds", s)
		}
	}
	if d := t.Sub(now); d > maxStartSkew || d < -maxStartSkew {
		hint := ""
		if digits && len(s) <= 11 {
			hint = " (unix seconds? give milliseconds)"
		}
		when := "ahead"
		if d < 0 {
			when, d = "ago", -d
		}
		return time.Time{}, fmt.Errorf("--start-at %q is %v %s%s: want a time within %v of now", s, d.Round(time.Second), when, hint, maxStartSkew)
	}
	return t, nil
}

func runGen(ctx context.Context, e *env, args []string) error {
	opt := generator.NewOptions()
	var f genFlags
	f.pacer.Rate = "100"
	fs := newFlagSet(e, "gen", "gen --url URL [flags]", genExamples)
	fs.StringVar(&opt.URL, "url", opt.URL, "target URL (http:// or https://), e.g. a provider's trigger API")
	fs.StringVarP(&opt.Method, "method", "X", opt.Method, "HTTP method")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, "request header 'Name: value' (repeatable; the value may be a template)")
	fs.StringVar(&f.body, "body", "", "body template, inline or @FILE (default "+strings.ReplaceAll(generator.DefaultBody, "%", "%%")+")")
	fs.StringVar(&opt.ContentType, "content-type", "", "Content-Type (default from --format)")
	fs.StringVar(&opt.Format, "format", opt.Format, "body format: json, or msgpack (the JSON template is sent as application/msgpack)")
	fs.IntVar(&opt.BodySize, "body-size", 0, "pad every body to about this many bytes (a hookbench_pad field)")
	fs.StringVar(&opt.IDField, "id-field", opt.IDField, "JSON field the event id is embedded as when the body has no {{id}} ('' = none)")
	fs.StringArrayVar(&f.types, "type", nil, "event type for {{type}} (repeatable; each event picks one; default "+generator.DefaultType+")")
	fs.StringVar(&f.pacer.Rate, "rate", f.pacer.Rate, "events per second (2000, 2k, 120/1m), 0 = as fast as possible, FROM:TO with --ramp")
	fs.DurationVar(&f.pacer.Ramp, "ramp", 0, "ramp length for --rate FROM:TO")
	fs.StringVar(&f.pacer.Steps, "steps", "", "step schedule RATE:DURATION,... e.g. 500:10s,1000:10s")
	fs.StringVar(&f.pacer.Spike, "spike", "", "burst PEAK@AT+FOR over the --rate baseline, e.g. 5000@10s+5s")
	fs.StringVar(&f.pacer.Arrivals, "arrivals", generator.ArrivalsUniform, "arrival process: uniform or poisson")
	fs.DurationVarP(&opt.Duration, "duration", "d", opt.Duration, "schedule length (0 with --count = until the count is sent)")
	fs.Uint64VarP(&opt.Count, "count", "n", 0, "most events to send (0 = no limit but the duration)")
	fs.IntVarP(&opt.Connections, "connections", "c", opt.Connections, "TCP connections")
	fs.IntVar(&opt.MaxInflight, "max-inflight", 0, "most concurrent requests (0 = --connections)")
	fs.DurationVar(&opt.Timeout, "timeout", opt.Timeout, "per-request timeout")
	fs.DurationVar(&opt.Drain, "drain", 0, "how long in-flight requests may finish after the end (0 = --timeout)")
	fs.Float64Var(&opt.Duplicates, "duplicates", 0, "fraction of events sent twice with the same body and idempotency key, e.g. 0.05")
	fs.StringVar(&opt.IdempotencyHeader, "idempotency-header", opt.IdempotencyHeader, "header carrying the event id as idempotency key ('' = none)")
	fs.StringVar(&opt.IDPrefix, "id-prefix", "", "event id prefix (default hb-RUNTAG-)")
	fs.StringVar(&f.trace, "trace", "", "write Sent records to this trace file (a new file: see --force)")
	fs.BoolVar(&f.force, "force", false, forceUsage)
	fs.Int64Var(&opt.Seed, "seed", 1, "seed for body randomness, types, duplicates and Poisson arrivals")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&f.progress, "progress", "auto", "live progress line on stderr: auto (when a terminal), always, never")
	fs.StringVarP(&f.output, "output", "o", "text", "summary format: text, or json (a versioned document; durations in nanoseconds)")
	fs.StringVar(&f.shard, "shard", "", shardUsage)
	fs.StringVar(&f.startAt, "start-at", "", startAtUsage)
	fs.Var(&f.limits, "threshold", thresholdUsage)
	fs.StringVar(&f.metrics, "metrics-listen", "", metricsListenUsage(""))
	listMetrics := addListMetrics(fs)
	fs.IntVar(&f.procs, "procs", 0, "CPU cores (GOMAXPROCS) the generator may use; 0 = all. 1 leaves the rest to a target on the same machine")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *listMetrics != "" {
		return writeMetricList(e, *listMetrics, generator.MetricList())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the target is --url)", fs.Arg(0))
	}
	var err error
	if !fs.Changed("duration") {
		switch {
		case fs.Changed("count"):
			opt.Duration = 0 // bounded by the count
		case f.pacer.Steps != "":
			opt.Duration = 0 // the steps end the schedule
			if steps, err := generator.ParseSteps(f.pacer.Steps); err == nil {
				opt.Duration = steps.Length()
			}
		}
	}
	if opt.Shard, err = parseShard(f.shard, os.Getenv); err != nil {
		return err
	}
	if opt.StartAt, err = parseStartAt(f.startAt, time.Now()); err != nil {
		return err
	}
	pacer, err := generator.NewPacer(f.pacer, opt.Seed)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	opt.Rate = pacer
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("--header %q: want 'Name: value'", h)
		}
		opt.Headers = append(opt.Headers, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	if len(f.types) > 0 {
		opt.Types = nil
		for _, t := range f.types {
			for _, s := range strings.Split(t, ",") {
				opt.Types = append(opt.Types, strings.TrimSpace(s))
			}
		}
	}
	opt.Body = f.body
	if path, ok := strings.CutPrefix(f.body, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		opt.Body = string(b)
	}
	if f.insecure {
		opt.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for on the command line
	}
	switch f.progress {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("--progress %q: want auto, always or never", f.progress)
	}
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("--output %q: want text or json", f.output)
	}
	if f.procs < 0 {
		return fmt.Errorf("--procs %d: want 0 (all cores) or more", f.procs)
	}
	if err := parseOnly(); err != nil {
		// New compiles the templates and opens no connection.
		g, verr := generator.New(opt)
		if verr != nil {
			return verr
		}
		for _, w := range g.Warnings() {
			fmt.Fprintf(e.stderr, "hookbench gen: warning: %s\n", w)
		}
		return err
	}
	if f.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(f.procs))
	}

	var ms *metricsServer
	if f.metrics != "" {
		set := metrics.NewSet()
		opt.Metrics = generator.NewMetrics(set)
		if ms, err = startMetrics("--metrics-listen", f.metrics, false, "", set.WritePrometheus); err != nil {
			return err
		}
		defer ms.close(e)
		fmt.Fprintf(e.stderr, "hookbench gen: metrics at %s\n", ms.url)
	}

	var tw *trace.Writer
	if f.trace != "" {
		red := &scenarios.Redactor{}
		addSecretHeaders(red, f.headers)
		tw, err = trace.CreateFile(f.trace, trace.NewHeader(red.RedactAll(resolvedArgs(e.args0, f.shard, opt.Shard)), versionString()), f.force)
		if err != nil {
			return traceFileError(f.trace, err)
		}
		opt.Trace = tw
	}
	g, err := generator.New(opt)
	if err != nil {
		if tw != nil {
			// Nothing was measured: leave no file that a corrected
			// command would refuse to overwrite.
			tw.Close()
			os.Remove(f.trace)
		}
		return err
	}
	for _, w := range g.Warnings() {
		fmt.Fprintf(e.stderr, "hookbench gen: warning: %s\n", w)
	}

	if wait := time.Until(opt.StartAt); wait > 0 {
		// Pods of one Job can sit here for a while: say why, once.
		fmt.Fprintf(e.stderr, "hookbench gen: waiting for --start-at %s (in %v)\n",
			opt.StartAt.UTC().Format(time.RFC3339Nano), wait.Round(100*time.Millisecond))
	}
	var wg sync.WaitGroup
	stopProgress := make(chan struct{})
	if f.progress == "always" || (f.progress == "auto" && isTerminal(e.stderr)) {
		wg.Go(func() { showProgress(e.stderr, g, opt.StartAt, stopProgress) })
	}
	sum, runErr := g.Run(ctx)
	close(stopProgress)
	wg.Wait()
	if tw != nil {
		if err := tw.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("close trace: %w", err)
		}
	}
	if runErr != nil {
		return runErr
	}
	sum.EvaluateThresholds(f.limits)
	if f.output == "json" {
		if err := sum.WriteJSON(e.stdout); err != nil {
			return err
		}
	} else if err := sum.WriteText(e.stdout); err != nil {
		return err
	}
	if err := genOutcome(&sum); err != nil {
		return err
	}
	return thresholdsMissed(sum.Thresholds)
}

// genOutcome is a failure when the run did no work: nothing was sent, or
// no request got a 2xx answer. The summary is written first either way.
func genOutcome(s *generator.Summary) error {
	switch {
	case s.Sent == 0 && s.Skipped > 0 && !s.Interrupted:
		return failError{fmt.Sprintf("nothing was sent: the run started %v after --start-at, past its schedule (%d hits skipped as missed)",
			s.StartedLate.Round(time.Millisecond), s.Skipped)}
	case s.Sent == 0:
		return failError{"nothing was sent"}
	case s.OK == 0:
		return failError{fmt.Sprintf("every request failed (%d of %d without a 2xx answer)", s.Failed, s.Sent)}
	}
	return nil
}

// showProgress redraws one status line every 500 ms until stop is closed;
// before a --start-at in the future, a countdown.
func showProgress(w io.Writer, g *generator.Generator, startAt time.Time, stop <-chan struct{}) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	var prev generator.Progress
	for {
		select {
		case <-stop:
			fmt.Fprint(w, "\r\033[K")
			return
		case <-t.C:
		}
		if wait := time.Until(startAt); wait > 0 {
			fmt.Fprintf(w, "\r\033[K  starts in %.1fs (--start-at %s)", wait.Seconds(), startAt.UTC().Format(time.RFC3339))
			continue
		}
		p := g.Progress()
		rate, due := 0.0, 0.0
		if dt := (p.Elapsed - prev.Elapsed).Seconds(); dt > 0 {
			rate = float64(p.Sent-prev.Sent) / dt
			due = float64(p.Due-prev.Due) / dt
		}
		fmt.Fprintf(w, "\r\033[K%6.1fs  sent %d of %d due  %.0f/s of %.0f/s  in flight %d  late %d  failed %d",
			p.Elapsed.Seconds(), p.Sent, p.Due, rate, due, p.InFlight, p.Late, p.Failed)
		prev = p
	}
}
