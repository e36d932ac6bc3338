package sink_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
)

func Example() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	opts := sink.NewOptions() // listens on 127.0.0.1, a free port
	ep, err := sink.ParseEndpoint("path=/orders,scheme=standard,secret=" + secret)
	if err != nil {
		panic(err)
	}
	rule, err := sink.ParseRule("endpoint=/orders,attempt=1,status=503,retry-after=5")
	if err != nil {
		panic(err)
	}
	opts.Endpoints, opts.Rules = []sink.EndpointConfig{ep}, []sink.Rule{rule}
	s, err := sink.New(opts)
	if err != nil {
		panic(err)
	}
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Close()

	// A provider delivers the same signed message twice.
	signer, _ := signature.NewSigner(signature.Config{Scheme: "standard", Secrets: []string{secret}})
	body := `{"type":"order.created","hookbench_id":"ev-1"}`
	for range 2 {
		req, _ := http.NewRequest("POST", s.URL()+"/orders", strings.NewReader(body))
		signer.Sign(headerSetter(req.Header), "msg_1", time.Now(), []byte(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	st := s.Stats().Endpoints[0]
	fmt.Println("received", st.Received, "valid", st.Sig["valid"], "duplicates", st.Duplicates)
	// Output:
	// 503 Retry-After="5"
	// 200 Retry-After=""
	// received 2 valid 2 duplicates 1
}

// headerSetter adapts net/http headers to signature.HeaderSetter.
type headerSetter http.Header

func (h headerSetter) SetBytesV(k string, v []byte) { http.Header(h).Set(k, string(v)) }
