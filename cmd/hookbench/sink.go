package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/trace"
)

const sinkExamples = `  # a Standard Webhooks endpoint and an endpoint that routes by event type
  hookbench sink --listen 127.0.0.1:8080 \
    --endpoint path=/orders,scheme=standard,secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
    --endpoint 'path=/legacy,type-header=x-event-type,types=new_order|payment_success'

  # fail the first two attempts of each message with 503 + Retry-After, reset 5 % of requests
  hookbench sink --endpoint path=/orders \
    --rule endpoint=/orders,attempt=1-2,status=503,retry-after=5 --rule p=0.05,reset --seed 7

  # rules from a YAML file, record a trace, stop after a minute
  hookbench sink --endpoint path=/hooks --rules rules.yaml --trace run.hbt --duration 1m

  # HTTPS with a generated certificate the provider can trust
  hookbench sink --tls --cert sink.pem --endpoint path=/hooks

  # watch it
  curl -s http://127.0.0.1:8080/_hookbench/stats
  curl -s http://127.0.0.1:8080/metrics

  # the reference tables of docs/sink.md
  hookbench sink --list-schemes --format markdown
  hookbench sink --list-rule-keys --format markdown`

// listSinkTables prints the tables asked for, one after another.
func listSinkTables(e *env, format string, schemes, ruleKeys, endpointKeys bool) error {
	for _, l := range []struct {
		on    bool
		write func(io.Writer, string) error
	}{{schemes, signature.WriteSchemeList}, {ruleKeys, sink.WriteRuleKeyList}, {endpointKeys, sink.WriteEndpointKeyList}} {
		if !l.on {
			continue
		}
		if err := l.write(e.stdout, format); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
	}
	return nil
}

// defaultSinkEndpoint is served when no --endpoint is given.
const defaultSinkEndpoint = "path=/webhook"

func runSink(ctx context.Context, e *env, args []string) error {
	opts := sink.NewOptions()
	fs := newFlagSet(e, "sink", "sink [flags]", sinkExamples)
	fs.StringVar(&opts.Listen, "listen", opts.Listen, "address to listen on, host:port (port 0 picks one); non-loopback needs --public")
	fs.BoolVar(&opts.AllowRemote, "public", false, "allow a --listen address that is not loopback")
	fs.BoolVar(&opts.TLS, "tls", false, "serve HTTPS with a self-signed certificate generated at start")
	fs.StringVar(&opts.CertFile, "cert", "", "with --tls: write the certificate (PEM) here (default: a temporary file)")
	endpoints := fs.StringArray("endpoint", nil, "endpoint `SPEC`: path=/p,scheme=standard,secret=whsec_...,tolerance=300s,auth=bearer:TOKEN,\n"+
		"type-header=H,types=a|b,max-body=1MiB,id-header=H,event-id=..hookbench_id,attempt-header=H,bad-sig=401,cloudevents=true (repeatable;\n"+
		"default "+defaultSinkEndpoint+")")
	ruleSpecs := fs.StringArray("rule", nil, "behaviour `RULE`: match (endpoint=,type=,attempt=1-3,p=,after=,before=,every=,flap=UP/DOWN,rate=N/s,burst=)\n"+
		"+ action (status=,body=,delay=2s|uniform:a-b|normal:m,sd|exp:m|lognormal:med,s|pareto:min,a,retry-after=,gone,\n"+
		"redirect=LOC,reset,hang[=CAP],trickle=N/s,ack-lost, or refuse-handshake for OPTIONS validation requests, which are\n"+
		"otherwise granted); first match wins, default 200 (repeatable)")
	rulesFile := fs.String("rules", "", "read more rules from a YAML `FILE` (a list of mappings with the --rule keys)")
	fs.Int64Var(&opts.Seed, "seed", 1, "seed for p= and delay distributions (same seed, same draws)")
	tracePath := fs.String("trace", "", "record every attempt to this trace `FILE` (a new file: see --force)")
	force := addForce(fs)
	fs.BoolVar(&opts.KeepBodies, "keep-bodies", false, "store request bodies in the trace")
	fs.DurationVar(&opts.MaxHang, "max-hang", opts.MaxHang, "cap for hang and delays")
	fs.DurationVar(&opts.ReadTimeout, "read-timeout", opts.ReadTimeout, "time allowed to read one request, and to keep an idle connection (slow clients are cut off)")
	fs.DurationVar(&opts.ShutdownGrace, "grace", opts.ShutdownGrace, "on stop, time in-flight requests get to finish")
	fs.IntVar(&opts.Concurrency, "max-conns", opts.Concurrency, "most connections open at once; past it a connection gets 503 (counted as over_capacity, marked in the trace)")
	fs.IntVar(&opts.DedupWindow, "dedup-window", opts.DedupWindow, "message ids each endpoint remembers at least, to count repeats (~36 bytes per id; at most twice as many held)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	procs := fs.Int("procs", 0, "CPU cores (GOMAXPROCS) the sink may use; 0 = all. 1 leaves the rest to a generator or provider on the same machine")
	quiet := fs.Bool("quiet", false, "no progress line (it is only shown when stderr is a terminal)")
	listSchemes := fs.Bool("list-schemes", false, "list the signature schemes (headers, signed bytes, tolerance) and exit")
	listRuleKeys := fs.Bool("list-rule-keys", false, "list the --rule keys and exit")
	listEndpointKeys := fs.Bool("list-endpoint-keys", false, "list the --endpoint keys and exit")
	listMetrics := addListMetrics(fs)
	listFormat := fs.String("format", "text", "format of the --list-* tables: text or markdown (the tables of docs/sink.md)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *listMetrics != "" {
		return writeMetricList(e, *listMetrics, sink.MetricList())
	}
	if err := listSinkTables(e, *listFormat, *listSchemes, *listRuleKeys, *listEndpointKeys); err != nil || *listSchemes || *listRuleKeys || *listEndpointKeys {
		return err
	}
	if *duration < 0 {
		return fmt.Errorf("--duration %v: want 0 (until interrupted) or a positive duration", *duration)
	}
	if *procs < 0 {
		return fmt.Errorf("--procs %d: want 0 (all cores) or more", *procs)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	opts.IdleTimeout = opts.ReadTimeout
	if len(*endpoints) == 0 {
		*endpoints = []string{defaultSinkEndpoint}
	}
	for _, spec := range *endpoints {
		ep, err := sink.ParseEndpoint(spec)
		if err != nil {
			return fmt.Errorf("--endpoint: %w", err)
		}
		opts.Endpoints = append(opts.Endpoints, ep)
	}
	for _, spec := range *ruleSpecs {
		r, err := sink.ParseRule(spec)
		if err != nil {
			return fmt.Errorf("--rule: %w", err)
		}
		opts.Rules = append(opts.Rules, r)
	}
	if *rulesFile != "" {
		rs, err := sink.LoadRules(*rulesFile)
		if err != nil {
			return fmt.Errorf("--rules: %w", err)
		}
		opts.Rules = append(opts.Rules, rs...)
	}
	opts.Logf = func(format string, a ...any) { fmt.Fprintf(e.stderr, format+"\n", a...) }
	// Validate before creating the trace file so a bad flag leaves nothing behind.
	if err := opts.Validate(); err != nil {
		return err
	}
	if err := parseOnly(); err != nil {
		return err
	}
	if *procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*procs))
	}
	var tw *trace.Writer
	if *tracePath != "" {
		args := make([]string, len(e.args0))
		for i, a := range e.args0 {
			args[i] = sink.Redact(a)
		}
		var err error
		tw, err = trace.CreateFile(*tracePath, trace.NewHeader(args, versionString()), *force)
		if err != nil {
			return traceFileError(*tracePath, err)
		}
		opts.Trace = tw
	}
	s, err := sink.New(opts)
	if err == nil {
		err = s.Start()
	}
	if err != nil {
		if tw != nil {
			tw.Close()
			os.Remove(*tracePath)
		}
		return err
	}

	fmt.Fprintf(e.stdout, "hookbench sink listening on %s\n", s.URL())
	for _, ep := range opts.Endpoints {
		desc := "no signature check"
		if sc := ep.Signature.Scheme; sc != "" && sc != "none" {
			desc = "verifies " + sc
		}
		fmt.Fprintf(e.stdout, "  endpoint %s%s (%s)\n", s.URL(), ep.Path, desc)
	}
	for _, r := range opts.Rules {
		fmt.Fprintf(e.stdout, "  rule %s\n", r)
	}
	if s.CertFile() != "" {
		fmt.Fprintf(e.stdout, "  certificate %s\n", s.CertFile())
	}
	fmt.Fprintf(e.stdout, "  stats %s/_hookbench/stats, metrics %s/metrics\n", s.URL(), s.URL())
	if tw != nil {
		fmt.Fprintf(e.stdout, "  trace %s\n", *tracePath)
	}

	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	progress := !*quiet && isTerminal(e.stderr)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-tick.C:
			if progress {
				fmt.Fprintf(e.stderr, "\r%s\x1b[K", progressLine(s.Stats()))
			}
		}
	}
	if progress {
		fmt.Fprint(e.stderr, "\r\x1b[K")
	}
	fmt.Fprintln(e.stdout, "stopping: finishing in-flight requests")
	closeErr := s.Close()
	if tw != nil {
		if err := tw.Close(); err != nil {
			closeErr = errors.Join(closeErr, err)
		}
	}
	printSinkSummary(e.stdout, s.Stats())
	if closeErr != nil {
		return closeErr
	}
	return nil
}

func progressLine(st sink.Stats) string {
	var recv, ok, bad uint64
	for _, ep := range st.Endpoints {
		recv += ep.Received
		for k, v := range ep.Sig {
			if k == "valid" || k == "valid-weak" {
				ok += v
			} else if k != "none" {
				bad += v
			}
		}
	}
	return fmt.Sprintf("received %d (sig ok %d, bad %d), unknown paths %d, in flight %d, up %ds",
		recv, ok, bad, st.Unknown.Received, st.InFlight, st.UptimeMs/1000)
}

func printSinkSummary(w io.Writer, st sink.Stats) {
	fmt.Fprintf(w, "summary after %.1fs:\n", float64(st.UptimeMs)/1000)
	for _, ep := range append(st.Endpoints, st.Unknown) {
		if ep.Path == st.Unknown.Path && ep.Received == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-20s received %d, unique ids %d, duplicates %d, bytes %d\n", ep.Path, ep.Received, ep.UniqueIDs, ep.Duplicates, ep.Bytes)
		fmt.Fprintf(w, "  %-20s status %s  sig %s\n", "", countList(ep.Status), countList(ep.Sig))
		var flags []string
		for _, f := range []struct {
			name string
			n    uint64
		}{{"auth failed", ep.AuthFailed}, {"too large", ep.TooLarge}, {"aborted", ep.Aborted}, {"provider gave up", ep.ProviderGaveUp}} {
			if f.n > 0 {
				flags = append(flags, fmt.Sprintf("%s %d", f.name, f.n))
			}
		}
		if len(flags) > 0 {
			fmt.Fprintf(w, "  %-20s %s\n", "", strings.Join(flags, ", "))
		}
	}
	if len(st.BadRequests) > 0 {
		fmt.Fprintf(w, "  unreadable requests: %s\n", countList(st.BadRequests))
	}
	if st.TraceErrors > 0 {
		fmt.Fprintf(w, "  trace records lost (write errors): %d\n", st.TraceErrors)
	}
}

func countList(m map[string]uint64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
