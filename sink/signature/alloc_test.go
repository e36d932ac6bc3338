//go:build !race

package signature

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestVerifyAllocs: Verify does not allocate for any HMAC scheme, on the
// valid path and on the mismatch path, with the test headers and with
// fasthttp's request header.
func TestVerifyAllocs(t *testing.T) {
	body := []byte(`{"type":"order.created","hookbench_id":"e-1","data":{"n":12345}}`)
	for _, f := range fixtures() {
		if f.cfg.Scheme == SchemeStandardV1a {
			continue // crypto/ed25519 allocates; documented
		}
		t.Run(f.name(), func(t *testing.T) {
			v := mustVerifier(t, f.cfg)
			s := mustSigner(t, f.cfg)
			th := &testHeaders{}
			s.Sign(th, "msg_1", fixtureNow, body)
			var fh fasthttp.RequestHeader
			s.Sign(&fh, "msg_1", fixtureNow, body)
			other := []byte(`{"type":"order.created","hookbench_id":"e-1","data":{"n":12346}}`)
			for _, c := range []struct {
				name string
				h    Headers
				body []byte
				want string
			}{
				{"test-headers/valid", th, body, f.valid},
				{"test-headers/mismatch", th, other, "mismatch"},
				{"fasthttp/valid", &fh, body, f.valid},
				{"fasthttp/mismatch", &fh, other, "mismatch"},
			} {
				if got := v.Verify(c.h, c.body, fixtureNow).Result.String(); got != c.want {
					t.Fatalf("%s: Verify = %s, want %s", c.name, got, c.want)
				}
				if n := testing.AllocsPerRun(200, func() { v.Verify(c.h, c.body, fixtureNow) }); n != 0 {
					t.Errorf("%s: Verify allocates %v times per call, want 0", c.name, n)
				}
			}
		})
	}
}

// TestSignAllocs: HMAC signers do not allocate with a header that copies
// into existing storage (fasthttp after its first use).
func TestSignAllocs(t *testing.T) {
	body := []byte(`{"type":"order.created","hookbench_id":"e-1"}`)
	for _, f := range fixtures() {
		if f.cfg.Scheme == SchemeStandardV1a {
			continue
		}
		t.Run(f.name(), func(t *testing.T) {
			s := mustSigner(t, f.cfg)
			var fh fasthttp.RequestHeader
			s.Sign(&fh, "msg_1", fixtureNow, body)
			if n := testing.AllocsPerRun(200, func() { s.Sign(&fh, "msg_1", fixtureNow, body) }); n != 0 {
				t.Errorf("Sign allocates %v times per call, want 0", n)
			}
		})
	}
}

// TestV1aSignAllocs pins what the ed25519 signer allocates: the signature
// returned by crypto/ed25519.Sign, one per key.
func TestV1aSignAllocs(t *testing.T) {
	s := mustSigner(t, Config{Scheme: SchemeStandardV1a, Secrets: []string{"whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="}})
	var fh fasthttp.RequestHeader
	body := []byte(`{"a":1}`)
	s.Sign(&fh, "msg_1", fixtureNow, body)
	if n := testing.AllocsPerRun(100, func() { s.Sign(&fh, "msg_1", fixtureNow, body) }); n > 1 {
		t.Errorf("v1a Sign allocates %v times per call, want <= 1", n)
	}
}
