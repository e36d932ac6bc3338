package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Template names an adapter fills in. Names a step extracts or a spec's
// vars block declares are added to these.
var (
	// builtinsGlobal are known in every step.
	builtinsGlobal = []string{"sink_url", "run_id"}
	// builtinsEndpoint are known in endpoint and endpoint_teardown steps.
	builtinsEndpoint = []string{"path", "url", "secret", "scheme", "name", "event_types_json", "event_types"}
	// builtinsTrigger are known in the trigger step; the generator-language
	// names among them are filled in by the generator during load phases.
	builtinsTrigger = []string{"id", "type", "payload", "idempotency_key", "seq", "now", "now_ms", "now_us", "now_ns", "now_unix", "now_rfc3339", "uuid", "rand_int", "pick"}
)

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
		if (sg.head == "rand_int" || sg.head == "pick") && sg.head == sg.name {
			return fmt.Errorf("{{%s}} needs arguments, e.g. {{rand_int 1 100}} or {{pick a|b}}", sg.head)
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
	}
	sort.Strings(out)
	return out
}
