package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/trace"
)

func TestParseShardAuto(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == jobIndexEnv {
				return v
			}
			return ""
		}
	}
	for _, tt := range []struct {
		spec, index string
		want        generator.Shard
		err         string
	}{
		{"auto/3", "0", generator.Shard{Index: 1, Of: 3}, ""},
		{"auto/3", "2", generator.Shard{Index: 3, Of: 3}, ""},
		{" auto / 1 ", " 0 ", generator.Shard{Index: 1, Of: 1}, ""},
		{"auto/3", "3", generator.Shard{}, "JOB_COMPLETION_INDEX=\"3\": want a 0-based index 0 to 2"},
		{"auto/3", "-1", generator.Shard{}, "want a 0-based index"},
		{"auto/3", "one", generator.Shard{}, "want a 0-based index"},
		{"auto/3", "", generator.Shard{}, "JOB_COMPLETION_INDEX is not set"},
		{"auto", "0", generator.Shard{}, "want auto/N"},
		{"auto/", "0", generator.Shard{}, "number of shards must be 1 to"},
		{"auto/0", "0", generator.Shard{}, "number of shards must be 1 to"},
		{"auto/x", "0", generator.Shard{}, "number of shards must be 1 to"},
		{"2/3", "0", generator.Shard{Index: 2, Of: 3}, ""}, // explicit I/N ignores the variable
		{"", "1", generator.Shard{}, ""},
	} {
		got, err := parseShard(tt.spec, env(tt.index))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "--shard") {
				t.Errorf("parseShard(%q) with index %q = %v, %v; want error %q", tt.spec, tt.index, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseShard(%q) with index %q = %v, %v; want %v", tt.spec, tt.index, got, err, tt.want)
		}
	}
}

func TestResolvedArgs(t *testing.T) {
	sh := generator.Shard{Index: 2, Of: 3}
	for _, tt := range []struct{ in, want []string }{
		{[]string{"gen", "--shard", "auto/3", "--rate", "auto/3"}, []string{"gen", "--shard", "2/3", "--rate", "auto/3"}},
		{[]string{"gen", "--shard=auto/3"}, []string{"gen", "--shard=2/3"}},
		{[]string{"gen", "--shard", "2/3"}, []string{"gen", "--shard", "2/3"}},
	} {
		raw := "auto/3"
		if got := resolvedArgs(tt.in, raw, sh); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("resolvedArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseStartAt(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) // an injected clock
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	for _, tt := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"", time.Time{}, ""},
		{"2026-03-04T12:00:05Z", now.Add(5 * time.Second), ""},
		{"2026-03-04T13:00:05.250+01:00", now.Add(5250 * time.Millisecond), ""},
		{ms, now, ""},
		{strconv.FormatInt(now.Add(-90*time.Minute).UnixMilli(), 10), now.Add(-90 * time.Minute), ""},
		{strconv.FormatInt(now.Unix(), 10), time.Time{}, "unix seconds? give milliseconds"},
		{"2026-03-06T12:00:00Z", time.Time{}, "is 48h0m0s ahead"},
		{"2026-03-02T12:00:00Z", time.Time{}, "is 48h0m0s ago"},
		{"12:00", time.Time{}, "want RFC 3339"},
		{"2026-03-04 12:00:00", time.Time{}, "want RFC 3339"},
		{"-5", time.Time{}, "want RFC 3339"},
		{"99999999999999999999", time.Time{}, "out of range"},
	} {
		got, err := parseStartAt(tt.in, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "--start-at") {
				t.Errorf("parseStartAt(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseStartAt(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseStartAt(f *testing.F) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "2026-03-04T12:00:05Z", "1772625600000", "1772625600", "x", "2026-03-04T12:00:05.123456789+14:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseStartAt(s, now)
		if err != nil {
			return
		}
		if strings.TrimSpace(s) == "" {
			if !got.IsZero() {
				t.Fatalf("%q: %v", s, got)
			}
			return
		}
		if d := got.Sub(now); d > maxStartSkew || d < -maxStartSkew {
			t.Fatalf("%q accepted at %v from now", s, d)
		}
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"", "2/3", "auto/3", "auto", "auto/0", " auto / 2 "} {
		f.Add(s, "1")
	}
	f.Fuzz(func(t *testing.T, spec, index string) {
		sh, err := parseShard(spec, func(string) string { return index })
		if err != nil {
			if !strings.Contains(err.Error(), "--shard") {
				t.Fatalf("error without the flag name: %v", err)
			}
			return
		}
		if err := sh.Validate(); err != nil {
			t.Fatalf("%q, %q: accepted invalid %v: %v", spec, index, sh, err)
		}
	})
}

// TestGenStartAt runs gen as a user would: a start time that has passed
// with the whole schedule is a failure that says why; a bad one is a usage
// error; an Indexed Job's shard writes the resolved shard into the trace.
func TestGenStartAt(t *testing.T) {
	srv, _ := triggerAPI(t, 202)
	url := srv.URL + "/events"
	past := strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)

	code, out, errs := runCLI(t, "gen", "--url", url, "--rate", "100", "--count", "30", "--start-at", past, "--progress", "never")
	if code != exitFail || !strings.Contains(errs, "nothing was sent") || !strings.Contains(errs, "after --start-at") ||
		!strings.Contains(out, "30 hits due before then skipped") {
		t.Errorf("past start: code %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "gen", "--url", url, "--count", "1", "--start-at", "tomorrow", "--progress", "never")
	if code != exitUsage || !strings.Contains(errs, "--start-at") {
		t.Errorf("bad start: code %d\n%s", code, errs)
	}
	code, out, errs = runCLI(t, "run", "--quiet", "--start-at", past, "--trace", filepath.Join(t.TempDir(), "late.trace"), "../../examples/smoke.yaml")
	if code != exitFail || !strings.Contains(errs, "nothing was sent") || !strings.Contains(out, "hits due before then were skipped") {
		t.Errorf("run, past start: code %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "run", "--quiet", "--start-at", "1", "--trace", filepath.Join(t.TempDir(), "x.trace"), "../../examples/smoke.yaml")
	if code != exitUsage || !strings.Contains(errs, "--start-at") {
		t.Errorf("run, bad start: code %d\n%s", code, errs)
	}

	t.Setenv(jobIndexEnv, "")
	code, _, errs = runCLI(t, "gen", "--url", url, "--count", "1", "--shard", "auto/3", "--progress", "never")
	if code != exitUsage || !strings.Contains(errs, "--shard") || !strings.Contains(errs, jobIndexEnv) {
		t.Errorf("auto without the variable: code %d\n%s", code, errs)
	}

	t.Setenv(jobIndexEnv, "1")
	path := filepath.Join(t.TempDir(), "s.hbt")
	soon := time.Now().Add(200 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	code, out, errs = runCLI(t, "gen", "--url", url, "--rate", "100", "--count", "9", "--shard", "auto/3",
		"--start-at", soon, "--trace", path, "--progress", "never")
	if code != exitOK || !strings.Contains(out, "sent 3 of 3") {
		t.Fatalf("shard auto/3: code %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "waiting for --start-at "+soon[:19]) {
		t.Errorf("a start in the future is not announced on stderr:\n%s", errs)
	}
	tr, err := trace.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(tr.Header.Args, " "), "--shard 2/3") {
		t.Errorf("trace header args %q lack the resolved --shard 2/3", tr.Header.Args)
	}
	for _, s := range tr.Sent {
		if !strings.Contains(s.EventID, "-s2-") {
			t.Errorf("event id %q is not shard 2's", s.EventID)
		}
	}
}
