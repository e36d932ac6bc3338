package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

// acceptingScenario writes a scenario whose http provider accepts every
// trigger, using ${SVC_URL}.
func acceptingScenario(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "s.yaml")
	err := os.WriteFile(path, []byte(`provider:
  adapter: http
  http:
    base_url: ${SVC_URL}
    endpoint: [{path: /endpoints, body: '{"url":"{{url}}"}'}]
    trigger: {path: /events, body: '{"id":"{{id}}"}'}
sink:
  endpoints: [{path: /a}]
phases:
  - {count: 2, rate: 100}
drain: 50ms
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Every command that writes a trace refuses a file that exists, with exit
// 2 and a message naming the flag and the file, and leaves the file as it
// was; --force overwrites it, mode 0600.
func TestTraceFileNotOverwritten(t *testing.T) {
	srv, _ := triggerAPI(t, 202)
	dir := t.TempDir()
	sc := acceptingScenario(t, dir)
	for _, tc := range []struct {
		name string
		args []string // the trace path is appended
	}{
		{"sink", []string{"sink", "--listen", "127.0.0.1:0", "--duration", "50ms", "--quiet"}},
		{"gen", []string{"gen", "--url", srv.URL + "/events", "--count", "2", "--progress", "never"}},
		{"run", []string{"run", "--quiet", "--var", "SVC_URL=" + srv.URL, sc}},
		{"conform", []string{"conform", "--only", "1.1", "--load-events", "0", "-q"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".hbt")
			old := []byte("a recorded trace")
			if err := os.WriteFile(path, old, 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := runCLI(t, append(tc.args, "--trace", path)...)
			if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
				t.Fatalf("the existing trace was changed to %d bytes", len(got))
			}
			if code != exitUsage || !strings.Contains(stderr, "--trace "+path+": the file exists") || !strings.Contains(stderr, "--force") {
				t.Fatalf("exit %d, stderr %q: want %d and a message naming --trace, the file and --force", code, stderr, exitUsage)
			}
			if tc.name == "conform" {
				return // a whole suite run: its --force is the same OpenFile
			}
			code, stdout, stderr := runCLI(t, append(tc.args, "--trace", path, "--force")...)
			if code == exitUsage {
				t.Fatalf("--force: exit %d\n%s%s", code, stdout, stderr)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != trace.FileMode {
				t.Fatalf("mode %v, want %v", st.Mode().Perm(), trace.FileMode)
			}
			if _, err := trace.ReadFile(path); err != nil {
				t.Fatalf("--force did not write a trace: %v", err)
			}
		})
	}
}

// Credentials given on the command line (a --header whose name reads as
// one, a --var whose name does, used by the scenario or not) appear
// nowhere in the trace file nor in the reports made from it.
func TestTraceSecretsRedacted(t *testing.T) {
	const (
		bearer = "bearer-sekret-0123456789"
		apiKey = "x-api-key-sekret-42"
		varKey = "var-api-key-sekret-77"
		unused = "unused-token-sekret-55"
	)
	srv, _ := triggerAPI(t, 202)
	dir := t.TempDir()
	sc := acceptingScenario(t, dir)
	for _, tc := range []struct {
		name    string
		args    []string // trace and report paths are appended
		secrets []string
		report  bool // the command writes --json REPORT
	}{
		{"gen", []string{"gen", "--url", srv.URL + "/events", "--count", "2", "--progress", "never",
			"-H", "Authorization: Bearer " + bearer, "--header=X-Api-Key: " + apiKey}, []string{bearer, apiKey}, false},
		{"run", []string{"run", "--quiet", "--var", "SVC_URL=" + srv.URL, "--var", "API_KEY=" + varKey, "--var=SVC_TOKEN=" + unused, sc},
			[]string{varKey, unused}, false},
		{"conform", []string{"conform", "../../examples/smoke.yaml", "--only", "1.1", "--load-events", "0", "-q", "--var", "API_KEY=" + varKey},
			[]string{varKey}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+"-secret.hbt")
			args := append(tc.args, "--trace", path)
			report := filepath.Join(dir, tc.name+"-report.json")
			if tc.report {
				args = append(args, "--json", report)
			}
			if code, stdout, stderr := runCLI(t, args...); code == exitUsage {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := trace.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(tr.Header.Args, " "), "[REDACTED]") {
				t.Fatalf("header args %q: nothing redacted", tr.Header.Args)
			}
			code, summary, stderr := runCLI(t, "report", path, "--format", "json")
			if code != exitOK {
				t.Fatalf("report: exit %d: %s", code, stderr)
			}
			files := map[string]string{"trace": string(b), "report --format json": summary}
			if tc.report {
				r, err := os.ReadFile(report)
				if err != nil {
					t.Fatal(err)
				}
				files["--json"] = string(r)
			}
			for what, text := range files {
				for _, s := range tc.secrets {
					if strings.Contains(text, s) {
						t.Errorf("%s holds the secret %q", what, s)
					}
				}
			}
		})
	}
}

// run's default trace name is never an error: an existing NAME.trace makes
// it take NAME.1.trace, then NAME.2.trace.
func TestFreeName(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "smoke.trace")
	if got := freeName(name); got != name {
		t.Fatalf("free: %s", got)
	}
	for i, want := range []string{"smoke.1.trace", "smoke.2.trace"} {
		if i == 0 {
			os.WriteFile(name, nil, 0o600)
		}
		got := freeName(name)
		if got != filepath.Join(dir, want) {
			t.Fatalf("after %d files: %s, want %s", i+1, got, want)
		}
		os.WriteFile(got, nil, 0o600)
	}
}
