package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/suite"
	"github.com/hookbench/hookbench/internal/suggest"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/trace"
)

const conformExamples = `  hookbench conform                              # the embedded reference provider: every check passes
  hookbench conform --fault no-jitter            # break one rule on purpose: 3.3 and 3.4 fail
  hookbench conform examples/svix.yaml --profile svix --junit conformance.xml
  hookbench conform --only 3,6.2 --strict --trace run.trace && hookbench check run.trace
  hookbench conform my-provider.yaml --list-types --type-prefix acme. --max-endpoints 10
  hookbench conform --list --format markdown     # the check table of docs/conformance.md`

// stallWarning is the process stall above which conform warns that timing
// verdicts may be unreliable.
const stallWarning = 300 * time.Millisecond

// runConform runs the conformance suite against a provider and grades it.
func runConform(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "conform", "conform [SCENARIO] [flags]", conformExamples)
	o := suite.NewOptions()
	var g gradeFlags
	g.register(fs)
	var (
		providerConfig string
		faults         []string
		timeScale      = suite.DefaultTimeScale
		tracePath      string
		vars           []string
		quiet          bool
		list           bool
		listTypes      bool
	)
	fs.StringVar(&providerConfig, "provider-config", "", "scenario file whose provider (and policy) to grade; same as the SCENARIO argument")
	fs.StringArrayVar(&faults, "fault", nil, "switch on a reference provider fault (repeatable; the list: hookbench provider --list-faults)")
	fs.Float64Var(&timeScale, "time-scale", timeScale, "reference provider: multiply every policy duration by this (1 = real time)")
	format := fs.String("format", "", "declare this format in the graded policy: cloudevents-binary or cloudevents-structured (the embedded reference then delivers so); with --list: text or markdown")
	fs.StringVar(&tracePath, "trace", "", "write the run's trace to this file, a new file: see --force (grade it again with hookbench check)")
	force := addForce(fs)
	fs.StringArrayVar(&vars, "var", nil, "set a scenario ${NAME} variable: NAME=VALUE (repeatable; overrides the environment)")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed for secrets and the sink's random choices")
	fs.IntVar(&o.LoadEvents, "load-events", o.LoadEvents, "events in the load fragment (0 = leave it out)")
	fs.Float64Var(&o.LoadRate, "load-rate", o.LoadRate, "events per second in the load fragment")
	fs.BoolVar(&o.Sequential, "sequential", o.Sequential, "run fragments one after another")
	fs.BoolVar(&o.Isolate, "isolate", o.Isolate, "after the run, run again, one by one and alone, the fragments that fragments beside them disturbed (a shared provider held or reloaded), and grade those from the re-run")
	fs.DurationVar(&o.Eval.Slack, "slack", 0, "timing tolerance of the checks (default 25ms; lateness gets 20x)")
	fs.DurationVar(&o.MaxFragment, "max-wait", o.MaxFragment, "longest any fragment waits for deliveries (a real provider's schedule may be hours long)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress lines on stderr")
	fs.BoolVar(&list, "list", false, "list the checks (id, level, title, source) and exit; --format markdown prints the table of docs/conformance.md")
	fs.BoolVar(&listTypes, "list-types", false, "list the endpoints and event types the suite registers with the provider (for the scenario and --only/--skip) and exit")
	fs.StringVar(&o.TypePrefix, "type-prefix", "", "start the suite's event types with this instead of "+suite.DefaultTypePrefix+" (YAML: conform.type_prefix)")
	fs.IntVar(&o.MaxEndpoints, "max-endpoints", 0, "register at most this many endpoints at once: fragments run in batches (0 = no limit; YAML: conform.max_endpoints)")
	fs.DurationVar(&o.MaxHang, "max-hang", 0, "how long the sink's hanging endpoint waits before cutting off a provider (default: the declared timeout + max(3s, half of it), at least 7s; YAML: sink.max_hang)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if list {
		if err := conformance.WriteCheckList(e.stdout, *format); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		return nil
	}
	ev := g.evalOptions()
	o.Eval.Only, o.Eval.Skip, o.Eval.Strict = ev.Only, ev.Skip, ev.Strict
	o.Version = versionString()
	red := &scenarios.Redactor{}

	if fs.Changed("time-scale") && (!(timeScale > 0) || math.IsInf(timeScale, 0)) {
		return fmt.Errorf("--time-scale %v: want a positive factor (1 = real time, default %g)", timeScale, suite.DefaultTimeScale)
	}
	// --var is checked before it is known to be used, so a typo fails
	// the same way with and without a scenario.
	vm, err := scenarioVars(os.Environ(), vars)
	if err != nil {
		return err
	}
	scenarioPath := providerConfig
	switch {
	case fs.NArg() > 1:
		return errors.New("expected at most one scenario file")
	case fs.NArg() == 1 && providerConfig != "":
		return errors.New("give the scenario either as an argument or with --provider-config, not both")
	case fs.NArg() == 1:
		scenarioPath = fs.Arg(0)
	}
	what := "the embedded reference provider (in process)"
	if scenarioPath == "" && len(vars) > 0 {
		return fmt.Errorf("--var %s: variables fill in a scenario file, and none was given (hookbench conform SCENARIO --var NAME=VALUE)", vars[0])
	}
	if scenarioPath != "" {
		sc, err := scenarios.Load(scenarioPath, vm)
		if err != nil {
			return err
		}
		o.Provider, o.Policy, o.PolicySet = sc.Provider, sc.Policy, sc.PolicySet
		red = sc.Redactor
		scenarioSettings(fs, &o, sc)
		switch {
		case o.Provider.Adapter == adapter.HTTP && o.Provider.HTTP != nil:
			what = fmt.Sprintf("%s (adapter http, %s)", scenarioPath, o.Provider.HTTP.BaseURL)
		case o.Provider.Adapter != "" && o.Provider.Adapter != adapter.Reference:
			what = fmt.Sprintf("%s (adapter %s)", scenarioPath, o.Provider.Adapter)
		default:
			what = fmt.Sprintf("%s (embedded reference provider, in process)", scenarioPath)
		}
	}
	if p, ok, err := g.profilePolicy(); err != nil {
		return err
	} else if ok {
		// A scheme the endpoint only took from the scenario's policy follows
		// the profile that replaces that policy.
		if t := o.Subscriber; t != nil && t.InheritsScheme() {
			t.Scheme = p.Scheme
			if !p.Signed() {
				t.Scheme = ""
			}
		}
		o.Policy, o.PolicySet = p, true
	}
	addSecretVars(red, vars)
	o.Args, o.Redactor = e.args0, red
	if fs.Changed("format") {
		if f := *format; f != "" && f != policy.FormatCEBinary && f != policy.FormatCEStructured {
			return fmt.Errorf("--format %q: expected %s or %s", f, policy.FormatCEBinary, policy.FormatCEStructured)
		}
		if !o.PolicySet && o.IsReference() {
			o.Policy, o.PolicySet = suite.ReferencePolicy(), true
		}
		o.Policy.Format = *format
	}
	for _, f := range faults {
		if !slices.ContainsFunc(provider.Faults(), func(k provider.Fault) bool { return k.Name == f }) {
			return fmt.Errorf("--fault %q: no such fault%s (known: %s)", f, suggest.Hint(f, faultNameList()), faultNames())
		}
	}
	if o.IsReference() {
		spec := scenarios.ReferenceSpec{}
		if o.Provider.Reference != nil {
			spec = *o.Provider.Reference
		}
		if fs.Changed("time-scale") || spec.TimeScale == 0 {
			spec.TimeScale = timeScale
		}
		spec.Faults = append(spec.Faults, faults...)
		o.Provider.Adapter, o.Provider.Reference = adapter.Reference, &spec
		if len(spec.Faults) > 0 {
			what += " with fault " + strings.Join(spec.Faults, ", ")
		}
	} else if len(faults) > 0 || fs.Changed("time-scale") {
		return errors.New("--fault and --time-scale apply to the embedded reference provider only")
	}
	prog := &conformProgress{w: e.stderr, tty: isTerminal(e.stderr)}
	if !quiet {
		o.Progress = prog.note
		o.OnPlan = func(p suite.Plan) { prog.header(what, p) }
		o.OnProgress = prog.update
	}
	if note := o.FloorScaledTimeout(); note != "" {
		fmt.Fprintf(e.stderr, "hookbench conform: note: %s\n", note)
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if listTypes {
		return listRegistrations(e, &o)
	}
	if tracePath != "" {
		f, err := trace.OpenFile(tracePath, *force)
		if err != nil {
			return traceFileError(tracePath, err)
		}
		defer f.Close()
		o.TraceTo = f
	}

	rep, err := suite.Run(ctx, o)
	prog.clear()
	if err != nil {
		return err
	}
	title := fmt.Sprintf("hookbench conform: %s\npolicy: %s", what, rep.Policy.Summary())
	g.took = rep.Wall
	gerr := g.report(e, title, &rep.Policy, rep.Results)
	fmt.Fprintf(e.stdout, "suite wall time %s\n", rep.Wall.Round(10*time.Millisecond))
	if rep.MaxStall > stallWarning {
		fmt.Fprintf(e.stderr, "warning: the machine left hookbench without CPU for up to %s during the run: timing verdicts (groups 3, 4, 5, 10) may reflect the machine, not the provider\n", rep.MaxStall.Round(time.Millisecond))
	}
	if len(rep.Rerun) > 0 {
		fmt.Fprintf(e.stderr, "note: --isolate ran again, alone: %s\n", strings.Join(rep.Rerun, ", "))
	}
	interferenceNote(e, rep.Interference, o.Isolate)
	for _, f := range rep.Fragments {
		if len(f.Notes) > 0 {
			fmt.Fprintf(e.stderr, "note: fragment %s: %s\n", f.ID, strings.Join(f.Notes, "; "))
		}
	}
	if rep.Interrupted {
		interruptedNote(e, rep)
		return gerr
	}
	if why, ok := rep.NothingSent(); ok {
		return failError{why}
	}
	if !quiet && isTerminal(e.stdout) {
		nextSteps(e, o.IsReference(), tracePath, g.junit)
	}
	return gerr
}

// interruptedNote says what an interrupted run graded.
func interruptedNote(e *env, rep *suite.Report) {
	finished, cut := 0, 0
	for _, f := range rep.Fragments {
		switch {
		case f.Skip == conformance.SkipInterrupted:
			cut++
		case f.Skip == "" && f.Took > 0:
			finished++
		}
	}
	fmt.Fprintf(e.stderr, "interrupted: %d fragments finished and were graded; the checks of the %d others SKIP as interrupted\n", finished, cut)
}

// nextSteps suggests, on a terminal, what a new user may run next.
func nextSteps(e *env, reference bool, tracePath, junit string) {
	type step struct{ cmd, why string }
	var steps []step
	if reference {
		steps = append(steps, step{"hookbench conform --fault no-jitter", "see checks fail on a provider that breaks a rule (faults: hookbench provider --help)"})
	}
	if junit == "" {
		steps = append(steps, step{"hookbench conform --junit conformance.xml", "write the verdicts for CI (or --json FILE)"})
	}
	if tracePath != "" {
		steps = append(steps, step{"hookbench report " + tracePath, "a report of the run's deliveries (hookbench check grades the trace again)"})
	} else {
		steps = append(steps, step{"hookbench conform --trace run.trace", "keep the run's trace, then: hookbench report run.trace"})
	}
	width := 0
	for _, s := range steps {
		width = max(width, len(s.cmd))
	}
	fmt.Fprintln(e.stdout, "\nnext:")
	for _, s := range steps {
		fmt.Fprintf(e.stdout, "  %-*s  %s\n", width, s.cmd, s.why)
	}
}

// interferenceNote tells, on stderr, which fragments were disturbed by the
// fragments beside them and how to grade them undisturbed.
func interferenceNote(e *env, inter map[string]*conformance.Interference, isolated bool) {
	if len(inter) == 0 {
		return
	}
	ids := make([]string, 0, len(inter))
	for id := range inter {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(e.stderr, "note: interference in fragment %s: %s\n", id, inter[id])
	}
	if isolated {
		fmt.Fprintln(e.stderr, "note: interference remains after --isolate: grade these fragments with --sequential")
		return
	}
	fmt.Fprintln(e.stderr, "note: the checks of these fragments that would FAIL or WARN are SKIPs; run hookbench conform again with --isolate (re-runs just these fragments alone) or --sequential (every fragment alone)")
}

func faultNames() string { return strings.Join(faultNameList(), ", ") }

func faultNameList() []string {
	var ns []string
	for _, f := range provider.Faults() {
		ns = append(ns, f.Name)
	}
	return ns
}

// scenarioSettings takes the scenario's subscriber settings (its first sink
// endpoint), sink address, hang cap and conform block, unless a flag set
// them. The sink's rules are the suite's own.
func scenarioSettings(fs *pflag.FlagSet, o *suite.Options, sc *scenarios.Scenario) {
	o.Subscriber = sc.Subscriber()
	if sc.Sink.Listen != "" {
		o.SinkListen = sc.Sink.Listen
	}
	o.SinkPublic, o.SinkURL = sc.Sink.Public, sc.Sink.URL
	if !fs.Changed("max-hang") {
		o.MaxHang = sc.Sink.MaxHang
	}
	if !fs.Changed("type-prefix") {
		o.TypePrefix = sc.Conform.TypePrefix
	}
	if !fs.Changed("max-endpoints") {
		o.MaxEndpoints = sc.Conform.MaxEndpoints
	}
}

// listRegistrations prints the event types and endpoints the suite would
// register, with the batches --max-endpoints makes.
func listRegistrations(e *env, o *suite.Options) error {
	regs, err := suite.Registrations(o)
	if err != nil {
		return err
	}
	batches := 0
	for _, r := range regs {
		batches = max(batches, r.Batch)
	}
	fmt.Fprintf(e.stdout, "%d endpoints, one event type each", len(regs))
	if o.MaxEndpoints > 0 {
		fmt.Fprintf(e.stdout, ", in %d batch(es) of at most %d", batches, o.MaxEndpoints)
	}
	fmt.Fprintln(e.stdout)
	for _, r := range regs {
		if batches > 1 {
			fmt.Fprintf(e.stdout, "  %-3d", r.Batch)
		}
		fmt.Fprintf(e.stdout, "  %-28s %s\n", r.EventType, r.Path)
	}
	return nil
}
