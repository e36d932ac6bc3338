package adapter

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
)

// SinkConfig returns the sink's configuration of the endpoint: its path,
// scheme, options and, when verify is true, its secret (false verifies
// nothing). `run` configures its endpoints with it, and the conformance
// suite every endpoint it registers (from a copy of the scenario's
// Subscriber with the path and secret replaced), so a setting written once
// reaches both. The fields go to the sink as keys and values, not as a
// --endpoint string: a secret needs no quoting.
func (ep *EndpointSpec) SinkConfig(verify bool) (sink.EndpointConfig, error) {
	opts := []signature.Option{{Key: "path", Value: ep.Path}}
	if verify && ep.Scheme != "" {
		opts = append(opts, signature.Option{Key: "scheme", Value: ep.Scheme})
		if ep.Secret != "" {
			opts = append(opts, signature.Option{Key: "secret", Value: ep.Secret})
		}
	}
	if ep.Options != "" {
		extra, err := signature.ParseOptions(ep.Options)
		if err != nil {
			return sink.EndpointConfig{}, fmt.Errorf("options %q: %w", sink.Redact(ep.Options), err)
		}
		opts = append(opts, extra...)
	}
	return sink.ParseEndpointOptions(opts)
}

// CheckSinkConfig validates an endpoint as the sink will see it at run
// time; an endpoint whose secret is generated at run time is checked with a
// placeholder secret of the right shape.
func (ep *EndpointSpec) CheckSinkConfig() error {
	probe := *ep
	if probe.Scheme != "" && probe.Secret == "" {
		s, err := signature.GenerateSecret(probe.Scheme, bytes.NewReader(make([]byte, 64)))
		if err != nil {
			return fmt.Errorf("scheme %q: %w", probe.Scheme, err)
		}
		probe.Secret = s
	}
	_, err := probe.SinkConfig(true)
	return err
}

// WithSchemeOptions adds the policy's generic scheme options to an
// endpoint's options, except those the endpoint sets itself.
func WithSchemeOptions(policy map[string]string, options string) string {
	if len(policy) == 0 {
		return options
	}
	norm := func(k string) string {
		k = strings.ReplaceAll(k, "_", "-")
		if k == "header" {
			k = "sig-header" // the sink's name for the signature header
		}
		return k
	}
	have := map[string]bool{}
	for _, o := range SplitOptions(options) {
		have[norm(o.Key)] = true
	}
	keys := make([]string, 0, len(policy))
	for k := range policy {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var add []signature.Option
	for _, k := range keys {
		if !have[norm(k)] {
			add = append(add, signature.Option{Key: norm(k), Value: policy[k]})
		}
	}
	if len(add) == 0 {
		return options
	}
	if options == "" {
		return signature.FormatOptions(add)
	}
	return signature.FormatOptions(add) + "," + options
}

// SplitOptions splits an endpoint's options, falling back to plain commas
// for a list ParseOptions rejects (it is reported by validation).
func SplitOptions(s string) []signature.Option {
	if opts, err := signature.ParseOptions(s); err == nil {
		return opts
	}
	var out []signature.Option
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, signature.Option{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	return out
}
