//go:build !race

package trace

import (
	"io"
	"testing"
)

func TestWriteAttemptDoesNotAllocate(t *testing.T) {
	w, err := NewWriter(io.Discard, Header{RunID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a := Attempt{Endpoint: "/orders", MsgID: "msg_1", EventID: "hb1", Status: 200, Sig: SigValid}
	_ = w.WriteAttempt(&a)
	allocs := testing.AllocsPerRun(1000, func() {
		a.ArrivalNs++
		_ = w.WriteAttempt(&a)
	})
	if allocs != 0 {
		t.Fatalf("WriteAttempt allocates %v times per call", allocs)
	}
}
