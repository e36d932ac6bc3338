package synthtrace

import (
	"bytes"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// The count Write returns is the number of records a reader gets back, and
// the same options write the same bytes.
func TestWrite(t *testing.T) {
	o := Options{Attempts: 5000, Rate: 20000, Seed: 3, FailPct: 5, Start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Hookbench: "test"}
	var a, b bytes.Buffer
	n, err := Write(&a, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(&b, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same options wrote different traces")
	}
	tr, err := trace.Read(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := 1 + len(tr.Sent) + len(tr.Attempts) + len(tr.Marks); got != n || len(tr.Attempts) != o.Attempts {
		t.Fatalf("Write returned %d; read back %d records, %d attempts", n, got, len(tr.Attempts))
	}
}
