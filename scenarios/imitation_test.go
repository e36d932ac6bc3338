package scenarios

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Small in-test imitations of provider APIs the http adapter must drive
// with no Go code: the minimal server's server and a Svix-style API. Both deliver
// synchronously with net/http, on loopback only.

// minimalPayload is the fixed event the minimal server's server sends: no id.
const minimalPayload = `{"type":"new_order","data":{"orderID":123}}`

// minimalServer imitates the minimal server: POST /webhook {"webhookUrl"} registers
// a URL, POST /trigger posts a fixed payload to every registered URL.
type minimalServer struct {
	*httptest.Server
	mu       sync.Mutex // guards webhooks and triggers
	webhooks []string
	triggers int
}

func newMinimalServer(tb testing.TB) *minimalServer {
	tb.Helper()
	s := &minimalServer{}
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
		s.triggers++
		s.mu.Unlock()
		for _, u := range urls {
			if resp, err := http.Post(u, "application/json", strings.NewReader(minimalPayload)); err == nil {
				resp.Body.Close()
			}
		}
		io.WriteString(w, "Event triggered!")
	})
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// svixServer imitates a Svix-style API: applications, endpoints (with
// provider-generated secrets and event type filters), messages with
// idempotency keys, delivered signed with svix-* headers.
type svixServer struct {
	*httptest.Server
	token string

	mu        sync.Mutex // guards everything below
	apps      map[string]bool
	endpoints map[string]*svixEndpoint
	idem      map[string]string
	messages  int
	deleted   []string
	n         int
}

type svixEndpoint struct {
	app, url, secret string
	filter           []string
}

func newSvixServer(tb testing.TB, token string) *svixServer {
	tb.Helper()
	s := &svixServer{token: token, apps: map[string]bool{}, endpoints: map[string]*svixEndpoint{}, idem: map[string]string{}}
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+s.token {
				http.Error(w, `{"code":"authentication_failed"}`, http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /api/v1/app/{$}", auth(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" {
			writeJSON(w, 422, map[string]string{"detail": "name required"})
			return
		}
		s.mu.Lock()
		s.n++
		id := "app_" + strconv.Itoa(s.n)
		s.apps[id] = true
		s.mu.Unlock()
		writeJSON(w, 201, map[string]string{"id": id, "name": req.Name, "uid": req.UID})
	}))
	mux.HandleFunc("DELETE /api/v1/app/{app}/{$}", auth(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.apps[r.PathValue("app")] {
			w.WriteHeader(404)
			return
		}
		delete(s.apps, r.PathValue("app"))
		s.deleted = append(s.deleted, r.PathValue("app"))
		w.WriteHeader(204)
	}))
	mux.HandleFunc("POST /api/v1/app/{app}/endpoint/{$}", auth(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			URL         string   `json:"url"`
			Description string   `json:"description"`
			FilterTypes []string `json:"filterTypes"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || !strings.HasPrefix(req.URL, "http://") {
			writeJSON(w, 422, map[string]string{"detail": fmt.Sprint("bad endpoint: ", err)})
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.apps[r.PathValue("app")] {
			writeJSON(w, 404, map[string]string{"detail": "no app"})
			return
		}
		s.n++
		id := "ep_" + strconv.Itoa(s.n)
		key := make([]byte, 24)
		for i := range key {
			key[i] = byte(s.n*31 + i)
		}
		s.endpoints[id] = &svixEndpoint{app: r.PathValue("app"), url: req.URL, secret: "whsec_" + base64.StdEncoding.EncodeToString(key), filter: req.FilterTypes}
		writeJSON(w, 201, map[string]any{"id": id, "url": req.URL, "filterTypes": req.FilterTypes})
	}))
	mux.HandleFunc("GET /api/v1/app/{app}/endpoint/{ep}/secret/{$}", auth(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ep, ok := s.endpoints[r.PathValue("ep")]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]string{"detail": "no endpoint"})
			return
		}
		writeJSON(w, 200, map[string]string{"key": ep.secret})
	}))
	mux.HandleFunc("DELETE /api/v1/app/{app}/endpoint/{ep}/{$}", auth(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.endpoints[r.PathValue("ep")]; !ok {
			w.WriteHeader(404)
			return
		}
		delete(s.endpoints, r.PathValue("ep"))
		s.deleted = append(s.deleted, r.PathValue("ep"))
		w.WriteHeader(204)
	}))
	mux.HandleFunc("POST /api/v1/app/{app}/msg/{$}", auth(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			EventType string          `json:"eventType"`
			EventID   string          `json:"eventId"`
			Payload   json.RawMessage `json:"payload"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || req.EventType == "" || len(req.Payload) == 0 {
			writeJSON(w, 422, map[string]string{"detail": fmt.Sprint("bad message: ", err)})
			return
		}
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		if id, ok := s.idem[key]; ok && key != "" {
			s.mu.Unlock()
			writeJSON(w, 202, map[string]string{"id": id, "eventType": req.EventType})
			return
		}
		s.n++
		s.messages++
		id := "msg_" + strconv.Itoa(s.n)
		if key != "" {
			s.idem[key] = id
		}
		var targets []*svixEndpoint
		for _, ep := range s.endpoints {
			if ep.app != r.PathValue("app") {
				continue
			}
			match := len(ep.filter) == 0
			for _, f := range ep.filter {
				match = match || f == req.EventType
			}
			if match {
				targets = append(targets, ep)
			}
		}
		s.mu.Unlock()
		for _, ep := range targets {
			svixDeliver(ep, id, req.Payload)
		}
		writeJSON(w, 202, map[string]string{"id": id, "eventType": req.EventType})
	}))
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// svixSign computes the v1 signature of Standard Webhooks / Svix.
func svixSign(secret, id string, ts int64, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func svixDeliver(ep *svixEndpoint, id string, body []byte) {
	ts := time.Now().Unix()
	req, err := http.NewRequest(http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("svix-id", id)
	req.Header.Set("svix-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("svix-signature", svixSign(ep.secret, id, ts, body))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// receiver is a stand-in consumer recording deliveries by path.
type receiver struct {
	*httptest.Server
	mu         sync.Mutex // guards deliveries
	deliveries map[string][]delivery
}

type delivery struct {
	body   []byte
	header http.Header
}

func newReceiver(tb testing.TB) *receiver {
	tb.Helper()
	rc := &receiver{deliveries: map[string][]delivery{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.deliveries[r.URL.Path] = append(rc.deliveries[r.URL.Path], delivery{body: b, header: r.Header.Clone()})
		rc.mu.Unlock()
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) at(path string) []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.deliveries[path]...)
}
