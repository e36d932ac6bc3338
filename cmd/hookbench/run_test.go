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

// TestRunThresholds: a scenario's thresholds: and --threshold are checked
// on the run's trace; a miss exits 1 after the run's summary.
func TestRunThresholds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte(`provider:
  adapter: reference
  reference: {time_scale: 0.001}
sink:
  endpoints: [{path: /a}]
phases:
  - {count: 5, rate: 200}
drain: 2s
thresholds:
  - delivered >= 99.9%
  - sent == 5
`), 0o644)
	tests := []struct {
		name  string
		extra []string
		code  int
		want  []string
	}{
		{"met", nil, exitOK, []string{"✓ delivered>=99.9% (100%)", "✓ sent==5 (5)"}},
		{"missed", []string{"--threshold", "sent>5"}, exitFail, []string{"✓ sent==5 (5)", "✗ sent>5 (5)", "1 of 3 thresholds missed"}},
	}
	for _, tt := range tests {
		args := append([]string{"run", "--quiet", "--trace", filepath.Join(dir, tt.name+".trace"), sc}, tt.extra...)
		code, out, errs := runCLI(t, args...)
		if code != tt.code {
			t.Fatalf("%s: exit %d, want %d\n%s%s", tt.name, code, tt.code, out, errs)
		}
		for _, w := range tt.want {
			if !strings.Contains(out+errs, w) {
				t.Errorf("%s: output lacks %q\n%s%s", tt.name, w, out, errs)
			}
		}
	}
}

func TestRunValidateListen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, sink string
		code       int
		want       string
	}{
		{"loopback", "  listen: 127.0.0.1:0\n", exitOK, ": ok: "},
		{"public refused", "  listen: 0.0.0.0:0\n", exitUsage, "sink.listen"},
		{"public on every address needs a url", "  listen: 0.0.0.0:0\n  public: true\n", exitUsage, "set sink.url"},
		{"public allowed", "  listen: 0.0.0.0:9301\n  public: true\n  url: http://10.0.0.5:9301\n", exitOK, ": ok: "},
		{"public on one address", "  listen: 10.0.0.5:0\n  public: true\n", exitOK, ": ok: "},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
		src := "sink:\n" + tc.sink + "  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n"
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "run", "--validate", path)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%s: code %d, %q%q; want %d and %q", tc.name, code, out, errs, tc.code, tc.want)
		}
	}
}
