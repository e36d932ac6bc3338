package provider

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHTTPSEndpointWithCAFile(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("webhook-id")
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.CAFile = ca
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.CreateEndpoint(EndpointRequest{URL: srv.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(EventRequest{Type: "t", Payload: json.RawMessage(`{}`)}, "")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != res.ID {
			t.Errorf("https delivery carried id %q, want %q", id, res.ID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no https delivery")
	}

	o.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := New(o); err == nil {
		t.Errorf("missing CA file accepted")
	}
}
