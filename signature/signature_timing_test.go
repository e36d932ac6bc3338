package signature

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"
)

// benchBody is a typical 1 KiB JSON event.
var benchBody = append([]byte(`{"type":"order.created","hookbench_id":"e-000001","data":`), append(bytes.Repeat([]byte(`"x",`), 240), `"y"}`...)...)

// BenchmarkVerify measures Verify per scheme over a fasthttp request
// header, valid signature, 1 KiB body.
func BenchmarkVerify(b *testing.B) {
	for _, f := range fixtures() {
		b.Run(f.name(), func(b *testing.B) {
			v, s := mustVerifier(b, f.cfg), mustSigner(b, f.cfg)
			var h fasthttp.RequestHeader
			s.Sign(&h, "msg_p5jXN8AQM9LWM0D4loKWxJek", fixtureNow, benchBody)
			if got := v.Verify(&h, benchBody, fixtureNow).Result.String(); got != f.valid {
				b.Fatalf("Verify = %s", got)
			}
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				v.Verify(&h, benchBody, fixtureNow)
			}
		})
	}
}

// BenchmarkVerifyStandardRotation: two secrets, three signatures (one
// unknown version), the valid one last.
func BenchmarkVerifyStandardRotation(b *testing.B) {
	old, cur := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	v := mustVerifier(b, Config{Scheme: SchemeStandard, Secrets: []string{old, cur}})
	var h fasthttp.RequestHeader
	mustSigner(b, Config{Scheme: SchemeStandard, Secrets: []string{cur}}).Sign(&h, "msg_1", fixtureNow, benchBody)
	h.Set(HeaderWebhookSignature, "v2,AAAA v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "+string(h.Peek(HeaderWebhookSignature)))
	if !v.Verify(&h, benchBody, fixtureNow).Result.OK() {
		b.Fatal("not valid")
	}
	b.ReportAllocs()
	for b.Loop() {
		v.Verify(&h, benchBody, fixtureNow)
	}
}

// BenchmarkVerifyStandardParallel: one verifier shared by all goroutines,
// as in the sink.
func BenchmarkVerifyStandardParallel(b *testing.B) {
	f := fixtureFor(b, SchemeStandard)
	v, s := mustVerifier(b, f.cfg), mustSigner(b, f.cfg)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var h fasthttp.RequestHeader
		s.Sign(&h, "msg_1", fixtureNow, benchBody)
		for pb.Next() {
			if !v.Verify(&h, benchBody, fixtureNow).Result.OK() {
				b.Error("not valid")
				return
			}
		}
	})
}

// BenchmarkSign measures Sign per scheme into a fasthttp request header.
func BenchmarkSign(b *testing.B) {
	for _, f := range fixtures() {
		b.Run(f.name(), func(b *testing.B) {
			s := mustSigner(b, f.cfg)
			var h fasthttp.RequestHeader
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				s.Sign(&h, "msg_p5jXN8AQM9LWM0D4loKWxJek", fixtureNow, benchBody)
			}
		})
	}
}

// BenchmarkDiagnose measures the mismatch path's diagnosis over the 1 KiB
// body: found at once (the provider signed the body with a newline
// appended) and not found (every variant and timestamp tried).
func BenchmarkDiagnose(b *testing.B) {
	f := fixtureFor(b, SchemeStandard)
	v, s := mustVerifier(b, f.cfg), mustSigner(b, f.cfg)
	d := v.(Diagnoser)
	for _, tc := range []struct {
		name   string
		signed []byte
	}{
		{"found", append(append([]byte(nil), benchBody...), '\n')},
		{"not-found", []byte(`{"other":true}`)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var h fasthttp.RequestHeader
			s.Sign(&h, "msg_1", fixtureNow, tc.signed)
			b.ReportAllocs()
			for b.Loop() {
				d.Diagnose(&h, benchBody)
			}
		})
	}
}
