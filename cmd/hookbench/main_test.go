package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"--help"}, exitOK, "Commands:"},
		{[]string{"version"}, exitOK, "hookbench "},
		{[]string{"nosuch"}, exitUsage, `unknown command "nosuch" (see hookbench --help)`},
		{[]string{"provder"}, exitUsage, `unknown command "provder" (did you mean "provider"?)`},
		{[]string{"confrom"}, exitUsage, `unknown command "confrom" (did you mean "conform"?)`},
		{[]string{"version", "--verbose"}, exitUsage, "unknown flag: --verbose (see hookbench version --help)"},
		{[]string{"provider", "--max-attempt", "3"}, exitUsage, "unknown flag: --max-attempt (did you mean --max-attempts?)"},
		{[]string{"conform", "--sequental"}, exitUsage, "unknown flag: --sequental (did you mean --sequential?)"},
		{[]string{"conform", "-only", "1"}, exitUsage, "in -only (did you mean --only?)"},
		{[]string{"sink", "--rule-file", "x"}, exitUsage, "unknown flag: --rule-file"},
		{[]string{"version", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"version", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"trace", "--help"}, exitOK, "Examples:"},
		{[]string{"trace", "dump"}, exitUsage, "want a subcommand"},
		{[]string{"trace", "stats", "/no/such/file"}, exitUsage, "no such file"},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("%v: code %d, output %q%q; want code %d and %q", tt.args, code, out, errs, tt.code, tt.want)
		}
	}
}

func TestTraceDumpAndStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.hbt")
	w, err := trace.Create(path, trace.NewHeader([]string{"hookbench", "test"}, "v0"))
	if err != nil {
		t.Fatal(err)
	}
	_ = w.WriteSent(&trace.Sent{EventID: "hb1", Status: 202})
	_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/a", MsgID: "m1", EventID: "hb1", Nth: 1, Status: 200, Sig: trace.SigValid})
	_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/a", MsgID: "m2", Nth: 1, Status: 200, Sig: trace.SigMismatch})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "trace", "dump", path)
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, `"sig":"mismatch"`) {
		t.Fatalf("dump: code %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "trace", "stats", path)
	if code != 0 || !strings.Contains(out, "attempts 2") || !strings.Contains(out, "mismatch=1") {
		t.Fatalf("stats: code %d\n%s%s", code, out, errs)
	}
}
