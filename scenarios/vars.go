package scenarios

import (
	"fmt"
	"strings"
)

// VarsFromEnviron turns os.Environ()-style "K=V" entries into a variables
// map for Load and Parse. Later entries win, as in the environment.
func VarsFromEnviron(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// expandVars substitutes ${NAME} and ${NAME:-default} in s from vars.
// "$${" is a literal "${". A "$" not followed by "{" is kept. It returns the
// names it used; an unset variable without a default is an error, as is an
// unterminated reference or an invalid name.
func expandVars(s string, vars map[string]string, used func(name, value string)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ at column %d", i+1)
		}
		ref := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("invalid variable name %q in ${...} (letters, digits and _ only, not starting with a digit)", name)
		}
		v, ok := vars[name]
		if !ok || (hasDef && v == "") {
			if !hasDef {
				return "", fmt.Errorf("variable ${%s} is not set (set it in the environment or with --var %s=VALUE)", name, name)
			}
			v = def
		} else if used != nil {
			used(name, v)
		}
		b.WriteString(v)
		i += 2 + end + 1
	}
	return b.String(), nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
