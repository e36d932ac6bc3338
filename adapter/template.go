package adapter

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hookbench/hookbench/generator"
)

// Template names an adapter fills in. Names a step extracts or a spec's
// vars block declares are added to these.
var (
	// builtinsGlobal are known in every step.
	builtinsGlobal = []string{"sink_url", "run_id"}
	// builtinsEndpoint are known in endpoint and endpoint_teardown steps.
	builtinsEndpoint = []string{"path", "url", "secret", "scheme", "name", "event_types_json", "event_types"}
	// builtinsTrigger are known in the trigger step. The generator's
	// template language defines now*, uuid, rand_int and pick (rendered by
	// generator.ParseTemplate); id, type and seq are the event's own.
	builtinsTrigger = []string{"id", "type", "payload", "idempotency_key", "seq", "now", "now_ms", "now_us", "now_ns", "now_unix", "now_rfc3339", "uuid", "rand_int", "pick"}
	// builtinsRotate are known in rotate_secret steps besides the endpoint's.
	builtinsRotate = []string{"new_secret"}
)

// endpointPrefix starts a trigger's reference to a value of the endpoint
// the event is aimed at: {{endpoint.endpoint_id}}.
const endpointPrefix = "endpoint."

// segment is a piece of a compiled template: literal text, or a {{name}}
// reference (Name holds the trimmed inside, Head its first word).
type segment struct {
	lit  string
	name string
	head string
	ref  bool
}

// template is a compiled {{name}} template.
type template []segment

// compileTemplate splits s into literal text and {{...}} references. An
// unterminated or empty reference is an error naming its column.
func compileTemplate(s string) (template, error) {
	var t template
	for len(s) > 0 {
		i := strings.Index(s, "{{")
		if i < 0 {
			t = append(t, segment{lit: s})
			break
		}
		if i > 0 {
			t = append(t, segment{lit: s[:i]})
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unterminated {{ in template %q", s)
		}
		inner := strings.TrimSpace(s[i+2 : i+2+j])
		if inner == "" {
			return nil, fmt.Errorf("empty {{}} in template %q", s)
		}
		head, _, _ := strings.Cut(inner, " ")
		t = append(t, segment{name: inner, head: head, ref: true})
		s = s[i+2+j+2:]
	}
	return t, nil
}

// render fills every reference from lookup; a name lookup does not know is
// an error.
func (t template) render(lookup func(name string) (string, bool)) (string, error) {
	var b strings.Builder
	for _, sg := range t {
		if !sg.ref {
			b.WriteString(sg.lit)
			continue
		}
		v, ok := lookup(sg.name)
		if !ok {
			return "", fmt.Errorf("template value {{%s}} is not known here", sg.name)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// renderJSON is render for JSON bodies: a member whose value is exactly
// one quoted reference ("key": "{{name}}") is left out, with its comma,
// when the reference renders empty, so that an optional field is absent
// rather than "". Everything else is rendered byte for byte.
func (t template) renderJSON(lookup func(name string) (string, bool)) (string, error) {
	var b []byte
	skipQuote, skipComma := false, false
	for i, sg := range t {
		if !sg.ref {
			lit := sg.lit
			if skipQuote {
				lit = lit[1:] // the member's closing quote
				if skipComma {
					rest := strings.TrimLeft(lit, " \t\r\n")
					if strings.HasPrefix(rest, ",") {
						lit = rest[1:]
					}
				}
				skipQuote, skipComma = false, false
			}
			b = append(b, lit...)
			continue
		}
		v, ok := lookup(sg.name)
		if !ok {
			return "", fmt.Errorf("template value {{%s}} is not known here", sg.name)
		}
		if v == "" && i+1 < len(t) && !t[i+1].ref && strings.HasPrefix(t[i+1].lit, `"`) {
			if start, ok := memberStart(b); ok {
				// Drop the comma before the member, or, for a first member,
				// the one after it.
				pre := strings.TrimRight(string(b[:start]), " \t\r\n")
				switch {
				case strings.HasSuffix(pre, ","):
					b = b[:len(pre)-1]
				case strings.HasSuffix(pre, "{"):
					b = b[:len(pre)]
					skipComma = true
				default:
					b = append(b, v...)
					continue
				}
				skipQuote = true
				continue
			}
		}
		b = append(b, v...)
	}
	return string(b), nil
}

// memberStart returns where the object member whose string value b has
// just opened begins: b ends in `"key" : "`, and start is the index of the
// key's opening quote.
func memberStart(b []byte) (int, bool) {
	i := len(b) - 1
	if i < 0 || b[i] != '"' {
		return 0, false
	}
	i--
	for i >= 0 && isJSONSpace(b[i]) {
		i--
	}
	if i < 0 || b[i] != ':' {
		return 0, false
	}
	i--
	for i >= 0 && isJSONSpace(b[i]) {
		i--
	}
	if i < 0 || b[i] != '"' {
		return 0, false
	}
	// Find the key's opening quote: the previous quote not escaped by an
	// odd number of backslashes.
	for j := i - 1; j >= 0; j-- {
		if b[j] != '"' {
			continue
		}
		n := 0
		for k := j - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j, true
		}
	}
	return 0, false
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isJSONObject reports whether a template text is a JSON object body, to
// which renderJSON applies.
func isJSONObject(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "{") }

// renderPartial fills the references lookup knows and keeps the others as
// written, for templates the generator completes.
func (t template) renderPartial(lookup func(name string) (string, bool)) string {
	var b strings.Builder
	for _, sg := range t {
		if !sg.ref {
			b.WriteString(sg.lit)
			continue
		}
		if v, ok := lookup(sg.name); ok {
			b.WriteString(v)
			continue
		}
		b.WriteString("{{")
		b.WriteString(sg.name)
		b.WriteString("}}")
	}
	return b.String()
}

// uses reports whether the template references name (by head word).
func (t template) uses(name string) bool {
	for _, sg := range t {
		if sg.ref && sg.head == name {
			return true
		}
	}
	return false
}

// templateUses reports whether the template text s references name.
func templateUses(s, name string) bool {
	t, err := compileTemplate(s)
	return err == nil && t.uses(name)
}

// scope is the set of template names known at one step, for validation.
// Steps add the names they extract, so later steps may use them.
type scope struct {
	parent *scope
	names  map[string]bool
	// endpoint, in a trigger's scope, holds the names of the endpoint
	// steps: {{endpoint.NAME}} refers to them.
	endpoint *scope
}

func newScope(builtins []string, vars map[string]string) *scope {
	s := &scope{names: map[string]bool{}}
	for _, n := range builtins {
		s.names[n] = true
	}
	for n := range vars {
		s.names[n] = true
	}
	return s
}

func (s *scope) child(builtins []string) *scope {
	c := newScope(builtins, nil)
	c.parent = s
	return c
}

func (s *scope) define(name string) { s.names[name] = true }

func (s *scope) known(name string) bool {
	if rest, ok := strings.CutPrefix(name, endpointPrefix); ok {
		for c := s; c != nil; c = c.parent {
			if c.endpoint != nil {
				return c.endpoint.names[rest]
			}
		}
		return false
	}
	for c := s; c != nil; c = c.parent {
		if c.names[name] {
			return true
		}
	}
	return false
}

// check compiles the template text and reports the first unknown name.
func (s *scope) check(text string) error {
	t, err := compileTemplate(text)
	if err != nil {
		return err
	}
	for _, sg := range t {
		if !sg.ref {
			continue
		}
		if !s.known(sg.head) {
			return fmt.Errorf("unknown template value {{%s}} (known here: %s)", sg.name, strings.Join(s.list(), ", "))
		}
		if generator.IsPlaceholder(sg.head) {
			// The generator's template language is the one definition of
			// these names and their arguments.
			if _, err := generator.ParseTemplate("{{" + sg.name + "}}"); err != nil {
				if te, ok := errors.AsType[*generator.TemplateError](err); ok {
					return fmt.Errorf("{{%s}}: %s", sg.name, te.Msg)
				}
				return err
			}
		}
	}
	return nil
}

func (s *scope) list() []string {
	seen := map[string]bool{}
	var out []string
	for c := s; c != nil; c = c.parent {
		for n := range c.names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
		if c.endpoint != nil {
			for n := range c.endpoint.names {
				out = append(out, endpointPrefix+n)
			}
		}
	}
	sort.Strings(out)
	return out
}
