package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/signature"
)

const providerExamples = `  # a correct provider on a random port; prints its URL
  hookbench provider
  # fixed port, API key, every policy duration x0.001 (5 min -> 300 ms)
  hookbench provider --listen 127.0.0.1:8080 --api-key s3cret --time-scale 0.001
  # register an endpoint at start, keep state across restarts, break two rules
  hookbench provider --endpoint http://127.0.0.1:9000/hook --data ./provider-data \
      --fault no-jitter --fault ignore-retry-after
  # retry every 30 s, with no count, until 10 min after the first attempt
  hookbench provider --max-attempts 0 --retry-window 10m --schedule 30s --schedule-repeat --jitter none
  # exponential backoff with full jitter, 5 attempts, 2 s timeout
  hookbench provider --backoff exponential --base 1s --factor 2 --cap 1m --max-attempts 5 --timeout 2s
  # sign like Stripe under another name: X-Signature: t=<unix>,v1=<hex> over "<t>,<body>"
  hookbench provider --scheme generic \
      --scheme-options 'header=X-Signature,timestamp-param=t,signature-param=v1,template="{timestamp},{body}"'

  # the faults as the Markdown table of docs/provider.md
  hookbench provider --list-faults --format markdown

  # then, with curl:
  curl -s -XPOST $URL/endpoints -d '{"url":"http://127.0.0.1:9000/hook"}'
  curl -s -XPOST $URL/events -H 'Idempotency-Key: k1' -d '{"type":"order.created","payload":{"id":1}}'
  curl -s $URL/events/msg_.../attempts
  curl -s $URL/policy`

func runProvider(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "provider", "provider [flags]", providerExamples)
	o := provider.NewOptions()
	pol := &o.Policy
	fs.StringVar(&o.Listen, "listen", o.Listen, "API address (port 0 picks a free one); non-loopback needs --public and --api-key")
	fs.BoolVar(&o.AllowRemote, "public", false, "allow a --listen address that is not loopback (an API key is then required)")
	fs.StringVar(&o.APIKey, "api-key", os.Getenv("HOOKBENCH_API_KEY"), "require 'Authorization: Bearer KEY' on the API (default $HOOKBENCH_API_KEY)")
	fs.BoolVar(&o.AllowLinkLocal, "allow-link-local", false, "allow endpoints on link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, 100.100.100.200, fd00:ec2::254, metadata.google.internal)")
	fs.IntVar(&o.MaxAPIConns, "max-conns", o.MaxAPIConns, "most API connections open at once; past it a connection gets 503 (counted in GET /healthz)")
	fs.Float64Var(&o.TimeScale, "time-scale", o.TimeScale, "multiply every policy duration by this (0.001: 5 min -> 300 ms); shown in GET /policy")
	fs.StringArrayVar(&o.Faults, "fault", nil, "switch on a fault that breaks one delivery rule (repeatable; list below)")
	fs.StringVar(&o.DataDir, "data", o.DataDir, "keep endpoints, events and pending deliveries in `DIR` (resumed after a restart); in memory when empty")
	fs.BoolVar(&o.Fsync, "fsync", o.Fsync, "with --data: flush every commit to disk (survives a machine crash, ~100x slower commits)")
	endpoints := fs.StringArray("endpoint", nil, "register an endpoint `URL` at start (repeatable); its id and secret are printed")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed for jitter")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "most attempts in flight per endpoint")
	fs.IntVar(&o.QueueSize, "queue-size", o.QueueSize, "most unfinished deliveries; POST /events answers 503 beyond")
	fs.IntVar(&o.MaxBody, "max-body", o.MaxBody, "API request body limit in bytes (413 beyond)")
	fs.StringVar(&o.CAFile, "ca-file", o.CAFile, "trust the PEM certificates in `FILE` for https endpoints (e.g. hookbench sink --tls --cert FILE)")
	fs.DurationVar(&o.SlowDelay, "slow-delay", o.SlowDelay, "delay the 'slow' fault adds before first attempts")

	fs.IntVar(&pol.MaxAttempts, "max-attempts", pol.MaxAttempts, "attempts per event and endpoint, the first included; 0 = unlimited (needs --retry-window)")
	fs.DurationVar(&pol.RetryWindow, "retry-window", pol.RetryWindow, "retry until this long after the first attempt, then stop (0 = no window)")
	fs.StringVar((*string)(&pol.Backoff.Kind), "backoff", string(pol.Backoff.Kind), "schedule (--schedule) or exponential (--base, --factor, --cap)")
	fs.DurationSliceVar(&pol.Backoff.Schedule, "schedule", pol.Backoff.Schedule, "delays before retries 1, 2, ... (comma-separated)")
	fs.BoolVar(&pol.Backoff.Repeat, "schedule-repeat", pol.Backoff.Repeat, "start the schedule over after its last delay (one delay: a fixed interval)")
	fs.IntVar(&pol.Backoff.RepeatFrom, "schedule-repeat-from", pol.Backoff.RepeatFrom, "with --schedule-repeat: start over at this delay (1-based; the last: repeat it for ever)")
	exp := policy.ExponentialBackoff()
	base := fs.Duration("base", exp.Base, "exponential: first retry delay")
	factor := fs.Float64("factor", exp.Factor, "exponential: growth factor")
	capD := fs.Duration("cap", exp.Cap, "exponential: longest delay")
	fs.StringVar((*string)(&pol.Backoff.Jitter), "jitter", string(pol.Backoff.Jitter), "none, full, equal or proportional (default full with --backoff exponential)")
	fs.Float64Var(&pol.Backoff.JitterFrac, "jitter-frac", pol.Backoff.JitterFrac, "proportional jitter: +/- this fraction")
	fs.DurationVar(&pol.Timeout, "timeout", pol.Timeout, "per-attempt timeout")
	fs.DurationVar(&pol.RetryAfterMax, "retry-after-max", pol.RetryAfterMax, "cap on an honoured Retry-After")
	fs.StringVar(&pol.Scheme, "scheme", pol.Scheme, "default signature scheme of new endpoints (none = unsigned)")
	schemeOpts := fs.StringArray("scheme-options", nil, "--scheme generic: its settings as key=value,... (header, template, timestamp-param, ...; quote a value holding a comma: template=\"{timestamp},{body}\"; repeatable)")
	fs.StringArrayVar(&pol.Secrets, "secret", nil, "secret for endpoints created without one (repeatable: rotation); generated per endpoint when absent")
	fs.DurationVar(&pol.Tolerance, "tolerance", pol.Tolerance, "consumers' timestamp tolerance (stale/future-timestamp faults sign 2x outside it)")
	fs.DurationVar(&pol.LatencyP50, "latency-p50", pol.LatencyP50, "declared end-to-end latency p50 (0 = not declared)")
	fs.DurationVar(&pol.LatencyP99, "latency-p99", pol.LatencyP99, "declared end-to-end latency p99 (0 = not declared)")
	fs.StringVar(&pol.Format, "format", pol.Format, "deliver as CloudEvents: cloudevents-binary or cloudevents-structured, after an OPTIONS validation handshake per endpoint (empty = plain webhooks); with --list-faults: text or markdown")
	metricsAddr := fs.String("metrics-listen", "", strings.TrimSuffix(metricsListenUsage("--public"), ")")+"; a listener of its own, apart from the API)")
	listMetrics := addListMetrics(fs)
	listFaults := fs.Bool("list-faults", false, "list the faults and the rules they break, and exit; --format markdown prints the table of docs/provider.md")

	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(e.stdout, "\nFaults (--fault NAME, repeatable; each breaks exactly one delivery rule; rules §2.N is the rule of docs/rules.md it breaks):")
		_ = provider.WriteFaultList(e.stdout, "text")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *listMetrics != "" {
		return writeMetricList(e, *listMetrics, provider.MetricList())
	}
	if *listFaults {
		if err := provider.WriteFaultList(e.stdout, pol.Format); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (provider takes flags only)", fs.Arg(0))
	}
	if pol.Backoff.Kind == policy.Exponential {
		pol.Backoff.Schedule = nil
		pol.Backoff.Base, pol.Backoff.Factor, pol.Backoff.Cap = *base, *factor, *capD
		if !fs.Changed("jitter") {
			pol.Backoff.Jitter = exp.Jitter
		}
	}
	for _, spec := range *schemeOpts {
		opts, err := signature.ParseOptions(spec)
		if err != nil {
			return fmt.Errorf("--scheme-options: %w", err)
		}
		for _, opt := range opts {
			if pol.SchemeOptions == nil {
				pol.SchemeOptions = map[string]string{}
			}
			if _, dup := pol.SchemeOptions[opt.Key]; dup {
				return fmt.Errorf("--scheme-options: key %q given twice", opt.Key)
			}
			pol.SchemeOptions[opt.Key] = opt.Value
		}
	}
	if len(o.Faults) == 1 && strings.Contains(o.Faults[0], ",") {
		o.Faults = strings.Split(o.Faults[0], ",")
	}
	o.Logf = func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }

	if err := checkEndpointFlags(*endpoints); err != nil {
		return err
	}
	if err := parseOnly(); err != nil {
		if verr := o.Validate(); verr != nil {
			return providerFlagError(verr, pol.Secrets)
		}
		return err
	}
	p, err := provider.New(o)
	if err != nil {
		return providerFlagError(err, pol.Secrets)
	}
	if err := p.Start(); err != nil {
		p.Close()
		return err
	}
	defer p.Close()
	metricsURL := ""
	if *metricsAddr != "" {
		ms, err := startMetrics("--metrics-listen", *metricsAddr, o.AllowRemote, "--public", p.WriteMetrics)
		if err != nil {
			return err
		}
		defer ms.close(e)
		metricsURL = ms.url
	}
	fmt.Fprintf(e.stdout, "hookbench provider listening on %s\n", p.URL())
	if metricsURL != "" {
		fmt.Fprintf(e.stdout, "  metrics %s\n", metricsURL)
	}
	printProviderPolicy(e, p)
	for _, u := range *endpoints {
		ep, created, err := p.EnsureEndpoint(provider.EndpointRequest{URL: u})
		if err != nil {
			return fmt.Errorf("--endpoint %s: %w", u, err)
		}
		how := ""
		if !created {
			how = " (registered before: kept)"
		}
		fmt.Fprintf(e.stdout, "  endpoint %s -> %s secret %s%s\n", ep.ID, ep.URL, ep.Secret, how)
	}
	<-ctx.Done()
	fmt.Fprintf(e.stderr, "hookbench provider: stopping (%d deliveries pending)\n", p.Pending())
	if err := p.Close(); err != nil {
		return err
	}
	return nil
}

// checkEndpointFlags rejects a bad or repeated --endpoint URL before the
// provider starts.
func checkEndpointFlags(urls []string) error {
	seen := map[string]bool{}
	for _, u := range urls {
		if seen[u] {
			return fmt.Errorf("--endpoint %s: given twice", u)
		}
		seen[u] = true
		if err := provider.CheckEndpointURL(u); err != nil {
			return fmt.Errorf("--endpoint %s: %w", u, err)
		}
	}
	return nil
}

// providerFlagError names the flag behind an option error where the
// option's name alone would not say it.
func providerFlagError(err error, secrets []string) error {
	var oe *provider.OptionError
	var i int
	if errors.As(err, &oe) {
		if _, scanErr := fmt.Sscanf(oe.Field, "policy.secrets[%d]", &i); scanErr == nil && i < len(secrets) {
			return fmt.Errorf("--secret %q: %w", secrets[i], oe.Err)
		}
		if oe.Field == "faults" {
			return fmt.Errorf("--fault: %w", oe.Err)
		}
	}
	return err
}

func printProviderPolicy(e *env, p *provider.Provider) {
	pol := p.Policy()
	b := pol.Backoff
	var shape string
	switch b.Kind {
	case policy.Schedule:
		parts := []string{"0s"}
		for _, d := range b.Schedule {
			parts = append(parts, shortDuration(d))
		}
		shape = "schedule " + strings.Join(parts, " ")
		switch {
		case b.Repeat && b.RepeatFrom > 1:
			shape += fmt.Sprintf(" repeating from delay %d", b.RepeatFrom)
		case b.Repeat:
			shape += " repeating"
		}
	case policy.Exponential:
		shape = fmt.Sprintf("exponential base %v x%g cap %v", shortDuration(b.Base), b.Factor, shortDuration(b.Cap))
	}
	jitter := string(b.Jitter)
	if b.Jitter == policy.JitterProportional {
		jitter = fmt.Sprintf("±%g%%", b.JitterFrac*100)
	}
	attempts := strconv.Itoa(pol.MaxAttempts) + " attempts"
	if pol.Unlimited() {
		attempts = "unlimited attempts"
	}
	if pol.RetryWindow > 0 {
		attempts += " within " + shortDuration(pol.RetryWindow)
	}
	fmt.Fprintf(e.stdout, "  policy: %s, %s, jitter %s, timeout %v, 410 %s, Retry-After %s (max %v), scheme %s, persistent %v, time scale %g\n",
		attempts, shape, jitter, shortDuration(pol.Timeout), pol.Gone, pol.RetryAfter, shortDuration(pol.RetryAfterMax),
		pol.Scheme, pol.Persistent, p.TimeScale())
	faults := p.ActiveFaults()
	if len(faults) == 0 {
		fmt.Fprintln(e.stdout, "  faults: none")
	} else {
		fmt.Fprintf(e.stdout, "  faults: %s\n", strings.Join(faults, ", "))
	}
}

// shortDuration prints 5m0s as 5m and 2h0m0s as 2h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
