package signature

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// Both interfaces are satisfied by fasthttp's request header.
var (
	_ Headers      = (*fasthttp.RequestHeader)(nil)
	_ HeaderSetter = (*fasthttp.RequestHeader)(nil)
	_ Headers      = (*testHeaders)(nil)
	_ HeaderSetter = (*testHeaders)(nil)
)

type kv struct {
	k string
	v []byte
}

// testHeaders is a small case-insensitive header set that does not
// allocate on Peek.
type testHeaders struct{ kvs []kv }

func hdrs(pairs ...string) *testHeaders {
	h := &testHeaders{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.SetBytesV(pairs[i], []byte(pairs[i+1]))
	}
	return h
}

func (h *testHeaders) Peek(name string) []byte {
	for i := range h.kvs {
		if strings.EqualFold(h.kvs[i].k, name) {
			return h.kvs[i].v
		}
	}
	return nil
}

func (h *testHeaders) SetBytesV(key string, value []byte) {
	for i := range h.kvs {
		if strings.EqualFold(h.kvs[i].k, key) {
			h.kvs[i].v = append(h.kvs[i].v[:0], value...)
			return
		}
	}
	h.kvs = append(h.kvs, kv{key, append([]byte(nil), value...)})
}

func (h *testHeaders) get(name string) string { return string(h.Peek(name)) }

func (h *testHeaders) clone() *testHeaders {
	c := &testHeaders{}
	for _, p := range h.kvs {
		c.SetBytesV(p.k, p.v)
	}
	return c
}

func (h *testHeaders) del(name string) *testHeaders {
	for i := range h.kvs {
		if strings.EqualFold(h.kvs[i].k, name) {
			h.kvs = append(h.kvs[:i], h.kvs[i+1:]...)
			return h
		}
	}
	return h
}

func mustVerifier(tb testing.TB, c Config) Verifier {
	tb.Helper()
	v, err := NewVerifier(c)
	if err != nil {
		tb.Fatalf("NewVerifier(%+v): %v", c.Scheme, err)
	}
	return v
}

func mustSigner(tb testing.TB, c Config) Signer {
	tb.Helper()
	s, err := NewSigner(c)
	if err != nil {
		tb.Fatalf("NewSigner(%+v): %v", c.Scheme, err)
	}
	return s
}
