package provider_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/hookbench/hookbench/provider"
)

// A provider delivering one event to a consumer that fails once with 503:
// the retry carries the same webhook-id and the delivery log shows both
// attempts.
func Example() {
	var mu sync.Mutex // guards ids and failed
	var ids []string
	failed := false
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, r.Header.Get("webhook-id"))
		if !failed {
			failed = true
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer consumer.Close()

	opts := provider.NewOptions()
	opts.TimeScale = 0.001          // every policy duration x0.001: the 5 s first retry comes after 5 ms
	opts.Policy.Timeout = time.Hour // 3.6 s once scaled
	p, err := provider.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	if _, err := p.CreateEndpoint(provider.EndpointRequest{URL: consumer.URL + "/hook"}); err != nil {
		fmt.Println(err)
		return
	}
	res, err := p.Publish(provider.EventRequest{Type: "order.created", Payload: json.RawMessage(`{"id":1}`)}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for p.Pending() > 0 {
		time.Sleep(time.Millisecond)
	}
	attempts, _ := p.Attempts(res.ID)
	for _, a := range attempts {
		fmt.Println(a.N, a.Status, a.Outcome)
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Println("same id on the retry:", len(ids) == 2 && ids[0] == ids[1] && ids[0] == res.ID)
	// Output:
	// 1 503 retry
	// 2 200 delivered
	// same id on the retry: true
}

// The faults the provider can switch on, each breaking one rule.
func ExampleFaults() {
	for _, f := range provider.Faults()[:3] {
		fmt.Println(f.Name)
	}
	// Output:
	// no-retry
	// retry-4xx
	// give-up-early
}
