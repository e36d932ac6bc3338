package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseOnly runs command lines with HOOKBENCH_PARSE_ONLY=1. The good
// ones run under a context that is already cancelled: a command that got
// past its checkpoint would report an interrupt (130) or leave a trace or
// report file behind, so exit 0 with no file proves it stopped after its
// flags. The bad ones show that the flags are still validated.
func TestParseOnly(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scenario, []byte(`name: p
provider: {adapter: reference}
sink: {endpoints: [{path: /hook}]}
phases: [{name: load, duration: 1s, rate: 10}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(dir, "t.hbt")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string // in stderr
	}{
		{"gen", []string{"gen", "--url", "http://hookbench-provider:8070/events", "--rate", "1k", "--shard", "2/3", "--trace", trace}, nil, exitOK, "hookbench gen: flags ok"},
		{"gen bad url", []string{"gen", "--url", "ftp://x/events"}, nil, exitUsage, "want an http:// or https:// URL"},
		{"gen bad header", []string{"gen", "--url", "http://x/e", "-H", "nocolon"}, nil, exitUsage, "want 'Name: value'"},
		{"gen bad template", []string{"gen", "--url", "http://x/e", "--body", `{"n":{{nosuch}}}`}, nil, exitUsage, "nosuch"},
		{"gen unknown flag", []string{"gen", "--url", "http://x/e", "--sahrd", "1/3"}, nil, exitUsage, "unknown flag: --sahrd (did you mean --shard?)"},
		{"sink", []string{"sink", "--listen", "0.0.0.0:8080", "--public", "--trace", trace}, nil, exitOK, "hookbench sink: flags ok"},
		{"sink not public", []string{"sink", "--listen", "0.0.0.0:8080", "--trace", trace}, nil, exitUsage, "--public"},
		{"provider", []string{"provider", "--listen", "0.0.0.0:8070", "--public"}, map[string]string{"HOOKBENCH_API_KEY": "k"}, exitOK, "hookbench provider: flags ok"},
		{"provider no key", []string{"provider", "--listen", "0.0.0.0:8070", "--public"}, map[string]string{"HOOKBENCH_API_KEY": ""}, exitUsage, "needs an API key"},
		{"report", []string{"report", "--merge", trace, "--format", "all", "--out", filepath.Join(dir, "report")}, nil, exitOK, "hookbench report: flags ok"},
		{"report bad format", []string{"report", trace, "--format", "pdf"}, nil, exitUsage, "pdf"},
		{"run", []string{"run", scenario, "--shard", "1/2", "--trace", trace}, nil, exitOK, "hookbench run: flags ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(parseOnlyEnv, "1")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.code == exitOK {
				cancel()
			}
			defer cancel()
			var out, errb bytes.Buffer
			code := run(ctx, tc.args, strings.NewReader(""), &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errb.String(), tc.code, tc.want)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				if en.Name() != filepath.Base(scenario) {
					t.Errorf("parse-only run left %s behind", en.Name())
				}
			}
		})
	}
}
