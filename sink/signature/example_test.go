package signature_test

import (
	"fmt"
	"time"

	"github.com/hookbench/hookbench/sink/signature"
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
