package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// genericConfig builds a generic Config from an option list, as the sink
// and the provider do.
func genericConfig(tb testing.TB, secret, opts string) Config {
	tb.Helper()
	c := Config{Scheme: SchemeGeneric, Secrets: []string{secret}}
	list, err := ParseOptions(opts)
	if err != nil {
		tb.Fatalf("ParseOptions(%q): %v", opts, err)
	}
	for _, o := range list {
		if err := c.SetOption(o.Key, o.Value); err != nil {
			tb.Fatalf("SetOption(%q): %v", o.Key, err)
		}
	}
	return c
}

// TestGenericVectors: the generic scheme, configured by option strings
// only, accepts the published vectors of the providers it imitates.
func TestGenericVectors(t *testing.T) {
	t.Parallel()
	const stripeBody = `{"id":"evt_test_webhook","object":"event"}`
	const stripeSig = "3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff"
	for _, tc := range []struct {
		name, secret, opts string
		h                  *testHeaders
		body               string
		now                int64
		want               trace.SigResult
	}{
		{"stripe", "whsec_test_secret", "header=Stripe-Signature,timestamp-param=t,signature-param=v1,template={timestamp}.{body}",
			hdrs("Stripe-Signature", "t=1614265330,v1="+stripeSig), stripeBody, 1614265330, trace.SigValid},
		{"stripe/default-template", "whsec_test_secret", "header=Stripe-Signature,timestamp_param=t",
			hdrs("Stripe-Signature", "t=1614265330,v1="+stripeSig), stripeBody, 1614265330, trace.SigValid},
		{"stripe/rotation-second-v1", "whsec_test_secret", "header=Stripe-Signature,timestamp-param=t",
			hdrs("Stripe-Signature", "t=1614265330,v1=00ff,v1="+stripeSig+",v0=abcd"), stripeBody, 1614265330, trace.SigValid},
		{"stripe/stale", "whsec_test_secret", "header=Stripe-Signature,timestamp-param=t",
			hdrs("Stripe-Signature", "t=1614265330,v1="+stripeSig), stripeBody, 1614265330 + 301, trace.SigStale},
		{"stripe/other-timestamp", "whsec_test_secret", "header=Stripe-Signature,timestamp-param=t",
			hdrs("Stripe-Signature", "t=1614265331,v1="+stripeSig), stripeBody, 1614265330, trace.SigMismatch},
		{"stripe/only-v0", "whsec_test_secret", "header=Stripe-Signature,timestamp-param=t",
			hdrs("Stripe-Signature", "t=1614265330,v0="+stripeSig), stripeBody, 1614265330, trace.SigNoKnownVer},
		{"paddle", "VALID_SECRET", `header=Paddle-Signature,timestamp-param=ts,sig-param=h1,param-sep=;,template="{timestamp}:{body}"`,
			hdrs("Paddle-Signature", "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261"),
			`{"data": "value"}`, 1698796800, trace.SigValid},
		{"slack", "8f742231b10e8888abcd99yyyzzz85a5", "sig-header=X-Slack-Signature,prefix=v0=,timestamp-header=X-Slack-Request-Timestamp,template=v0:{timestamp}:{body}",
			hdrs("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "X-Slack-Request-Timestamp", "1531420618"),
			slackBody, 1531420618, trace.SigValid},
		{"shopify", "test-webhook-secret", "header=X-Shopify-Hmac-Sha256,encoding=base64",
			hdrs("X-Shopify-Hmac-Sha256", "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="),
			`{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}`, 0, trace.SigValid},
		{"github", "It's a Secret to Everybody", "header=X-Hub-Signature-256,prefix=sha256=",
			hdrs("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"), `Hello, World!`, 0, trace.SigValid},
		{"github/signature-param", "It's a Secret to Everybody", "header=X-Hub-Signature-256,signature-param=sha256",
			hdrs("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"), `Hello, World!`, 0, trace.SigValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := mustVerifier(t, genericConfig(t, tc.secret, tc.opts))
			if got := v.Verify(tc.h, []byte(tc.body), time.Unix(tc.now, 0)); got.Result != tc.want {
				t.Fatalf("Verify = %v, want %v", got.Result, tc.want)
			}
		})
	}
}

// TestGenericTimestampInHeader: "X-Signature: t=<ts>,v1=<mac>" over
// "<ts>,<body>", with the timestamp in seconds, milliseconds or RFC 3339
// and hex or base64 MACs, against an independently computed HMAC; the
// signer writes exactly that header.
func TestGenericTimestampInHeader(t *testing.T) {
	t.Parallel()
	const secret, body = "s3cret", `{"a": 1, "b": "x,y"}`
	at := time.Unix(1700000000, 250_000_000)
	for _, tc := range []struct {
		format, encoding, ts string
	}{
		{"", "", "1700000000"},
		{"unix-ms", "", "1700000000250"},
		{"rfc3339", "base64", "2023-11-14T22:13:20.25Z"},
	} {
		t.Run(tc.format+"/"+tc.encoding, func(t *testing.T) {
			t.Parallel()
			opts := `header=X-Signature,timestamp-param=t,signature-param=v1,template="{timestamp},{body}"`
			if tc.format != "" {
				opts += ",timestamp-format=" + tc.format
			}
			if tc.encoding != "" {
				opts += ",encoding=" + tc.encoding
			}
			c := genericConfig(t, secret, opts)
			m := hmac.New(sha256.New, []byte(secret))
			m.Write([]byte(tc.ts + "," + body))
			sum := m.Sum(nil)
			enc := hex.EncodeToString(sum)
			if tc.encoding == "base64" {
				enc = base64.StdEncoding.EncodeToString(sum)
			}
			want := "t=" + tc.ts + ",v1=" + enc
			h := &testHeaders{}
			mustSigner(t, c).Sign(h, "", at, []byte(body))
			if got := h.get("X-Signature"); got != want {
				t.Fatalf("signed header %q, want %q", got, want)
			}
			got := mustVerifier(t, c).Verify(hdrs("X-Signature", want), []byte(body), at)
			if got.Result != trace.SigValid || !got.HasTimestamp || got.Timestamp != at.Unix() {
				t.Fatalf("Verify = %+v", got)
			}
		})
	}
}

func TestGenericConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts, field string
	}{
		{"header=X-S,timestamp-format=unix-ms", "timestamp_format"},
		{"header=X-S,timestamp-header=X-T,timestamp-format=seconds", "timestamp_format"},
		{"header=X-S,param-sep=;", "param_separator"},
		{"header=X-S,timestamp-param=t,param-sep=ab", "param_separator"},
		{"header=X-S,timestamp-param=t,param-sep=x", "param_separator"},
		{`header=X-S,timestamp-param=t,key-sep=","`, "key_separator"},
		// A separator a value can hold would split it.
		{"header=X-S,timestamp-param=t,encoding=base64,param-sep=+", "param_separator"},
		{"header=X-S,timestamp-param=t,encoding=base64,param-sep=/", "param_separator"},
		{"header=X-S,timestamp-param=t,timestamp-format=rfc3339,param-sep=:", "param_separator"},
		{"header=X-S,timestamp-param=t,signature-param=t", "timestamp_param"},
		{"header=X-S,timestamp-param=t,signature-param=v 1", "signature_param"},
		{"header=X-S,timestamp-param=t,prefix=v1=", "prefix"},
		{"header=X-S,timestamp-param=t,timestamp-header=X-T", "timestamp_header"},
		{"header=X-S,template={timestamp}.{body}", "template"},
	} {
		t.Run(tc.opts, func(t *testing.T) {
			t.Parallel()
			err := genericConfig(t, "k", tc.opts).Validate()
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want a ConfigError on %s", err, tc.field)
			}
		})
	}
	var c Config
	if err := c.SetOption("colour", "red"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("SetOption(colour) = %v", err)
	}
	if err := c.ApplyOptions(map[string]string{"timestamp_param": "t", "sig_header": "X-S"}); err != nil || c.TimestampParam != "t" || c.Header != "X-S" {
		t.Fatalf("ApplyOptions: %v %+v", err, c)
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []Option
		err  bool
	}{
		{"", nil, false},
		{"a=1,b=2", []Option{{"a", "1"}, {"b", "2"}}, false},
		{" a = 1 , , b=x=y ", []Option{{"a", "1"}, {"b", "x=y"}}, false},
		{`template="{timestamp},{body}",a=b`, []Option{{"template", "{timestamp},{body}"}, {"a", "b"}}, false},
		{`a="x\"y\\z" , b=`, []Option{{"a", `x"y\z`}, {"b", ""}}, false},
		{`secret=It's a "secret"`, []Option{{"secret", `It's a "secret"`}}, false},
		{`a="x`, nil, true},
		{`a="x"y`, nil, true},
		{`a`, nil, true},
		{`=x`, nil, true},
	} {
		got, err := ParseOptions(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseOptions(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrOptionSyntax) {
			t.Errorf("ParseOptions(%q): error %v does not wrap ErrOptionSyntax", tc.in, err)
		}
	}
}

// FuzzParseOptions: the parser never panics, and whatever it reads is
// written back by FormatOptions into a list it reads identically.
func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"a=1,b=2", `template="{timestamp},{body}"`, `a="x\"y\\z"`, `a="`, ",,=,", `k= " v " `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts, err := ParseOptions(s)
		if err != nil {
			if !errors.Is(err, ErrOptionSyntax) {
				t.Fatalf("error %v does not wrap ErrOptionSyntax", err)
			}
			return
		}
		again, err := ParseOptions(FormatOptions(opts))
		if err != nil || len(again) != len(opts) || (len(opts) > 0 && !reflect.DeepEqual(again, opts)) {
			t.Fatalf("round trip of %q: %q (%v), want %q", s, again, err, opts)
		}
	})
}

// FuzzOptionValue: any value survives quoting.
func FuzzOptionValue(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `"q"`, ` sp `, `\`, "{timestamp},{body}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		opts, err := ParseOptions(FormatOptions([]Option{{"k", v}, {"z", "1"}}))
		if err != nil || len(opts) != 2 || opts[0].Value != v || opts[1].Value != "1" {
			t.Fatalf("value %q came back as %q (%v)", v, opts, err)
		}
	})
}

// FuzzVerifyGenericParams: the parameter form's header parser.
func FuzzVerifyGenericParams(f *testing.F) {
	fuzzScheme(f, "generic/X-Signature", "t=1700000000,v1=00,v0=ff", "t=,v1=", "v1=abcd,t=1", "t=1700000000;v1=00", "t=1,t=2,v1=")
}

// FuzzVerifyGenericRFC3339: parameters with other separators, RFC 3339
// timestamps in a header.
func FuzzVerifyGenericRFC3339(f *testing.F) {
	fuzzScheme(f, "generic/X-Sig-Params", "sig:00;sig:", "sig=00", ";;;", "sig:"+strconv.Itoa(12))
}
