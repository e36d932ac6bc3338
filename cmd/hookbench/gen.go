package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/trace"
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

  # capacity: as fast as 64 connections allow
  hookbench gen --url http://127.0.0.1:8080/events --rate 0 --connections 64 --duration 10s`

// genFlags are the flags that do not map one to one onto generator.Options.
type genFlags struct {
	headers  []string
	types    []string
	body     string
	pacer    generator.PacerSpec
	trace    string
	insecure bool
	progress string
	output   string
	procs    int
	shard    string
}

// shardUsage is the --shard help text of gen and run.
const shardUsage = "run part I of N of the load, I/N (1-based), so N machines share it: each sends rate/N " +
	"(every N-th hit of the full schedule) and count/N, with ids prefixed sI-; merge the traces with report --merge"

// parseShard parses a --shard value; "" is the whole run.
func parseShard(s string) (generator.Shard, error) {
	if s == "" {
		return generator.Shard{}, nil
	}
	sh, err := generator.ParseShard(s)
	if err != nil {
		return generator.Shard{}, usageError{fmt.Errorf("--shard: %w", err)}
	}
	return sh, nil
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
	fs.StringVar(&f.trace, "trace", "", "write Sent records to this trace file")
	fs.Int64Var(&opt.Seed, "seed", 1, "seed for body randomness, types, duplicates and Poisson arrivals")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&f.progress, "progress", "auto", "live progress line on stderr: auto (when a terminal), always, never")
	fs.StringVarP(&f.output, "output", "o", "text", "summary format: text, or json (durations in nanoseconds)")
	fs.StringVar(&f.shard, "shard", "", shardUsage)
	fs.IntVar(&f.procs, "procs", 0, "CPU cores (GOMAXPROCS) the generator may use; 0 = all. 1 leaves the rest to a target on the same machine")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (the target is --url)", fs.Arg(0))}
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
	if opt.Shard, err = parseShard(f.shard); err != nil {
		return err
	}
	pacer, err := generator.NewPacer(f.pacer, opt.Seed)
	if err != nil {
		return usageError{fmt.Errorf("schedule: %w", err)}
	}
	opt.Rate = pacer
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return usageError{fmt.Errorf("--header %q: want 'Name: value'", h)}
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
			return usageError{fmt.Errorf("read body: %w", err)}
		}
		opt.Body = string(b)
	}
	if f.insecure {
		opt.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for on the command line
	}
	switch f.progress {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Errorf("--progress %q: want auto, always or never", f.progress)}
	}
	if f.output != "text" && f.output != "json" {
		return usageError{fmt.Errorf("--output %q: want text or json", f.output)}
	}
	if f.procs < 0 {
		return usageError{fmt.Errorf("--procs %d: want 0 (all cores) or more", f.procs)}
	}
	if f.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(f.procs))
	}

	var tw *trace.Writer
	if f.trace != "" {
		tw, err = trace.Create(f.trace, trace.NewHeader(e.args0, versionString()))
		if err != nil {
			return usageError{err}
		}
		opt.Trace = tw
	}
	g, err := generator.New(opt)
	if err != nil {
		if tw != nil {
			tw.Close()
		}
		return usageError{err}
	}
	for _, w := range g.Warnings() {
		fmt.Fprintf(e.stderr, "hookbench gen: warning: %s\n", w)
	}

	var wg sync.WaitGroup
	stopProgress := make(chan struct{})
	if f.progress == "always" || (f.progress == "auto" && isTerminal(e.stderr)) {
		wg.Go(func() { showProgress(e.stderr, g, stopProgress) })
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
	if f.output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&sum); err != nil {
			return err
		}
	} else if err := sum.WriteText(e.stdout); err != nil {
		return err
	}
	return genOutcome(&sum)
}

// genOutcome is a failure when the run did no work: nothing was sent, or
// no request got a 2xx answer. The summary is written first either way.
func genOutcome(s *generator.Summary) error {
	switch {
	case s.Sent == 0:
		return failError{"nothing was sent"}
	case s.OK == 0:
		return failError{fmt.Sprintf("every request failed (%d of %d without a 2xx answer)", s.Failed, s.Sent)}
	}
	return nil
}

// showProgress redraws one status line every 500 ms until stop is closed.
func showProgress(w io.Writer, g *generator.Generator, stop <-chan struct{}) {
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
