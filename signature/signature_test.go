package signature

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// seeded returns a deterministic byte source for GenerateSecret.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range s {
		s[i] = byte(seed >> (8 * (i % 8)))
	}
	return rand.NewChaCha8(s)
}

func TestSchemesAllConstructible(t *testing.T) {
	t.Parallel()
	got := map[string]bool{}
	for _, f := range fixtures() {
		got[f.cfg.Scheme] = true
	}
	for _, s := range Schemes() {
		if !got[s] {
			t.Errorf("scheme %q has no test fixture", s)
		}
		sec, err := GenerateSecret(s, seeded(1))
		if err != nil {
			t.Fatalf("GenerateSecret(%q): %v", s, err)
		}
		c := Config{Scheme: s, Secrets: []string{sec}}
		if s == SchemeGeneric {
			c.Header = "X-Signature"
		}
		if _, err := NewVerifier(c); err != nil {
			t.Errorf("NewVerifier(%q with generated secret): %v", s, err)
		}
		if _, err := NewSigner(c); err != nil {
			t.Errorf("NewSigner(%q with generated secret): %v", s, err)
		}
	}
	if len(got) != len(Schemes()) {
		t.Errorf("fixtures cover %d schemes, Schemes() has %d", len(got), len(Schemes()))
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	bodies := [][]byte{
		[]byte(`{"hookbench_id":"e-1"}`),
		{},
		{0, 0xff, 0xfe, '\n', '"'},
		bytes.Repeat([]byte("x"), 70000),
	}
	for _, f := range fixtures() {
		t.Run(f.name(), func(t *testing.T) {
			t.Parallel()
			for i, secret := range []string{f.cfg.Secrets[0], mustGenerate(t, f.cfg.Scheme, 7)} {
				c := f.cfg
				c.Secrets = []string{secret}
				v, s := mustVerifier(t, c), mustSigner(t, c)
				for _, body := range bodies {
					h := &testHeaders{}
					s.Sign(h, "msg_2Ux", fixtureNow, body)
					got := v.Verify(h, body, fixtureNow)
					if got.Result.String() != f.valid {
						t.Fatalf("secret %d body %d: Verify = %v, want %s (headers %v)", i, len(body), got.Result, f.valid, h.kvs)
					}
					if got.HasTimestamp != f.hasTS || (f.hasTS && got.Timestamp != fixtureNow.Unix()) {
						t.Fatalf("timestamp = %d,%v want %d,%v", got.Timestamp, got.HasTimestamp, fixtureNow.Unix(), f.hasTS)
					}
					if f.idHdr != "" && h.get(f.idHdr) != "msg_2Ux" {
						t.Fatalf("id header %s = %q, want msg_2Ux", f.idHdr, h.get(f.idHdr))
					}
					if v.IDHeader() != f.idHdr {
						t.Fatalf("IDHeader() = %q, want %q", v.IDHeader(), f.idHdr)
					}
					var fh fasthttp.RequestHeader
					s.Sign(&fh, "msg_2Ux", fixtureNow, body)
					if got := v.Verify(&fh, body, fixtureNow); got.Result.String() != f.valid {
						t.Fatalf("fasthttp header: Verify = %v, want %s", got.Result, f.valid)
					}
				}
			}
		})
	}
}

func mustGenerate(tb testing.TB, scheme string, seed uint64) string {
	tb.Helper()
	s, err := GenerateSecret(scheme, seeded(seed))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// unknownOnly returns a signature header value holding only signatures of
// versions the scheme does not know ("" when the scheme has no versions).
func unknownOnly(f fixture, ts int64) string {
	t := strconv.FormatInt(ts, 10)
	switch f.cfg.Scheme {
	case SchemeStandard, SchemeSvix:
		return "v2,AAAA v1a,AAAA"
	case SchemeStandardV1a:
		return "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v2,AAAA"
	case SchemeStripe:
		return "t=" + t + ",v0=abcdef"
	case SchemePaddle:
		return "ts=" + t + ";h2=abcdef"
	case SchemeGitHub:
		return "sha512=abcdef"
	case SchemeGitHubSHA1:
		return "sha256=abcdef"
	case SchemeSlack, SchemeZoom:
		return "v1=abcdef"
	case SchemeTwitch:
		return "sha1=abcdef"
	}
	return ""
}

// TestFailureReasons: every reason a scheme can report, produced from a
// correctly signed request by changing one thing.
func TestFailureReasons(t *testing.T) {
	t.Parallel()
	body := []byte(`{"hookbench_id":"e-2","n":1}`)
	for _, f := range fixtures() {
		t.Run(f.name(), func(t *testing.T) {
			t.Parallel()
			v, s := mustVerifier(t, f.cfg), mustSigner(t, f.cfg)
			signed := &testHeaders{}
			s.Sign(signed, "msg_1", fixtureNow, body)
			tol := defaultTolerance(f.cfg.Scheme)
			type tc struct {
				name string
				h    *testHeaders
				body []byte
				now  time.Time
				want trace.SigResult
			}
			cases := []tc{
				{"valid", signed, body, fixtureNow, map[string]trace.SigResult{"valid": trace.SigValid, "valid-weak": trace.SigValidWeak}[f.valid]},
				{"missing-signature", signed.clone().del(f.sigHdr), body, fixtureNow, trace.SigMissing},
				{"empty-signature", func() *testHeaders { h := signed.clone(); h.SetBytesV(f.sigHdr, nil); return h }(), body, fixtureNow, trace.SigMissing},
				{"malformed-signature", func() *testHeaders { h := signed.clone(); h.SetBytesV(f.sigHdr, []byte("%%%")); return h }(), body, fixtureNow, trace.SigMalformed},
				{"mismatch-body", signed, append([]byte{' '}, body...), fixtureNow, trace.SigMismatch},
			}
			if f.tsHdr != "" {
				cases = append(cases,
					tc{"missing-timestamp", signed.clone().del(f.tsHdr), body, fixtureNow, trace.SigMissing},
					tc{"malformed-timestamp", func() *testHeaders { h := signed.clone(); h.SetBytesV(f.tsHdr, []byte("12x")); return h }(), body, fixtureNow, trace.SigMalformed})
			}
			if f.cfg.Scheme == SchemeStripe || f.cfg.Scheme == SchemePaddle {
				sig := signed.get(f.sigHdr)
				key := sig[:strings.IndexByte(sig, '=')]
				cases = append(cases,
					tc{"malformed-timestamp", func() *testHeaders {
						h := signed.clone()
						h.SetBytesV(f.sigHdr, []byte(strings.Replace(sig, key+"=", key+"=x", 1)))
						return h
					}(), body, fixtureNow, trace.SigMalformed},
					tc{"no-timestamp", func() *testHeaders {
						h := signed.clone()
						h.SetBytesV(f.sigHdr, []byte(sig[strings.IndexAny(sig, ",;")+1:]))
						return h
					}(), body, fixtureNow, trace.SigMalformed})
			}
			if f.signsID() {
				cases = append(cases, tc{"missing-id", signed.clone().del(f.idHdr), body, fixtureNow, trace.SigMissing})
			} else if f.idHdr != "" {
				want := cases[0].want // the id is not signed: absent id is fine
				cases = append(cases, tc{"absent-unsigned-id", signed.clone().del(f.idHdr), body, fixtureNow, want})
			}
			if u := unknownOnly(f, fixtureNow.Unix()); u != "" {
				cases = append(cases, tc{"unknown-versions-only", func() *testHeaders { h := signed.clone(); h.SetBytesV(f.sigHdr, []byte(u)); return h }(), body, fixtureNow, trace.SigNoKnownVer})
			}
			if f.hasTS {
				late, early := &testHeaders{}, &testHeaders{}
				edge := &testHeaders{}
				s.Sign(late, "msg_1", fixtureNow.Add(-tol-time.Second), body)
				s.Sign(early, "msg_1", fixtureNow.Add(tol+time.Second), body)
				s.Sign(edge, "msg_1", fixtureNow.Add(-tol), body)
				cases = append(cases,
					tc{"stale", late, body, fixtureNow, trace.SigStale},
					tc{"future", early, body, fixtureNow, trace.SigFuture},
					tc{"edge-of-tolerance", edge, body, fixtureNow, cases[0].want},
					tc{"stale-and-mismatch-is-mismatch", late, body[1:], fixtureNow, trace.SigMismatch})
			} else {
				cases = append(cases, tc{"no-timestamp-scheme-never-stale", signed, body, fixtureNow.Add(1000 * time.Hour), cases[0].want})
			}
			for _, c := range cases {
				got := v.Verify(c.h, c.body, c.now)
				if got.Result != c.want {
					t.Errorf("%s: Verify = %v, want %v (headers %q)", c.name, got.Result, c.want, c.h.kvs)
				}
				if c.want == trace.SigStale || c.want == trace.SigFuture {
					if !got.HasTimestamp {
						t.Errorf("%s: no timestamp reported", c.name)
					}
				}
			}
		})
	}
}

func TestCustomTolerance(t *testing.T) {
	t.Parallel()
	c := Config{Scheme: SchemeStandard, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Tolerance: 10 * time.Second}
	v, s := mustVerifier(t, c), mustSigner(t, c)
	body := []byte("{}")
	for _, tc := range []struct {
		off  time.Duration
		want trace.SigResult
	}{
		{0, trace.SigValid}, {-10 * time.Second, trace.SigValid}, {10 * time.Second, trace.SigValid},
		{-11 * time.Second, trace.SigStale}, {11 * time.Second, trace.SigFuture}, {-time.Hour, trace.SigStale},
	} {
		h := &testHeaders{}
		s.Sign(h, "m", fixtureNow.Add(tc.off), body)
		got := v.Verify(h, body, fixtureNow)
		if got.Result != tc.want || got.Timestamp != fixtureNow.Add(tc.off).Unix() {
			t.Errorf("signed at now%+v: %v ts %d, want %v", tc.off, got.Result, got.Timestamp, tc.want)
		}
	}
}

// TestRotation: a verifier with several secrets accepts any; multi-signature
// schemes sign with every secret, the others with the first.
func TestRotation(t *testing.T) {
	t.Parallel()
	body := []byte(`{"rotate":true}`)
	for _, f := range fixtures() {
		t.Run(f.name(), func(t *testing.T) {
			t.Parallel()
			oldS, newS, otherS := f.cfg.Secrets[0], mustGenerate(t, f.cfg.Scheme, 11), mustGenerate(t, f.cfg.Scheme, 12)
			with := func(secrets ...string) Config { c := f.cfg; c.Secrets = secrets; return c }
			both := mustVerifier(t, with(oldS, newS))
			for _, tc := range []struct {
				name    string
				signer  []string
				verify  []string
				want    string
				sigsOut int
			}{
				{"old-signer", []string{oldS}, []string{oldS, newS}, f.valid, 1},
				{"new-signer", []string{newS}, []string{oldS, newS}, f.valid, 1},
				{"other-signer", []string{otherS}, []string{oldS, newS}, "mismatch", 1},
				{"two-key-signer-new-verifier", []string{oldS, newS}, []string{newS}, map[bool]string{true: f.valid, false: "mismatch"}[signsAll(f)], 0},
				{"two-key-signer-old-verifier", []string{oldS, newS}, []string{oldS}, f.valid, 0},
			} {
				v := both
				if len(tc.verify) != 2 {
					v = mustVerifier(t, with(tc.verify...))
				}
				h := &testHeaders{}
				mustSigner(t, with(tc.signer...)).Sign(h, "msg_r", fixtureNow, body)
				if got := v.Verify(h, body, fixtureNow); got.Result.String() != tc.want {
					t.Errorf("%s: Verify = %v, want %s (%s: %q)", tc.name, got.Result, tc.want, f.sigHdr, h.get(f.sigHdr))
				}
			}
		})
	}
}

func signsAll(f fixture) bool {
	switch f.cfg.Scheme {
	case SchemeStandard, SchemeSvix, SchemeStandardV1a, SchemeStripe, SchemePaddle:
		return true
	case SchemeGeneric:
		return f.cfg.TimestampParam != "" || f.cfg.SignatureParam != ""
	}
	return false
}

func TestSignerHeaderShape(t *testing.T) {
	t.Parallel()
	two := func(scheme string, secrets ...string) *testHeaders {
		h := &testHeaders{}
		mustSigner(t, Config{Scheme: scheme, Secrets: secrets}).Sign(h, "msg_x", time.Unix(1614265330, 0), []byte("{}"))
		return h
	}
	std := two(SchemeStandard, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_plJ3nmyCDGBKInavdOK15jsl").get(HeaderWebhookSignature)
	if p := strings.Split(std, " "); len(p) != 2 || !strings.HasPrefix(p[0], "v1,") || !strings.HasPrefix(p[1], "v1,") || p[0] == p[1] {
		t.Errorf("standard with two secrets: %q", std)
	}
	stripe := two(SchemeStripe, "a", "b").get(HeaderStripeSignature)
	if p := strings.Split(stripe, ","); len(p) != 3 || p[0] != "t=1614265330" || !strings.HasPrefix(p[1], "v1=") || !strings.HasPrefix(p[2], "v1=") {
		t.Errorf("stripe with two secrets: %q", stripe)
	}
	paddle := two(SchemePaddle, "a", "b").get(HeaderPaddleSignature)
	if p := strings.Split(paddle, ";"); len(p) != 3 || p[0] != "ts=1614265330" || !strings.HasPrefix(p[2], "h1=") {
		t.Errorf("paddle with two secrets: %q", paddle)
	}
	tw := two(SchemeTwitch, "abcdefghijkl")
	if got := tw.get(HeaderTwitchTimestamp); got != "2021-02-25T15:02:10Z" {
		t.Errorf("twitch timestamp = %q", got)
	}
	if tw.get(HeaderTwitchID) != "msg_x" {
		t.Errorf("twitch id = %q", tw.get(HeaderTwitchID))
	}
}

// TestUnknownVersionsIgnored: unknown versions next to a valid signature
// do not change the verdict, in any order.
func TestUnknownVersionsIgnored(t *testing.T) {
	t.Parallel()
	body := []byte(`{"v":2}`)
	for _, tc := range []struct {
		scheme string
		hdr    string
		extra  func(valid string) []string
	}{
		{SchemeStandard, HeaderWebhookSignature, func(v string) []string {
			return []string{"v2,AAAA " + v, v + " v2,zzz", "v1a,AAAA   " + v + "  ", "v0,# " + v, v + " garbage"}
		}},
		{SchemeStripe, HeaderStripeSignature, func(v string) []string {
			ts, sig, _ := strings.Cut(v, ",")
			return []string{ts + ",v0=abc," + sig, ts + ",scheme=x, " + sig + ",v2=ff", sig + "," + ts, ts + ",v1=00," + sig}
		}},
		{SchemePaddle, HeaderPaddleSignature, func(v string) []string {
			ts, sig, _ := strings.Cut(v, ";")
			return []string{ts + ";h2=abc;" + sig, sig + ";" + ts, ts + "; h1=00 ;" + sig}
		}},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			t.Parallel()
			f := fixtureFor(t, tc.scheme)
			v, s := mustVerifier(t, f.cfg), mustSigner(t, f.cfg)
			h := &testHeaders{}
			s.Sign(h, "msg_u", fixtureNow, body)
			for _, val := range tc.extra(h.get(tc.hdr)) {
				h2 := h.clone()
				h2.SetBytesV(tc.hdr, []byte(val))
				if got := v.Verify(h2, body, fixtureNow); got.Result != trace.SigValid {
					t.Errorf("%q: Verify = %v, want valid", val, got.Result)
				}
			}
		})
	}
}

func fixtureFor(tb testing.TB, scheme string) fixture {
	tb.Helper()
	for _, f := range fixtures() {
		if f.cfg.Scheme == scheme || f.name() == scheme {
			return f
		}
	}
	tb.Fatalf("no fixture for %q", scheme)
	return fixture{}
}

// TestGarbageHeaders: hostile header values never verify, never panic and
// give one of the failure reasons.
func TestGarbageHeaders(t *testing.T) {
	t.Parallel()
	garbage := []string{
		" ", "\t", ",", ";", "=", "==", "v1,", "v1,=", "v1, ", ",,,,", "t=", "t=,v1=", "ts=;h1=", "t=1", "v1=",
		"sha256=", "sha256=zz", "v0=", "v0=g", "v1a,", "v1,AAAA", "v1,A", "v1,====", "v1,AA=A", "h1=ab;ts=1",
		strings.Repeat("a", 100000), strings.Repeat("v1,AAAA ", 10000), strings.Repeat("t=1,", 5000), "\x00\x01\xff\xfe",
		"t=99999999999999999999,v1=00", "t=-1,v1=00", "t=1e9,v1=00", "sha256=" + strings.Repeat("ab", 1000),
		"v1," + strings.Repeat("QUFB", 1000), "v1,\xff\xfe",
	}
	allowed := map[trace.SigResult]bool{trace.SigMissing: true, trace.SigMalformed: true, trace.SigNoKnownVer: true, trace.SigMismatch: true}
	body := []byte(`{}`)
	for _, f := range fixtures() {
		t.Run(f.name(), func(t *testing.T) {
			t.Parallel()
			v, s := mustVerifier(t, f.cfg), mustSigner(t, f.cfg)
			base := &testHeaders{}
			s.Sign(base, "msg_g", fixtureNow, body)
			for _, g := range garbage {
				for _, hdr := range []string{f.sigHdr, f.tsHdr, f.idHdr} {
					if hdr == "" {
						continue
					}
					h := base.clone()
					h.SetBytesV(hdr, []byte(g))
					got := v.Verify(h, body, fixtureNow)
					if hdr == f.sigHdr && !allowed[got.Result] {
						t.Errorf("%s=%.40q: Verify = %v", hdr, g, got.Result)
					}
					if hdr == f.tsHdr && got.Result.OK() {
						t.Errorf("%s=%.40q: accepted", hdr, g)
					}
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	gen := func(mod func(*Config)) Config {
		c := Config{Scheme: SchemeGeneric, Secrets: []string{"s3cret-value"}, Header: "X-Sig"}
		mod(&c)
		return c
	}
	tests := []struct {
		name  string
		cfg   Config
		field string
		err   error
	}{
		{"empty-scheme", Config{Secrets: []string{"x"}}, "scheme", ErrUnknownScheme},
		{"unknown-scheme", Config{Scheme: "hmac", Secrets: []string{"x"}}, "scheme", ErrUnknownScheme},
		{"no-secrets", Config{Scheme: SchemeStandard}, "secrets", ErrNoSecret},
		{"bad-whsec", Config{Scheme: SchemeStandard, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!not base64!!"}}, "secrets[1]", ErrInvalidSecret},
		{"empty-whsec", Config{Scheme: SchemeSvix, Secrets: []string{"whsec_"}}, "secrets[0]", ErrInvalidSecret},
		{"empty-raw", Config{Scheme: SchemeGitHub, Secrets: []string{""}}, "secrets[0]", ErrInvalidSecret},
		{"v1a-no-prefix", Config{Scheme: SchemeStandardV1a, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, "secrets[0]", ErrInvalidSecret},
		{"v1a-short", Config{Scheme: SchemeStandardV1a, Secrets: []string{"whpk_AAAA"}}, "secrets[0]", ErrInvalidSecret},
		{"v1a-bad-b64", Config{Scheme: SchemeStandardV1a, Secrets: []string{"whsk_***"}}, "secrets[0]", ErrInvalidSecret},
		{"negative-tolerance", Config{Scheme: SchemeStripe, Secrets: []string{"x"}, Tolerance: -time.Second}, "tolerance", ErrInvalidConfig},
		{"generic-field-on-stripe", Config{Scheme: SchemeStripe, Secrets: []string{"x"}, Header: "X-Sig"}, "header", ErrInvalidConfig},
		{"template-on-standard", Config{Scheme: SchemeStandard, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Template: "{body}"}, "template", ErrInvalidConfig},
		{"generic-no-header", gen(func(c *Config) { c.Header = "" }), "header", ErrInvalidConfig},
		{"generic-bad-header", gen(func(c *Config) { c.Header = "X Sig" }), "header", ErrInvalidConfig},
		{"generic-bad-id-header", gen(func(c *Config) { c.IDHeader = "X:Id" }), "id_header", ErrInvalidConfig},
		{"generic-bad-ts-header", gen(func(c *Config) { c.TimestampHeader = "X\nTs" }), "timestamp_header", ErrInvalidConfig},
		{"generic-algorithm", gen(func(c *Config) { c.Algorithm = "md5" }), "algorithm", ErrInvalidConfig},
		{"generic-encoding", gen(func(c *Config) { c.Encoding = "base32" }), "encoding", ErrInvalidConfig},
		{"generic-no-body", gen(func(c *Config) { c.Template = "{id}"; c.IDHeader = "X-Id" }), "template", ErrInvalidConfig},
		{"generic-id-without-header", gen(func(c *Config) { c.Template = "{id}.{body}" }), "template", ErrInvalidConfig},
		{"generic-ts-without-header", gen(func(c *Config) { c.Template = "{timestamp}.{body}" }), "template", ErrInvalidConfig},
		{"generic-unknown-placeholder", gen(func(c *Config) { c.Template = "{url}{body}" }), "template", ErrInvalidConfig},
		{"generic-prefix-space", gen(func(c *Config) { c.Prefix = "v1 =" }), "prefix", ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			var ce *ConfigError
			if !errors.Is(err, tc.err) || !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("Validate() = %v, want %v on field %q", err, tc.err, tc.field)
			}
			if _, err2 := NewVerifier(tc.cfg); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("NewVerifier error %v differs from Validate %v", err2, err)
			}
			if _, err2 := NewSigner(tc.cfg); err2 == nil {
				t.Errorf("NewSigner accepted an invalid config")
			}
			for _, s := range tc.cfg.Secrets {
				if len(s) > 6 && strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks the secret", err)
				}
			}
		})
	}
}

func TestGenericTemplates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tmpl string
		want []segment
	}{
		{"{body}", []segment{{kind: segBody}}},
		{"{id}.{timestamp}.{body}", []segment{{kind: segID}, {segLit, []byte(".")}, {kind: segTS}, {segLit, []byte(".")}, {kind: segBody}}},
		{"v0:{timestamp}:{body}", []segment{{segLit, []byte("v0:")}, {kind: segTS}, {segLit, []byte(":")}, {kind: segBody}}},
		{"{{body}}", []segment{{segLit, []byte("{")}, {kind: segBody}, {segLit, []byte("}")}}},
		{"{ x }{body}{", []segment{{segLit, []byte("{ x }")}, {kind: segBody}, {segLit, []byte("{")}}},
	} {
		got, err := parseTemplate(tc.tmpl)
		if err != nil {
			t.Fatalf("%q: %v", tc.tmpl, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%q: %d segments, want %d", tc.tmpl, len(got), len(tc.want))
		}
		for i := range got {
			if got[i].kind != tc.want[i].kind || !bytes.Equal(got[i].lit, tc.want[i].lit) {
				t.Errorf("%q segment %d = %+v, want %+v", tc.tmpl, i, got[i], tc.want[i])
			}
		}
	}
}

func TestV1aSignerNeedsSecretKey(t *testing.T) {
	t.Parallel()
	_, err := NewSigner(Config{Scheme: SchemeStandardV1a, Secrets: []string{"whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g="}})
	if !errors.Is(err, ErrPublicKeyOnly) || !errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("NewSigner(public key) = %v, want ErrPublicKeyOnly", err)
	}
	// A 64-byte private key whose halves disagree is rejected.
	bad := "whsk_" + "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk" + "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
	if err := (Config{Scheme: SchemeStandardV1a, Secrets: []string{bad}}).Validate(); !errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("inconsistent private key: %v", err)
	}
}

func TestPublicKey(t *testing.T) {
	t.Parallel()
	got, err := PublicKey("whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
	if err != nil || got != "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=" {
		t.Fatalf("PublicKey = %q, %v", got, err)
	}
	if again, err := PublicKey(got); err != nil || again != got {
		t.Fatalf("PublicKey(public) = %q, %v", again, err)
	}
	if _, err := PublicKey("whsec_abc"); !errors.Is(err, ErrInvalidSecret) {
		t.Fatalf("PublicKey(whsec) = %v", err)
	}
}

func TestGenerateSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scheme, prefix string
		n              int // length after the prefix
	}{
		{SchemeStandard, "whsec_", 32}, {SchemeSvix, "whsec_", 32}, {SchemeStandardV1a, "whsk_", 44},
		{SchemeStripe, "whsec_", 48}, {SchemeGitHub, "", 64}, {SchemeTwitch, "", 64}, {SchemeGeneric, "", 64},
	} {
		a, err := GenerateSecret(tc.scheme, seeded(3))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := GenerateSecret(tc.scheme, seeded(3))
		c, _ := GenerateSecret(tc.scheme, seeded(4))
		if !strings.HasPrefix(a, tc.prefix) || len(a)-len(tc.prefix) != tc.n || a != b || a == c {
			t.Errorf("%s: %q (same seed %q, other seed %q)", tc.scheme, a, b, c)
		}
		if tc.scheme != SchemeGeneric {
			if err := (Config{Scheme: tc.scheme, Secrets: []string{a}}).Validate(); err != nil {
				t.Errorf("%s: generated secret invalid: %v", tc.scheme, err)
			}
		}
	}
	if _, err := GenerateSecret("nope", nil); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v", err)
	}
	if _, err := GenerateSecret(SchemeStandard, strings.NewReader("short")); err == nil {
		t.Errorf("short random source accepted")
	}
	if s, err := GenerateSecret(SchemeStandard, nil); err != nil || len(s) != 38 {
		t.Errorf("crypto/rand secret: %q %v", s, err)
	}
}
