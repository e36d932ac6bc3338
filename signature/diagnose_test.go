package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// diagBody has every property the variants change: spacing, key order,
// number forms, HTML characters, no trailing newline.
const diagBody = `{"z_last": 1,  "id": "e-1", "amount": 1.50, "s": "é/<&>", "n": {"b": [1, 2.0], "a": true}}`

// TestDiagnoseBody: a provider that signs a mistaken form of the body it
// sends is caught, and the form named, for every HMAC scheme shape.
func TestDiagnoseBody(t *testing.T) {
	t.Parallel()
	variants := []struct {
		want       trace.SigVariant
		sent, sign string
	}{
		{trace.SigCompactJSON, diagBody, string(compactJSON([]byte(diagBody)))},
		{trace.SigHTMLEscapedJSON, diagBody, strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(diagBody)},
		{trace.SigCompactHTMLJSON, diagBody, `{"z_last":1,"id":"e-1","amount":1.50,"s":"é/\u003c\u0026\u003e","n":{"b":[1,2.0],"a":true}}`},
		{trace.SigReencodedJSON, diagBody, `{"z_last":1,"id":"e-1","amount":1.5,"s":"é/<&>","n":{"b":[1,2],"a":true}}`},
		{trace.SigSortedJSON, diagBody, `{"amount":1.5,"id":"e-1","n":{"a":true,"b":[1,2]},"s":"é/<&>","z_last":1}`},
		{trace.SigSortedHTMLJSON, diagBody, `{"amount":1.5,"id":"e-1","n":{"a":true,"b":[1,2]},"s":"é/\u003c\u0026\u003e","z_last":1}`},
		{trace.SigTrailingNewline, diagBody, diagBody + "\n"},
		{trace.SigNoTrailingNewline, diagBody + "\r\n", diagBody},
		{trace.SigVariantNone, diagBody, `{"something":"else"}`},
	}
	for _, name := range []string{SchemeStandard, SchemeStripe, SchemeGitHub, SchemeShopify, SchemePaddle, "generic/X-Signature", "generic/X-Sig-Ms", "generic/X-Sig-Params"} {
		f := fixtureFor(t, name)
		v, s := mustVerifier(t, f.cfg), mustSigner(t, f.cfg)
		d, ok := v.(Diagnoser)
		if !ok {
			t.Fatalf("%s: verifier is not a Diagnoser", name)
		}
		for _, tc := range variants {
			h := &testHeaders{}
			s.Sign(h, "msg_d", fixtureNow, []byte(tc.sign))
			if got := v.Verify(h, []byte(tc.sent), fixtureNow).Result; got != trace.SigMismatch {
				t.Fatalf("%s/%s: Verify = %v, want mismatch", name, tc.want, got)
			}
			if got := d.Diagnose(h, []byte(tc.sent)); got != tc.want {
				t.Errorf("%s: Diagnose = %q, want %q", name, got, tc.want)
			}
		}
		// A valid request has nothing to diagnose beyond itself, and the
		// diagnosis never claims a variant for a wrong key.
		h := &testHeaders{}
		mustSigner(t, func() Config { c := f.cfg; c.Secrets = []string{mustGenerate(t, c.Scheme, 5)}; return c }()).Sign(h, "msg_d", fixtureNow, []byte(compactJSON([]byte(diagBody))))
		if got := d.Diagnose(h, []byte(diagBody)); got != trace.SigVariantNone {
			t.Errorf("%s: wrong key diagnosed as %q", name, got)
		}
	}
}

// TestDiagnoseTimestamp: the raw body signed with another timestamp than
// the one sent: a clock read twice, or the same instant in another unit.
func TestDiagnoseTimestamp(t *testing.T) {
	t.Parallel()
	body := []byte(diagBody)
	for _, name := range []string{SchemeStandard, SchemeStripe, SchemeSlack, "generic/X-Signature", "generic/X-Sig-Ms", "generic/X-Sig-Params"} {
		f := fixtureFor(t, name)
		v, s := mustVerifier(t, f.cfg), mustSigner(t, f.cfg)
		at := fixtureNow.Truncate(time.Second)
		signed, sent := &testHeaders{}, &testHeaders{}
		s.Sign(signed, "msg_t", at.Add(-2*time.Second), body)
		s.Sign(sent, "msg_t", at, body)
		// The signature computed 2 s earlier, under the timestamp sent.
		h := sent.clone()
		if f.tsHdr != "" {
			h.SetBytesV(f.sigHdr, signed.Peek(f.sigHdr))
		} else {
			sig := signed.get(f.sigHdr)
			ts := strconv.FormatInt(at.Unix(), 10)
			old := strconv.FormatInt(at.Add(-2*time.Second).Unix(), 10)
			h.SetBytesV(f.sigHdr, []byte(strings.Replace(sig, old, ts, 1)))
		}
		if got := v.Verify(h, body, at).Result; got != trace.SigMismatch {
			t.Fatalf("%s: Verify = %v, want mismatch", name, got)
		}
		if got := v.(Diagnoser).Diagnose(h, body); got != trace.SigOtherTimestamp {
			t.Errorf("%s: Diagnose = %q, want other-timestamp", name, got)
		}
	}
	// Stripe's shape, signed over the timestamp in milliseconds but sent in
	// seconds.
	m := hmac.New(sha256.New, []byte("whsec_test_secret"))
	m.Write([]byte("1614265330000." + diagBody))
	h := hdrs(HeaderStripeSignature, "t=1614265330,v1="+hex.EncodeToString(m.Sum(nil)))
	v := mustVerifier(t, Config{Scheme: SchemeStripe, Secrets: []string{"whsec_test_secret"}})
	if got := v.Verify(h, body, time.Unix(1614265330, 0)).Result; got != trace.SigMismatch {
		t.Fatalf("stripe/ms: Verify = %v", got)
	}
	if got := v.(Diagnoser).Diagnose(h, body); got != trace.SigTimestampFormat {
		t.Errorf("stripe/ms: Diagnose = %q, want timestamp-format", got)
	}
}

// FuzzDiagnose: arbitrary bodies and headers never panic, and a variant
// is only named when its MAC really matches.
func FuzzDiagnose(f *testing.F) {
	f.Add([]byte(diagBody), "t=1700000000,v1=00")
	f.Add([]byte("{\n}\n"), "t=x")
	f.Add([]byte(`[1e400, "\ud800"]`), "")
	fx := fixtureFor(f, "generic/X-Signature")
	v, s := mustVerifier(f, fx.cfg), mustSigner(f, fx.cfg)
	f.Fuzz(func(t *testing.T, body []byte, hdr string) {
		d := v.(Diagnoser)
		_ = d.Diagnose(hdrs(fx.sigHdr, hdr), body)
		h := &testHeaders{}
		c := compactJSON(body)
		if c == nil || string(c) == string(body) {
			return
		}
		s.Sign(h, "", fixtureNow, c)
		if got := d.Diagnose(h, body); got == trace.SigVariantNone {
			t.Fatalf("body %q signed compacted: no variant found", body)
		}
	})
}
