package suite

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/reference"
)

func TestExploreFaults(t *testing.T) {
	var mu sync.Mutex
	out := map[string]string{}
	t.Cleanup(func() {
		keys := make([]string, 0, len(out))
		for k := range out {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("%-24s %s\n", k, out[k])
		}
	})
	for _, f := range reference.Faults() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions()
			o.LoadEvents = 100
			o.Provider.Reference.Faults = []string{f.Name}
			rep, err := Run(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, r := range rep.Results {
				if r.Verdict == conformance.Fail || r.Verdict == conformance.Warn {
					parts = append(parts, r.ID+"="+r.Verdict.String())
					ev := ""
					if len(r.Evidence) > 0 {
						ev = fmt.Sprintf("%+v", r.Evidence[0])
					}
					t.Logf("DETAIL %s %s %s: %s %s", f.Name, r.ID, r.Verdict, r.Summary, ev)
				}
			}
			mu.Lock()
			out[f.Name] = strings.Join(parts, " ") + fmt.Sprintf("  (%s)", rep.Wall.Round(1e8))
			mu.Unlock()
		})
	}
}
