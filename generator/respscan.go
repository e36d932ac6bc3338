package generator

// scanID returns the value of the "id" member of a JSON object body: the
// raw contents of a string without escapes, or the text of a number. It
// returns nil when the body is not an object, has no "id" at the top level,
// or the id is of another type; with several top-level ids the last wins, as
// with encoding/json. It reads only the top level of the object, skips
// nested values without decoding them, and never allocates.
func scanID(b []byte) []byte {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	i++
	var id []byte
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			return nil
		}
		ks, ke, ok := scanString(b, i)
		if !ok {
			return nil
		}
		i = skipWS(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return nil
		}
		if ke-ks == 2 && b[ks] == 'i' && b[ks+1] == 'd' {
			id = idValue(b, i)
		}
		i = skipValue(b, i)
		if i < 0 {
			return nil
		}
		i = skipWS(b, i)
		if i < len(b) && b[i] == '}' {
			return id
		}
		if i >= len(b) || b[i] != ',' {
			return nil
		}
		i++
	}
}

// idValue returns the id at b[i]: string contents without escapes, or a
// number's text; nil for anything else.
func idValue(b []byte, i int) []byte {
	switch c := b[i]; {
	case c == '"':
		s, e, ok := scanString(b, i)
		if !ok {
			return nil
		}
		for _, c := range b[s:e] {
			if c == '\\' {
				return nil
			}
		}
		return b[s:e]
	case c == '-' || (c >= '0' && c <= '9'):
		e := i + 1
		for e < len(b) && (b[e] >= '0' && b[e] <= '9' || b[e] == '.' || b[e] == 'e' || b[e] == 'E' || b[e] == '+' || b[e] == '-') {
			e++
		}
		return b[i:e]
	}
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanString returns the content bounds of the string starting at the quote
// b[i]: b[s:e] is its raw content and b[e] the closing quote.
func scanString(b []byte, i int) (s, e int, ok bool) {
	s = i + 1
	for j := s; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return s, j, true
		}
	}
	return 0, 0, false
}

// skipValue returns the index just past the JSON value starting at b[i],
// or -1 when the input ends first.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			_, e, ok := scanString(b, i)
			if !ok {
				return -1
			}
			i = e + 1
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
			if depth < 0 {
				return -1
			}
		case ',':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && i < len(b) && (b[i] == ',' || b[i] == '}' || isSpace(b[i])) {
			return i
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}
