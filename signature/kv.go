package signature

import (
	"bytes"
	"hash"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// kvSpec describes schemes whose signature header is a list of parameters
// (name, kvSep, value; items separated by sep) holding the timestamp and
// one or more signatures: Stripe, Paddle and the generic scheme's
// parameter form. The MAC covers tmpl.
type kvSpec struct {
	newHash func() hash.Hash
	keys    [][]byte
	tol     time.Duration
	header  string
	sep     byte   // item separator
	kvSep   byte   // between a parameter's name and value
	tsKey   string // parameter carrying the timestamp, e.g. "t"; "" = tsHeader or none
	sigKey  string // e.g. "v1"; other names are ignored (unknown versions)
	// tsHeader carries the timestamp when tsKey is "" (generic only).
	tsHeader string
	idHeader string // "" when none
	ts       tsFormat
	tmpl     []segment
	enc      encoding
	weak     bool
}

func (s *kvSpec) needs(k segKind) bool { return tmplNeeds(s.tmpl, k) }

func (s *kvSpec) hasTS() bool { return s.tsKey != "" || s.tsHeader != "" }

type kvVerifier struct {
	spec   *kvSpec
	pool   *macPool
	needID bool
}

var (
	_ Verifier  = (*kvVerifier)(nil)
	_ Diagnoser = (*kvVerifier)(nil)
)

func newKVVerifier(spec *kvSpec) *kvVerifier {
	return &kvVerifier{spec: spec, pool: newMacPool(spec.newHash, spec.keys, len(spec.tmpl)), needID: spec.needs(segID)}
}

func (v *kvVerifier) IDHeader() string { return v.spec.idHeader }

// inputs reads the header, the id and the timestamp text. res carries
// the verdict when it is decided before any MAC is computed.
func (v *kvVerifier) inputs(h Headers) (hdr, id, tsb []byte, o outcome, res Verification, done bool) {
	s := v.spec
	hdr = h.Peek(s.header)
	missing := len(hdr) == 0
	if v.needID {
		if id = h.Peek(s.idHeader); len(id) == 0 {
			missing = true
		}
	}
	if s.tsKey == "" && s.tsHeader != "" {
		if tsb = h.Peek(s.tsHeader); len(tsb) == 0 {
			missing = true
		}
	}
	if missing {
		res.Result = trace.SigMissing
		return hdr, id, tsb, o, res, true
	}
	// The timestamp (first occurrence) and the shape of every item.
	for tok, rest := nextToken(hdr, s.sep); tok != nil; tok, rest = nextToken(rest, s.sep) {
		i := bytes.IndexByte(tok, s.kvSep)
		if i < 0 {
			o.malformed = true
			continue
		}
		if s.tsKey != "" && string(tok[:i]) == s.tsKey && tsb == nil {
			tsb = tok[i+1:]
		}
	}
	if s.hasTS() {
		if tsb == nil {
			res.Result = trace.SigMalformed
			return hdr, id, tsb, o, res, true
		}
		ts, ok := parseTS(s.ts, tsb)
		if !ok {
			res.Result = trace.SigMalformed
			return hdr, id, tsb, o, res, true
		}
		res.Timestamp, res.HasTimestamp = ts, true
	}
	return hdr, id, tsb, o, res, false
}

// check computes the MAC over the template with the given id, timestamp
// text and body, and compares it with every signature item of hdr.
func (v *kvVerifier) check(o outcome, hdr, id, tsb, body []byte) outcome {
	s := v.spec
	st := v.pool.get()
	st.parts = appendParts(st.parts, s.tmpl, id, tsb, body)
	v.pool.sum(st, st.parts...)
	for tok, rest := nextToken(hdr, s.sep); tok != nil && !o.valid; tok, rest = nextToken(rest, s.sep) {
		i := bytes.IndexByte(tok, s.kvSep)
		if i < 0 {
			continue
		}
		switch name := tok[:i]; {
		case s.tsKey != "" && string(name) == s.tsKey:
		case string(name) == s.sigKey:
			n, ok := decodeSig(s.enc, st.dec[:], tok[i+1:])
			switch {
			case !ok:
				o.malformed = true
			case v.pool.match(st, st.dec[:n]):
				o.valid = true
			default:
				o.mismatch = true
			}
		default:
			o.unknown = true
		}
	}
	v.pool.put(st)
	return o
}

func (v *kvVerifier) Verify(h Headers, body []byte, now time.Time) Verification {
	hdr, id, tsb, o, res, done := v.inputs(h)
	if done {
		return res
	}
	o = v.check(o, hdr, id, tsb, body)
	if !o.valid {
		if !o.mismatch && !o.malformed {
			o.unknown = true // no signature of the known version at all
		}
		res.Result = o.failure()
		return res
	}
	res.Result = trace.SigValid
	if res.HasTimestamp {
		res.Result = checkTime(res.Timestamp, now, v.spec.tol)
	}
	if res.Result == trace.SigValid && v.spec.weak {
		res.Result = trace.SigValidWeak
	}
	return res
}

// Diagnose implements Diagnoser.
func (v *kvVerifier) Diagnose(h Headers, body []byte) trace.SigVariant {
	hdr, id, tsb, _, _, done := v.inputs(h)
	if done {
		return trace.SigVariantNone
	}
	return diagnose(body, tsb, v.spec.ts, func(b, ts []byte) bool {
		return v.check(outcome{}, hdr, id, ts, b).valid
	})
}

type kvSigner struct {
	spec *kvSpec
	pool *macPool
}

var _ Signer = (*kvSigner)(nil)

func newKVSigner(spec *kvSpec) *kvSigner {
	return &kvSigner{spec: spec, pool: newMacPool(spec.newHash, spec.keys, len(spec.tmpl))}
}

// Sign sets the signature header with the timestamp parameter (when the
// scheme has one) and one signature per secret, plus the id and timestamp
// headers the scheme names. It does not allocate once its pool is warm.
func (g *kvSigner) Sign(h HeaderSetter, msgID string, ts time.Time, body []byte) {
	s := g.spec
	st := g.pool.get()
	b := append(st.buf[:0], msgID...)
	idEnd := len(b)
	if s.hasTS() {
		b = appendTS(b, s.ts, ts)
	}
	tsEnd := len(b)
	id, tsb := b[:idEnd], b[idEnd:tsEnd]
	st.parts = appendParts(st.parts, s.tmpl, id, tsb, body)
	g.pool.sum(st, st.parts...)
	start := len(b)
	if s.tsKey != "" {
		b = append(b, s.tsKey...)
		b = append(b, s.kvSep)
		b = append(b, tsb...)
	}
	for i := range s.keys {
		if len(b) > start {
			b = append(b, s.sep)
		}
		b = append(b, s.sigKey...)
		b = append(b, s.kvSep)
		b = appendSig(b, s.enc, g.pool.mac(st, i))
	}
	if s.idHeader != "" {
		h.SetBytesV(s.idHeader, b[:idEnd])
	}
	if s.tsKey == "" && s.tsHeader != "" {
		h.SetBytesV(s.tsHeader, b[idEnd:tsEnd])
	}
	h.SetBytesV(s.header, b[start:])
	st.buf = b[:0]
	g.pool.put(st)
}
