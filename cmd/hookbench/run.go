package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hookbench/hookbench/scenarios"
)

const runExamples = `  # check a scenario file without running it (several files at once)
  hookbench run --validate examples/*.yaml

  # run the quick smoke scenario against the embedded reference provider
  hookbench run examples/smoke.yaml --trace smoke.trace

  # drive a real provider; secrets come from the environment or --var
  SVIX_URL=https://api.svix.com SVIX_TOKEN=sk_... hookbench run examples/svix.yaml
  hookbench run examples/seed003.yaml --var PROVIDER_URL=http://127.0.0.1:3000`

// runFlags are the flags of `hookbench run`.
type runFlags struct {
	validate bool
	vars     []string
	trace    string
	seed     int64
	seedSet  bool
	drain    time.Duration
	quiet    bool
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
	fs.StringVar(&f.trace, "trace", "", "trace file to write (default: NAME.trace, NAME being the scenario's name)")
	fs.Int64Var(&f.seed, "seed", 0, "override the scenario's seed")
	fs.DurationVar(&f.drain, "drain", 0, "override the scenario's drain time (bounded by 24h)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f.seedSet = fs.Changed("seed")
	files := fs.Args()
	if len(files) == 0 {
		return usageError{errors.New("need a scenario file (see hookbench run --help)")}
	}
	if !f.validate && len(files) > 1 {
		return usageError{fmt.Errorf("run takes one scenario file, got %d (use --validate to check several)", len(files))}
	}
	vars, err := scenarioVars(os.Environ(), f.vars)
	if err != nil {
		return usageError{err}
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
		return usageError{fmt.Errorf("%d of %d scenario files invalid", bad, len(files))}
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
	if sc.PolicySet || sc.Provider.Adapter == "reference" {
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
