package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// TestGenericScheme: with the policy's scheme_options the provider signs
// with the generic scheme: here "X-Signature: t=<unix>,v1=<hex>" over
// "<t>,<body>", checked with an independent HMAC.
func TestGenericScheme(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{opts: func(o *Options) {
		o.Policy.Scheme = "generic"
		o.Policy.SchemeOptions = map[string]string{"header": "X-Signature", "timestamp-param": "t", "template": "{timestamp},{body}"}
	}})
	h.publish("order.created", `{"b": 1, "a": 2}`, "")
	hit := h.rcv.next()
	sig := hit.Header.Peek("X-Signature")
	ts, mac, ok := strings.Cut(strings.TrimPrefix(string(sig), "t="), ",v1=")
	if !ok {
		t.Fatalf("X-Signature %q: want t=<unix>,v1=<hex>", sig)
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	m := hmac.New(sha256.New, []byte(h.secret))
	m.Write([]byte(ts + ","))
	m.Write(hit.Body)
	if want := hex.EncodeToString(m.Sum(nil)); mac != want {
		t.Fatalf("v1=%s, want %s (body %q)", mac, want, hit.Body)
	}
}

func TestGenericSchemeOptionsValidated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scheme string
		opts   map[string]string
		want   string
	}{
		{"generic", nil, "scheme_options"},
		{"generic", map[string]string{"header": "X-Sig", "template": "{nobody}"}, "template"},
		{"generic", map[string]string{"colour": "red"}, "colour"},
		{"standard", map[string]string{"header": "X-Sig"}, "scheme_options"},
	} {
		o := NewOptions()
		o.Policy.Scheme, o.Policy.SchemeOptions = tc.scheme, tc.opts
		err := o.Validate()
		var oe *OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: Validate = %v, want an OptionError mentioning %q", tc.scheme, tc.opts, err, tc.want)
		}
	}
	// An endpoint cannot ask for generic when the provider has no options.
	p, err := New(NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.CreateEndpoint(EndpointRequest{URL: "http://127.0.0.1:1/x", Scheme: "generic"}); err == nil || !strings.Contains(err.Error(), "scheme_options") {
		t.Fatalf("CreateEndpoint(generic) = %v", err)
	}
}
