package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

// TestGenShards runs three shards of one run concurrently against one
// trigger API and merges their traces.
func TestGenShards(t *testing.T) {
	srv, bodies := triggerAPI(t, 202)
	dir := t.TempDir()
	const count, shards = 20, 3
	paths := make([]string, shards)
	var wg sync.WaitGroup
	outs := make([]string, shards)
	codes := make([]int, shards)
	for i := range shards {
		paths[i] = filepath.Join(dir, fmt.Sprintf("s%d.hbt", i+1))
		wg.Go(func() {
			// The same explicit id prefix on every shard: only the shard
			// keeps the ids apart.
			var out, errs string
			codes[i], out, errs = runCLI(t, "gen", "--url", srv.URL+"/events", "--rate", "400", "--count", strconv.Itoa(count),
				"-c", "2", "--id-prefix", "hb-x-", "--shard", fmt.Sprintf("%d/%d", i+1, shards),
				"--trace", paths[i], "--progress", "never")
			outs[i] = out + errs
		})
	}
	wg.Wait()
	seen := map[string]int{}
	var seqs []int
	total := 0
	for i, p := range paths {
		if codes[i] != exitOK {
			t.Fatalf("shard %d: code %d\n%s", i+1, codes[i], outs[i])
		}
		tr, err := trace.ReadFile(p)
		if err != nil {
			t.Fatalf("shard %d: %v", i+1, err)
		}
		want := count / shards
		if i < count%shards {
			want++
		}
		if len(tr.Sent) != want {
			t.Errorf("shard %d sent %d, want %d", i+1, len(tr.Sent), want)
		}
		if !slices.Contains(tr.Header.Args, "--shard") {
			t.Errorf("shard %d: header args %q lack --shard", i+1, tr.Header.Args)
		}
		total += len(tr.Sent)
		prefix := fmt.Sprintf("hb-x-s%d-", i+1)
		for _, s := range tr.Sent {
			if prev, dup := seen[s.EventID]; dup {
				t.Errorf("id %s in shards %d and %d", s.EventID, prev, i+1)
			}
			seen[s.EventID] = i + 1
			seq, err := strconv.Atoi(strings.TrimPrefix(s.EventID, prefix))
			if err != nil || (seq-1)%shards != i {
				t.Errorf("shard %d sent id %q: want %sN with N-1 ≡ %d mod %d", i+1, s.EventID, prefix, i, shards)
			}
			seqs = append(seqs, seq)
		}
	}
	if total != count || len(bodies()) != count {
		t.Fatalf("shards sent %d, server saw %d, want %d", total, len(bodies()), count)
	}
	// Together the shards send hits 1..count of the full schedule.
	slices.Sort(seqs)
	for k, s := range seqs {
		if s != k+1 {
			t.Fatalf("merged sequence numbers %v: want 1..%d", seqs, count)
		}
	}

	code, out, errs := runCLI(t, append([]string{"report", "--merge", "--format", "json"}, paths...)...)
	if code != exitOK {
		t.Fatalf("report: code %d\n%s%s", code, out, errs)
	}
	var doc struct {
		Runs []struct {
			RunID string `json:"run_id"`
		} `json:"runs"`
		Counts struct {
			Sent int64 `json:"sent"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	if len(doc.Runs) != shards || doc.Counts.Sent != count {
		t.Fatalf("merged report: %d runs, sent %d; want %d, %d", len(doc.Runs), doc.Counts.Sent, shards, count)
	}
}

func TestShardFlagErrors(t *testing.T) {
	srv, _ := triggerAPI(t, 202)
	for _, tt := range []struct{ cmd, shard, want string }{
		{"gen", "0/3", "index must be 1 to 3"},
		{"gen", "4/3", "index must be 1 to 3"},
		{"gen", "1/0", "number of shards must be"},
		{"gen", "2", "want I/N"},
		{"gen", "a/3", "not a number"},
		{"run", "3/2", "index must be 1 to 2"},
	} {
		t.Run(tt.cmd+" "+tt.shard, func(t *testing.T) {
			args := []string{"gen", "--url", srv.URL, "--count", "1", "--progress", "never", "--shard", tt.shard}
			if tt.cmd == "run" {
				args = []string{"run", "--quiet", "--shard", tt.shard, "--trace", filepath.Join(t.TempDir(), "x.trace"), "../../examples/smoke.yaml"}
			}
			code, out, errs := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(errs, "--shard") || !strings.Contains(errs, tt.want) {
				t.Fatalf("code %d (want %d)\n%s\n%s\nwant %q", code, exitUsage, out, errs, tt.want)
			}
		})
	}
	code, out, _ := runCLI(t, "gen", "--help")
	if code != exitOK || !strings.Contains(out, "--shard") {
		t.Fatalf("gen --help lacks --shard:\n%s", out)
	}
}
