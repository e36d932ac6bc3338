package signature

import (
	"bytes"
	"crypto/hmac"
	"hash"
	"strconv"
	"sync"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// macState is the per-call scratch of a verifier or signer: one keyed HMAC
// per secret plus buffers. It lives in a sync.Pool owned by one verifier
// or signer, so its keys never change.
type macState struct {
	macs  []hash.Hash
	sums  []byte // len(macs) * size: the MAC under each key
	dec   [maxDigest]byte
	buf   []byte   // signer: header values; verifier: unused
	parts [][]byte // signed content parts (cleared after use)
}

// macPool hands out macStates keyed with one set of secrets.
type macPool struct {
	pool sync.Pool
	size int
}

func newMacPool(newHash func() hash.Hash, keys [][]byte, nparts int) *macPool {
	p := &macPool{size: newHash().Size()}
	p.pool.New = func() any {
		st := &macState{
			macs:  make([]hash.Hash, len(keys)),
			sums:  make([]byte, len(keys)*p.size),
			buf:   make([]byte, 0, 256),
			parts: make([][]byte, 0, nparts),
		}
		for i, k := range keys {
			st.macs[i] = hmac.New(newHash, k)
		}
		return st
	}
	return p
}

func (p *macPool) get() *macState { return p.pool.Get().(*macState) }

func (p *macPool) put(st *macState) {
	clear(st.parts[:cap(st.parts)])
	st.parts = st.parts[:0]
	if cap(st.buf) > 64<<10 {
		st.buf = make([]byte, 0, 256)
	}
	p.pool.Put(st)
}

// sum computes the MAC of the concatenated parts under every key.
func (p *macPool) sum(st *macState, parts ...[]byte) {
	for i, m := range st.macs {
		m.Reset()
		for _, b := range parts {
			m.Write(b)
		}
		off := i * p.size
		m.Sum(st.sums[off : off : off+p.size])
	}
}

// match reports whether sig equals the MAC under any key (constant time
// per comparison).
func (p *macPool) match(st *macState, sig []byte) bool {
	if len(sig) != p.size {
		return false
	}
	ok := false
	for i := range st.macs {
		off := i * p.size
		if hmac.Equal(st.sums[off:off+p.size], sig) {
			ok = true
		}
	}
	return ok
}

// mac returns the MAC under key i (valid until st is put back).
func (p *macPool) mac(st *macState, i int) []byte {
	off := i * p.size
	return st.sums[off : off+p.size]
}

// segKind is one part of a signed-content template.
type segKind uint8

const (
	segLit segKind = iota
	segID
	segTS
	segBody
)

type segment struct {
	kind segKind
	lit  []byte // segLit only; never modified
}

// tsFormat is how a scheme writes its timestamp header.
type tsFormat uint8

const (
	tsNone    tsFormat = iota
	tsUnix             // decimal unix seconds
	tsRFC3339          // RFC 3339 (Twitch)
	tsUnixMs           // decimal unix milliseconds
)

// hmacSpec describes a scheme whose id, timestamp and signature travel in
// separate headers and whose signed content is a template over them.
type hmacSpec struct {
	newHash   func() hash.Hash
	keys      [][]byte
	tol       time.Duration
	sigHeader string
	idHeader  string // "" when none
	tsHeader  string // "" when none
	ts        tsFormat
	tmpl      []segment
	// multi: the signature header carries space-separated signatures.
	multi bool
	// Each signature is version + verSep + encoded MAC (verSep != 0;
	// another version is ignored as unknown) or prefix + encoded MAC
	// (verSep == 0; anything else is malformed).
	verSep  byte
	version string
	prefix  []byte
	enc     encoding
	weak    bool // a valid MAC is SigValidWeak (SHA-1)
	signAll bool // signers sign with every key (needs multi)
}

func (s *hmacSpec) needs(k segKind) bool { return tmplNeeds(s.tmpl, k) }

func tmplNeeds(tmpl []segment, k segKind) bool {
	for _, seg := range tmpl {
		if seg.kind == k {
			return true
		}
	}
	return false
}

// appendParts appends the signed content's parts for tmpl.
func appendParts(parts [][]byte, tmpl []segment, id, ts, body []byte) [][]byte {
	for _, seg := range tmpl {
		switch seg.kind {
		case segLit:
			parts = append(parts, seg.lit)
		case segID:
			parts = append(parts, id)
		case segTS:
			parts = append(parts, ts)
		case segBody:
			parts = append(parts, body)
		}
	}
	return parts
}

// sigPrefix is what precedes the encoded MAC when signing.
func (s *hmacSpec) sigPrefix() []byte {
	if s.verSep != 0 {
		return append([]byte(s.version), s.verSep)
	}
	return s.prefix
}

type hmacVerifier struct {
	spec   *hmacSpec
	pool   *macPool
	needID bool
}

var (
	_ Verifier  = (*hmacVerifier)(nil)
	_ Diagnoser = (*hmacVerifier)(nil)
)

func newHMACVerifier(spec *hmacSpec) *hmacVerifier {
	return &hmacVerifier{spec: spec, pool: newMacPool(spec.newHash, spec.keys, len(spec.tmpl)), needID: spec.needs(segID)}
}

func (v *hmacVerifier) IDHeader() string { return v.spec.idHeader }

// inputs reads the signature, id and timestamp headers; done is true when
// res already holds the verdict (missing or malformed header).
func (v *hmacVerifier) inputs(h Headers) (sig, id, tsb []byte, res Verification, done bool) {
	s := v.spec
	missing, badTS := false, false
	sig = h.Peek(s.sigHeader)
	if len(sig) == 0 {
		missing = true
	}
	if v.needID {
		if id = h.Peek(s.idHeader); len(id) == 0 {
			missing = true
		}
	}
	if s.ts != tsNone {
		if tsb = h.Peek(s.tsHeader); len(tsb) == 0 {
			missing = true
		} else {
			var ok bool
			res.Timestamp, ok = parseTS(s.ts, tsb)
			res.HasTimestamp = ok
			badTS = !ok
		}
	}
	switch {
	case missing:
		res.Result = trace.SigMissing
		return sig, id, tsb, res, true
	case badTS:
		res.Result = trace.SigMalformed
		return sig, id, tsb, res, true
	}
	return sig, id, tsb, res, false
}

// check computes the MAC over the template with the given id, timestamp
// text and body, and compares it with every signature in sig.
func (v *hmacVerifier) check(sig, id, tsb, body []byte) outcome {
	s := v.spec
	st := v.pool.get()
	st.parts = appendParts(st.parts, s.tmpl, id, tsb, body)
	v.pool.sum(st, st.parts...)

	var o outcome
	rest := sig
	for !o.valid {
		var tok []byte
		if s.multi {
			tok, rest = nextToken(rest, ' ')
		} else {
			tok, rest = bytes.TrimSpace(rest), nil
			if len(tok) == 0 {
				tok = nil
			}
		}
		if tok == nil {
			break
		}
		var enc []byte
		if s.verSep != 0 {
			i := bytes.IndexByte(tok, s.verSep)
			if i < 0 {
				o.malformed = true
				continue
			}
			if string(tok[:i]) != s.version {
				o.unknown = true
				continue
			}
			enc = tok[i+1:]
		} else {
			if !bytes.HasPrefix(tok, s.prefix) {
				o.malformed = true
				continue
			}
			enc = tok[len(s.prefix):]
		}
		n, ok := decodeSig(s.enc, st.dec[:], enc)
		switch {
		case !ok:
			o.malformed = true
		case v.pool.match(st, st.dec[:n]):
			o.valid = true
		default:
			o.mismatch = true
		}
	}
	v.pool.put(st)
	return o
}

func (v *hmacVerifier) Verify(h Headers, body []byte, now time.Time) Verification {
	sig, id, tsb, res, done := v.inputs(h)
	if done {
		return res
	}
	o := v.check(sig, id, tsb, body)
	if !o.valid {
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
func (v *hmacVerifier) Diagnose(h Headers, body []byte) trace.SigVariant {
	sig, id, tsb, _, done := v.inputs(h)
	if done {
		return trace.SigVariantNone
	}
	return diagnose(body, tsb, v.spec.ts, func(b, ts []byte) bool {
		return v.check(sig, id, ts, b).valid
	})
}

type hmacSigner struct {
	spec   *hmacSpec
	pool   *macPool
	prefix []byte
	nsign  int
}

var _ Signer = (*hmacSigner)(nil)

func newHMACSigner(spec *hmacSpec) *hmacSigner {
	n := 1
	if spec.signAll && spec.multi {
		n = len(spec.keys)
	}
	return &hmacSigner{spec: spec, pool: newMacPool(spec.newHash, spec.keys, len(spec.tmpl)), prefix: spec.sigPrefix(), nsign: n}
}

func appendTS(dst []byte, f tsFormat, ts time.Time) []byte {
	switch f {
	case tsUnix:
		return strconv.AppendInt(dst, ts.Unix(), 10)
	case tsUnixMs:
		return strconv.AppendInt(dst, ts.UnixMilli(), 10)
	case tsRFC3339:
		return ts.UTC().AppendFormat(dst, time.RFC3339Nano)
	}
	return dst
}

// Sign sets the id header (when the scheme has one), the timestamp header
// (when it has one) and the signature header. It does not allocate once
// its pool is warm (values are built in a pooled buffer that h copies).
func (g *hmacSigner) Sign(h HeaderSetter, msgID string, ts time.Time, body []byte) {
	s := g.spec
	st := g.pool.get()
	b := st.buf[:0]
	b = append(b, msgID...)
	idEnd := len(b)
	b = appendTS(b, s.ts, ts)
	tsEnd := len(b)
	id, tsb := b[:idEnd], b[idEnd:tsEnd]
	st.parts = appendParts(st.parts, s.tmpl, id, tsb, body)
	g.pool.sum(st, st.parts...)
	for i := 0; i < g.nsign; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, g.prefix...)
		b = appendSig(b, s.enc, g.pool.mac(st, i))
	}
	if s.idHeader != "" {
		h.SetBytesV(s.idHeader, b[:idEnd])
	}
	if s.tsHeader != "" {
		h.SetBytesV(s.tsHeader, b[idEnd:tsEnd])
	}
	h.SetBytesV(s.sigHeader, b[tsEnd:])
	st.buf = b[:0]
	g.pool.put(st)
}
