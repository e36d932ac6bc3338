//go:build !race

package signature

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestVerifyAllocs: Verify does not allocate for any scheme, on the
// valid path and on the mismatch path (except the v1a mismatch, see below), with the test headers and with
// fasthttp's request header.
func TestVerifyAllocs(t *testing.T) {
	body := []byte(`{"type":"order.created","hookbench_id":"e-1","data":{"n":12345}}`)
	for _, f := range fixtures() {
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
				// crypto/ed25519.Verify builds an error for a bad signature:
				// one allocation on the v1a failure path only.
				want := 0.0
				if f.cfg.Scheme == SchemeStandardV1a && c.want == "mismatch" {
					want = 1
				}
				if n := testing.AllocsPerRun(200, func() { v.Verify(c.h, c.body, fixtureNow) }); n > want {
					t.Errorf("%s: Verify allocates %v times per call, want %v", c.name, n, want)
				}
			}
		})
	}
}

// TestSignAllocs: signers do not allocate with a header that copies
// into existing storage (fasthttp after its first use).
func TestSignAllocs(t *testing.T) {
	body := []byte(`{"type":"order.created","hookbench_id":"e-1"}`)
	for _, f := range fixtures() {
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
