package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/reports"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/threshold"
)

const runExamples = `  # check a scenario file without running it (several files at once)
  hookbench run --validate examples/*.yaml

  # run the quick smoke scenario against the embedded reference provider
  hookbench run examples/smoke.yaml --trace smoke.trace

  # drive a real provider; secrets come from the environment or --var
  SVIX_URL=https://api.svix.com SVIX_TOKEN=sk_... hookbench run examples/svix.yaml
  hookbench run examples/minimal-server.yaml --var PROVIDER_URL=http://127.0.0.1:3000

  # share a scenario's load between 3 machines (this is machine 1), then merge the traces
  hookbench run examples/capacity-ramp.yaml --shard 1/3 --trace s1.trace
  # the same from a Kubernetes Indexed Job's pod, the load starting at an agreed time
  hookbench run examples/capacity-ramp.yaml --shard auto/3 --start-at 1767366245000 --trace /traces/s$JOB_COMPLETION_INDEX.trace`

// runFlags are the flags of `hookbench run`.
type runFlags struct {
	validate bool
	vars     []string
	trace    string
	force    bool
	seed     int64
	seedSet  bool
	drain    time.Duration
	quiet    bool
	shard    string
	startAt  string
	limits   threshold.List
	metrics  string
}

// scenarioVars builds the ${VAR} values: the environment, then --var
// K=V flags, which win.
func scenarioVars(environ, flags []string) (map[string]string, error) {
	vars := scenarios.VarsFromEnviron(environ)
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", kv)
		}
		vars[k] = v
	}
	return vars, nil
}

// runScenario implements `hookbench run`.
func runScenario(ctx context.Context, e *env, args []string) error {
	var f runFlags
	fs := newFlagSet(e, "run", "run SCENARIO.yaml [flags]\n       hookbench run --validate SCENARIO.yaml...", runExamples)
	fs.BoolVar(&f.validate, "validate", false, "check the scenario file(s) and print a summary, without running")
	fs.StringArrayVar(&f.vars, "var", nil, "set a ${NAME} variable: NAME=VALUE (repeatable; overrides the environment)")
	fs.StringVar(&f.trace, "trace", "", "trace file to write, a new file: see --force (default: NAME.trace, NAME being the scenario's name, or NAME.1.trace, NAME.2.trace, ... when it exists)")
	fs.BoolVar(&f.force, "force", false, forceUsage)
	fs.Int64Var(&f.seed, "seed", 0, "override the scenario's seed")
	fs.DurationVar(&f.drain, "drain", 0, "override the scenario's drain time (bounded by 24h)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress line")
	fs.StringVar(&f.shard, "shard", "", shardUsage+"; setup, checks and drain run on every shard")
	fs.StringVar(&f.startAt, "start-at", "", startAtUsage+"; setup runs first, the first phase starts at this time")
	fs.Var(&f.limits, "threshold", thresholdUsage+"; checked after the scenario's own thresholds:")
	fs.StringVar(&f.metrics, "metrics-listen", "", metricsListenUsage(""))
	listMetrics := addListMetrics(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *listMetrics != "" {
		return writeMetricList(e, *listMetrics, scenarios.MetricList())
	}
	f.seedSet = fs.Changed("seed")
	files := fs.Args()
	if len(files) == 0 {
		return errors.New("need a scenario file (see hookbench run --help)")
	}
	if !f.validate && len(files) > 1 {
		return fmt.Errorf("run takes one scenario file, got %d (use --validate to check several)", len(files))
	}
	vars, err := scenarioVars(os.Environ(), f.vars)
	if err != nil {
		return err
	}
	if f.validate {
		return validateScenarios(e, files, vars)
	}
	return runOne(ctx, e, files[0], vars, &f)
}

// validateScenarios loads each file and prints one summary line per valid
// file; every invalid file's errors go to stderr, and the result is a
// usage error when any file is invalid.
func validateScenarios(e *env, files []string, vars map[string]string) error {
	bad := 0
	for _, path := range files {
		sc, err := scenarios.Load(path, vars)
		if err != nil {
			bad++
			fmt.Fprintln(e.stderr, err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s: ok: %s\n", path, describe(sc))
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d scenario files invalid", bad, len(files))
	}
	return nil
}

// describe summarises a scenario in one line.
func describe(sc *scenarios.Scenario) string {
	var total time.Duration
	for _, p := range sc.Phases {
		total += p.Duration
	}
	policy := "none declared"
	if sc.PolicySet || sc.Provider.Adapter == adapter.Reference {
		policy = sc.Policy.Profile
		if policy == "" {
			policy = "custom"
		} else if !sc.PolicySet {
			policy += " (reference default)"
		}
	}
	name := sc.Name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("%s: %s adapter, %d endpoint(s), %d phase(s) over %v, policy %s, drain %v",
		name, sc.Provider.Adapter, len(sc.Sink.Endpoints), len(sc.Phases), total, policy, sc.Drain)
}

// runOne runs one scenario file.
func runOne(ctx context.Context, e *env, path string, vars map[string]string, f *runFlags) error {
	sc, err := scenarios.Load(path, vars)
	if err != nil {
		return err
	}
	addSecretVars(sc.Redactor, f.vars)
	if f.seedSet {
		sc.Seed = f.seed
	}
	if f.drain != 0 {
		if f.drain < 0 || f.drain > scenarios.MaxDuration {
			return fmt.Errorf("--drain %v: want (0, %v]", f.drain, scenarios.MaxDuration)
		}
		sc.Drain = f.drain
	}
	opts := scenarios.NewRunOptions()
	opts.TracePath = f.trace
	if opts.TracePath == "" && !f.force {
		// A name the user did not choose never blocks a rerun: the next
		// free NAME.N.trace is taken instead.
		opts.TracePath = freeName(traceName(sc.Name, path))
	} else if opts.TracePath == "" {
		opts.TracePath = traceName(sc.Name, path)
	}
	opts.OverwriteTrace = f.force
	if opts.Shard, err = parseShard(f.shard, os.Getenv); err != nil {
		return err
	}
	if opts.StartAt, err = parseStartAt(f.startAt, time.Now()); err != nil {
		return err
	}
	if err := parseOnly(); err != nil {
		return err
	}
	opts.Args = resolvedArgs(e.args0, f.shard, opts.Shard)
	opts.Version = versionString()
	var prog *runProgress
	if !f.quiet && runIsTerminal(e.stderr) {
		prog = &runProgress{w: e.stderr, start: time.Now()}
		opts.OnProgress = prog.update
	}
	if f.metrics != "" {
		opts.Metrics = metrics.NewSet()
		ms, err := startMetrics("--metrics-listen", f.metrics, false, "", opts.Metrics.WritePrometheus)
		if err != nil {
			return err
		}
		defer ms.close(e)
		fmt.Fprintf(e.stderr, "hookbench run: metrics at %s\n", ms.url)
	}
	fmt.Fprintf(e.stdout, "hookbench run: %s\n", describe(sc))
	res, err := scenarios.Run(ctx, sc, opts)
	if prog != nil {
		prog.clear()
	}
	var te *scenarios.TraceFileError
	if errors.As(err, &te) {
		return traceFileError(te.Path, te.Err)
	}
	if err != nil {
		return err
	}
	printRunResult(e, res)
	missed := runThresholds(ctx, e, append(slices.Clone(sc.Thresholds), f.limits...), res.TracePath)
	if missed != nil && !errors.As(missed, new(failError)) {
		return missed // the trace could not be read: a setup error
	}
	if res.Interrupted {
		fmt.Fprintf(e.stderr, "hookbench run: the trace so far is in %s\n", res.TracePath)
		if err := ctx.Err(); err != nil {
			return err
		}
		return failError{"interrupted"}
	}
	if why, ok := skippedAll(res.Phases); ok {
		return failError{why}
	}
	for i := range res.Phases {
		if why, ok := res.Phases[i].NothingSent(); ok {
			return failError{why}
		}
	}
	switch {
	case !res.Drained:
		return failError{fmt.Sprintf("%d deliveries still outstanding when the %v drain ended (trace: %s)", res.Progress.Outstanding, sc.Drain, res.TracePath)}
	}
	return missed
}

// skippedAll reports a run that sent nothing because it started after
// --start-at, past its first phase's schedule.
func skippedAll(phases []scenarios.PhaseResult) (string, bool) {
	var sent, skipped uint64
	var late time.Duration
	for _, p := range phases {
		sent += p.Sent
		if s := p.Summary; s != nil && s.Skipped > 0 {
			skipped, late = skipped+s.Skipped, s.StartedLate
		}
	}
	if sent > 0 || skipped == 0 {
		return "", false
	}
	return fmt.Sprintf("nothing was sent: the load started %v after --start-at, past its schedule (%d hits skipped as missed)",
		late.Round(time.Millisecond), skipped), true
}

// runThresholds evaluates thresholds on the report of the run's trace,
// prints them and returns the failure of any miss (a plain error, exit 2,
// when the trace cannot be read).
func runThresholds(ctx context.Context, e *env, ts []threshold.Threshold, tracePath string) error {
	if len(ts) == 0 {
		return nil
	}
	opts := reports.NewOptions()
	opts.Version = versionString()
	sum, err := reports.Build(ctx, opts, tracePath)
	if err != nil {
		return fmt.Errorf("thresholds: %w", err)
	}
	sum.EvaluateThresholds(ts)
	if err := threshold.Write(e.stdout, sum.Thresholds); err != nil {
		return err
	}
	return thresholdsMissed(sum.Thresholds)
}

// traceName derives a trace file name from the scenario's name or file.
func traceName(name, path string) string {
	if name == "" {
		name = strings.TrimSuffix(filepathBase(path), ".yaml")
	}
	b := []byte(name)
	for i, c := range b {
		ok := c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "run.trace"
	}
	return string(b) + ".trace"
}

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func runIsTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runProgress redraws one status line on a terminal.
type runProgress struct {
	w        interface{ Write([]byte) (int, error) }
	start    time.Time
	last     scenarios.Progress
	lastTime time.Time
}

func (p *runProgress) update(pr scenarios.Progress) {
	now := time.Now()
	rate := 0.0
	since := p.lastTime
	if since.IsZero() {
		since = p.start
	}
	if dt := now.Sub(since).Seconds(); dt > 0 && pr.Sent >= p.last.Sent {
		rate = float64(pr.Sent-p.last.Sent) / dt
	}
	p.last, p.lastTime = pr, now
	outstanding := strconv.FormatUint(pr.Outstanding, 10)
	if pr.ByCount {
		outstanding += " (by count)"
	}
	fmt.Fprintf(p.w, "\r\033[K%s %5.1fs  sent %d (%.0f/s)  delivered %d  outstanding %s  failures %d  bad-sig %d",
		pr.Phase, now.Sub(p.start).Seconds(), pr.Sent, rate, pr.Delivered, outstanding, pr.Failures, pr.BadSigs)
}

func (p *runProgress) clear() { fmt.Fprint(p.w, "\r\033[K") }

// printRunResult prints a run's summary.
func printRunResult(e *env, res *scenarios.RunResult) {
	w := e.stdout
	fmt.Fprintf(w, "run %s: %v, trace %s\n", res.RunID, res.Elapsed.Round(time.Millisecond), res.TracePath)
	for _, ph := range res.Phases {
		line := fmt.Sprintf("  phase %-12s %8v  sent %d", ph.Name, ph.Elapsed.Round(time.Millisecond), ph.Sent)
		if ph.Pacer != "" {
			line += " at " + ph.Pacer
		}
		if s := ph.Summary; s != nil && s.Sent > 0 {
			line += fmt.Sprintf(" (achieved %.1f/s, trigger p99 %v, late %d, missed %d)", s.AchievedRate, s.Latency.P99, s.Late, s.Missed)
		}
		if ph.Failed > 0 {
			line += fmt.Sprintf("  trigger failures %d", ph.Failed)
		}
		fmt.Fprintln(w, line)
	}
	p := res.Progress
	fmt.Fprintf(w, "  triggers: %d sent, %d accepted, %d rejected\n", p.Sent, p.Accepted, p.Rejected)
	fmt.Fprintf(w, "  deliveries: %d attempts, %d delivered, %d failed attempts, %d bad signatures\n", p.Deliveries, p.Delivered, p.Failures, p.BadSigs)
	switch {
	case res.Interrupted:
		fmt.Fprintf(w, "  drain: interrupted with %d outstanding\n", p.Outstanding)
	case res.Drained:
		fmt.Fprintln(w, "  drain: every accepted event reached a terminal outcome")
	default:
		fmt.Fprintf(w, "  drain: ended with %d outstanding\n", p.Outstanding)
	}
	for _, n := range res.Capabilities.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}
