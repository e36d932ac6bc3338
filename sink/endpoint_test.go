package sink

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/signature"
)

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	good := []struct {
		spec  string
		check func(EndpointConfig) bool
	}{
		{"path=/webhook", func(e EndpointConfig) bool { return e.Path == "/webhook" && e.Signature.Scheme == "" }},
		{"path=/o,scheme=standard,secret=" + testSecret + ",secret=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD,tolerance=10s",
			func(e EndpointConfig) bool {
				return len(e.Signature.Secrets) == 2 && e.Signature.Tolerance == 10*time.Second
			}},
		{"path=/o,tolerance=300", func(e EndpointConfig) bool { return e.Signature.Tolerance == 300*time.Second }},
		{"path=/o,auth=bearer:tok", func(e EndpointConfig) bool { return e.Auth == Auth{"bearer", "Authorization", "tok"} }},
		{"path=/o,auth=header:X-Key:v:with:colons", func(e EndpointConfig) bool { return e.Auth == Auth{"header", "X-Key", "v:with:colons"} }},
		{"path=/o,type-header=x-event-type,types=new_order|payment_success", func(e EndpointConfig) bool {
			return e.TypeHeader == "x-event-type" && len(e.Types) == 2 && e.Types[1] == "payment_success"
		}},
		{"path=/o,max-body=2MiB", func(e EndpointConfig) bool { return e.MaxBody == 2<<20 }},
		{"path=/o,max-body=100", func(e EndpointConfig) bool { return e.MaxBody == 100 }},
		{"path=/o,id-header=X-GitHub-Delivery,event-id=data.id,attempt-header=X-Slack-Retry-Num", func(e EndpointConfig) bool {
			return e.IDHeader == "X-GitHub-Delivery" && e.EventIDPath == "data.id" && e.AttemptHeader == "X-Slack-Retry-Num"
		}},
		{"path=/o,event-id=-,type-path=-", func(e EndpointConfig) bool { return e.EventIDPath == "-" && e.TypePath == "-" }},
		{"path=/o,scheme=github,secret=s,bad-sig=401", func(e EndpointConfig) bool { return e.BadSigStatus == 401 }},
		{"path=/g,scheme=generic,secret=s,sig-header=X-Sig,algorithm=sha256,encoding=hex,template={body}", func(e EndpointConfig) bool {
			return e.Signature.Header == "X-Sig" && e.Signature.Template == "{body}"
		}},
		{`path=/g,scheme=generic,secret=s,sig-header=X-Signature,timestamp-param=t,signature-param=v1,template="{timestamp},{body}"`,
			func(e EndpointConfig) bool {
				return e.Signature.TimestampParam == "t" && e.Signature.SignatureParam == "v1" && e.Signature.Template == "{timestamp},{body}"
			}},
		{`path=/g,scheme=generic,secret="a,b",sig_header=X-S,timestamp_header=X-T,timestamp_format=unix-ms,template={timestamp}.{body}`,
			func(e EndpointConfig) bool {
				return e.Signature.Secrets[0] == "a,b" && e.Signature.TimestampFormat == "unix-ms" && e.Signature.Header == "X-S"
			}},
		{`path=/g,scheme=generic,secret=s,sig-header=P,param-separator=;,key-separator=:,signature-param=h1`,
			func(e EndpointConfig) bool {
				return e.Signature.ParamSeparator == ";" && e.Signature.KeySeparator == ":"
			}},
		{" path=/spaces , scheme=none ", func(e EndpointConfig) bool { return e.Path == "/spaces" && !e.verifies() }},
	}
	for _, tt := range good {
		ep, err := ParseEndpoint(tt.spec)
		if err != nil {
			t.Errorf("ParseEndpoint(%q): %v", tt.spec, err)
			continue
		}
		if !tt.check(ep) {
			t.Errorf("ParseEndpoint(%q) = %+v", tt.spec, ep)
		}
	}
	bad := []struct{ spec, want string }{
		{"", "missing path"},
		{"scheme=standard", "missing path"},
		{"path=webhook", "must start with '/'"},
		{"path=/_hookbench/x", "reserved"},
		{"path=/metrics", "reserved"},
		{"path=/a b", "not allowed"},
		{"path=/o,bogus=1", `bogus: unknown key (known: `},
		{"path=/o,tolerence=5s", `tolerence: unknown key (did you mean "tolerance"?)`},
		{"path=/o,path=/p", "given twice"},
		{"path=/o,noequals", "expected key=value"},
		{"path=/o,scheme=nosuch,secret=x", `scheme "nosuch"`},
		{"path=/o,scheme=standard", "scheme"},
		{"path=/o,secret=supersecret", "without scheme"},
		{"path=/o,scheme=standard,secret=not base64!", "secret"},
		{"path=/o,tolerance=soon", "tolerance"},
		{"path=/o,auth=basic:x", "bearer:TOKEN or header:NAME:VALUE"},
		{"path=/o,auth=header:X-Key", "header:NAME:VALUE"},
		{"path=/o,types=", "type names"},
		{"path=/o,max-body=huge", "size in bytes"},
		{"path=/o,bad-sig=42", "HTTP status"},
		{"path=/o,event-id=a..b", "event-id"},
		{`path=/o,template="{body}`, "missing closing quote"},
		{"path=/o,header=X-Sig", "header: unknown key"},
		{"path=/g,scheme=generic,secret=s,sig-header=X,template={timestamp},{body}", "expected key=value"},
		{"path=/g,scheme=generic,secret=s,sig-header=X,timestamp-param=t,prefix=v1=", "prefix"},
	}
	for _, tt := range bad {
		_, err := ParseEndpoint(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseEndpoint(%q) error = %v; want it to mention %q", tt.spec, err, tt.want)
		}
	}
}

func TestEndpointErrorsRedactSecrets(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{
		"path=/o,scheme=standard,secret=whsec_topsecret!!,bogus=1",
		"path=/o,auth=bearer:topsecret,bogus",
		"path=/o,auth=header:X-Key:topsecret,path=/again",
	} {
		_, err := ParseEndpoint(spec)
		if err == nil || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("ParseEndpoint(%q) error %v leaks the secret", spec, err)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"path=/o,scheme=standard,secret=whsec_x,secret=whsec_y": "path=/o,scheme=standard,secret=REDACTED,secret=REDACTED",
		"path=/o,auth=bearer:tok":                               "path=/o,auth=bearer:REDACTED",
		"path=/o,auth=header:X-Key:val":                         "path=/o,auth=header:X-Key:REDACTED",
		"--trace":                                               "--trace",
		"status=503,body=a=b":                                   "status=503,body=a=b",
		`path=/o,secret="a,b",template="{timestamp},{body}"`:    `path=/o,secret=REDACTED,template="{timestamp},{body}"`,
		`path=/o,secret="unclosed,b`:                            `path=/o,secret=REDACTED,b`,
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactedJSON(t *testing.T) {
	t.Parallel()
	ep, err := ParseEndpoint("path=/o,scheme=standard,secret=" + testSecret + ",auth=bearer:tok123")
	if err != nil {
		t.Fatal(err)
	}
	j := ep.RedactedJSON()
	if strings.Contains(j, "MfKQ9r8") || strings.Contains(j, "tok123") || !strings.Contains(j, `"secrets":1`) || !strings.Contains(j, `"max_body":1048576`) {
		t.Fatalf("RedactedJSON = %s", j)
	}
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"path=/o,scheme=standard,secret=" + testSecret, "path=/o,auth=header:A:b,types=a|b,max-body=1KiB",
		"path=/o,scheme=generic,secret=s,sig-header=X,algorithm=sha1,encoding=base64,template={id}.{timestamp}.{body}",
		"path=/x,event-id=..id,type-path=$.a.b,tolerance=1m",
		`path=/g,scheme=generic,secret="s,t",sig-header=X-Signature,timestamp-param=t,template="{timestamp},{body}",timestamp-format=rfc3339`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ep, err := ParseEndpoint(spec)
		if err != nil {
			if strings.Contains(spec, "secret=SECRETVALUE") && strings.Contains(err.Error(), "SECRETVALUE") {
				t.Fatalf("error leaks a secret: %v", err)
			}
			return
		}
		if err := ep.Validate(); err != nil {
			t.Fatalf("parsed endpoint does not validate: %v", err)
		}
		_ = ep.RedactedJSON()
		if strings.Contains(spec, "secret=SECRETVALUE") && strings.Contains(Redact(spec), "SECRETVALUE") {
			t.Fatalf("Redact leaks a secret: %q", Redact(spec))
		}
	})
}

func TestParseEndpointOptions(t *testing.T) {
	t.Parallel()
	ep, err := ParseEndpointOptions([]signature.Option{{Key: "path", Value: "/g"}, {Key: "scheme", Value: "generic"}, {Key: "secret", Value: "k"},
		{Key: "sig_header", Value: "X-Signature"}, {Key: "timestamp_param", Value: "t"}, {Key: "template", Value: "{timestamp},{body}"}})
	if err != nil || ep.Signature.Template != "{timestamp},{body}" || ep.Signature.TimestampParam != "t" {
		t.Fatalf("ParseEndpointOptions = %+v, %v", ep, err)
	}
	_, err = ParseEndpointOptions([]signature.Option{{Key: "path", Value: "/g"}, {Key: "secret", Value: "topsecret"}, {Key: "bogus", Value: "1"}})
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("error %v: want an error without the secret", err)
	}
}
