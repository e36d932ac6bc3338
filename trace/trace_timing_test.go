package trace

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// realisticAttempts is a retry-heavy run: 1000 events, each delivered to
// one of 3 endpoints with 1 to 4 attempts, provider ids of 26 bytes.
func realisticAttempts() []Attempt {
	var out []Attempt
	at := int64(0)
	for e := 0; e < 1000; e++ {
		n := 1 + e%4
		for k := 1; k <= n; k++ {
			at += 137_000 + int64(e%7)*1000
			st := 503
			if k == n {
				st = 200
			}
			out = append(out, Attempt{
				Endpoint: fmt.Sprint("/ep", e%3), MsgID: fmt.Sprintf("msg_%022d", e), EventID: fmt.Sprintf("hb%08x", e),
				EventType: "order.created", Nth: uint32(k), ArrivalNs: at, HandleNs: 48_000, Status: st, Sig: SigValid,
				SkewMs: int64(-e % 900), Size: 300 + e%50, BodyHash: uint64(e) * 0x9e3779b97f4a7c15, Flags: FlagTimestamp,
			})
		}
	}
	return out
}

// TestAttemptSize measures bytes per Attempt without body: the record
// itself, and the record plus the string definitions it brings in.
func TestAttemptSize(t *testing.T) {
	att := realisticAttempts()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{RunID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	// Intern the strings first, to measure the records alone.
	start := 0
	for i := range att {
		w.mu.Lock()
		w.intern(att[i].Endpoint)
		w.intern(att[i].MsgID)
		w.intern(att[i].EventID)
		w.intern(att[i].EventType)
		w.mu.Unlock()
	}
	_ = w.Flush()
	start = buf.Len()
	for i := range att {
		_ = w.WriteAttempt(&att[i])
	}
	_ = w.Close()
	perRecord := float64(buf.Len()-start) / float64(len(att))
	t.Logf("Attempt record: %.1f bytes on average over %d attempts; with its string definitions: %.1f", perRecord, len(att), float64(buf.Len())/float64(len(att)))
	if perRecord > 48 {
		t.Errorf("Attempt record is %.1f bytes on average, want <= 48", perRecord)
	}
}

func BenchmarkWriteAttempt(b *testing.B) {
	att := realisticAttempts()
	w, err := NewWriter(io.Discard, Header{RunID: "x"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for i := range att {
		_ = w.WriteAttempt(&att[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = w.WriteAttempt(&att[i%len(att)])
	}
}

func BenchmarkDecode(b *testing.B) {
	att := realisticAttempts()
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Header{RunID: "x"})
	// 40 copies of the run: one decoder pass over 100k attempts, as a
	// report over a long trace makes.
	for r := 0; r < 40; r++ {
		for i := range att {
			a := att[i]
			a.MsgID += fmt.Sprint(r)
			a.EventID += fmt.Sprint(r)
			_ = w.WriteAttempt(&a)
		}
	}
	_ = w.Close()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var rec Record
	n := 0
	for i := 0; i < b.N; i++ {
		d := NewDecoder(bytes.NewReader(data))
		for d.Decode(&rec) == nil {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(data))/float64(40*len(att)), "bytes/attempt")
}
