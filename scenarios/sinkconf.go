package scenarios

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hookbench/hookbench/sink"
	"github.com/hookbench/hookbench/sink/signature"
)

// sinkSpec renders the endpoint in the sink's --endpoint form. verify
// false leaves out the scheme and secret (the sink then verifies nothing).
func (ep *EndpointSpec) sinkSpec(verify bool) string {
	var b strings.Builder
	b.WriteString("path=")
	b.WriteString(ep.Path)
	if verify && ep.Scheme != "" {
		b.WriteString(",scheme=")
		b.WriteString(ep.Scheme)
		if ep.Secret != "" {
			b.WriteString(",secret=")
			b.WriteString(signature.QuoteOptionValue(ep.Secret))
		}
	}
	if ep.Options != "" {
		b.WriteByte(',')
		b.WriteString(ep.Options)
	}
	return b.String()
}

// SinkConfig returns the sink's configuration of the endpoint: its path,
// scheme, options and, when verify is true, its secret (false verifies
// nothing). `run` configures its endpoints with it, and the conformance
// suite every endpoint it registers (from a copy of the scenario's
// Subscriber with the path and secret replaced), so a setting written once
// reaches both.
func (ep *EndpointSpec) SinkConfig(verify bool) (sink.EndpointConfig, error) {
	return sink.ParseEndpoint(ep.sinkSpec(verify))
}

// checkSinkConfig validates an endpoint as the sink will see it at run
// time; an endpoint whose secret is generated at run time is checked with a
// placeholder secret of the right shape.
func (ep *EndpointSpec) checkSinkConfig() error {
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

// parseRules parses rules in the sink's --rule form.
func parseRules(specs []string) ([]sink.Rule, error) {
	rules := make([]sink.Rule, 0, len(specs))
	for _, s := range specs {
		r, err := sink.ParseRule(s)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}
