package signature

import (
	"bytes"
	"crypto/sha256"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// kvSpec describes schemes whose single header is a list of key=value
// items holding the timestamp and one or more signatures (Stripe, Paddle).
// The MAC is HMAC-SHA256 (hex) of timestamp + signedSep + raw body.
type kvSpec struct {
	keys      [][]byte
	tol       time.Duration
	header    string
	sep       byte   // item separator
	tsKey     string // e.g. "t"
	sigKey    string // e.g. "v1"; other keys are ignored (unknown versions)
	signedSep []byte // between timestamp and body in the signed content
}

type kvVerifier struct {
	spec *kvSpec
	pool *macPool
}

var _ Verifier = (*kvVerifier)(nil)

func newKVVerifier(spec *kvSpec) *kvVerifier {
	return &kvVerifier{spec: spec, pool: newMacPool(sha256.New, spec.keys, 0)}
}

func (v *kvVerifier) IDHeader() string { return "" }

func (v *kvVerifier) Verify(h Headers, body []byte, now time.Time) Verification {
	s := v.spec
	var res Verification
	hdr := h.Peek(s.header)
	if len(hdr) == 0 {
		res.Result = trace.SigMissing
		return res
	}
	// Pass 1: the timestamp (first occurrence) and the shape of every item.
	var tsb []byte
	var o outcome
	for tok, rest := nextToken(hdr, s.sep); tok != nil; tok, rest = nextToken(rest, s.sep) {
		i := bytes.IndexByte(tok, '=')
		if i < 0 {
			o.malformed = true
			continue
		}
		if string(tok[:i]) == s.tsKey && tsb == nil {
			tsb = tok[i+1:]
		}
	}
	if tsb == nil {
		res.Result = trace.SigMalformed
		return res
	}
	ts, ok := parseUnix(tsb)
	if !ok {
		res.Result = trace.SigMalformed
		return res
	}
	res.Timestamp, res.HasTimestamp = ts, true

	st := v.pool.get()
	v.pool.sum(st, tsb, s.signedSep, body)
	// Pass 2: the signatures.
	for tok, rest := nextToken(hdr, s.sep); tok != nil && !o.valid; tok, rest = nextToken(rest, s.sep) {
		i := bytes.IndexByte(tok, '=')
		if i < 0 {
			continue
		}
		switch string(tok[:i]) {
		case s.tsKey:
		case s.sigKey:
			n, ok := decodeHex(st.dec[:], tok[i+1:])
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
	if !o.valid {
		if !o.mismatch && !o.malformed {
			o.unknown = true // no signature of the known version at all
		}
		res.Result = o.failure()
		return res
	}
	res.Result = checkTime(ts, now, s.tol)
	return res
}

type kvSigner struct {
	spec *kvSpec
	pool *macPool
}

var _ Signer = (*kvSigner)(nil)

func newKVSigner(spec *kvSpec) *kvSigner {
	return &kvSigner{spec: spec, pool: newMacPool(sha256.New, spec.keys, 0)}
}

// Sign sets the signature header with the timestamp and one signature per
// secret (msgID is ignored). It does not allocate once its pool is warm.
func (g *kvSigner) Sign(h HeaderSetter, _ string, ts time.Time, body []byte) {
	s := g.spec
	st := g.pool.get()
	b := append(st.buf[:0], s.tsKey...)
	b = append(b, '=')
	tsStart := len(b)
	b = strconv.AppendInt(b, ts.Unix(), 10)
	g.pool.sum(st, b[tsStart:], s.signedSep, body)
	for i := range s.keys {
		b = append(b, s.sep)
		b = append(b, s.sigKey...)
		b = append(b, '=')
		b = appendSig(b, encHex, g.pool.mac(st, i))
	}
	h.SetBytesV(s.header, b)
	st.buf = b[:0]
	g.pool.put(st)
}
