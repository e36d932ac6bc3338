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

	"github.com/hookbench/hookbench/conformance/reference"
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
	for _, f := range reference.Faults() {
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
		{[]string{"provider", "--endpoint", "ftp://x/"}, "--endpoint ftp://x/"},
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
	var doc reference.PolicyDoc
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || doc.TimeScale != 0.001 || doc.Policy.Backoff.Kind != "exponential" || doc.Policy.Backoff.Jitter != "full" ||
		doc.Policy.Backoff.Base != 5*time.Millisecond || len(doc.Faults) != 1 || doc.Faults[0] != "no-jitter" {
		t.Errorf("GET /policy: %+v %v", doc, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("provider did not stop after cancel")
	}
}
