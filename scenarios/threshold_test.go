package scenarios

import (
	"testing"
)

func TestParseThresholds(t *testing.T) {
	t.Parallel()
	src := validScenario + "thresholds:\n  - e2e_p99 < 2s\n  - delivered>=99.9%\n"
	sc, err := Parse("t.yaml", []byte(src), map[string]string{"SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "RATE": "10"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, th := range sc.Thresholds {
		got = append(got, th.String())
	}
	if len(got) != 2 || got[0] != "e2e_p99<2s" || got[1] != "delivered>=99.9%" {
		t.Fatalf("thresholds %q", got)
	}
}
