package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

// triggerAPI is a 127.0.0.1 trigger API that records bodies and answers
// with status.
func triggerAPI(t *testing.T, status int) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"id":"p1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
}

func TestGenCLI(t *testing.T) {
	srv, bodies := triggerAPI(t, 202)
	path := filepath.Join(t.TempDir(), "gen.hbt")
	code, out, errs := runCLI(t, "gen", "--url", srv.URL+"/events", "--rate", "500", "--count", "20", "-c", "2",
		"--body", `{"type":"{{type}}","n":{{seq}}}`, "--type", "a.one,a.two", "--trace", path, "--progress", "never")
	if code != exitOK || !strings.Contains(out, "sent 20 of 20 intended") || !strings.Contains(out, "202×20") {
		t.Fatalf("code %d\n%s\n%s", code, out, errs)
	}
	if got := bodies(); len(got) != 20 {
		t.Fatalf("server saw %d bodies", len(got))
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(bodies()[0]), &body); err != nil || body["hookbench_id"] == nil {
		t.Fatalf("body %q: %v", bodies()[0], err)
	}
	tr, err := trace.ReadFile(path)
	if err != nil || len(tr.Sent) != 20 || tr.Sent[0].ProviderID != "p1" {
		t.Fatalf("trace: %v, %+v", err, tr)
	}
}

func TestGenCLIBadInput(t *testing.T) {
	srv, _ := triggerAPI(t, 503)
	ok, _ := triggerAPI(t, 202)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(bodyFile, []byte("{\n  \"a\": {{nope}}\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, exitOK, "Examples:"},
		{"no url", []string{"--count", "1"}, exitUsage, "missing target URL"},
		{"bad rate", []string{"--url", srv.URL, "--rate", "fast"}, exitUsage, `rate "fast"`},
		{"ramp without range", []string{"--url", srv.URL, "--ramp", "1s"}, exitUsage, "FROM:TO"},
		{"bad template", []string{"--url", srv.URL, "--body", `{"a":{{bogus}}}`}, exitUsage, "line 1, column 8"},
		{"bad template file", []string{"--url", srv.URL, "--body", "@" + bodyFile}, exitUsage, "line 2, column 10"},
		{"missing body file", []string{"--url", srv.URL, "--body", "@/no/such/file"}, exitUsage, "read body"},
		{"bad header", []string{"--url", srv.URL, "-H", "NoColon"}, exitUsage, "want 'Name: value'"},
		{"bad msgpack", []string{"--url", srv.URL, "--format", "msgpack", "--body", `{"a":}`}, exitUsage, "column 6"},
		{"argument", []string{"--url", srv.URL, "extra"}, exitUsage, "unexpected argument"},
		{"bad trace path", []string{"--url", srv.URL, "--count", "1", "--trace", "/no/such/dir/t.hbt"}, exitUsage, "create trace"},
		// A run where every request failed did nothing: its summary is
		// printed, then exit 1 says so.
		{"5xx storm", []string{"--url", srv.URL, "--rate", "1000", "--count", "10"}, exitFail, "503×10"},
		{"5xx storm says why", []string{"--url", srv.URL, "--rate", "1000", "--count", "10"}, exitFail, "every request failed (10 of 10 without a 2xx answer)"},
		{"refused", []string{"--url", refused, "--rate", "1000", "--count", "10"}, exitFail, "connection 10"},
		{"threshold met", []string{"--url", ok.URL, "--count", "3", "--threshold", "errors<1%", "--threshold", "sent==3"}, exitOK, "✓ errors<1% (0%)"},
		{"threshold missed", []string{"--url", ok.URL, "--count", "3", "--threshold", "sent>=4"}, exitFail, "✗ sent>=4 (3)"},
		{"threshold without value", []string{"--url", ok.URL, "--count", "3", "--threshold", "e2e_p99<1s"}, exitFail, "✗ e2e_p99<1s (no value)"},
		{"threshold unknown", []string{"--url", ok.URL, "--count", "3", "--threshold", "latncy_p99<1s"}, exitUsage, `did you mean "latency_p99"`},
		{"threshold without unit", []string{"--url", ok.URL, "--count", "3", "--threshold", "latency_p99<1"}, exitUsage, "has no unit"},
		{"json summary", []string{"--url", ok.URL, "--count", "3", "--output", "json", "--threshold", "sent>=4"}, exitFail, `"schema": "https://hookbench.dev/schema/gen/v1.json"`},
		{"invalid json is sent anyway", []string{"--url", ok.URL, "--count", "3", "--body", `{"a":1,,}`}, exitOK, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"gen", "--progress", "never"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Fatalf("code %d (want %d), output:\n%s\n%s\nwant %q", code, tt.code, out, errs, tt.want)
			}
		})
	}
}
