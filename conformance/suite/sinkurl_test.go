package suite

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
)

// recordingProvider is a serialProvider that keeps the URLs it was given.
type recordingProvider struct {
	*serialProvider
	urls []string
}

func (r *recordingProvider) Setup(ctx context.Context, eps []adapter.EndpointSpec) error {
	for _, ep := range eps {
		r.urls = append(r.urls, ep.URL)
	}
	return r.serialProvider.Setup(ctx, eps)
}

// With SinkURL set (a provider that reaches the sink by another name than
// its listen address), endpoints are registered under it, and deliveries
// sent there are graded.
func TestSinkURLAdvertised(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()

	o := NewOptions()
	o.Policy, o.PolicySet = serialPolicy(), true
	o.Subscriber = &adapter.EndpointSpec{Path: "/orders", Options: "id-header=X-Msg-Id,type-header=X-Kind"}
	o.Grace = time.Second
	o.Eval.Only = []string{"1.1"}
	o.SinkListen, o.SinkURL = "127.0.0.1:"+port, "http://localhost:"+port+"/"
	var rec *recordingProvider
	o.NewAdapter = func(adapter.Options) (adapter.Adapter, error) {
		rec = &recordingProvider{serialProvider: newSerialProvider(serialPolicy(), false)}
		return rec, nil
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.urls) == 0 {
		t.Fatal("no endpoint registered")
	}
	for _, u := range rec.urls {
		if !strings.HasPrefix(u, "http://localhost:"+port+"/") || strings.Contains(u, port+"//") {
			t.Errorf("registered %q, want it under http://localhost:%s/", u, port)
		}
	}
	for _, r := range rep.Results {
		if r.ID == "1.1" && r.Verdict != conformance.Pass {
			t.Errorf("1.1 %s: %s", r.Verdict, r.Summary)
		}
	}
}
