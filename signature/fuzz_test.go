package signature

import (
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// fuzzScheme checks one scheme against arbitrary header values: Verify
// never panics, returns a known result, accepts nothing that was not
// signed, and a fresh signature over the fuzzed id/body always verifies.
func fuzzScheme(f *testing.F, scheme string, seeds ...string) {
	fx := fixtureFor(f, scheme)
	v, s := mustVerifier(f, fx.cfg), mustSigner(f, fx.cfg)
	base := &testHeaders{}
	s.Sign(base, "msg_seed", fixtureNow, []byte("{}"))
	f.Add(base.get(fx.sigHdr), base.get(fx.tsHdr), "msg_seed", []byte("{}"))
	for _, sd := range seeds {
		f.Add(sd, base.get(fx.tsHdr), "msg_seed", []byte("{}"))
	}
	f.Fuzz(func(t *testing.T, sig, ts, id string, body []byte) {
		h := hdrs(fx.sigHdr, sig)
		if fx.tsHdr != "" {
			h.SetBytesV(fx.tsHdr, []byte(ts))
		}
		if fx.idHdr != "" {
			h.SetBytesV(fx.idHdr, []byte(id))
		}
		got := v.Verify(h, body, fixtureNow)
		if got.Result == trace.SigNone || got.Result > trace.SigValidWeak {
			t.Fatalf("unexpected result %v", got.Result)
		}
		// Only the seed's signed inputs can verify: the signature text may
		// vary (hex case, extra unknown items, non-canonical base64 tail
		// bits) but the signed id, timestamp text and body cannot.
		if got.Result.OK() {
			signedSame := string(body) == "{}" && (!fx.signsID() || id == "msg_seed") &&
				(fx.tsHdr == "" || ts == base.get(fx.tsHdr)) && (!fx.hasTS || got.Timestamp == fixtureNow.Unix())
			if !signedSame {
				t.Fatalf("accepted unsigned input: sig %q ts %q id %q body %q", sig, ts, id, body)
			}
		}
		// Round trip over the fuzzed id and body.
		if id == "" && fx.signsID() {
			return
		}
		h2 := &testHeaders{}
		s.Sign(h2, id, fixtureNow, body)
		if got := v.Verify(h2, body, fixtureNow); got.Result.String() != fx.valid {
			t.Fatalf("round trip id %q body %q: %v", id, body, got.Result)
		}
	})
}

func FuzzVerifyStandard(f *testing.F) {
	fuzzScheme(f, SchemeStandard, "v1,AAAA v2,xx", "v1a,AAAA", ",,, ", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
}

func FuzzVerifyStandardV1a(f *testing.F) {
	fuzzScheme(f, SchemeStandardV1a, "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==", "v1,AAAA", "v1a,")
}

func FuzzVerifyStripe(f *testing.F) {
	fuzzScheme(f, SchemeStripe, "t=1700000000,v1=00,v0=ff", "t=,v1=", "v1=abcd,t=1", "t=1700000000;v1=00")
}

func FuzzVerifyPaddle(f *testing.F) {
	fuzzScheme(f, SchemePaddle, "ts=1700000000;h1=00", "ts=;h1=", "h1=abcd;ts=1", "ts=1700000000,h1=00")
}

func FuzzVerifyGitHub(f *testing.F) {
	fuzzScheme(f, SchemeGitHub, "sha256=", "sha1=126f2c800419c60137ce748d7672e77b65cf16d6", "sha256=zz")
}

func FuzzVerifyShopify(f *testing.F) {
	fuzzScheme(f, SchemeShopify, "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw=", "====", "QQ")
}

func FuzzVerifySlack(f *testing.F) {
	fuzzScheme(f, SchemeSlack, "v0=", "v1=abcd", "v0=zz")
}

func FuzzVerifyTwitch(f *testing.F) {
	fuzzScheme(f, SchemeTwitch, "sha256=00", "sha256=", "sha1=ab")
}

func FuzzVerifyGeneric(f *testing.F) {
	fuzzScheme(f, SchemeGeneric, "v9=AAAA v9=BBBB", "v9=", "AAAA")
}

// FuzzGenericConfig: arbitrary generic configurations either fail
// validation with an error or sign and verify their own requests.
func FuzzGenericConfig(f *testing.F) {
	f.Add("X-Sig", "sha256", "hex", "sha256=", "{id}.{timestamp}.{body}", "X-Id", "X-Ts", "", "", "", "", "", "msg", []byte("{}"))
	f.Add("X-Sig", "sha1", "base64", "", "{body}", "", "", "", "", "", "", "", "", []byte{})
	f.Add("X Sig", "md5", "base32", "a b", "{url}", "X:Id", "", "", "", "", "", "", "m", []byte("x"))
	f.Add("X-Signature", "", "", "", "{timestamp},{body}", "", "", "unix-ms", "t", "v1", "", "", "", []byte("{}"))
	f.Add("X-Signature", "sha512", "base64", "", "{id}|{timestamp}|{body}", "X-Id", "X-Ts", "rfc3339", "", "s", ";", ":", "m", []byte("{}"))
	f.Fuzz(func(t *testing.T, header, alg, enc, prefix, tmpl, idh, tsh, tsf, tsp, sigp, psep, ksep, id string, body []byte) {
		c := Config{Scheme: SchemeGeneric, Secrets: []string{"k"}, Header: header, Algorithm: alg, Encoding: enc,
			Prefix: prefix, Template: tmpl, IDHeader: idh, TimestampHeader: tsh, TimestampFormat: tsf, TimestampParam: tsp,
			SignatureParam: sigp, ParamSeparator: psep, KeySeparator: ksep}
		v, err := NewVerifier(c)
		if err != nil {
			return
		}
		s, err := NewSigner(c)
		if err != nil {
			t.Fatalf("verifier accepted but signer rejected: %v", err)
		}
		h := &testHeaders{}
		s.Sign(h, id, fixtureNow, body)
		want := trace.SigValid
		if alg == "sha1" {
			want = trace.SigValidWeak
		}
		got := v.Verify(h, body, fixtureNow).Result
		// Header names that collide (e.g. Header == IDHeader) make the
		// last write win; an empty id is reported missing when signed.
		if collide(header, idh, tsh) || (id == "" && idh != "" && containsID(tmpl)) {
			return
		}
		if got != want {
			t.Fatalf("round trip: %v, want %v (config %+v, headers %q)", got, want, c, h.kvs)
		}
	})
}

func containsID(tmpl string) bool {
	segs, err := parseTemplate(tmpl)
	if err != nil {
		return false
	}
	for _, s := range segs {
		if s.kind == segID {
			return true
		}
	}
	return false
}

func collide(names ...string) bool {
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[i] != "" && equalFold(names[i], names[j]) {
				return true
			}
		}
	}
	return false
}

func equalFold(a, b string) bool {
	h := hdrs(a, "x")
	return h.Peek(b) != nil
}

// FuzzParseRFC3339 compares the allocation-free parser with time.Parse.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2019-11-16T10:11:12.634234626Z", "2019-11-16T11:11:12+01:00", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseRFC3339([]byte(s))
		ref, err := time.Parse(time.RFC3339Nano, s)
		if ok && err == nil && got != ref.Unix() {
			t.Fatalf("parseRFC3339(%q) = %d, time.Parse = %d", s, got, ref.Unix())
		}
	})
}
