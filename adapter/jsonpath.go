package adapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jsonStep is one step of a JSON path: an object key or an array index.
type jsonStep struct {
	key   string
	index int
	isIdx bool
}

// jsonPath is a compiled JSON path of the small subset adapters need:
// $ (the document), .key, ['key'] or ["key"], [N].
type jsonPath struct {
	expr  string
	steps []jsonStep
}

// maxJSONPathSteps bounds a path's length.
const maxJSONPathSteps = 64

func parseJSONPath(expr string) (jsonPath, error) {
	p := jsonPath{expr: expr}
	if !strings.HasPrefix(expr, "$") {
		return p, fmt.Errorf("JSON path %q must start with $", expr)
	}
	s := expr[1:]
	for len(s) > 0 {
		if len(p.steps) >= maxJSONPathSteps {
			return p, fmt.Errorf("JSON path %q has more than %d steps", expr, maxJSONPathSteps)
		}
		switch s[0] {
		case '.':
			s = s[1:]
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				return p, fmt.Errorf("JSON path %q: empty key after '.'", expr)
			}
			p.steps = append(p.steps, jsonStep{key: s[:end]})
			s = s[end:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return p, fmt.Errorf("JSON path %q: unterminated [", expr)
			}
			inner := s[1:end]
			s = s[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				p.steps = append(p.steps, jsonStep{key: inner[1 : len(inner)-1]})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return p, fmt.Errorf("JSON path %q: [%s] is neither an index nor a quoted key", expr, inner)
			}
			p.steps = append(p.steps, jsonStep{index: n, isIdx: true})
		default:
			return p, fmt.Errorf("JSON path %q: expected . or [ at %q", expr, s)
		}
	}
	return p, nil
}

// extract returns the value at the path in the JSON document: strings as
// they are, numbers as written, true/false/null as text, objects and arrays
// as compact JSON.
func (p jsonPath) extract(doc []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("response is not JSON: %w", err)
	}
	for i, st := range p.steps {
		switch cur := v.(type) {
		case map[string]any:
			if st.isIdx {
				return "", fmt.Errorf("%s: step %d wants an array, found an object", p.expr, i+1)
			}
			next, ok := cur[st.key]
			if !ok {
				return "", fmt.Errorf("%s: no key %q", p.expr, st.key)
			}
			v = next
		case []any:
			if !st.isIdx {
				return "", fmt.Errorf("%s: step %d wants an object, found an array", p.expr, i+1)
			}
			if st.index >= len(cur) {
				return "", fmt.Errorf("%s: index %d out of range (length %d)", p.expr, st.index, len(cur))
			}
			v = cur[st.index]
		default:
			return "", fmt.Errorf("%s: step %d goes into a %s", p.expr, i+1, jsonKind(v))
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "null", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.expr, err)
	}
	return string(b), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}
