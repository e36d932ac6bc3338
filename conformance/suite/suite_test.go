package suite

import (
	"bytes"
	"testing"

	"github.com/hookbench/hookbench/conformance"
)

func TestSmokeReference(t *testing.T) {
	o := NewOptions()
	o.LoadEvents = 100
	o.Progress = func(f string, a ...any) { t.Logf(f, a...) }
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	conformance.WriteText(&b, rep.Results, conformance.TextOptions{Title: rep.Policy.Summary(), Verbose: true})
	t.Logf("wall %s\n%s", rep.Wall, b.String())
}
