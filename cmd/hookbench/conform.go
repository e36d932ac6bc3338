package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/reference"
	"github.com/hookbench/hookbench/conformance/suite"
	"github.com/hookbench/hookbench/scenarios"
)

const conformExamples = `  hookbench conform                              # the embedded reference provider: every check passes
  hookbench conform --fault no-jitter            # break one rule on purpose: 3.3 and 3.4 fail
  hookbench conform examples/svix.yaml --profile svix --junit conformance.xml
  hookbench conform --only 3,6.2 --strict --trace run.trace && hookbench check run.trace
  hookbench conform my-provider.yaml --list-types --type-prefix acme. --max-endpoints 10`

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
	fs.StringArrayVar(&faults, "fault", nil, "switch on a reference provider fault (repeatable; the list: hookbench provider --help)")
	fs.Float64Var(&timeScale, "time-scale", timeScale, "reference provider: multiply every policy duration by this")
	format := fs.String("format", "", "declare this format in the graded policy: cloudevents-binary or cloudevents-structured (the embedded reference then delivers so)")
	fs.StringVar(&tracePath, "trace", "", "write the run's trace to this file (grade it again with hookbench check)")
	fs.StringArrayVar(&vars, "var", nil, "set a scenario ${NAME} variable: NAME=VALUE (repeatable; overrides the environment)")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed for secrets and the sink's random choices")
	fs.IntVar(&o.LoadEvents, "load-events", o.LoadEvents, "events in the load fragment (0 = leave it out)")
	fs.Float64Var(&o.LoadRate, "load-rate", o.LoadRate, "events per second in the load fragment")
	fs.BoolVar(&o.Sequential, "sequential", o.Sequential, "run fragments one after another")
	fs.BoolVar(&o.Isolate, "isolate", o.Isolate, "after the run, run again, one by one and alone, the fragments that fragments beside them disturbed (a shared provider held or reloaded), and grade those from the re-run")
	fs.DurationVar(&o.Eval.Slack, "slack", 0, "timing tolerance of the checks (default 25ms; lateness gets 20x)")
	fs.DurationVar(&o.MaxFragment, "max-wait", o.MaxFragment, "longest any fragment waits for deliveries (a real provider's schedule may be hours long)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress lines on stderr")
	fs.BoolVar(&list, "list", false, "list the checks (id, level, title, source) and exit")
	fs.BoolVar(&listTypes, "list-types", false, "list the endpoints and event types the suite registers with the provider (for the scenario and --only/--skip) and exit")
	fs.StringVar(&o.TypePrefix, "type-prefix", "", "start the suite's event types with this instead of "+suite.DefaultTypePrefix+" (YAML: conform.type_prefix)")
	fs.IntVar(&o.MaxEndpoints, "max-endpoints", 0, "register at most this many endpoints at once: fragments run in batches (0 = no limit; YAML: conform.max_endpoints)")
	fs.DurationVar(&o.MaxHang, "max-hang", 0, "how long the sink's hanging endpoint waits before cutting off a provider (default: the declared timeout + max(3s, half of it), at least 7s; YAML: sink.max_hang)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if list {
		return listChecks(e)
	}
	ev := g.evalOptions()
	o.Eval.Only, o.Eval.Skip, o.Eval.Strict = ev.Only, ev.Skip, ev.Strict
	o.Args, o.Version = e.args0, versionString()

	scenarioPath := providerConfig
	switch {
	case fs.NArg() > 1:
		return usageError{errors.New("expected at most one scenario file")}
	case fs.NArg() == 1 && providerConfig != "":
		return usageError{errors.New("give the scenario either as an argument or with --provider-config, not both")}
	case fs.NArg() == 1:
		scenarioPath = fs.Arg(0)
	}
	what := "the embedded reference provider"
	if scenarioPath != "" {
		vm, err := scenarioVars(os.Environ(), vars)
		if err != nil {
			return err
		}
		sc, err := scenarios.Load(scenarioPath, vm)
		if err != nil {
			return usageError{err}
		}
		o.Provider, o.Policy, o.PolicySet = sc.Provider, sc.Policy, sc.PolicySet
		scenarioSettings(fs, &o, sc)
		if o.Provider.Adapter != "" && o.Provider.Adapter != "reference" {
			what = fmt.Sprintf("%s (adapter %s)", scenarioPath, o.Provider.Adapter)
		} else {
			what = fmt.Sprintf("%s (embedded reference provider)", scenarioPath)
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
	if fs.Changed("format") {
		if f := *format; f != "" && f != conformance.FormatCEBinary && f != conformance.FormatCEStructured {
			return usageError{fmt.Errorf("--format %q: expected %s or %s", f, conformance.FormatCEBinary, conformance.FormatCEStructured)}
		}
		if !o.PolicySet && o.IsReference() {
			o.Policy, o.PolicySet = suite.ReferencePolicy(), true
		}
		o.Policy.Format = *format
	}
	for _, f := range faults {
		if !slices.ContainsFunc(reference.Faults(), func(k reference.Fault) bool { return k.Name == f }) {
			return usageError{fmt.Errorf("--fault %q: no such fault (known: %s)", f, faultNames())}
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
		o.Provider.Adapter, o.Provider.Reference = "reference", &spec
		if len(spec.Faults) > 0 {
			what += " with fault " + strings.Join(spec.Faults, ", ")
		}
	} else if len(faults) > 0 || fs.Changed("time-scale") {
		return usageError{errors.New("--fault and --time-scale apply to the embedded reference provider only")}
	}
	if tracePath != "" {
		f, err := os.Create(tracePath)
		if err != nil {
			return usageError{fmt.Errorf("create trace %s: %w", tracePath, err)}
		}
		defer f.Close()
		o.TraceTo = f
	}
	if !quiet {
		var mu sync.Mutex
		o.Progress = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(e.stderr, format+"\n", args...)
		}
	}
	if err := o.Validate(); err != nil {
		return usageError{err}
	}
	if listTypes {
		return listRegistrations(e, &o)
	}

	rep, err := suite.Run(ctx, o)
	if err != nil {
		var se *suite.SetupError
		if errors.As(err, &se) {
			return usageError{err}
		}
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
	if why, ok := rep.NothingSent(); ok {
		return failError{why}
	}
	return gerr
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

func faultNames() string {
	var ns []string
	for _, f := range reference.Faults() {
		ns = append(ns, f.Name)
	}
	return strings.Join(ns, ", ")
}

// listChecks prints the suite's checks, grouped.
func listChecks(e *env) error {
	titles := map[int]string{}
	for _, g := range conformance.Groups() {
		titles[g.N] = g.Title
	}
	group := 0
	for _, c := range conformance.Checks() {
		if g := conformance.GroupOf(c.ID); g != group {
			group = g
			fmt.Fprintf(e.stdout, "%d. %s\n", g, titles[g])
		}
		fmt.Fprintf(e.stdout, "  %-5s %-6s %s\n        source: %s\n", c.ID, c.Level, c.Title, c.Source)
	}
	return nil
}

// scenarioSettings takes the scenario's subscriber settings (its first sink
// endpoint), sink address, hang cap and conform block, unless a flag set
// them. The sink's rules are the suite's own.
func scenarioSettings(fs *pflag.FlagSet, o *suite.Options, sc *scenarios.Scenario) {
	o.Subscriber = sc.Subscriber()
	if sc.Sink.Listen != "" {
		o.SinkListen = sc.Sink.Listen
	}
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
		return usageError{err}
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
