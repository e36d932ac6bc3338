package generator

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Template is a compiled body or header template. Parsing happens once;
// rendering walks a list of literal and placeholder nodes and does not
// allocate. A Template is read-only after ParseTemplate and safe for
// concurrent use.
//
// Placeholders:
//
//	{{id}}             harness event id (unique per run; also in the Sent record)
//	{{seq}}            event number, from 1
//	{{now}}            intended send time, unix seconds; {{now ms}}, {{now us}},
//	                   {{now ns}}, {{now rfc3339}}, {{now rfc3339nano}}
//	                   (also {{now_ms}}, {{now_ns}}, {{now_rfc3339}})
//	{{uuid}}           random UUID v4
//	{{rand_int A B}}   random integer in [A, B]
//	{{pick a|b|c}}     one of the options, at random
//	{{type}}           the event's type
type Template struct {
	src   string
	nodes []node
}

// Event is what one rendering of a template sees. The caller owns it and
// its buffers; Template methods only read it.
type Event struct {
	ID   []byte     // harness event id
	Seq  uint64     // event number, from 1
	Time time.Time  // intended send time
	Type string     // event type
	Rand *rand.Rand // per-event randomness (uuid, rand_int, pick)
}

type opKind uint8

const (
	opLit opKind = iota
	opID
	opSeq
	opNow
	opUUID
	opRandInt
	opPick
	opType
)

type nowUnit uint8

const (
	nowS nowUnit = iota
	nowMS
	nowUS
	nowNS
	nowRFC3339
	nowRFC3339Nano
)

// node is one literal run or one placeholder.
type node struct {
	op    opKind
	lit   []byte // opLit
	unit  nowUnit
	lo    int64 // opRandInt
	hi    int64
	picks [][]byte // opPick
	off   int      // byte offset of the node in the source
}

// TemplateError is a template that does not compile: where, and what is wrong.
type TemplateError struct {
	Line, Column int // 1-based; the column counts characters
	Msg          string
}

func (e *TemplateError) Error() string {
	return "template: line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// errAt builds a TemplateError for byte offset off of src.
func errAt(src string, off int, format string, args ...any) *TemplateError {
	if off > len(src) {
		off = len(src)
	}
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return &TemplateError{Line: line, Column: utf8.RuneCountInString(src[start:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}

const knownFuncs = "id, seq, now, uuid, rand_int, pick, type"

// IsPlaceholder reports whether name, the first word inside {{ }}, is a
// placeholder of the template language ("now_ms" and "pick" are; "url" is
// not), so that other template users (adapter steps) can leave it to
// ParseTemplate.
func IsPlaceholder(name string) bool {
	switch name {
	case "id", "seq", "uuid", "type", "rand_int", "pick",
		"now", "now_ms", "now_us", "now_ns", "now_rfc3339", "now_unix":
		return true
	}
	return false
}

// ParseTemplate compiles src. Text outside {{ }} is copied as is.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{src: src}
	i := 0
	for i < len(src) {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			t.nodes = append(t.nodes, node{op: opLit, lit: []byte(src[i:]), off: i})
			break
		}
		if j > 0 {
			t.nodes = append(t.nodes, node{op: opLit, lit: []byte(src[i : i+j]), off: i})
		}
		open := i + j
		k := strings.Index(src[open+2:], "}}")
		if k < 0 {
			return nil, errAt(src, open, "unclosed {{ (want {{name ...}})")
		}
		inner := src[open+2 : open+2+k]
		if nl := strings.IndexByte(inner, '\n'); nl >= 0 {
			return nil, errAt(src, open, "unclosed {{ before the end of the line (want {{name ...}})")
		}
		n, err := parsePlaceholder(src, open, inner)
		if err != nil {
			return nil, err
		}
		t.nodes = append(t.nodes, n)
		i = open + 2 + k + 2
	}
	return t, nil
}

func parsePlaceholder(src string, open int, inner string) (node, error) {
	// nameOff is the offset of the function name, for error columns.
	lead := len(inner) - len(strings.TrimLeft(inner, " \t"))
	nameOff := open + 2 + lead
	fields := strings.Fields(inner)
	if len(fields) == 0 {
		return node{}, errAt(src, open, "empty {{}} (known: %s)", knownFuncs)
	}
	name, args := fields[0], fields[1:]
	argOff := func(i int) int { // offset of args[i] in src
		rest := inner[lead+len(name):]
		pos := open + 2 + lead + len(name)
		for a := 0; a <= i; a++ {
			sp := len(rest) - len(strings.TrimLeft(rest, " \t"))
			pos += sp
			rest = rest[sp:]
			if a == i {
				break
			}
			pos += len(args[a])
			rest = rest[len(args[a]):]
		}
		return pos
	}
	n := node{off: open}
	noArgs := func(op opKind) (node, error) {
		if len(args) > 0 {
			return node{}, errAt(src, argOff(0), "{{%s}} takes no arguments, found %q", name, args[0])
		}
		n.op = op
		return n, nil
	}
	switch name {
	case "id":
		return noArgs(opID)
	case "seq":
		return noArgs(opSeq)
	case "uuid":
		return noArgs(opUUID)
	case "type":
		return noArgs(opType)
	case "now", "now_ms", "now_us", "now_ns", "now_rfc3339", "now_unix":
		n.op = opNow
		unit := strings.TrimPrefix(strings.TrimPrefix(name, "now"), "_")
		if len(args) > 1 || (len(args) == 1 && unit != "") {
			return node{}, errAt(src, argOff(len(args)-1), "{{%s}}: too many arguments", name)
		}
		if len(args) == 1 {
			unit = args[0]
		}
		switch unit {
		case "", "s", "unix":
			n.unit = nowS
		case "ms":
			n.unit = nowMS
		case "us":
			n.unit = nowUS
		case "ns":
			n.unit = nowNS
		case "rfc3339":
			n.unit = nowRFC3339
		case "rfc3339nano":
			n.unit = nowRFC3339Nano
		default:
			return node{}, errAt(src, argOff(0), "{{now}}: unknown format %q (want s, ms, us, ns, rfc3339 or rfc3339nano)", unit)
		}
		return n, nil
	case "rand_int":
		if len(args) != 2 {
			return node{}, errAt(src, nameOff, "{{rand_int A B}} wants 2 integers, found %d arguments", len(args))
		}
		lo, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return node{}, errAt(src, argOff(0), "{{rand_int}}: %q is not an integer", args[0])
		}
		hi, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return node{}, errAt(src, argOff(1), "{{rand_int}}: %q is not an integer", args[1])
		}
		if lo > hi {
			return node{}, errAt(src, argOff(0), "{{rand_int}}: lower bound %d is above upper bound %d", lo, hi)
		}
		n.op, n.lo, n.hi = opRandInt, lo, hi
		return n, nil
	case "pick":
		rest := strings.TrimSpace(inner[lead+len(name):])
		if rest == "" {
			return node{}, errAt(src, nameOff, "{{pick}} wants options such as {{pick a|b|c}}")
		}
		for _, p := range strings.Split(rest, "|") {
			n.picks = append(n.picks, []byte(strings.TrimSpace(p)))
		}
		n.op = opPick
		return n, nil
	}
	return node{}, errAt(src, nameOff, "unknown placeholder %q (known: %s)", name, knownFuncs)
}

// String returns the template's source.
func (t *Template) String() string { return t.src }

// Uses reports whether the template has a placeholder of the given name
// ("id", "seq", "now", "uuid", "rand_int", "pick", "type").
func (t *Template) Uses(name string) bool {
	var op opKind
	switch name {
	case "id":
		op = opID
	case "seq":
		op = opSeq
	case "now":
		op = opNow
	case "uuid":
		op = opUUID
	case "rand_int":
		op = opRandInt
	case "pick":
		op = opPick
	case "type":
		op = opType
	default:
		return false
	}
	for i := range t.nodes {
		if t.nodes[i].op == op {
			return true
		}
	}
	return false
}

// Static reports whether the template has no placeholders.
func (t *Template) Static() bool {
	for i := range t.nodes {
		if t.nodes[i].op != opLit {
			return false
		}
	}
	return true
}

// Append renders the template for ev onto dst and returns the extended
// buffer. It does not allocate when dst has room.
func (t *Template) Append(dst []byte, ev *Event) []byte {
	for i := range t.nodes {
		dst = t.nodes[i].append(dst, ev)
	}
	return dst
}

func (n *node) append(dst []byte, ev *Event) []byte {
	switch n.op {
	case opLit:
		return append(dst, n.lit...)
	case opID:
		return append(dst, ev.ID...)
	case opSeq:
		return strconv.AppendUint(dst, ev.Seq, 10)
	case opType:
		return append(dst, ev.Type...)
	case opNow:
		switch n.unit {
		case nowS:
			return strconv.AppendInt(dst, ev.Time.Unix(), 10)
		case nowMS:
			return strconv.AppendInt(dst, ev.Time.UnixMilli(), 10)
		case nowUS:
			return strconv.AppendInt(dst, ev.Time.UnixMicro(), 10)
		case nowNS:
			return strconv.AppendInt(dst, ev.Time.UnixNano(), 10)
		case nowRFC3339:
			return ev.Time.UTC().AppendFormat(dst, time.RFC3339)
		default:
			return ev.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
		}
	case opUUID:
		return appendUUID(dst, ev.Rand)
	case opRandInt:
		return strconv.AppendInt(dst, n.randInt(ev.Rand), 10)
	case opPick:
		return append(dst, n.picks[pickIndex(ev.Rand, len(n.picks))]...)
	}
	return dst
}

func (n *node) randInt(r *rand.Rand) int64 {
	span := uint64(n.hi - n.lo)
	if span == ^uint64(0) {
		return int64(r.Uint64())
	}
	return n.lo + int64(r.Uint64N(span+1))
}

func pickIndex(r *rand.Rand, n int) int {
	if n == 1 {
		return 0
	}
	return r.IntN(n)
}

const hexDigits = "0123456789abcdef"

// appendUUID appends a random (version 4) UUID.
func appendUUID(dst []byte, r *rand.Rand) []byte {
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return dst
}
