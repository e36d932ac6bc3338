package signature

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// Standard Webhooks v1a: the same headers and signed content as v1, signed
// with ed25519: "v1a,<base64 signature>". Secret keys are
// "whsk_" + base64(32-byte seed or 64-byte private key), public keys
// "whpk_" + base64(32 bytes). A verifier accepts either (a secret key is
// reduced to its public key); a signer needs secret keys.

// Key prefixes of Standard Webhooks v1a.
const (
	WhskPrefix = "whsk_"
	WhpkPrefix = "whpk_"
)

// ErrPublicKeyOnly: a v1a signer was given a public key.
var ErrPublicKeyOnly = errors.New("public key cannot sign (want " + WhskPrefix + "…)")

func decodeEd25519(s string) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	var raw string
	pub := false
	switch {
	case strings.HasPrefix(s, WhskPrefix):
		raw = s[len(WhskPrefix):]
	case strings.HasPrefix(s, WhpkPrefix):
		raw, pub = s[len(WhpkPrefix):], true
	default:
		return nil, nil, errors.New("want " + WhskPrefix + "<base64> or " + WhpkPrefix + "<base64>")
	}
	k, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		if k, err = base64.RawStdEncoding.DecodeString(raw); err != nil {
			return nil, nil, errors.New("key is not standard base64")
		}
	}
	if pub {
		if len(k) != ed25519.PublicKeySize {
			return nil, nil, errors.New("public key has " + strconv.Itoa(len(k)) + " bytes, want 32")
		}
		return ed25519.PublicKey(k), nil, nil
	}
	var priv ed25519.PrivateKey
	switch len(k) {
	case ed25519.SeedSize:
		priv = ed25519.NewKeyFromSeed(k)
	case ed25519.PrivateKeySize:
		priv = ed25519.PrivateKey(k)
		if !bytes.Equal(ed25519.NewKeyFromSeed(k[:32])[32:], k[32:]) {
			return nil, nil, errors.New("private key's public half does not match its seed")
		}
	default:
		return nil, nil, errors.New("secret key has " + strconv.Itoa(len(k)) + " bytes, want 32 (seed) or 64")
	}
	return priv.Public().(ed25519.PublicKey), priv, nil
}

// PublicKey returns the "whpk_" public key for a standard-v1a secret key
// ("whsk_…"); a "whpk_" key is returned unchanged after validation.
func PublicKey(secret string) (string, error) {
	pub, _, err := decodeEd25519(secret)
	if err != nil {
		return "", &ConfigError{Field: "secret", Err: errors.Join(ErrInvalidSecret, err)}
	}
	return WhpkPrefix + base64.StdEncoding.EncodeToString(pub), nil
}

type edState struct {
	msg []byte
	dec [maxDigest]byte
}

type edPool struct{ pool sync.Pool }

func newEdPool() *edPool {
	p := &edPool{}
	p.pool.New = func() any { return &edState{msg: make([]byte, 0, 1024)} }
	return p
}

func (p *edPool) get() *edState { return p.pool.Get().(*edState) }

func (p *edPool) put(st *edState) {
	if cap(st.msg) > 4<<20 { // do not pin huge bodies
		st.msg = make([]byte, 0, 1024)
	}
	p.pool.Put(st)
}

func appendSigned(dst, id, ts, body []byte) []byte {
	dst = append(dst, id...)
	dst = append(dst, '.')
	dst = append(dst, ts...)
	dst = append(dst, '.')
	return append(dst, body...)
}

type v1aVerifier struct {
	pubs []ed25519.PublicKey
	tol  time.Duration
	pool *edPool
}

var _ Verifier = (*v1aVerifier)(nil)

func newV1aVerifier(cc *compiled) *v1aVerifier {
	return &v1aVerifier{pubs: cc.edPub, tol: cc.tol, pool: newEdPool()}
}

func (v *v1aVerifier) IDHeader() string { return HeaderWebhookID }

// Verify checks "v1a,…" signatures. The signed content is assembled in a
// pooled buffer; no allocation once the pool is warm, except that
// crypto/ed25519.Verify allocates its error for a signature that fails.
func (v *v1aVerifier) Verify(h Headers, body []byte, now time.Time) Verification {
	var res Verification
	id := h.Peek(HeaderWebhookID)
	tsb := h.Peek(HeaderWebhookTimestamp)
	sig := h.Peek(HeaderWebhookSignature)
	if len(tsb) > 0 {
		res.Timestamp, res.HasTimestamp = parseUnix(tsb)
	}
	switch {
	case len(id) == 0 || len(tsb) == 0 || len(sig) == 0:
		res.Result = trace.SigMissing
		return res
	case !res.HasTimestamp:
		res.Result = trace.SigMalformed
		return res
	}
	st := v.pool.get()
	st.msg = appendSigned(st.msg[:0], id, tsb, body)
	var o outcome
	for tok, rest := nextToken(sig, ' '); tok != nil && !o.valid; tok, rest = nextToken(rest, ' ') {
		i := bytes.IndexByte(tok, ',')
		if i < 0 {
			o.malformed = true
			continue
		}
		if string(tok[:i]) != "v1a" {
			o.unknown = true
			continue
		}
		n, ok := decodeBase64(st.dec[:], tok[i+1:])
		if !ok {
			o.malformed = true
			continue
		}
		if n != ed25519.SignatureSize {
			o.mismatch = true
			continue
		}
		o.mismatch = true
		for _, pub := range v.pubs {
			if ed25519.Verify(pub, st.msg, st.dec[:n]) {
				o.valid = true
				break
			}
		}
	}
	v.pool.put(st)
	if !o.valid {
		res.Result = o.failure()
		return res
	}
	res.Result = checkTime(res.Timestamp, now, v.tol)
	return res
}

type v1aSigner struct {
	privs []ed25519.PrivateKey
	pool  *edPool
}

var _ Signer = (*v1aSigner)(nil)

func newV1aSigner(cc *compiled) (*v1aSigner, error) {
	for i, p := range cc.edPriv {
		if p == nil {
			return nil, &ConfigError{Field: "secrets[" + strconv.Itoa(i) + "]", Err: errors.Join(ErrInvalidSecret, ErrPublicKeyOnly)}
		}
	}
	return &v1aSigner{privs: cc.edPriv, pool: newEdPool()}, nil
}

// Sign sets webhook-id, webhook-timestamp and webhook-signature with one
// "v1a," signature per secret key. No allocation once the pool is warm
// (crypto/ed25519.Sign's result stays on the stack with Go 1.26).
func (g *v1aSigner) Sign(h HeaderSetter, msgID string, ts time.Time, body []byte) {
	st := g.pool.get()
	// Layout of st.msg: id | ts | signed content | header value.
	b := append(st.msg[:0], msgID...)
	idEnd := len(b)
	b = strconv.AppendInt(b, ts.Unix(), 10)
	tsEnd := len(b)
	b = appendSigned(b, b[:idEnd], b[idEnd:tsEnd], body)
	msgEnd := len(b)
	for i, priv := range g.privs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, "v1a,"...)
		b = base64.StdEncoding.AppendEncode(b, ed25519.Sign(priv, b[tsEnd:msgEnd]))
	}
	h.SetBytesV(HeaderWebhookID, b[:idEnd])
	h.SetBytesV(HeaderWebhookTimestamp, b[idEnd:tsEnd])
	h.SetBytesV(HeaderWebhookSignature, b[msgEnd:])
	st.msg = b[:0]
	g.pool.put(st)
}
