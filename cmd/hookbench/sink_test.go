package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

func TestSinkUsageErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sink", "--help"}, exitOK, "Examples:"},
		{[]string{"sink", "--endpoint", "path=/o,bogus=1"}, exitUsage, `--endpoint: endpoint "path=/o,bogus=1": bogus: unknown key`},
		{[]string{"sink", "--endpoint", "path=/o,scheme=standard,secret=whsec_%%%,x"}, exitUsage, "secret=REDACTED"},
		{[]string{"sink", "--rule", "status=99"}, exitUsage, "--rule: "},
		{[]string{"sink", "--rules", "/no/such/rules.yaml"}, exitUsage, "--rules: read rules"},
		{[]string{"sink", "--listen", ln.Addr().String()}, exitUsage, "address already in use"},
		{[]string{"sink", "--listen", "0.0.0.0:0"}, exitUsage, "not loopback"},
		{[]string{"sink", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"sink", "--duration", "-1s"}, exitUsage, "--duration -1s: want 0"},
		{[]string{"sink", "--procs", "-1"}, exitUsage, "--procs -1: want 0"},
		{[]string{"sink", "--bogus"}, exitUsage, "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("%v: code %d, output %q%q; want code %d and %q", tt.args, code, out, errs, tt.code, tt.want)
		}
		if strings.Contains(out+errs, "%%%") {
			t.Errorf("%v: output leaks the secret: %s%s", tt.args, out, errs)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the CLI goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestSinkRun(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "run.hbt")
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := writeFile(rulesPath, "- endpoint: /b\n  status: 503\n  retry-after: 5\n"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sink", "--endpoint", "path=/a,scheme=standard,secret=" + secret, "--endpoint", "path=/b",
			"--rules", rulesPath, "--trace", tracePath}, strings.NewReader(""), &out, &errb)
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(5 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %s%s", out.String(), errb.String())
		}
	}
	resp, err := http.Post(url+"/a", "application/json", strings.NewReader(`{"hookbench_id":"e1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post(url+"/b", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "5" {
		t.Fatalf("/b: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	o := out.String()
	for _, want := range []string{"endpoint " + url + "/a (verifies standard)", "rule endpoint=/b,status=503,retry-after=5s",
		"summary after", "/a                   received 1", "sig missing:1", "status 503:1"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	tr, err := trace.ReadFile(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Attempts) != 2 || tr.Attempts[0].EventID != "e1" || tr.Attempts[1].Status != 503 {
		t.Fatalf("attempts %+v", tr.Attempts)
	}
	args := strings.Join(tr.Header.Args, " ")
	if strings.Contains(args, "MfKQ9r8") || !strings.Contains(args, "secret=REDACTED") {
		t.Fatalf("trace header args not redacted: %s", args)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
