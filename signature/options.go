package signature

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Option is one key=value setting of an option list.
type Option struct {
	Key, Value string
}

// ErrOptionSyntax is returned (wrapped) by ParseOptions for a list it
// cannot split.
var ErrOptionSyntax = errors.New("bad option list")

// ParseOptions splits an option list: "key=value" items separated by
// commas, as the sink's --endpoint and the provider's --scheme-options
// take them. White space around keys, values and commas is dropped; empty
// items are skipped. A value that starts with a double quote runs to the
// closing quote and may contain commas; inside it, \" is a quote and \\ a
// backslash. Any other value is taken literally up to the next comma.
// Keys are not checked here.
func ParseOptions(s string) ([]Option, error) {
	var out []Option
	for i := 0; i < len(s); {
		// One item: key up to '=' or ','.
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ',' {
			j++
		}
		key := strings.TrimSpace(s[i:j])
		if j == len(s) || s[j] == ',' {
			if key != "" {
				return nil, fmt.Errorf("%w: expected key=value, found %q", ErrOptionSyntax, key)
			}
			i = j + 1
			continue
		}
		if key == "" {
			return nil, fmt.Errorf("%w: empty key before '=' at byte %d", ErrOptionSyntax, j)
		}
		j++ // '='
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		var val string
		if j < len(s) && s[j] == '"' {
			var b strings.Builder
			k := j + 1
			closed := false
			for k < len(s) {
				c := s[k]
				if c == '\\' && k+1 < len(s) && (s[k+1] == '"' || s[k+1] == '\\') {
					b.WriteByte(s[k+1])
					k += 2
					continue
				}
				k++
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("%w: value of %q: missing closing quote", ErrOptionSyntax, key)
			}
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k < len(s) && s[k] != ',' {
				return nil, fmt.Errorf("%w: value of %q: expected ',' after the closing quote, found %q", ErrOptionSyntax, key, s[k:k+1])
			}
			val, i = b.String(), k+1
		} else {
			k := j
			for k < len(s) && s[k] != ',' {
				k++
			}
			val, i = strings.TrimSpace(s[j:k]), k+1
		}
		out = append(out, Option{Key: key, Value: val})
	}
	return out, nil
}

// FormatOptions writes options as ParseOptions reads them, quoting the
// values that need it, so that ParseOptions(FormatOptions(o)) == o for
// keys without '=', ',' and surrounding white space.
func FormatOptions(opts []Option) string {
	var b strings.Builder
	for i, o := range opts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(o.Key)
		b.WriteByte('=')
		b.WriteString(QuoteOptionValue(o.Value))
	}
	return b.String()
}

// QuoteOptionValue returns v quoted when ParseOptions would not read it
// back as is (it holds a comma, starts with a quote, or has white space
// at either end), else v.
func QuoteOptionValue(v string) string {
	if !strings.ContainsAny(v, ",") && !strings.HasPrefix(v, `"`) && strings.TrimSpace(v) == v {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

// optionKeys maps each generic option key to its Config field. Keys are
// matched with '_' and '-' treated alike.
var optionKeys = []struct {
	key   string
	alias string
	field func(*Config) *string
}{
	{"header", "sig-header", func(c *Config) *string { return &c.Header }},
	{"algorithm", "", func(c *Config) *string { return &c.Algorithm }},
	{"encoding", "", func(c *Config) *string { return &c.Encoding }},
	{"prefix", "", func(c *Config) *string { return &c.Prefix }},
	{"template", "", func(c *Config) *string { return &c.Template }},
	{"id-header", "", func(c *Config) *string { return &c.IDHeader }},
	{"timestamp-header", "", func(c *Config) *string { return &c.TimestampHeader }},
	{"timestamp-format", "", func(c *Config) *string { return &c.TimestampFormat }},
	{"timestamp-param", "", func(c *Config) *string { return &c.TimestampParam }},
	{"signature-param", "sig-param", func(c *Config) *string { return &c.SignatureParam }},
	{"param-separator", "param-sep", func(c *Config) *string { return &c.ParamSeparator }},
	{"key-separator", "key-sep", func(c *Config) *string { return &c.KeySeparator }},
}

// OptionKeys returns the keys SetOption accepts (the generic scheme's
// settings), in documentation order.
func OptionKeys() []string {
	out := make([]string, len(optionKeys))
	for i, k := range optionKeys {
		out[i] = k.key
	}
	return out
}

// IsOption reports whether key is one of OptionKeys or an alias.
func IsOption(key string) bool {
	_, ok := optionField(key)
	return ok
}

func optionField(key string) (func(*Config) *string, bool) {
	k := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	for _, o := range optionKeys {
		if k == o.key || (o.alias != "" && k == o.alias) {
			return o.field, true
		}
	}
	return nil, false
}

// SetOption sets one generic-scheme setting by its option key (see
// OptionKeys; '_' and '-' are interchangeable, "sig-header", "sig-param",
// "param-sep" and "key-sep" are aliases). Values are checked by Validate.
func (c *Config) SetOption(key, value string) error {
	f, ok := optionField(key)
	if !ok {
		return &ConfigError{Field: key, Err: fmt.Errorf("%w: unknown option (known: %s)", ErrInvalidConfig, strings.Join(OptionKeys(), ", "))}
	}
	*f(c) = value
	return nil
}

// ApplyOptions sets every option of m (a mapping such as a scenario's
// scheme_options), in key order so that errors are repeatable.
func (c *Config) ApplyOptions(m map[string]string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := c.SetOption(k, m[k]); err != nil {
			return err
		}
	}
	return nil
}
