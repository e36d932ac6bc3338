package signature

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// DiagnoseMaxBody is the largest body Diagnose re-encodes; larger bodies
// are not diagnosed.
const DiagnoseMaxBody = 256 << 10

// Diagnoser is an optional Verifier capability: it explains a signature
// that did not verify over the raw bytes by finding what the provider
// signed instead. Every HMAC scheme's verifier implements it
// (standard-v1a does not).
type Diagnoser interface {
	// Diagnose is meant for a request whose Verify result was
	// SigMismatch. It recomputes the MAC over the mistaken forms of the
	// signed content that providers commonly produce (re-encoded JSON, a
	// changed trailing newline, another timestamp; see trace.SigVariant)
	// and returns the first one a signature in the headers matches, or
	// trace.SigVariantNone. Unlike Verify it allocates: keep it off the
	// hot path. body is not modified or retained. Safe for concurrent use.
	Diagnose(h Headers, body []byte) trace.SigVariant
}

// bodyVariants lists the mistaken bodies in the order they are tried:
// the smallest change first, so that when two variants produce the same
// bytes the simpler explanation is reported.
var bodyVariants = [...]struct {
	v    trace.SigVariant
	make func([]byte) []byte
}{
	{trace.SigNoTrailingNewline, func(b []byte) []byte {
		t := bytes.TrimRight(b, "\r\n")
		if len(t) == len(b) {
			return nil
		}
		return t
	}},
	{trace.SigTrailingNewline, func(b []byte) []byte {
		if bytes.HasSuffix(b, []byte("\n")) {
			return nil
		}
		return append(append(make([]byte, 0, len(b)+1), b...), '\n')
	}},
	{trace.SigCompactJSON, compactJSON},
	{trace.SigHTMLEscapedJSON, func(b []byte) []byte {
		if !json.Valid(b) {
			return nil
		}
		var out bytes.Buffer
		json.HTMLEscape(&out, b)
		return out.Bytes()
	}},
	{trace.SigCompactHTMLJSON, func(b []byte) []byte {
		c := compactJSON(b)
		if c == nil {
			return nil
		}
		var out bytes.Buffer
		json.HTMLEscape(&out, c)
		return out.Bytes()
	}},
	{trace.SigReencodedJSON, reencodeOrdered},
	{trace.SigSortedJSON, func(b []byte) []byte { return reencodeSorted(b, false) }},
	{trace.SigSortedHTMLJSON, func(b []byte) []byte { return reencodeSorted(b, true) }},
}

// diagnose tries the body variants over the timestamp text sent, then the
// raw body with other timestamps (when the scheme signs one: ts != nil).
// try reports whether a signature matches the content built from a body
// and a timestamp text.
func diagnose(body, ts []byte, f tsFormat, try func(body, ts []byte) bool) trace.SigVariant {
	if len(body) > DiagnoseMaxBody {
		return trace.SigVariantNone
	}
	seen := [][]byte{body}
	fresh := func(b []byte) bool {
		if b == nil {
			return false
		}
		for _, s := range seen {
			if bytes.Equal(s, b) {
				return false
			}
		}
		seen = append(seen, b)
		return true
	}
	for _, bv := range bodyVariants {
		if b := bv.make(body); fresh(b) && try(b, ts) {
			return bv.v
		}
	}
	if ts == nil || f == tsNone {
		return trace.SigVariantNone
	}
	sec, ms, ok := parseTSMillis(f, ts)
	if !ok {
		return trace.SigVariantNone
	}
	tried := [][]byte{ts}
	freshTS := func(t []byte) bool {
		for _, s := range tried {
			if bytes.Equal(s, t) {
				return false
			}
		}
		tried = append(tried, t)
		return true
	}
	// The same instant in another unit or format.
	for _, g := range []tsFormat{tsUnix, tsUnixMs, tsRFC3339} {
		t := appendTS(nil, g, time.UnixMilli(ms))
		if g == tsUnixMs && f != tsUnixMs {
			t = strconv.AppendInt(nil, sec*1000, 10) // the fraction is unknown
		}
		if freshTS(t) && try(body, t) {
			return trace.SigTimestampFormat
		}
	}
	// A clock read a few seconds away from the one sent.
	for k := int64(1); k <= maxTimestampShift; k++ {
		for _, d := range [2]int64{-k, k} {
			t := appendTS(nil, f, time.UnixMilli(ms+d*1000))
			if f == tsRFC3339 {
				t = appendTS(nil, f, time.Unix(sec+d, 0))
			}
			if freshTS(t) && try(body, t) {
				return trace.SigOtherTimestamp
			}
		}
	}
	return trace.SigVariantNone
}

// maxTimestampShift bounds the seconds tried either side of the sent
// timestamp.
const maxTimestampShift = 5

// parseTSMillis parses a timestamp into unix seconds and milliseconds.
func parseTSMillis(f tsFormat, b []byte) (sec, ms int64, ok bool) {
	switch f {
	case tsUnixMs:
		ms, ok = parseUnix(b)
		return ms / 1000, ms, ok
	case tsRFC3339:
		t, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return 0, 0, false
		}
		return t.Unix(), t.UnixMilli(), true
	}
	sec, ok = parseUnix(b)
	return sec, sec * 1000, ok
}

// compactJSON removes the white space between tokens; nil when b is not
// JSON.
func compactJSON(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil
	}
	return out.Bytes()
}

// reencodeSorted decodes b into maps (float64 numbers) and encodes it
// again: keys sorted, numbers normalised, compact; html escapes <, > and &
// as Go's json.Marshal does.
func reencodeSorted(b []byte, html bool) []byte {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(v); err != nil {
		return nil
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// reencodeOrdered parses b and writes it again in the same key order:
// compact, numbers normalised through float64, strings re-escaped (no
// HTML escaping), as JSON.stringify(JSON.parse(b)) does.
func reencodeOrdered(b []byte) []byte {
	if !json.Valid(b) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	type frame struct {
		obj bool
		n   int
	}
	var stack []frame
	before := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		switch {
		case top.obj && top.n%2 == 1:
			out.WriteByte(':')
		case top.n > 0:
			out.WriteByte(',')
		}
		top.n++
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				before()
				out.WriteByte(byte(t))
				stack = append(stack, frame{obj: t == '{'})
				continue
			}
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(t))
		default:
			before()
			if err := enc.Encode(t); err != nil {
				return nil
			}
			out.Truncate(out.Len() - 1) // Encode's newline
		}
	}
	return out.Bytes()
}
