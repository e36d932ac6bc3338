package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/provider"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProviderUsage(t *testing.T) {
	code, out, _ := runCLI(t, "provider", "--help")
	if code != exitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--time-scale") {
		t.Fatalf("--help: code %d\n%s", code, out)
	}
	for _, f := range provider.Faults() {
		if !strings.Contains(out, f.Name) || !strings.Contains(out, f.Breaks) {
			t.Errorf("--help does not list fault %s", f.Name)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"provider", "--fault", "nope"}, `unknown fault "nope"`},
		{[]string{"provider", "--time-scale", "0"}, "time_scale"},
		{[]string{"provider", "--backoff", "fibonacci"}, "backoff.kind"},
		{[]string{"provider", "--max-attempts", "0"}, "max_attempts 0 is unlimited and needs a retry_window"},
		{[]string{"provider", "--max-attempts", "0", "--retry-window", "1h", "--schedule", "1s"}, "backoff.repeat"},
		{[]string{"provider", "--retry-window", "-1s"}, "retry_window"},
		{[]string{"provider", "--schedule", "1s", "--schedule-repeat-from", "2"}, "backoff.repeat_from"},
		{[]string{"provider", "--listen", "256.0.0.1:1"}, "listen"},
		{[]string{"provider", "extra"}, "unexpected argument"},
		{[]string{"provider", "--endpoint", "ftp://x/"}, "--endpoint ftp://x/: url: want an http or https URL"},
		{[]string{"provider", "--endpoint", "http://a/", "--endpoint", "http://a/"}, "--endpoint http://a/: given twice"},
		{[]string{"provider", "--secret", "notbase64!!"}, `--secret "notbase64!!": scheme standard: invalid secret`},
		{[]string{"provider", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--secret", "whsec_"}, `--secret "whsec_": scheme standard: invalid secret`},
		{[]string{"provider", "--scheme", "standard-v1a", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, `--secret "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": scheme standard-v1a: invalid secret`},
		{[]string{"provider", "--fault", "no-jiter"}, `--fault: [0]: unknown fault "no-jiter" (did you mean "no-jitter"?)`},
		{[]string{"provider", "--listen", "0.0.0.0:0", "--api-key", "k"}, "--public"},
		{[]string{"provider", "--listen", "0.0.0.0:0", "--public", "--api-key", ""}, "--api-key"},
		{[]string{"provider", "--endpoint", "http://169.254.169.254/latest/"}, "--allow-link-local"},
	} {
		code, out, errs := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%v: code %d, %q%q; want exit 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}

func TestProviderRunsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"provider", "--time-scale", "0.001", "--fault", "no-jitter", "--backoff", "exponential",
			"--api-key", "k"}, strings.NewReader(""), &out, &errb)
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("no URL printed: %q %q", out.String(), errb.String())
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/policy", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var doc provider.PolicyDoc
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || doc.TimeScale != 0.001 || doc.Policy.Backoff.Kind != "exponential" || doc.Policy.Backoff.Jitter != "full" ||
		doc.Policy.Backoff.Base != 5*time.Millisecond || len(doc.Faults) != 1 || doc.Faults[0] != "no-jitter" {
		t.Errorf("GET /policy: %+v %v", doc, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("provider did not stop after cancel")
	}
}

// runProviderCmd runs `hookbench provider ARGS...` until the returned stop
// is called; it returns what the provider printed once it had registered
// its --endpoint flags.
func runProviderCmd(t *testing.T, args ...string) (out *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out = &syncBuffer{}
	var errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"provider"}, args...), strings.NewReader(""), out, &errb) }()
	want := strings.Count(strings.Join(args, " "), "--endpoint")
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "  endpoint ") < want; time.Sleep(5 * time.Millisecond) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("provider exited %d: %s%s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("endpoints not registered: %q %q", out.String(), errb.String())
		}
	}
	return out, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("provider did not stop after cancel")
			return -1
		}
	}
}

// TestProviderEndpointFlagIsIdempotent: a provider restarted on the same
// data dir with the same --endpoint keeps the one endpoint (same id and
// secret) instead of registering the URL again, which would deliver every
// event twice.
func TestProviderEndpointFlagIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--listen", "127.0.0.1:0", "--data", dir, "--endpoint", "http://127.0.0.1:1/hook"}
	re := regexp.MustCompile(`endpoint (ep_\S+) -> http://127\.0\.0\.1:1/hook secret (\S+)(.*)`)

	out, stop := runProviderCmd(t, args...)
	first := re.FindStringSubmatch(out.String())
	if code := stop(); code != exitInterrupted || first == nil || first[3] != "" {
		t.Fatalf("first start: exit %d, endpoint line %q in\n%s", code, first, out.String())
	}
	out, stop = runProviderCmd(t, append(args, "--endpoint", "http://127.0.0.1:1/other")...)
	second := re.FindStringSubmatch(out.String())
	url := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(out.String())
	var eps []provider.Endpoint
	if url != nil {
		resp, err := http.Get(url[1] + "/endpoints")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&eps)
			resp.Body.Close()
		}
		if err != nil {
			t.Errorf("GET /endpoints: %v", err)
		}
	}
	if code := stop(); code != exitInterrupted {
		t.Fatalf("second start: exit %d", code)
	}
	if second == nil || second[1] != first[1] || second[2] != first[2] || second[3] != " (registered before: kept)" {
		t.Fatalf("second start: endpoint line %q, want %s with the same secret, kept\n%s", second, first[1], out.String())
	}
	if len(eps) != 2 {
		t.Errorf("GET /endpoints after two starts: %d endpoints, want 2 (the kept one and /other): %+v", len(eps), eps)
	}
}
