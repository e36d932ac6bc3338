package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The server registers a URL and delivers the fixed payload to it on each
// trigger, as examples/minimal-server.yaml expects.
func TestRegisterAndTrigger(t *testing.T) {
	var mu sync.Mutex
	var got []string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+" "+string(b))
		mu.Unlock()
	}))
	defer rc.Close()
	srv := httptest.NewServer(newServer().handler())
	defer srv.Close()

	post := func(path, body string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/webhook", `{}`); code != http.StatusBadRequest {
		t.Errorf("register without URL: %d, want 400", code)
	}
	if code := post("/webhook", `{"webhookUrl":"`+rc.URL+`/hook"}`); code != http.StatusOK {
		t.Fatalf("register: %d", code)
	}
	for range 2 {
		if code := post("/trigger", ``); code != http.StatusOK {
			t.Fatalf("trigger: %d", code)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "/hook "+payload || got[1] != got[0] {
		t.Errorf("delivered %q", got)
	}
}
