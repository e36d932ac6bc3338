package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunNothingAccepted: a phase whose every trigger is refused exits 1
// with a one-line reason, not 0.
func TestRunNothingAccepted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/endpoints" {
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte(`provider:
  adapter: http
  http:
    base_url: `+srv.URL+`
    endpoint: [{path: /endpoints, body: '{"url":"{{url}}"}'}]
    trigger: {path: /events, body: '{"id":"{{id}}"}'}
sink:
  endpoints: [{path: /a}]
phases:
  - {count: 3, rate: 100}
drain: 100ms
`), 0o644)
	code, _, stderr := runCLI(t, "run", "--quiet", "--trace", filepath.Join(dir, "t.trace"), sc)
	if code != 1 || !strings.Contains(stderr, "phase phase-1: none of its 3 triggers was accepted (3 answered 404)") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
