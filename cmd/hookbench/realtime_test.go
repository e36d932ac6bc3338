package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testMainEnv makes the test binary act as the hookbench command (see
// TestMain): the real-time rows start `hookbench provider` in a process of
// its own without building a second binary.
const testMainEnv = "HOOKBENCH_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(testMainEnv) == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// startProvider runs `hookbench provider ARGS` in another process on a free
// loopback port and returns its URL; the process is interrupted at cleanup.
func startProvider(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"provider", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	urls := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "hookbench provider listening on "); ok {
				urls <- u
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}()
	select {
	case u := <-urls:
		return u
	case <-done:
		t.Fatalf("provider %v exited before listening: %s", args, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("provider %v did not start within 30s: %s", args, stderr.String())
	}
	return ""
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// realtimeProvider is the provider the real-time rows grade, as
// examples/reference-realtime.yaml declares it.
var realtimeProvider = []string{"--api-key", "k", "--time-scale", "1", "--schedule", "2s,4s,6s",
	"--max-attempts", "4", "--jitter", "none", "--timeout", "10s", "--retry-after-max", "20s"}

// realtimeTable is the fault table of conformance/suite run the way a real
// provider looks to the suite: `hookbench provider` in another process, a
// seconds-scale schedule in real time, driven through the http adapter by
// examples/reference-realtime.yaml. Each row lists exactly the checks that
// FAIL and WARN; every other check must PASS, be INFO or SKIP for a reason
// listed in realtimeSkips.
var realtimeTable = []struct {
	name   string
	faults []string
	// jitter, when set, runs the provider with ±20 % jitter and declares
	// it in the policy (the example declares none).
	jitter     bool
	fail, warn []string
}{
	{name: "clean", warn: noJitter},
	{name: "clean-jitter", jitter: true},
	{name: "no-jitter", jitter: true, faults: []string{"no-jitter"}, fail: []string{"3.3", "3.4"}},
	{name: "ignore-retry-after", faults: []string{"ignore-retry-after"}, fail: []string{"4.1", "4.2", "4.3"}, warn: noJitter},
	{name: "follow-302-as-get", faults: []string{"follow-302-as-get"}, fail: []string{"2.6"}, warn: noJitter},
	{name: "redirect-no-location-success", faults: []string{"redirect-no-location-success"}, fail: []string{"2.6"}, warn: noJitter},
	{name: "follow-redirects", faults: []string{"follow-redirects"}, fail: []string{"2.6"}, warn: noJitter},
	{name: "late-retries", faults: []string{"late-retries"}, warn: []string{"3.1", "3.3", "3.4", "3.5"}},
	{name: "drop-event-type-header", faults: []string{"drop-event-type-header"}, fail: []string{"9.3"}, warn: noJitter},
	{name: "ignore-idempotency-key", faults: []string{"ignore-idempotency-key"}, fail: []string{"7.3"}, warn: noJitter},
	{name: "drop-old-secret", faults: []string{"drop-old-secret"}, fail: []string{"6.7"}, warn: noJitter},
	// The three rules every independently written provider we tried broke.
	{name: "three-faults", faults: []string{"ignore-retry-after", "follow-302-as-get", "drop-event-type-header"},
		fail: []string{"2.6", "4.1", "4.2", "4.3", "9.3"}, warn: noJitter},
}

// noJitter is what a provider without jitter earns under a policy that
// declares none: 3.3 notes the missing jitter, 3.4 sees events that failed
// together retry together.
var noJitter = []string{"3.3", "3.4"}

// realtimeSkips are the checks the real-time rows may SKIP, and why: what
// the http adapter of the example cannot do.
var realtimeSkips = map[string]string{
	"11.3": "the example's http adapter cannot restart the provider",
	"12.1": "the example declares no CloudEvents format",
	"12.2": "the example declares no CloudEvents format",
	"12.3": "the example declares no CloudEvents format",
	"12.4": "the example declares no CloudEvents format",
}

// sortedIDs orders check ids numerically (2.10 after 2.9).
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b string) int {
		var a1, a2, b1, b2 int
		fmt.Sscanf(a, "%d.%d", &a1, &a2)
		fmt.Sscanf(b, "%d.%d", &b1, &b2)
		if a1 != b1 {
			return a1 - b1
		}
		return a2 - b2
	})
	return out
}

// conformJSON runs `hookbench conform SCENARIO` against the provider at url
// and returns its exit code, its JSON verdicts and its text output.
func conformJSON(t *testing.T, scenario, url string, args ...string) (int, realtimeVerdicts, string) {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "verdicts.json")
	var stdout, stderr strings.Builder
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	code := run(ctx, append([]string{"conform", scenario, "-q", "--json", jsonPath,
		"--var", "PROVIDER_URL=" + url, "--var", "API_KEY=k"}, args...), strings.NewReader(""), &stdout, &stderr)
	if code != exitOK && code != exitFail {
		t.Fatalf("conform exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var v realtimeVerdicts
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return code, v, stdout.String()
}

type realtimeVerdicts struct {
	Checks []struct {
		ID      string `json:"id"`
		Verdict string `json:"verdict"`
		Summary string `json:"summary"`
	} `json:"checks"`
}

// TestRealtimeFaults proves the fault table holds on a provider shaped like
// a real one. Rows run four at a time: each waits on the provider's clock
// (a minute or so), not on the CPU.
func TestRealtimeFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time rows take about a minute each")
	}
	t.Parallel()
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "reference-realtime.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, 4)
	for _, row := range realtimeTable {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			args := slices.Clone(realtimeProvider)
			scenario := string(example)
			if row.jitter {
				args = append(args, "--jitter", "proportional", "--jitter-frac", "0.2")
				scenario = strings.Replace(scenario, "    jitter: none\n", "    jitter: proportional\n    jitter_frac: 0.2\n", 1)
			}
			for _, f := range row.faults {
				args = append(args, "--fault", f)
			}
			url := startProvider(t, args...)
			dir := t.TempDir()
			path := filepath.Join(dir, "scenario.yaml")
			if err := os.WriteFile(path, []byte(scenario), 0o600); err != nil {
				t.Fatal(err)
			}
			code, v, stdout := conformJSON(t, path, url)
			got := map[string][]string{}
			var explain strings.Builder
			for _, c := range v.Checks {
				got[c.Verdict] = append(got[c.Verdict], c.ID)
				if c.Verdict == "FAIL" || c.Verdict == "WARN" || c.Verdict == "SKIP" {
					fmt.Fprintf(&explain, "\n  %s %s: %s", c.ID, c.Verdict, c.Summary)
				}
			}
			want := map[string][]string{"FAIL": row.fail, "WARN": row.warn}
			for _, verdict := range []string{"FAIL", "WARN"} {
				if !slices.Equal(sortedIDs(got[verdict]), sortedIDs(want[verdict])) {
					t.Errorf("%s %v, want %v", verdict, got[verdict], want[verdict])
				}
			}
			for _, id := range got["SKIP"] {
				if realtimeSkips[id] == "" {
					t.Errorf("SKIP %s: the real-time run should grade it", id)
				}
			}
			if wantCode := map[bool]int{true: exitFail, false: exitOK}[len(row.fail) > 0]; code != wantCode {
				t.Errorf("exit %d, want %d", code, wantCode)
			}
			if t.Failed() {
				t.Logf("verdicts:%s\n%s", explain.String(), stdout)
			}
		})
	}
}

// TestRealtimeGenericSignature grades, out of process and with YAML only,
// a provider whose signature is X-Signature: t=<unix>,v1=<hex> over
// "<t>,<body>" (examples/signature-generic.yaml).
func TestRealtimeGenericSignature(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time rows take a few seconds each")
	}
	t.Parallel()
	const options = `header=X-Signature,timestamp-param=t,signature-param=v1,template="{timestamp},{body}"`
	rows := []struct {
		name  string
		fault string
		fail  []string
		// says is what the summary of the first failing check must say.
		says string
	}{
		{name: "clean"},
		{name: "sign-reserialised-body", fault: "sign-reserialised-body", fail: []string{"6.1", "6.2"}, says: "not the bytes sent"},
		{name: "bad-signature", fault: "bad-signature", fail: []string{"6.1", "6.2"}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			args := append(slices.Clone(realtimeProvider), "--scheme", "generic", "--scheme-options", options)
			if row.fault != "" {
				args = append(args, "--fault", row.fault)
			}
			url := startProvider(t, args...)
			_, v, stdout := conformJSON(t, filepath.Join("..", "..", "examples", "signature-generic.yaml"), url,
				"--only", "6.1,6.2,6.3,6.4,6.6")
			var fail []string
			summaries := ""
			for _, c := range v.Checks {
				switch c.Verdict {
				case "FAIL":
					fail = append(fail, c.ID)
					summaries += c.Summary + "\n"
				case "PASS":
				default:
					t.Errorf("%s %s: %s", c.ID, c.Verdict, c.Summary)
				}
			}
			if !slices.Equal(fail, row.fail) {
				t.Errorf("FAIL %v, want %v\n%s", fail, row.fail, stdout)
			}
			if !strings.Contains(summaries, row.says) {
				t.Errorf("failures do not say %q:\n%s", row.says, summaries)
			}
		})
	}
}
