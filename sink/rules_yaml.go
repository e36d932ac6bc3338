package sink

import (
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// LoadRules reads a rules file (see ParseRules).
func LoadRules(path string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	return ParseRules(path, data)
}

// ParseRules parses YAML rules: a list of mappings (optionally under a
// top-level "rules:" key) whose keys and values are those of ParseRule:
//
//   - endpoint: /orders
//     attempt: 1-2
//     status: 503
//     retry-after: 30
//   - p: 0.05
//     reset: true
//
// Decoding is strict: unknown keys, duplicate keys, anchors and non-scalar
// values are errors. Errors read "NAME:LINE: key: what was wrong".
func ParseRules(name string, data []byte) ([]Rule, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var rules []Rule
	for _, doc := range f.Docs {
		body := doc.Body
		if body == nil {
			continue
		}
		if m, ok := body.(*ast.MappingNode); ok && len(m.Values) == 1 && scalar(m.Values[0].Key) == "rules" {
			body = m.Values[0].Value
		} else if mv, ok := body.(*ast.MappingValueNode); ok && scalar(mv.Key) == "rules" {
			body = mv.Value
		}
		seq, ok := body.(*ast.SequenceNode)
		if !ok {
			if _, isNull := body.(*ast.NullNode); isNull {
				continue
			}
			return nil, fmt.Errorf("%s:%d: expected a list of rules (- status: 503 ...), found %s", name, line(body), body.Type())
		}
		for _, item := range seq.Values {
			r, err := ruleFromNode(name, item)
			if err != nil {
				return nil, err
			}
			rules = append(rules, r)
		}
	}
	return rules, nil
}

func ruleFromNode(name string, n ast.Node) (Rule, error) {
	var pairs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	default:
		return Rule{}, fmt.Errorf("%s:%d: expected a rule mapping (key: value), found %s", name, line(n), n.Type())
	}
	var b ruleBuilder
	for _, p := range pairs {
		key, ok := scalarValue(p.Key)
		if !ok {
			return Rule{}, fmt.Errorf("%s:%d: expected a key, found %s", name, line(p.Key), p.Key.Type())
		}
		val, ok := scalarValue(p.Value)
		if !ok {
			return Rule{}, fmt.Errorf("%s:%d: %s: expected a single value, found %s", name, line(p.Value), key, p.Value.Type())
		}
		if err := b.set(key, val); err != nil {
			return Rule{}, fmt.Errorf("%s:%d: %w", name, line(p.Key), err)
		}
	}
	r, err := b.build()
	if err != nil {
		return Rule{}, fmt.Errorf("%s:%d: %w", name, line(n), err)
	}
	return r, nil
}

// scalarValue returns the text of a scalar node ("" for null).
func scalarValue(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case nil:
		return "", true
	case *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return strings.TrimRight(v.Value.Value, "\n"), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

func scalar(n ast.Node) string {
	s, _ := scalarValue(n)
	return s
}

func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
		n = m.Values[0].Key
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}
