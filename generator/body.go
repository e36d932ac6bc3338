package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// Body formats.
const (
	FormatJSON    = "json"
	FormatMsgpack = "msgpack"
)

// padField is the JSON field that --body-size padding adds to an object body.
const padField = "hookbench_pad"

// bodyEncoder renders one request body. scratch is a reusable buffer owned
// by the caller (one per worker). Implementations are read-only after
// construction and safe for concurrent use.
type bodyEncoder interface {
	appendBody(dst []byte, scratch *[]byte, ev *Event) []byte
}

// jsonBody renders a text template (JSON or anything else) and pads it.
type jsonBody struct {
	t        *Template
	size     int  // pad to this many bytes; 0 = no padding
	object   bool // the template is a JSON object: pad with a field
	padComma bool // the object has members: the pad field needs a comma
}

// newJSONBody prepares a text body. With idField set and no {{id}} in the
// template, the id is embedded as the object's first member; a body that is
// not an object gets a warning instead.
func newJSONBody(t *Template, idField string, size int) (*jsonBody, []string) {
	var warns []string
	src := strings.TrimSpace(t.src)
	isObject := strings.HasPrefix(src, "{") && strings.HasSuffix(src, "}") &&
		len(t.nodes) > 0 && t.nodes[0].op == opLit && t.nodes[len(t.nodes)-1].op == opLit
	empty := isObject && t.Static() && strings.TrimSpace(src[1:len(src)-1]) == ""
	if idField != "" && !t.Uses("id") {
		if isObject {
			t = embedID(t, idField, empty)
			empty = false
		} else {
			warns = append(warns, fmt.Sprintf("body is not a JSON object, so the event id is not embedded as %q: put {{id}} in the body to correlate deliveries", idField))
		}
	}
	if !isObject && size > 0 {
		warns = append(warns, "body is not a JSON object: --body-size pads it with trailing spaces")
	}
	return &jsonBody{t: t, size: size, object: isObject, padComma: !empty}, warns
}

// embedID returns a copy of t with `"field":"{{id}}"` as the first member
// of its top-level object. t's first node is a literal holding the '{'.
func embedID(t *Template, field string, empty bool) *Template {
	first := t.nodes[0].lit
	i := bytes.IndexByte(first, '{')
	fieldJSON, _ := json.Marshal(field)
	head := append(append(append([]byte{}, first[:i+1]...), fieldJSON...), ':', '"')
	tail := []byte{'"'}
	if !empty {
		tail = append(tail, ',')
	}
	nodes := []node{{op: opLit, lit: head}, {op: opID}, {op: opLit, lit: append(tail, first[i+1:]...)}}
	nodes = append(nodes, t.nodes[1:]...)
	return &Template{src: t.src, nodes: nodes}
}

func (b *jsonBody) appendBody(dst []byte, _ *[]byte, ev *Event) []byte {
	start := len(dst)
	dst = b.t.Append(dst, ev)
	if b.size > 0 {
		dst = b.pad(dst, start)
	}
	return dst
}

// pad grows the body dst[start:] to b.size bytes: with a "hookbench_pad"
// member before the object's closing brace when there is room for one,
// with trailing spaces otherwise (still valid JSON).
func (b *jsonBody) pad(dst []byte, start int) []byte {
	need := b.size - (len(dst) - start)
	if need <= 0 {
		return dst
	}
	overhead := len(`"` + padField + `":""`)
	if b.padComma {
		overhead++
	}
	end := len(dst) - 1
	for end > start && isSpace(dst[end]) {
		end--
	}
	if !b.object || need < overhead || dst[end] != '}' {
		return appendRepeat(dst, ' ', need)
	}
	// Move the closing brace (and trailing space) out of the way.
	tailLen := len(dst) - end
	var tail [8]byte
	if tailLen > len(tail) {
		return appendRepeat(dst, ' ', need)
	}
	copy(tail[:], dst[end:])
	dst = dst[:end]
	if b.padComma {
		dst = append(dst, ',')
	}
	dst = append(dst, `"`+padField+`":"`...)
	dst = appendRepeat(dst, 'x', need-overhead)
	dst = append(dst, '"')
	return append(dst, tail[:tailLen]...)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

var repeatSrc = [...][]byte{' ': bytes.Repeat([]byte{' '}, 1024), 'x': bytes.Repeat([]byte{'x'}, 1024)}

// appendRepeat appends n copies of c (' ' or 'x').
func appendRepeat(dst []byte, c byte, n int) []byte {
	src := repeatSrc[c]
	for n > 0 {
		k := min(n, len(src))
		dst = append(dst, src[:k]...)
		n -= k
	}
	return dst
}

// --- msgpack ---

type mkind uint8

const (
	mRaw mkind = iota // pre-encoded bytes
	mStr              // a string whose content is rendered from parts
	mVal              // a placeholder standing alone as a value
	mPad              // the padding member of the top-level map
)

type mseg struct {
	kind  mkind
	raw   []byte
	parts []node   // mStr
	val   node     // mVal
	picks [][]byte // mVal with opPick: each option pre-encoded
}

// msgpackBody renders a JSON template as msgpack. The template's JSON
// structure is compiled once; only placeholders are encoded per request,
// by hand-written appenders.
type msgpackBody struct {
	segs   []mseg
	size   int
	padKey []byte // encoded "hookbench_pad"
}

// compileMsgpack compiles a JSON template into msgpack segments.
func compileMsgpack(t *Template, idField string, size int) (*msgpackBody, []string, error) {
	w := &jwalker{t: t}
	b := &mbuilder{}
	w.skipWS()
	var warns []string
	embed := idField != "" && !t.Uses("id")
	if c, ph, eof := w.peek(); !eof && ph == nil && c == '{' {
		if err := w.object(b, true, embed, idField, size > 0); err != nil {
			return nil, nil, err
		}
	} else {
		if size > 0 {
			return nil, nil, errors.New("--body-size with msgpack needs a JSON object body")
		}
		if embed {
			warns = append(warns, fmt.Sprintf("body is not a JSON object, so the event id is not embedded as %q: put {{id}} in the body to correlate deliveries", idField))
		}
		if err := w.value(b); err != nil {
			return nil, nil, err
		}
	}
	w.skipWS()
	if c, ph, eof := w.peek(); !eof {
		return nil, nil, w.errf("unexpected %s after the JSON value", describe(c, ph))
	}
	return &msgpackBody{segs: b.segs, size: size, padKey: mpString(padField)}, warns, nil
}

func (m *msgpackBody) appendBody(dst []byte, scratch *[]byte, ev *Event) []byte {
	start := len(dst)
	for i := range m.segs {
		s := &m.segs[i]
		switch s.kind {
		case mRaw:
			dst = append(dst, s.raw...)
		case mStr:
			sc := (*scratch)[:0]
			for j := range s.parts {
				sc = s.parts[j].append(sc, ev)
			}
			*scratch = sc
			dst = appendMsgpackStr(dst, sc)
		case mVal:
			dst = s.appendVal(dst, scratch, ev)
		case mPad:
			dst = append(dst, m.padKey...)
			rem := m.size - (len(dst) - start)
			k := padLen(rem)
			dst = appendMsgpackStrHeader(dst, k)
			dst = appendRepeat(dst, 'x', k)
		}
	}
	return dst
}

// padLen returns the longest string length k whose encoding (header + k
// bytes) fits in rem bytes.
func padLen(rem int) int {
	best := 0
	for _, h := range [...]struct{ hdr, max int }{{1, 31}, {2, 255}, {3, 65535}, {5, 1<<31 - 1}} {
		k := min(rem-h.hdr, h.max)
		if k > best {
			best = k
		}
	}
	return best
}

func (s *mseg) appendVal(dst []byte, scratch *[]byte, ev *Event) []byte {
	n := &s.val
	switch n.op {
	case opSeq:
		return appendMsgpackUint(dst, ev.Seq)
	case opRandInt:
		return appendMsgpackInt(dst, n.randInt(ev.Rand))
	case opPick:
		return append(dst, s.picks[pickIndex(ev.Rand, len(s.picks))]...)
	case opNow:
		switch n.unit {
		case nowS:
			return appendMsgpackInt(dst, ev.Time.Unix())
		case nowMS:
			return appendMsgpackInt(dst, ev.Time.UnixMilli())
		case nowUS:
			return appendMsgpackInt(dst, ev.Time.UnixMicro())
		case nowNS:
			return appendMsgpackInt(dst, ev.Time.UnixNano())
		}
	}
	sc := n.append((*scratch)[:0], ev)
	*scratch = sc
	return appendMsgpackStr(dst, sc)
}

// mbuilder collects segments, merging adjacent raw bytes.
type mbuilder struct{ segs []mseg }

func (b *mbuilder) raw(p []byte) {
	if k := len(b.segs); k > 0 && b.segs[k-1].kind == mRaw {
		b.segs[k-1].raw = append(b.segs[k-1].raw, p...)
		return
	}
	b.segs = append(b.segs, mseg{kind: mRaw, raw: append([]byte(nil), p...)})
}

func (b *mbuilder) add(s mseg) { b.segs = append(b.segs, s) }

func (b *mbuilder) addAll(o *mbuilder) {
	for _, s := range o.segs {
		if s.kind == mRaw {
			b.raw(s.raw)
		} else {
			b.add(s)
		}
	}
}

// mpEncode runs f on a msgpack encoder and returns the bytes (compile time only).
func mpEncode(f func(e *msgpack.Encoder) error) []byte {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.UseCompactInts(true)
	if err := f(e); err != nil {
		// Encoding into a bytes.Buffer cannot fail for these calls.
		return nil
	}
	return buf.Bytes()
}

func mpString(s string) []byte {
	return mpEncode(func(e *msgpack.Encoder) error { return e.EncodeString(s) })
}

// jwalker reads a template's nodes as a JSON text in which placeholders are
// tokens of their own.
type jwalker struct {
	t      *Template
	ni, bi int // current node and byte within a literal node
}

// peek returns the current byte, or the placeholder, or eof.
func (w *jwalker) peek() (c byte, ph *node, eof bool) {
	for w.ni < len(w.t.nodes) {
		n := &w.t.nodes[w.ni]
		if n.op != opLit {
			return 0, n, false
		}
		if w.bi < len(n.lit) {
			return n.lit[w.bi], nil, false
		}
		w.ni, w.bi = w.ni+1, 0
	}
	return 0, nil, true
}

func (w *jwalker) next() {
	if w.ni >= len(w.t.nodes) {
		return
	}
	if w.t.nodes[w.ni].op != opLit {
		w.ni, w.bi = w.ni+1, 0
		return
	}
	w.bi++
}

// offset is the source offset of the current position.
func (w *jwalker) offset() int {
	if w.ni >= len(w.t.nodes) {
		return len(w.t.src)
	}
	return w.t.nodes[w.ni].off + w.bi
}

func (w *jwalker) errf(format string, args ...any) error {
	return errAt(w.t.src, w.offset(), "msgpack body: "+format, args...)
}

func describe(c byte, ph *node) string {
	if ph != nil {
		return "placeholder"
	}
	return strconv.QuoteRune(rune(c))
}

func (w *jwalker) skipWS() {
	for {
		c, ph, eof := w.peek()
		if eof || ph != nil || !isSpace(c) {
			return
		}
		w.next()
	}
}

func (w *jwalker) expect(want byte) error {
	c, ph, eof := w.peek()
	if eof {
		return w.errf("unexpected end of body, want %q", want)
	}
	if ph != nil || c != want {
		return w.errf("want %q, found %s", want, describe(c, ph))
	}
	w.next()
	return nil
}

func (w *jwalker) value(b *mbuilder) error {
	w.skipWS()
	c, ph, eof := w.peek()
	switch {
	case eof:
		return w.errf("unexpected end of body, want a JSON value")
	case ph != nil:
		s := mseg{kind: mVal, val: *ph}
		if ph.op == opPick {
			for _, p := range ph.picks {
				s.picks = append(s.picks, encodeJSONScalar(p))
			}
		}
		b.add(s)
		w.next()
		return nil
	case c == '{':
		return w.object(b, false, false, "", false)
	case c == '[':
		return w.array(b)
	case c == '"':
		return w.str(b)
	case c == 't' || c == 'f' || c == 'n':
		return w.word(b)
	case c == '-' || (c >= '0' && c <= '9'):
		return w.number(b)
	}
	return w.errf("want a JSON value, found %s", describe(c, ph))
}

func (w *jwalker) object(b *mbuilder, top, embed bool, idField string, pad bool) error {
	w.next() // '{'
	var sub mbuilder
	count := 0
	if embed {
		sub.raw(mpString(idField))
		sub.add(mseg{kind: mStr, parts: []node{{op: opID}}})
		count++
	}
	w.skipWS()
	if c, ph, eof := w.peek(); !eof && ph == nil && c == '}' {
		w.next()
	} else {
		for {
			w.skipWS()
			if c, ph, eof := w.peek(); eof || ph != nil || c != '"' {
				if eof {
					return w.errf("unexpected end of body, want an object key")
				}
				return w.errf("want an object key string, found %s", describe(c, ph))
			}
			if err := w.str(&sub); err != nil {
				return err
			}
			w.skipWS()
			if err := w.expect(':'); err != nil {
				return err
			}
			if err := w.value(&sub); err != nil {
				return err
			}
			count++
			w.skipWS()
			c, ph, eof := w.peek()
			if !eof && ph == nil && c == ',' {
				w.next()
				continue
			}
			if !eof && ph == nil && c == '}' {
				w.next()
				break
			}
			if eof {
				return w.errf("unexpected end of body, want ',' or '}'")
			}
			return w.errf("want ',' or '}', found %s", describe(c, ph))
		}
	}
	if top && pad {
		sub.add(mseg{kind: mPad})
		count++
	}
	b.raw(mpEncode(func(e *msgpack.Encoder) error { return e.EncodeMapLen(count) }))
	b.addAll(&sub)
	return nil
}

func (w *jwalker) array(b *mbuilder) error {
	w.next() // '['
	var sub mbuilder
	count := 0
	w.skipWS()
	if c, ph, eof := w.peek(); !eof && ph == nil && c == ']' {
		w.next()
	} else {
		for {
			if err := w.value(&sub); err != nil {
				return err
			}
			count++
			w.skipWS()
			c, ph, eof := w.peek()
			if !eof && ph == nil && c == ',' {
				w.next()
				continue
			}
			if !eof && ph == nil && c == ']' {
				w.next()
				break
			}
			if eof {
				return w.errf("unexpected end of body, want ',' or ']'")
			}
			return w.errf("want ',' or ']', found %s", describe(c, ph))
		}
	}
	b.raw(mpEncode(func(e *msgpack.Encoder) error { return e.EncodeArrayLen(count) }))
	b.addAll(&sub)
	return nil
}

// str compiles a JSON string that may contain placeholders.
func (w *jwalker) str(b *mbuilder) error {
	w.next() // opening quote
	var parts []node
	var chunk []byte // current literal run, still JSON-escaped
	chunkOff := w.offset()
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		var s string
		if err := json.Unmarshal(append(append([]byte{'"'}, chunk...), '"'), &s); err != nil {
			return errAt(w.t.src, chunkOff, "msgpack body: bad string: %v", err)
		}
		parts = append(parts, node{op: opLit, lit: []byte(s)})
		chunk = chunk[:0]
		return nil
	}
	for {
		c, ph, eof := w.peek()
		switch {
		case eof:
			return w.errf("unterminated string")
		case ph != nil:
			if err := flush(); err != nil {
				return err
			}
			parts = append(parts, *ph)
			w.next()
			chunkOff = w.offset()
			continue
		case c == '"':
			w.next()
			if err := flush(); err != nil {
				return err
			}
			if len(parts) == 0 {
				b.raw(mpString(""))
			} else if len(parts) == 1 && parts[0].op == opLit {
				b.raw(mpString(string(parts[0].lit)))
			} else {
				b.add(mseg{kind: mStr, parts: parts})
			}
			return nil
		case c < 0x20:
			return w.errf("control character %q in string", c)
		case c == '\\':
			chunk = append(chunk, c)
			w.next()
			c, ph, eof = w.peek()
			if eof || ph != nil {
				return w.errf("bad escape in string")
			}
		}
		chunk = append(chunk, c)
		w.next()
	}
}

func (w *jwalker) word(b *mbuilder) error {
	off := w.offset()
	var tok []byte
	for {
		c, ph, eof := w.peek()
		if eof || ph != nil || c < 'a' || c > 'z' {
			break
		}
		tok = append(tok, c)
		w.next()
	}
	switch string(tok) {
	case "true", "false", "null":
		b.raw(encodeJSONScalar(tok))
		return nil
	}
	return errAt(w.t.src, off, "msgpack body: want true, false or null, found %q", tok)
}

func (w *jwalker) number(b *mbuilder) error {
	off := w.offset()
	var tok []byte
	for {
		c, ph, eof := w.peek()
		if eof || ph != nil || !strings.ContainsRune("+-.eE0123456789", rune(c)) {
			break
		}
		tok = append(tok, c)
		w.next()
	}
	if !json.Valid(tok) {
		return errAt(w.t.src, off, "msgpack body: bad number %q", tok)
	}
	b.raw(encodeJSONScalar(tok))
	return nil
}

// encodeJSONScalar encodes a JSON literal (number, true, false, null) as
// msgpack; anything else becomes a msgpack string of its text. Used for
// literals and {{pick}} options.
func encodeJSONScalar(tok []byte) []byte {
	s := string(tok)
	switch s {
	case "true", "false":
		return mpEncode(func(e *msgpack.Encoder) error { return e.EncodeBool(s == "true") })
	case "null":
		return mpEncode(func(e *msgpack.Encoder) error { return e.EncodeNil() })
	}
	if json.Valid(tok) && len(tok) > 0 && (tok[0] == '-' || (tok[0] >= '0' && tok[0] <= '9')) {
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return mpEncode(func(e *msgpack.Encoder) error { return e.EncodeInt(i) })
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return mpEncode(func(e *msgpack.Encoder) error { return e.EncodeUint(u) })
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return mpEncode(func(e *msgpack.Encoder) error { return e.EncodeFloat64(f) })
		}
	}
	if len(tok) >= 2 && tok[0] == '"' && tok[len(tok)-1] == '"' {
		var u string
		if json.Unmarshal(tok, &u) == nil {
			return mpString(u)
		}
	}
	return mpString(s)
}

// --- hand-written msgpack appenders for the hot path ---

func appendMsgpackStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n < 1<<8:
		return append(dst, 0xd9, byte(n))
	case n < 1<<16:
		return append(dst, 0xda, byte(n>>8), byte(n))
	}
	return append(dst, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func appendMsgpackStr(dst, s []byte) []byte {
	return append(appendMsgpackStrHeader(dst, len(s)), s...)
}

func appendMsgpackUint(dst []byte, v uint64) []byte {
	switch {
	case v < 128:
		return append(dst, byte(v))
	case v < 1<<8:
		return append(dst, 0xcc, byte(v))
	case v < 1<<16:
		return append(dst, 0xcd, byte(v>>8), byte(v))
	case v < 1<<32:
		return append(dst, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, 0xcf, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendMsgpackInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0:
		return appendMsgpackUint(dst, uint64(v))
	case v >= -32:
		return append(dst, byte(v))
	case v >= -128:
		return append(dst, 0xd0, byte(v))
	case v >= -32768:
		return append(dst, 0xd1, byte(v>>8), byte(v))
	case v >= -2147483648:
		return append(dst, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, 0xd3, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
