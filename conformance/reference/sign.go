package reference

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file adapts the signature schemes to the delivery engine. It is
// an interim Standard Webhooks v1 implementation written against the
// sink/signature contract (Signer, HeaderSetter, GenerateSecret); it is
// replaced by sink/signature once that package lands.

// headerSetter is sink/signature.HeaderSetter.
type headerSetter interface {
	SetBytesV(key string, value []byte)
}

// signer is sink/signature.Signer.
type signer interface {
	Sign(h headerSetter, msgID string, ts time.Time, body []byte)
}

// schemeNone means unsigned deliveries.
const schemeNone = "none"

func knownSchemes() []string { return []string{"standard", schemeNone} }

func checkScheme(s string) error {
	if s == "" {
		return nil
	}
	for _, k := range knownSchemes() {
		if s == k {
			return nil
		}
	}
	return fmt.Errorf("unknown signature scheme %q (known: %s)", s, strings.Join(knownSchemes(), ", "))
}

// newSigner returns the signer of a scheme; "" and "none" sign nothing.
func newSigner(scheme string, secrets []string) (signer, error) {
	switch scheme {
	case "", schemeNone:
		return nopSigner{}, nil
	case "standard":
		keys := make([][]byte, 0, len(secrets))
		for i, s := range secrets {
			k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
			if err != nil || len(k) == 0 {
				return nil, fmt.Errorf("secret %d: want whsec_ followed by base64", i)
			}
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("standard: no secret")
		}
		st := &standardSigner{}
		st.pool.New = func() any {
			sc := &stdScratch{}
			for _, k := range keys {
				sc.macs = append(sc.macs, hmac.New(sha256.New, k))
			}
			return sc
		}
		return st, nil
	}
	return nil, checkScheme(scheme)
}

// generateSecret returns a fresh secret for the scheme.
func generateSecret(scheme string, rnd io.Reader) (string, error) {
	var b [24]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:]), nil
}

type nopSigner struct{}

func (nopSigner) Sign(headerSetter, string, time.Time, []byte) {}

type standardSigner struct {
	pool sync.Pool // of *stdScratch
}

type stdScratch struct {
	macs []hash.Hash
	buf  []byte
	pre  []byte
	sum  []byte
}

func (s *standardSigner) Sign(h headerSetter, msgID string, ts time.Time, body []byte) {
	sc := s.pool.Get().(*stdScratch)
	var tsb [20]byte
	t := strconv.AppendInt(tsb[:0], ts.Unix(), 10)
	sc.buf = append(sc.buf[:0], msgID...)
	h.SetBytesV("webhook-id", sc.buf)
	h.SetBytesV("webhook-timestamp", t)
	sc.pre = append(append(append(append(sc.pre[:0], msgID...), '.'), t...), '.')
	sc.buf = sc.buf[:0]
	for i, m := range sc.macs {
		m.Reset()
		m.Write(sc.pre)
		m.Write(body)
		sc.sum = m.Sum(sc.sum[:0])
		if i > 0 {
			sc.buf = append(sc.buf, ' ')
		}
		sc.buf = append(sc.buf, "v1,"...)
		sc.buf = base64.StdEncoding.AppendEncode(sc.buf, sc.sum)
	}
	h.SetBytesV("webhook-signature", sc.buf)
	s.pool.Put(sc)
}
