package signature_test

import (
	"fmt"
	"time"

	"github.com/hookbench/hookbench/signature"
	"github.com/valyala/fasthttp"
)

// A provider signs with a Signer; the sink checks with a Verifier.
func Example() {
	cfg := signature.Config{Scheme: signature.SchemeStandard, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
	signer, err := signature.NewSigner(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, err := signature.NewVerifier(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"test": 2432232314}`)
	sent := time.Unix(1614265330, 0)

	var req fasthttp.Request
	signer.Sign(&req.Header, "msg_p5jXN8AQM9LWM0D4loKWxJek", sent, body)
	fmt.Println(string(req.Header.Peek("webhook-signature")))

	res := verifier.Verify(&req.Header, body, sent.Add(2*time.Second))
	fmt.Println(res.Result, "skew", res.Timestamp-sent.Add(2*time.Second).Unix(), "s")

	res = verifier.Verify(&req.Header, body, sent.Add(10*time.Minute))
	fmt.Println(res.Result)

	res = verifier.Verify(&req.Header, []byte(`{"test":2432232314}`), sent)
	fmt.Println(res.Result)
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// valid skew -2 s
	// stale
	// mismatch
}

// Config errors name the field and match the package sentinels.
func ExampleConfig_Validate() {
	err := signature.Config{Scheme: "stripe"}.Validate()
	fmt.Println(err)
	err = signature.Config{Scheme: "hmac", Secrets: []string{"x"}}.Validate()
	fmt.Println(err)
	// Output:
	// signature: secrets: no secret
	// signature: scheme: unknown signature scheme (want one of [generic github github-sha1 paddle shopify slack standard standard-v1a stripe svix twitch zoom]) (got "hmac")
}

// The generic scheme configured from an option list: Stripe's published
// vector under the parameter form. A body that was re-encoded before
// signing is diagnosed.
func ExampleParseOptions() {
	opts, err := signature.ParseOptions(`header=Stripe-Signature,timestamp-param=t,signature-param=v1,template="{timestamp}.{body}"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := signature.Config{Scheme: signature.SchemeGeneric, Secrets: []string{"whsec_test_secret"}}
	for _, o := range opts {
		if err := cfg.SetOption(o.Key, o.Value); err != nil {
			fmt.Println(err)
			return
		}
	}
	v, err := signature.NewVerifier(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	var req fasthttp.Request
	req.Header.Set("Stripe-Signature", "t=1614265330,v1=3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff")
	fmt.Println(v.Verify(&req.Header, []byte(`{"id":"evt_test_webhook","object":"event"}`), time.Unix(1614265330, 0)).Result)

	sent := []byte(`{"id": "evt_test_webhook", "object": "event"}`)
	res := v.Verify(&req.Header, sent, time.Unix(1614265330, 0))
	fmt.Println(res.Result, v.(signature.Diagnoser).Diagnose(&req.Header, sent))
	// Output:
	// valid
	// mismatch compact-json
}
