package scenarios

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
)

// RuleSpec is one sink behaviour rule in a scenario file, in either of
// the sink's forms: the --rule string, or the mapping of a
// `hookbench sink --rules FILE` entry, whose values may hold commas:
//
//	rules:
//	  - endpoint=/orders,attempt=1-2,status=503
//	  - endpoint: /orders
//	    attempt: 1-2
//	    body: '{"error":"busy","retry":true}'
//
// Loading parses it once into a sink.Rule.
type RuleSpec struct {
	// Text is the --rule form; empty when the file gave a mapping.
	Text string
	// Options are the mapping form's keys and values, in file order.
	Options []signature.Option

	form   error     // neither form: reported by validation
	rule   sink.Rule // set by parse
	parsed bool
}

// UnmarshalYAML takes a string or a mapping of scalars.
func (r *RuleSpec) UnmarshalYAML(n ast.Node) error {
	*r = RuleSpec{}
	if m, ok := n.(ast.MapNode); ok {
		r.Options = []signature.Option{}
		it := m.MapRange()
		for it.Next() {
			k, ok := scalarText(it.Key())
			if !ok || k == "" {
				r.form = fmt.Errorf("expected rule keys (status, delay, ...), found %s", it.Key().Type().YAMLName())
				return nil
			}
			v, ok := ruleValue(it.Value())
			if !ok {
				r.form = fmt.Errorf("%s: expected a single value, found %s", k, it.Value().Type().YAMLName())
				return nil
			}
			r.Options = append(r.Options, signature.Option{Key: k, Value: v})
		}
		return nil
	}
	if v, ok := ruleValue(n); ok && n.Type() != ast.NullType {
		r.Text = v
		return nil
	}
	r.form = fmt.Errorf("expected a rule: a string (status=503,delay=1s) or a mapping (status: 503), found %s", n.Type().YAMLName())
	return nil
}

func ruleValue(n ast.Node) (string, bool) {
	if l, ok := n.(*ast.LiteralNode); ok && l.Value != nil {
		return strings.TrimRight(l.Value.Value, "\n"), true
	}
	return scalarText(n)
}

// String returns the rule as the file wrote it (a mapping in the --rule
// form, its values quoted where they need it).
func (r RuleSpec) String() string {
	if r.Options != nil {
		return signature.FormatOptions(r.Options)
	}
	return r.Text
}

// Rule returns the sink rule: the one loading parsed, else parsed now.
func (r *RuleSpec) Rule() (sink.Rule, error) {
	if r.parsed {
		return r.rule, nil
	}
	c := *r
	return c.parse()
}

// parse parses the rule and keeps it.
func (r *RuleSpec) parse() (sink.Rule, error) {
	if r.form != nil {
		return sink.Rule{}, r.form
	}
	var err error
	if r.Options != nil {
		r.rule, err = sink.ParseRuleOptions(r.Options)
	} else {
		r.rule, err = sink.ParseRule(r.Text)
	}
	r.parsed = err == nil
	return r.rule, err
}

// sinkRules returns the sink rules of specs.
func sinkRules(specs []RuleSpec) ([]sink.Rule, error) {
	rules := make([]sink.Rule, 0, len(specs))
	for i := range specs {
		r, err := specs[i].Rule()
		if err != nil {
			return nil, fmt.Errorf("rules[%d]: %w", i, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}
