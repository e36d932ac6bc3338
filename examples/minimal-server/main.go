// Command minimal-server is the simplest webhook provider there is, for
// trying hookbench against a provider it did not write: POST /webhook
// {"webhookUrl": URL} registers a subscriber URL, and POST /trigger sends one
// fixed JSON payload to every registered URL. It has no event id, no
// signature, no retries and no timeout policy, so `hookbench conform
// examples/minimal-server.yaml` shows what such a provider is missing.
//
//	go run ./examples/minimal-server --listen 127.0.0.1:3000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// payload is what every trigger delivers: a typical hand-written event body.
const payload = `{"type":"new_order","data":{"orderID":123}}`

func main() {
	listen := flag.String("listen", "127.0.0.1:3000", "address to listen on")
	flag.Parse()
	srv := &http.Server{Addr: *listen, Handler: newServer().handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "minimal-server listening on http://%s\n", *listen)
	log.Fatal(srv.ListenAndServe())
}

type server struct {
	mu       sync.Mutex // guards webhooks
	webhooks []string
	client   *http.Client
}

func newServer() *server {
	return &server{client: &http.Client{Timeout: 30 * time.Second}}
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			WebhookURL string `json:"webhookUrl"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.WebhookURL == "" {
			http.Error(w, "Missing webhookUrl", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.webhooks = append(s.webhooks, req.WebhookURL)
		s.mu.Unlock()
		io.WriteString(w, "Webhook registered successfully!")
	})
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		urls := append([]string(nil), s.webhooks...)
		s.mu.Unlock()
		// Fire and forget, once, in the request: the typical first version
		// of a webhook sender.
		for _, u := range urls {
			resp, err := s.client.Post(u, "application/json", strings.NewReader(payload))
			if err != nil {
				log.Printf("send to %s: %v", u, err)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		io.WriteString(w, "Event triggered!")
	})
	return mux
}
