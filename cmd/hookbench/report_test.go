package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// writeShard writes a small trace: n events of one shard, each delivered
// once to /orders (every 10th after a 503 and a retry).
func writeShard(t *testing.T, dir string, shard, n int, start time.Time) string {
	t.Helper()
	path := filepath.Join(dir, "shard"+strconv.Itoa(shard)+".hbt")
	w, err := trace.Create(path, trace.Header{RunID: "shard" + strconv.Itoa(shard), StartWall: start, Hookbench: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := "s" + strconv.Itoa(shard) + "-" + strconv.Itoa(i)
		at := int64(i) * int64(10*time.Millisecond)
		lat := int64(shard+1) * int64(time.Millisecond)
		_ = w.WriteSent(&trace.Sent{EventID: id, Type: "order.created", IntendedNs: at, SentNs: at, LatencyNs: lat, Status: 202})
		arr := at + int64(5+shard*3)*int64(time.Millisecond)
		if i%10 == 0 {
			_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/orders", EventID: id, MsgID: "m" + id, Nth: 1, ArrivalNs: arr, Status: 503})
			arr += int64(time.Second)
			_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/orders", EventID: id, MsgID: "m" + id, Nth: 2, ArrivalNs: arr, Status: 200})
			continue
		}
		_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/orders", EventID: id, MsgID: "m" + id, Nth: 1, ArrivalNs: arr, Status: 200})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var shards []string
	for i := range 3 {
		shards = append(shards, writeShard(t, dir, i, 200, start.Add(time.Duration(i)*300*time.Millisecond)))
	}
	results := filepath.Join(dir, "results.json")
	if err := os.WriteFile(results, []byte(`[{"id":"3.1","title":"Retries 5xx","source":"policy","verdict":"FAIL","summary":"too fast"}]`), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		code int
		want []string // in stdout+stderr
	}{
		{"help", []string{"report", "--help"}, exitOK, []string{"Usage: hookbench report", "Examples:"}},
		{"no trace", []string{"report"}, exitUsage, []string{"want at least one trace file"}},
		{"text", []string{"report", shards[0]}, exitOK, []string{"e2e first arrival", "sent 200", "/orders"}},
		{"one per trace", []string{"report", shards[0], shards[1]}, exitOK, []string{"== " + shards[0] + " ==", "== " + shards[1] + " =="}},
		{"bad format", []string{"report", "--format", "pdf", shards[0]}, exitUsage, []string{`unknown report format "pdf"`}},
		{"hlog needs out", []string{"report", "--format", "hlog", shards[0]}, exitUsage, []string{"give --out DIR"}},
		{"junit needs results", []string{"report", "--format", "junit", shards[0]}, exitUsage, []string{"needs conformance results"}},
		{"missing file", []string{"report", filepath.Join(dir, "nope.hbt")}, exitUsage, []string{"open trace"}},
		{"not a trace", []string{"report", results}, exitUsage, []string{"corrupt record 0"}},
		{"bad match entries", []string{"report", "--match-entries", "1000", shards[0]}, exitUsage, []string{"MatchEntries"}},
		{"threshold met", []string{"report", shards[0], "--threshold", "delivered>=99.9%", "--threshold", "e2e_p99 < 10ms"}, exitOK, []string{"✓ delivered>=99.9% (100%)", "✓ e2e_p99<10ms (5ms)"}},
		{"threshold missed", []string{"report", shards[0], "--threshold", "retried<5%"}, exitFail, []string{"✗ retried<5% (10%)", "1 of 1 thresholds missed"}},
		{"threshold without value", []string{"report", shards[0], "--threshold", "lateness_p99<1s"}, exitFail, []string{"✗ lateness_p99<1s (no value)"}},
		{"threshold unknown", []string{"report", shards[0], "--threshold", "e2e_frist_p99<1s"}, exitUsage, []string{`did you mean "e2e_first_p99"`, "known metrics:"}},
		{"threshold in json", []string{"report", shards[0], "--format", "json", "--threshold", "retried<5%"}, exitFail, []string{`"spec": "retried<5%"`, `"ok": false`}},
		{"threshold per trace", []string{"report", shards[0], shards[1], "--out", filepath.Join(dir, "per"), "--threshold", "e2e_first_max<=5ms"}, exitFail, []string{"✓ e2e_first_max<=5ms (5ms)", "✗ e2e_first_max<=5ms (8ms)"}},
		{"junit to stdout", []string{"report", "--results", results, "--format", "junit", shards[0]}, exitOK, []string{`failures="1"`, "too fast"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", w, out, errs)
				}
			}
		})
	}

	t.Run("merge a directory of shards", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "report", "--merge", "--format", "json", dir)
		var doc struct {
			Runs   []json.RawMessage `json:"runs"`
			Counts struct {
				Sent int64 `json:"sent"`
			} `json:"counts"`
		}
		if code != exitOK || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Runs) != 3 || doc.Counts.Sent != 600 {
			t.Fatalf("code %d, %d runs, sent %d: %s%s", code, len(doc.Runs), doc.Counts.Sent, stdout, stderr)
		}
		empty := t.TempDir()
		if code, _, stderr := runCLI(t, "report", "--merge", empty); code != exitUsage || !strings.Contains(stderr, "no trace files") {
			t.Fatalf("empty directory: code %d, %s", code, stderr)
		}
	})
	t.Run("merge three shards into every format", func(t *testing.T) {
		out := filepath.Join(dir, "merged")
		args := append([]string{"report", "--merge", "--format", "all", "--out", out, "--results", results}, shards...)
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("code %d: %s%s", code, stdout, stderr)
		}
		for _, f := range []string{"report.txt", "report.json", "junit.xml", "e2e_first.hlog", "gap.hlog", "series.csv", "report.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		data, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Runs []struct {
				RunID string `json:"run_id"`
			} `json:"runs"`
			Counts struct {
				Sent     int64 `json:"sent"`
				Attempts int64 `json:"attempts"`
			} `json:"counts"`
			Metrics []struct {
				Name  string `json:"name"`
				Count int64  `json:"count"`
				Min   int64  `json:"min_ns"`
				Max   int64  `json:"max_ns"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Runs) != 3 || doc.Counts.Sent != 600 || doc.Counts.Attempts != 660 {
			t.Fatalf("merged runs %d, sent %d, attempts %d", len(doc.Runs), doc.Counts.Sent, doc.Counts.Attempts)
		}
		first := doc.Metrics[0]
		// Shard i delivers in 5+3i ms: the union spans 5..11 ms.
		if first.Name != "e2e_first" || first.Count != 600 || first.Min != int64(5*time.Millisecond) || first.Max != int64(11*time.Millisecond) {
			t.Fatalf("merged e2e_first %+v", first)
		}
	})
}
