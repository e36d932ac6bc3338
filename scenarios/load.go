package scenarios

import (
	"errors"
	"fmt"
	"github.com/hookbench/hookbench/adapter"
	"io"
	"iter"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/hookbench/hookbench/internal/suggest"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/threshold"
)

// LoadError is a problem with a scenario file: which file, which line
// (0 when not known), which field (a path such as "phases[1].rate", "" when
// the problem is not one field) and what is wrong. Messages never contain
// secrets.
type LoadError struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error formats the error as "file:line: field: message".
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.File == "" {
		b.WriteString("scenario")
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

// Is makes every LoadError match ErrInvalid.
func (e *LoadError) Is(target error) bool { return target == ErrInvalid }

// ErrInvalid matches (errors.Is) every error about a scenario's content, as
// opposed to an error reading the file.
var ErrInvalid = errors.New("invalid scenario")

// Load reads and parses a scenario file. vars supplies ${VAR} values (see
// VarsFromEnviron); it may be nil.
func Load(path string, vars map[string]string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario %q: %w", path, err)
	}
	return Parse(path, data, vars)
}

// durationKeys are the mapping keys whose values are durations anywhere in
// a scenario file; the loader checks them itself so that a bad duration is
// reported with its line (the YAML library reports none).
var durationKeys = map[string]bool{
	"drain": true, "duration": true, "timeout": true, "at": true, "for": true, "max_hang": true,
	"base": true, "cap": true, "tolerance": true, "retry_after_max": true, "latency_p50": true, "latency_p99": true,
	"schedule": true,
}

// positions maps the YAML tree back to lines: each node's token to its
// field path, and each field path to the line of its key (or value).
type positions struct {
	byTok  map[*token.Token]string
	byPath map[string]int
}

func (p *positions) record(tk *token.Token, path string) {
	if tk == nil || tk.Position == nil {
		return
	}
	if _, ok := p.byTok[tk]; !ok {
		p.byTok[tk] = path
	}
	if _, ok := p.byPath[path]; !ok {
		p.byPath[path] = tk.Position.Line
	}
}

// line returns the line of path, or of its closest ancestor that has one.
func (p *positions) line(path string) int {
	for {
		if l, ok := p.byPath[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return p.byPath[""]
		}
		path = path[:i]
	}
}

func childPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// loader holds the state of one Parse.
type loader struct {
	name string
	data []byte
	vars map[string]string
	red  *Redactor
	pos  positions
	errs []error
}

func (l *loader) errAt(line int, field string, err error) {
	l.errs = append(l.errs, &LoadError{File: l.name, Line: line, Field: field, Err: errors.New(l.red.Redact(err.Error()))})
}

func (l *loader) err() error {
	switch len(l.errs) {
	case 0:
		return nil
	case 1:
		return l.errs[0]
	}
	return errors.Join(l.errs...)
}

// Parse parses a scenario from memory. name is used in errors (usually the
// file path). The result is validated: every error names the line and
// field. Parse never panics on bad input.
func Parse(name string, data []byte, vars map[string]string) (sc *Scenario, err error) {
	l := &loader{name: name, data: data, vars: vars, red: &Redactor{}, pos: positions{byTok: map[*token.Token]string{}, byPath: map[string]int{}}}
	defer func() {
		if r := recover(); r != nil {
			// The YAML library is not ours; a panic on hostile input becomes an
			// error rather than a crash.
			sc, err = nil, &LoadError{File: name, Err: fmt.Errorf("YAML library failed on this input: %v", r)}
		}
	}()
	if len(data) > MaxFileSize {
		return nil, &LoadError{File: name, Err: fmt.Errorf("file is larger than %d bytes", MaxFileSize)}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, l.yamlError(err)
	}
	var body ast.Node
	docs := 0
	for _, d := range file.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		docs++
		body = d.Body
	}
	if docs != 1 {
		line := 0
		if docs > 1 {
			line = file.Docs[len(file.Docs)-1].GetToken().Position.Line
		}
		return nil, &LoadError{File: name, Line: line, Err: fmt.Errorf("want exactly one YAML document, found %d", docs)}
	}
	if _, ok := body.(ast.MapNode); !ok {
		return nil, &LoadError{File: name, Line: lineOf(body), Err: fmt.Errorf("the top level must be a mapping (name:, provider:, phases: ...), found %s", body.Type().YAMLName())}
	}
	l.pos.record(body.GetToken(), "")
	body = l.walk(body, "", "")
	if err := l.err(); err != nil {
		return nil, err
	}

	var raw rawScenario
	if err := yaml.NodeToValue(body, &raw, yaml.Strict()); err != nil {
		return nil, l.yamlError(err)
	}
	sc = &Scenario{
		Name:        raw.Name,
		Description: raw.Description,
		File:        name,
		Seed:        raw.Seed,
		Provider:    raw.Provider,
		Sink:        raw.Sink,
		Conform:     raw.Conform,
		Phases:      raw.Phases,
		Drain:       raw.Drain,
		Redactor:    l.red,
	}
	if sc.Provider.Adapter == "" {
		sc.Provider.Adapter = DefaultAdapter
	}
	if sc.Drain == 0 {
		sc.Drain = DefaultDrain
	}
	if err := l.policy(sc, raw.Policy); err != nil {
		return nil, err
	}
	for i, spec := range raw.Thresholds {
		th, err := threshold.Parse(spec)
		if err != nil {
			path := "thresholds[" + strconv.Itoa(i) + "]"
			l.errAt(l.pos.line(path), path, err)
			continue
		}
		sc.Thresholds = append(sc.Thresholds, th)
	}
	sc.applyDefaults()
	sc.collectSecrets()

	var v validator
	sc.validate(&v)
	for _, fe := range v.errs {
		l.errAt(l.pos.line(fe.path), fe.path, errors.New(fe.msg))
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	return sc, nil
}

// rawScenario is a scenario file as decoded; the policy is decoded on its
// own (a profile name or a mapping).
type rawScenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Seed        int64         `yaml:"seed"`
	Provider    ProviderSpec  `yaml:"provider"`
	Policy      ast.Node      `yaml:"policy"`
	Sink        SinkSpec      `yaml:"sink"`
	Conform     ConformSpec   `yaml:"conform"`
	Phases      []Phase       `yaml:"phases"`
	Drain       time.Duration `yaml:"drain"`
	Thresholds  []string      `yaml:"thresholds"`
}

// knownKeys returns the keys a mapping at path (a field path such as
// "sink.endpoints[0]"; "" is the top level) may hold, or nil when path
// names no mapping of fixed keys.
func knownKeys(path string) []string {
	t := reflect.TypeOf(rawScenario{})
	for seg := range strings.SplitSeq(path, ".") {
		if seg == "" {
			continue
		}
		name, idx, _ := strings.Cut(seg, "[")
		f, ok := yamlField(t, name)
		if !ok {
			return nil
		}
		t = f.Type
		if name == "policy" && t == reflect.TypeOf((*ast.Node)(nil)).Elem() {
			t = reflect.TypeOf(policy.Policy{})
		}
		for ; idx != ""; _, idx, _ = strings.Cut(idx, "[") {
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t = t.Elem()
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range yamlFields(t) {
		keys = append(keys, f.Name)
	}
	return keys
}

// yamlField finds the field of struct t (or *t) whose YAML key is name;
// the returned field's Name is the key.
func yamlField(t reflect.Type, name string) (reflect.StructField, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for f := range yamlFields(t) {
		if f.Name == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlFields yields the decodable fields of struct t, inline fields
// flattened, each with Name set to its YAML key.
func yamlFields(t reflect.Type) iter.Seq[reflect.StructField] {
	return func(yield func(reflect.StructField) bool) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "-" {
				continue
			}
			if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
				for g := range yamlFields(f.Type) {
					if !yield(g) {
						return
					}
				}
				continue
			}
			if tag == "" {
				tag = strings.ToLower(f.Name)
			}
			f.Name = tag
			if !yield(f) {
				return
			}
		}
	}
}

// unlimitedAttempts rewrites "max_attempts: unlimited" as the count that
// means it (policy.Unlimited), so the strict decoder takes it.
func unlimitedAttempts(n ast.MapNode) {
	iter := n.MapRange()
	for iter.Next() {
		k, ok := iter.Key().(*ast.StringNode)
		v, isStr := iter.Value().(*ast.StringNode)
		if ok && k.Value == "max_attempts" && isStr && v.Value == "unlimited" {
			pos := *v.Token.Position
			iter.KeyValue().Value = ast.Integer(token.New(strconv.Itoa(policy.Unlimited), v.Value, &pos))
		}
	}
}

// policy decodes the policy node: a profile name, or a mapping of policy
// fields optionally starting from "profile: NAME".
func (l *loader) policy(sc *Scenario, node ast.Node) error {
	if node == nil || node.Type() == ast.NullType {
		if sc.Provider.Adapter == adapter.Reference {
			sc.Policy = provider.DefaultPolicy()
		}
		return nil
	}
	sc.PolicySet = true
	switch n := node.(type) {
	case *ast.StringNode:
		p, err := policy.Profile(n.Value)
		if err != nil {
			l.errAt(lineOf(n), "policy", err)
			return l.err()
		}
		sc.Policy = p
		return nil
	case ast.MapNode:
		iter := n.MapRange()
		for iter.Next() {
			if k, ok := iter.Key().(*ast.StringNode); ok && k.Value == "profile" {
				v, ok := iter.Value().(*ast.StringNode)
				if !ok {
					l.errAt(lineOf(iter.Value()), "policy.profile", fmt.Errorf("expected a profile name (%s)", strings.Join(policy.Profiles(), ", ")))
					return l.err()
				}
				p, err := policy.Profile(v.Value)
				if err != nil {
					l.errAt(lineOf(v), "policy.profile", err)
					return l.err()
				}
				sc.Policy = p
			}
		}
		unlimitedAttempts(n)
		if err := yaml.NodeToValue(node, &sc.Policy, yaml.Strict()); err != nil {
			return l.yamlError(err)
		}
		return nil
	}
	l.errAt(lineOf(node), "policy", fmt.Errorf("expected a profile name (%s) or a mapping of policy fields, found %s", strings.Join(policy.Profiles(), ", "), node.Type().YAMLName()))
	return l.err()
}

func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// walk records positions, substitutes ${VAR} in string scalars and checks
// duration fields, returning the node to keep in place of n (a plain scalar
// whose substituted text is a number or boolean becomes that type).
func (l *loader) walk(n ast.Node, path, key string) ast.Node {
	if n == nil {
		return nil
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		x.Body = l.walk(x.Body, path, key)
	case *ast.MappingNode:
		l.pos.record(x.GetToken(), path)
		for _, mv := range x.Values {
			l.mappingValue(mv, path)
		}
	case *ast.MappingValueNode:
		l.mappingValue(x, path)
	case *ast.SequenceNode:
		l.pos.record(x.GetToken(), path)
		for i, v := range x.Values {
			x.Values[i] = l.walk(v, path+"["+strconv.Itoa(i)+"]", key)
		}
	case *ast.AnchorNode:
		x.Value = l.walk(x.Value, path, key)
	case *ast.TagNode:
		x.Value = l.walk(x.Value, path, key)
	case *ast.LiteralNode:
		l.pos.record(x.GetToken(), path)
		if x.Value != nil {
			s, err := expandVars(x.Value.Value, l.vars, l.used)
			if err != nil {
				l.errAt(lineOf(x), path, err)
			} else {
				x.Value.Value = s
			}
		}
	case *ast.StringNode:
		out := l.scalar(x, path)
		l.pos.record(out.GetToken(), path)
		l.checkDuration(out, path, key)
		return out
	default:
		l.pos.record(n.GetToken(), path)
	}
	return n
}

func (l *loader) mappingValue(mv *ast.MappingValueNode, path string) {
	key := ""
	if mv.Key != nil {
		if tk := mv.Key.GetToken(); tk != nil {
			key = tk.Value
		}
	}
	cp := childPath(path, key)
	if mv.Key != nil {
		l.pos.record(mv.Key.GetToken(), cp)
	}
	mv.Value = l.walk(mv.Value, cp, key)
	if key == "options" && endpointPathPattern.MatchString(path) {
		mv.Value = l.optionsMapping(mv.Value, cp)
	}
}

var endpointPathPattern = regexp.MustCompile(`^sink\.endpoints\[[0-9]+\]$`)

// optionsMapping turns a sink endpoint's options written as a mapping
// (template: "{timestamp},{body}") into the --endpoint form the sink
// parses, quoting values as needed; a list value repeats its key (secret)
// or, for types, joins the names with '|'. Other nodes are kept.
func (l *loader) optionsMapping(n ast.Node, path string) ast.Node {
	m, ok := n.(ast.MapNode)
	if !ok {
		return n
	}
	var opts []signature.Option
	it := m.MapRange()
	for it.Next() {
		k, ok := scalarText(it.Key())
		if !ok || k == "" {
			l.errAt(lineOf(it.Key()), path, errors.New("expected option names as keys"))
			continue
		}
		if seq, isSeq := it.Value().(*ast.SequenceNode); isSeq {
			var vals []string
			for _, x := range seq.Values {
				v, ok := scalarText(x)
				if !ok {
					l.errAt(lineOf(x), path+"."+k, errors.New("expected a list of strings"))
					continue
				}
				vals = append(vals, v)
			}
			if k == "types" {
				opts = append(opts, signature.Option{Key: k, Value: strings.Join(vals, "|")})
				continue
			}
			for _, v := range vals {
				opts = append(opts, signature.Option{Key: k, Value: v})
			}
			continue
		}
		v, ok := scalarText(it.Value())
		if !ok {
			l.errAt(lineOf(it.Value()), path+"."+k, errors.New("expected a string, a number or a list of strings"))
			continue
		}
		opts = append(opts, signature.Option{Key: k, Value: v})
	}
	s := signature.FormatOptions(opts)
	tk := token.New(s, s, n.GetToken().Position)
	tk.Type = token.StringType
	return ast.String(tk)
}

// scalarText is the text of a scalar node ("" for null).
func scalarText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.NullNode:
		return "", true
	case ast.ScalarNode:
		if tk := x.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

func (l *loader) used(name, value string) {
	if adapter.SecretName(name) {
		l.red.Add(value)
	}
}

// scalar substitutes variables in a string scalar. A plain (unquoted)
// scalar that becomes a number, boolean or null after substitution takes
// that type, so "rate: ${RATE}" works; quoted scalars stay strings.
func (l *loader) scalar(n *ast.StringNode, path string) ast.Node {
	if !strings.Contains(n.Value, "${") {
		return n
	}
	s, err := expandVars(n.Value, l.vars, l.used)
	if err != nil {
		l.errAt(lineOf(n), path, err)
		return n
	}
	orig := n.Token
	if orig == nil || orig.Type != token.StringType || strings.ContainsAny(s, "\n\r") {
		n.Value = s
		return n
	}
	tk := token.New(s, s, orig.Position)
	switch tk.Type {
	case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType:
		return ast.Integer(tk)
	case token.FloatType:
		return ast.Float(tk)
	case token.BoolType:
		return ast.Bool(tk)
	case token.NullType:
		return ast.Null(tk)
	}
	n.Value = s
	return n
}

// checkDuration reports an unparseable duration with its line: the YAML
// library's duration errors carry no position.
func (l *loader) checkDuration(n ast.Node, path, key string) {
	s, ok := n.(*ast.StringNode)
	if !ok || !durationKeys[key] {
		return
	}
	if _, err := time.ParseDuration(s.Value); err != nil {
		l.errAt(lineOf(n), path, fmt.Errorf("expected a duration such as 300ms, 30s or 5m, found %q", s.Value))
	}
}

// yamlError turns an error of the YAML library into a LoadError with the
// line and the field path of the node it is about.
func (l *loader) yamlError(err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		if errors.Is(err, yaml.ErrExceededMaxDepth) {
			return &LoadError{File: l.name, Err: errors.New("nested too deeply")}
		}
		return &LoadError{File: l.name, Err: errors.New(l.red.Redact(err.Error()))}
	}
	tk := ye.GetToken()
	le := &LoadError{File: l.name}
	if tk != nil && tk.Position != nil {
		le.Line = tk.Position.Line
		le.Field = l.pos.byTok[tk]
	}
	var msg string
	var te *yaml.TypeError
	var oe *yaml.OverflowError
	var ue *yaml.UnknownFieldError
	var de *yaml.DuplicateKeyError
	switch {
	case errors.As(err, &te):
		found := "a " + friendlyType(te.SrcType)
		if tk != nil && tk.Value != "" && len(tk.Value) <= 40 {
			found += " (" + strconv.Quote(tk.Value) + ")"
		}
		msg = fmt.Sprintf("expected %s, found %s", friendlyExpected(te.DstType), found)
	case errors.As(err, &oe):
		msg = fmt.Sprintf("%s is out of range for %s", oe.SrcNum, friendlyExpected(oe.DstType))
	case errors.As(err, &ue):
		msg = ue.Message
		if le.Field != "" {
			// The key's own path ends in the unknown name; name its parent.
			parent, key := "", le.Field
			if i := strings.LastIndexByte(le.Field, '.'); i >= 0 {
				parent, key = le.Field[:i], le.Field[i+1:]
			}
			if parent != "" {
				msg += " in " + parent
			}
			msg += suggest.Hint(key, knownKeys(parent))
			le.Field = ""
		}
	case errors.As(err, &de):
		msg = de.Message
	default:
		msg = ye.GetMessage()
		if le.Line > 0 && strings.Contains(l.sourceLine(le.Line), "${") {
			msg += ` (inside [ ] or { }, quote a variable: ["${NAME}"])`
		}
	}
	le.Err = errors.New(l.red.Redact(msg))
	return le
}

var durationType = reflect.TypeOf(time.Duration(0))

func friendlyExpected(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	if t == durationType {
		return "a duration such as 300ms, 30s or 5m"
	}
	switch t.Kind() {
	case reflect.Ptr:
		return friendlyExpected(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func friendlyType(t reflect.Type) string {
	if t == nil {
		return "null"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "mapping"
	}
	return t.String()
}

// applyDefaults fills the fields a file may leave out.
func (sc *Scenario) applyDefaults() {
	for i := range sc.Sink.Endpoints {
		ep := &sc.Sink.Endpoints[i]
		if ep.Name == "" {
			ep.Name = ep.Path
		}
		switch ep.Scheme {
		case "":
			ep.SchemeInherited = true
			if sc.Policy.Signed() {
				ep.Scheme = sc.Policy.Scheme
			}
		case SchemeNone:
			ep.Scheme = ""
		}
		if ep.Scheme == signature.SchemeGeneric {
			ep.Options = adapter.WithSchemeOptions(sc.Policy.SchemeOptions, ep.Options)
		}
		if ep.Secret == "" && len(sc.Policy.Secrets) > 0 {
			ep.Secret = sc.Policy.Secrets[0]
		}
	}
	if sc.Provider.Adapter == adapter.Reference && sc.Provider.Reference == nil {
		sc.Provider.Reference = &ReferenceSpec{}
	}
	for i := range sc.Phases {
		if sc.Phases[i].Name == "" {
			sc.Phases[i].Name = "phase-" + strconv.Itoa(i+1)
		}
	}
}

// collectSecrets registers every secret field's value with the redactor.
func (sc *Scenario) collectSecrets() {
	r := sc.Redactor
	r.Add(sc.Policy.Secrets...)
	for _, ep := range sc.Sink.Endpoints {
		r.Add(ep.Secret)
		for _, opt := range adapter.SplitOptions(ep.Options) {
			k, v := opt.Key, opt.Value
			if adapter.SecretName(k) || k == "auth" {
				r.Add(v)
				if i := strings.LastIndexByte(v, ':'); i >= 0 {
					r.Add(v[i+1:])
				}
			}
		}
	}
	if ref := sc.Provider.Reference; ref != nil {
		r.Add(ref.APIKey)
	}
	addMap := func(m map[string]string) {
		for k, v := range m {
			if adapter.SecretName(k) {
				r.Add(v)
			}
		}
	}
	if h := sc.Provider.HTTP; h != nil {
		addMap(h.Headers)
		addMap(h.Vars)
		for _, steps := range [][]HTTPStep{h.Setup, h.Endpoint, {h.Trigger}, h.EndpointTeardown, h.Teardown} {
			for _, s := range steps {
				addMap(s.Headers)
			}
		}
	}
	if c := sc.Provider.Command; c != nil {
		addMap(c.Env)
		addMap(c.Vars)
	}
}

// sourceLine returns line n (from 1) of the file, "" when out of range.
func (l *loader) sourceLine(n int) string {
	for i, line := range strings.Split(string(l.data), "\n") {
		if i+1 == n {
			return line
		}
	}
	return ""
}
