package suite

import (
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/conformance"
)

func TestScaleClean(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SCALE_N"))
	if n == 0 {
		t.Skip()
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := NewOptions()
			o.LoadEvents = 100
			rep, err := Run(t.Context(), o)
			if err != nil {
				t.Error(err)
				return
			}
			s := ""
			for _, r := range rep.Results {
				if r.Verdict == conformance.Fail || r.Verdict == conformance.Warn {
					s += " " + r.ID
					if len(r.Evidence) > 0 {
						t.Logf("  %d %s %s %+v", i, r.ID, r.Summary, r.Evidence[0])
					} else {
						t.Logf("  %d %s %s", i, r.ID, r.Summary)
					}
				}
			}
			t.Logf("suite %d: wall %s fails:%s", i, rep.Wall, s)
		}()
	}
	wg.Wait()
}
