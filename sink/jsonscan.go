package sink

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting; deeper bodies are not searched further, so a
// hostile body cannot exhaust the stack.
const maxJSONDepth = 64

// maxKeyLen is the longest path segment; longer escaped keys never match.
const maxKeyLen = 128

// jsonPath is a compiled JSON path: either an exact chain of object keys
// from the top level ("data.id") or one key at any depth ("..hookbench_id").
type jsonPath struct {
	any  bool
	keys []string
}

// compileJSONPath parses "a.b.c", "$.a.b", "..key" or "$..key".
func compileJSONPath(p string) (jsonPath, error) {
	p = strings.TrimPrefix(p, "$")
	if rest, ok := strings.CutPrefix(p, ".."); ok {
		if rest == "" || strings.Contains(rest, ".") {
			return jsonPath{}, errors.New("expected ..KEY (one key, any depth)")
		}
		if len(rest) > maxKeyLen {
			return jsonPath{}, fmt.Errorf("key longer than %d bytes", maxKeyLen)
		}
		return jsonPath{any: true, keys: []string{rest}}, nil
	}
	p = strings.TrimPrefix(p, ".")
	keys := strings.Split(p, ".")
	for _, k := range keys {
		if k == "" {
			return jsonPath{}, errors.New("empty key (expected a.b.c or ..key)")
		}
		if len(k) > maxKeyLen {
			return jsonPath{}, fmt.Errorf("key longer than %d bytes", maxKeyLen)
		}
	}
	if len(keys) > maxJSONDepth {
		return jsonPath{}, fmt.Errorf("deeper than %d keys", maxJSONDepth)
	}
	return jsonPath{keys: keys}, nil
}

// String returns the path in the form compileJSONPath accepts.
func (p jsonPath) String() string {
	if p.any {
		return ".." + p.keys[0]
	}
	return strings.Join(p.keys, ".")
}

// find returns the value of the first member (in document order) matching
// the path whose value is a string (decoded) or a number (its literal
// text). A matching member with another kind of value is skipped in
// any-depth mode and ends the search in exact mode. find does not
// allocate unless a string value has escapes and *scratch is too small;
// the result aliases body or *scratch.
func (p *jsonPath) find(body []byte, scratch *[]byte) ([]byte, bool) {
	if len(p.keys) == 0 {
		return nil, false
	}
	s := jscan{b: body, p: p, buf: scratch}
	s.value(0, 0)
	return s.out, s.found
}

// jscan is a small recursive-descent JSON scanner that stops at the first
// match or the first syntax error. It is lenient where leniency costs
// nothing (control characters in strings, number syntax).
type jscan struct {
	b     []byte
	i     int
	p     *jsonPath
	buf   *[]byte
	out   []byte
	found bool
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value. level is the index of the path key the members of
// an object here must match (exact mode), or -1 when off the path. It
// returns false to stop: on a syntax error, too deep, or found.
func (s *jscan) value(depth, level int) bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '{':
		return s.object(depth+1, level)
	case '[':
		return s.array(depth + 1)
	case '"':
		_, _, ok := s.str()
		return ok
	}
	_, ok := s.literal()
	return ok
}

func (s *jscan) array(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	s.i++ // [
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth, -1) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *jscan) object(depth, level int) bool {
	if depth > maxJSONDepth {
		return false
	}
	s.i++ // {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		raw, esc, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		next := -1
		if s.keyMatches(raw, esc, level) {
			if s.p.any || level == len(s.p.keys)-1 {
				if s.capture() {
					return false // found: stop
				}
				if !s.p.any {
					return false // the path's value is not an id: stop, not found
				}
			} else {
				next = level + 1
			}
		}
		if !s.value(depth, next) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *jscan) keyMatches(raw []byte, esc bool, level int) bool {
	var want string
	switch {
	case s.p.any:
		want = s.p.keys[0]
	case level >= 0 && level < len(s.p.keys):
		want = s.p.keys[level]
	default:
		return false
	}
	if !esc {
		return string(raw) == want
	}
	if len(raw) > maxKeyLen {
		return false
	}
	var kb [maxKeyLen]byte
	k, ok := unescapeJSON(kb[:0], raw)
	return ok && string(k) == want
}

// capture records the value at s.i when it is a string or a number.
func (s *jscan) capture() bool {
	if s.i >= len(s.b) {
		return false
	}
	c := s.b[s.i]
	switch {
	case c == '"':
		start := s.i
		raw, esc, ok := s.str()
		if !ok {
			s.i = start
			return false
		}
		if !esc {
			s.out, s.found = raw, true
			return true
		}
		out, ok := unescapeJSON((*s.buf)[:0], raw)
		if !ok {
			s.i = start
			return false
		}
		*s.buf = out
		s.out, s.found = out, true
		return true
	case c == '-' || c >= '0' && c <= '9':
		lit, ok := s.literal()
		if ok {
			s.out, s.found = lit, true
		}
		return ok
	}
	return false
}

// str scans a string at s.i ('"'), returning its raw content and whether it
// contains escapes.
func (s *jscan) str() (raw []byte, esc bool, ok bool) {
	s.i++
	start := s.i
	for s.i <= len(s.b) {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			break
		}
		end := s.i + j
		k := bytes.IndexByte(s.b[s.i:end], '\\')
		if k < 0 {
			s.i = end + 1
			return s.b[start:end], esc, true
		}
		esc = true
		s.i += k + 2 // skip the backslash and the character it escapes
	}
	s.i = len(s.b)
	return nil, false, false
}

// literal scans a number, true, false or null.
func (s *jscan) literal() ([]byte, bool) {
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			return s.b[start:s.i], s.i > start
		}
		s.i++
	}
	return s.b[start:s.i], s.i > start
}

// unescapeJSON appends the decoded content of a JSON string (without its
// quotes) to dst. Lone surrogates become U+FFFD, as encoding/json does.
func unescapeJSON(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			return dst, false
		}
		switch raw[i] {
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw, i+1)
			if !ok {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(raw, i+3); ok && i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(b []byte, at int) (rune, bool) {
	if at < 0 || at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
