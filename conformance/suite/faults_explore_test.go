package suite

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/provider"
)

func TestExploreFaults(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	var mu sync.Mutex
	out := map[string]string{}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	names := []string{""}
	for _, f := range provider.Faults() {
		names = append(names, f.Name)
	}
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := NewOptions()
			o.LoadEvents = 100
			if name != "" {
				o.Provider.Reference.Faults = []string{name}
			}
			rep, err := Run(t.Context(), o)
			if err != nil {
				t.Error(err)
				return
			}
			var parts []string
			for _, r := range rep.Results {
				if r.Verdict == conformance.Fail || r.Verdict == conformance.Warn {
					parts = append(parts, r.ID+"="+r.Verdict.String())
					ev := ""
					if len(r.Evidence) > 0 {
						ev = fmt.Sprintf("%+v", r.Evidence[0])
					}
					t.Logf("DETAIL %s %s %s: %s %s", name, r.ID, r.Verdict, r.Summary, ev)
				}
			}
			mu.Lock()
			out[name] = strings.Join(parts, " ") + fmt.Sprintf("  (%s)", rep.Wall.Round(1e8))
			mu.Unlock()
		}()
	}
	wg.Wait()
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%-28s %s\n", k, out[k])
	}
}
