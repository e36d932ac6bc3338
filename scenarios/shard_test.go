package scenarios

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/trace"
)

// TestRunShards runs the three shards of a scenario: each sends its part of
// the load phase's count, with ids of its own, and notes its shard.
func TestRunShards(t *testing.T) {
	t.Parallel()
	src := `name: shards
seed: 3
provider:
  adapter: reference
  reference:
    time_scale: 0.001
sink:
  endpoints:
    - path: /a
phases:
  - name: load
    count: 10
    rate: 200
    duration: 2s
drain: 20s
`
	const shards = 3
	seen := map[string]bool{}
	total := 0
	for i := 1; i <= shards; i++ {
		sc, err := Parse("shards.yaml", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		opts := NewRunOptions()
		opts.TraceOut = &buf
		opts.Shard = generator.Shard{Index: i, Of: shards}
		res, err := Run(t.Context(), sc, opts)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := trace.Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]int{1: 4, 2: 3, 3: 3}[i]
		if len(tr.Sent) != want || res.Phases[0].Sent != uint64(want) {
			t.Errorf("shard %d: %d Sent records, phase sent %d; want %d", i, len(tr.Sent), res.Phases[0].Sent, want)
		}
		total += len(tr.Sent)
		for _, s := range tr.Sent {
			if !strings.Contains(s.EventID, fmt.Sprintf("-s%d-", i)) || seen[s.EventID] {
				t.Errorf("shard %d: id %q", i, s.EventID)
			}
			seen[s.EventID] = true
		}
		found := false
		for _, m := range marksOf(tr, "note") {
			found = found || (m.Name == "shard" && m.Detail == fmt.Sprintf("%d/%d", i, shards))
		}
		if !found {
			t.Errorf("shard %d: no shard note in %+v", i, tr.Marks)
		}
	}
	if total != 10 {
		t.Fatalf("shards sent %d, want 10", total)
	}
	opts := NewRunOptions()
	opts.Shard = generator.Shard{Index: 4, Of: 3}
	if err := opts.Validate(); err == nil || !strings.Contains(err.Error(), "index must be 1 to 3") {
		t.Fatalf("Validate 4/3: %v", err)
	}
}
