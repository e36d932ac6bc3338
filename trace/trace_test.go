package trace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

func testHeader() Header {
	return Header{Version: FormatVersion, RunID: "run1", StartWall: time.Unix(1700000000, 5), Args: []string{"hookbench", "sink", "--secret=<redacted>"}, Hookbench: "test"}
}

func sampleRecords() []Record {
	return []Record{
		{Kind: KindSent, Sent: Sent{EventID: "hb-1", Type: "order.created", IntendedNs: 1000, SentNs: 1500, LatencyNs: 200000, Status: 202, IdemKey: "k1", ProviderID: "msg_1"}},
		{Kind: KindSent, Sent: Sent{EventID: "hb-1", IntendedNs: 2000, SentNs: 2500, Err: ErrTimeout, IdemKey: "k1", DuplicateOf: "hb-0"}},
		{Kind: KindAttempt, Attempt: Attempt{Endpoint: "/orders", MsgID: "msg_1", EventID: "hb-1", EventType: "order.created", Nth: 1, ProviderN: 1, ArrivalNs: 5_000_000, HandleNs: 12_000, Status: 503, Sig: SigValid, SkewMs: -3, Size: 120, BodyHash: 0xdeadbeefcafef00d, Behavior: "status=503", Flags: FlagTimestamp, RetryAfter: 2000, Method: "POST"}},
		{Kind: KindMark, Mark: Mark{AtNs: 6_000_000, Type: "phase", Name: "ramp", Detail: `{"rate":100}`}},
		{Kind: KindAttempt, Attempt: Attempt{Endpoint: "/orders", MsgID: "msg_1", EventID: "hb-1", Nth: 2, ArrivalNs: 4_000_000, Status: 0, Sig: SigMismatch, SigVariant: SigCompactJSON, Size: 120, BodyHash: 1, Flags: FlagAborted | FlagProviderGaveUp, Body: []byte(`{"a":1}`)}},
		{Kind: KindAttempt, Attempt: Attempt{Endpoint: "/nope", Method: "GET", ArrivalNs: 1 << 40, HandleNs: 1 << 35, Status: 404, Size: 1 << 20, Flags: FlagNoEndpoint, SkewMs: -1 << 40}},
	}
}

func writeAll(t testing.TB, recs []Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		r := &recs[i]
		switch r.Kind {
		case KindSent:
			err = w.WriteSent(&r.Sent)
		case KindAttempt:
			err = w.WriteAttempt(&r.Attempt)
		case KindMark:
			err = w.WriteMark(&r.Mark)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	recs := sampleRecords()
	data := writeAll(t, recs)
	tr, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h := testHeader()
	if tr.Header.RunID != h.RunID || !tr.Header.StartWall.Equal(h.StartWall) || !reflect.DeepEqual(tr.Header.Args, h.Args) || tr.Header.Hookbench != "test" {
		t.Errorf("header = %+v, want %+v", tr.Header, h)
	}
	var sent []Sent
	var att []Attempt
	var marks []Mark
	for _, r := range recs {
		switch r.Kind {
		case KindSent:
			sent = append(sent, r.Sent)
		case KindAttempt:
			att = append(att, r.Attempt)
		case KindMark:
			marks = append(marks, r.Mark)
		}
	}
	if !reflect.DeepEqual(tr.Sent, sent) {
		t.Errorf("sent:\n got %+v\nwant %+v", tr.Sent, sent)
	}
	if !reflect.DeepEqual(tr.Attempts, att) {
		t.Errorf("attempts:\n got %+v\nwant %+v", tr.Attempts, att)
	}
	if !reflect.DeepEqual(tr.Marks, marks) {
		t.Errorf("marks:\n got %+v\nwant %+v", tr.Marks, marks)
	}
	if tr.Dropped != 0 {
		t.Errorf("dropped = %d, want 0", tr.Dropped)
	}
}

// Every prefix of a valid file reads back all complete records before the
// cut and reports the cut, as a SIGKILLed writer would leave the file.
func TestTruncatedEveryPrefix(t *testing.T) {
	t.Parallel()
	data := writeAll(t, sampleRecords())
	full, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	total := len(full.Sent) + len(full.Attempts) + len(full.Marks)
	prev := -1
	for cut := 1; cut < len(data); cut++ {
		tr, err := Read(bytes.NewReader(data[:cut]))
		if err != nil {
			// Only a cut inside the header may fail, and it must say so.
			var te *TruncatedError
			if !errors.As(err, &te) || te.Index != 0 {
				t.Fatalf("cut %d: %v", cut, err)
			}
			continue
		}
		n := len(tr.Sent) + len(tr.Attempts) + len(tr.Marks)
		if n < prev || n > total {
			t.Fatalf("cut %d: %d records after %d", cut, n, prev)
		}
		prev = n
	}
	if prev != total-1 && prev != total {
		t.Fatalf("longest prefix read %d of %d records", prev, total)
	}
}

// Every cut inside a record reports where that record starts and how many
// of its bytes the file holds: the two add up to the file's size, whether
// the input comes at once or a few bytes at a time (when the decoder
// compacts its buffer between reads).
func TestTruncatedOffsetAndDropped(t *testing.T) {
	t.Parallel()
	data := writeAll(t, sampleRecords())
	readers := map[string]func([]byte) io.Reader{
		"whole":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"halves":   func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for name, reader := range readers {
		truncated := 0
		for cut := 1; cut < len(data); cut++ {
			d := NewDecoder(reader(data[:cut]))
			var rec Record
			var err error
			for err == nil {
				err = d.Decode(&rec)
			}
			var te *TruncatedError
			if !errors.As(err, &te) {
				continue
			}
			truncated++
			if te.Dropped <= 0 || te.Offset < 0 || te.Offset >= int64(cut) || te.Offset+te.Dropped != int64(cut) {
				t.Fatalf("%s, cut at %d of %d: offset %d, dropped %d; want 0 < dropped and offset + dropped = %d",
					name, cut, len(data), te.Offset, te.Dropped, cut)
			}
		}
		if truncated == 0 {
			t.Fatalf("%s: no cut was reported as truncated", name)
		}
	}
}

func TestTruncatedReportsDropped(t *testing.T) {
	t.Parallel()
	data := writeAll(t, sampleRecords())
	tr, err := Read(bytes.NewReader(data[:len(data)-3]))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Dropped <= 0 || tr.Dropped >= int64(len(data)) {
		t.Fatalf("Dropped = %d for a file cut 3 bytes short of %d", tr.Dropped, len(data))
	}
	d := NewDecoder(bytes.NewReader(data[:len(data)-3]))
	var rec Record
	for {
		err = d.Decode(&rec)
		if err != nil {
			break
		}
	}
	var te *TruncatedError
	if !errors.As(err, &te) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want TruncatedError wrapping ErrUnexpectedEOF", err)
	}
	if !strings.Contains(err.Error(), "truncated") || te.Dropped != tr.Dropped {
		t.Errorf("err = %v (dropped %d, Read said %d)", err, te.Dropped, tr.Dropped)
	}
}

func TestCorrupt(t *testing.T) {
	t.Parallel()
	good := writeAll(t, sampleRecords())
	hdr := writeAll(t, nil)
	tests := []struct {
		name  string
		data  []byte
		index int
		want  string
	}{
		{"empty", nil, 0, "no header"},
		{"not msgpack", []byte("GET / HTTP/1.1\r\n"), 0, "expected an array"},
		{"no header first", []byte{0x91, 0x04}, 0, "no header"},
		{"unknown kind", append(append([]byte{}, hdr...), 0x91, 0x33), 1, "unknown record kind 51"},
		{"bad ref", append(append([]byte{}, hdr...), 0x95, 0x04, 0x00, 0x09, 0x00, 0xa0), 1, "string reference 9 undefined"},
		{"wrong type", append(append([]byte{}, hdr...), 0x95, 0x04, 0xa1, 'x', 0x00, 0x00, 0xa0), 1, "expected an integer"},
		{"second header", append(append([]byte{}, hdr...), hdr...), 1, "second header"},
		{"flipped byte", func() []byte { b := append([]byte{}, good...); b[len(hdr)] = 0xc1; return b }(), 1, "expected an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data))
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CorruptError", err)
			}
			if ce.Index != tt.index || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "at byte") {
				t.Errorf("err = %v (index %d), want index %d and %q", err, ce.Index, tt.index, tt.want)
			}
		})
	}
}

func TestForwardCompatibleExtraFields(t *testing.T) {
	t.Parallel()
	hdr := writeAll(t, nil)
	// A mark with two extra trailing fields (a map and an array) a newer
	// writer might add.
	rec := []byte{0x97, 0x04, 0x05, 0x00, 0x00, 0xa2, 'h', 'i', 0x81, 0xa1, 'k', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x92, 0xc3, 0xc0}
	tr, err := Read(bytes.NewReader(append(hdr, rec...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Marks) != 1 || tr.Marks[0].Detail != "hi" || tr.Marks[0].AtNs != 5 {
		t.Fatalf("marks = %+v", tr.Marks)
	}
}

// An Attempt record of a trace written before Method was recorded (18
// fields, ending with Body) still reads, with Method "".
func TestAttemptWithoutMethod(t *testing.T) {
	t.Parallel()
	hdr := writeAll(t, nil)
	rec := []byte{0xdc, 0x00, 0x12, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x00, 0xcc, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0}
	tr, err := Read(bytes.NewReader(append(append(hdr, rec...), rec...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Attempts) != 2 || tr.Attempts[1].Status != 200 || tr.Attempts[1].ArrivalNs != 14 || tr.Attempts[0].Method != "" || tr.Attempts[1].Nth != 1 {
		t.Fatalf("attempts = %+v", tr.Attempts)
	}
}

// A Decoder reuses the Record: an attempt without CloudEvents fields after
// one with them must not inherit them, and a plain attempt is written with
// the field count older readers expect.
func TestAttemptCEFieldsOptional(t *testing.T) {
	t.Parallel()
	recs := []Record{
		{Kind: KindAttempt, Attempt: Attempt{Endpoint: "/ce", Status: 200, CE: CEChecked | CEBinary | CERequired, CEID: "x", CEType: "com.example.created"}},
		{Kind: KindAttempt, Attempt: Attempt{Endpoint: "/plain", Status: 200}},
	}
	data := writeAll(t, recs)
	var out bytes.Buffer
	if err := Dump(&out, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], `"ce":["checked","binary","specversion","id","source","type"],"ce_id":"x","ce_type":"com.example.created"`) || strings.Contains(lines[2], `"ce`) {
		t.Errorf("dump:\n%s", out.String())
	}
	d := NewDecoder(bytes.NewReader(data))
	var rec Record
	var got []Attempt
	for {
		err := d.Decode(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind == KindAttempt {
			got = append(got, rec.Attempt)
		}
	}
	if len(got) != 2 || !reflect.DeepEqual(got[0], recs[0].Attempt) {
		t.Fatalf("attempts = %+v", got)
	}
	if got[1].CE != 0 || got[1].CEID != "" || got[1].CEType != "" {
		t.Errorf("plain attempt inherited CloudEvents fields: %+v", got[1])
	}
	plain := writeAll(t, recs[1:])
	hdr := writeAll(t, nil)
	rest := plain[len(hdr):]
	// Skip the interned endpoint string; the attempt array header follows.
	i := bytes.IndexByte(rest, byte(KindAttempt))
	if i < 3 || rest[i-3] != 0xdc || rest[i-2] != 0 || rest[i-1] != attemptFields {
		t.Errorf("plain attempt header = % x, want array of %d", rest[max(0, i-3):i+1], attemptFields)
	}
}

func TestCEAttrsNames(t *testing.T) {
	t.Parallel()
	got := strings.Join((CEChecked | CEBinary | CEHasType).Names(), ",")
	if got != "checked,binary,type" {
		t.Errorf("names = %q", got)
	}
	if (CEAttrs(0)).Names() != nil {
		t.Error("zero has names")
	}
}

// TestAttemptWithoutSigVariant: an attempt written before SigVariant
// existed (18 fields) still decodes, with no variant.
func TestAttemptWithoutSigVariant(t *testing.T) {
	t.Parallel()
	hdr := writeAll(t, nil)
	rec := []byte{0xdc, 0x00, 0x12, 0x03, 0, 0, 0, 0, 1, 0, 5, 0, 0xcc, 200, byte(SigMismatch), 0, 3, 7, 0, 0, 0, 0xc4, 0x00}
	tr, err := Read(bytes.NewReader(append(hdr, rec...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Attempts) != 1 {
		t.Fatalf("attempts = %+v", tr.Attempts)
	}
	a := tr.Attempts[0]
	if a.Status != 200 || a.Sig != SigMismatch || a.SigVariant != SigVariantNone || a.Size != 3 || a.BodyHash != 7 {
		t.Fatalf("attempt = %+v", a)
	}
}

func TestStringTableReset(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	n := maxInterned + 10
	for i := 0; i < n; i++ {
		if err := w.WriteAttempt(&Attempt{Endpoint: "/e", MsgID: fmt.Sprint("m", i), ArrivalNs: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tr, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Attempts) != n {
		t.Fatalf("read %d attempts, want %d", len(tr.Attempts), n)
	}
	for i, a := range tr.Attempts {
		if a.MsgID != fmt.Sprint("m", i) || a.Endpoint != "/e" || a.ArrivalNs != int64(i) {
			t.Fatalf("attempt %d = %+v", i, a)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 500; i++ {
				_ = w.WriteAttempt(&Attempt{Endpoint: fmt.Sprint("/e", g), Nth: uint32(i), ArrivalNs: int64(i)})
				_ = w.WriteSent(&Sent{EventID: fmt.Sprint(g, "-", i)})
			}
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMark(&Mark{}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	tr, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Attempts) != 2000 || len(tr.Sent) != 2000 {
		t.Fatalf("got %d attempts %d sent", len(tr.Attempts), len(tr.Sent))
	}
}

// A process killed with SIGKILL leaves a file whose complete records all
// read back: the periodic flush puts them on disk without Close.
func TestSIGKILLLeavesReadableFile(t *testing.T) {
	if os.Getenv("HOOKBENCH_TRACE_CHILD") != "" {
		w, err := Create(os.Getenv("HOOKBENCH_TRACE_CHILD"), testHeader())
		if err != nil {
			os.Exit(3)
		}
		for i := 0; ; i++ {
			_ = w.WriteAttempt(&Attempt{Endpoint: "/k", MsgID: fmt.Sprint("msg_", i), Nth: 1, ArrivalNs: int64(i)})
			if i%1000 == 999 {
				fmt.Println("ok", i+1)
				time.Sleep(50 * time.Millisecond)
			}
			if i > 1_000_000 {
				os.Exit(0)
			}
		}
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kill.hbt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLLeavesReadableFile$")
	cmd.Env = append(os.Environ(), "HOOKBENCH_TRACE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the child has written a few thousand records and slept
	// past a flush, then kill it.
	buf := make([]byte, 4096)
	seen := 0
	for seen < 3 {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		seen += strings.Count(string(buf[:n]), "ok ")
	}
	time.Sleep(2 * FlushInterval)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	tr, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Attempts) < 3000 {
		t.Fatalf("read %d attempts after SIGKILL, want at least 3000", len(tr.Attempts))
	}
	for i, a := range tr.Attempts {
		if a.MsgID != fmt.Sprint("msg_", i) {
			t.Fatalf("attempt %d has msg id %q", i, a.MsgID)
		}
	}
}

func TestKindAndSigStrings(t *testing.T) {
	t.Parallel()
	for s := SigResult(0); s < sigResultCount; s++ {
		got, ok := ParseSigResult(s.String())
		if !ok || got != s {
			t.Errorf("ParseSigResult(%q) = %v, %v", s.String(), got, ok)
		}
	}
	if !SigValidWeak.OK() || SigStale.OK() {
		t.Error("OK() wrong")
	}
	for v := SigVariant(0); v < sigVariantCount; v++ {
		got, ok := ParseSigVariant(v.String())
		if !ok || got != v {
			t.Errorf("ParseSigVariant(%q) = %v, %v", v.String(), got, ok)
		}
	}
	if KindAttempt.String() != "attempt" || Kind(99).String() != "kind(99)" {
		t.Error("Kind.String wrong")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(writeAll(f, sampleRecords()))
	f.Add(writeAll(f, nil))
	f.Add(writeAll(f, []Record{{Kind: KindAttempt, Attempt: Attempt{Endpoint: "/ce", CE: CEChecked | CERequired, CEID: "i", CEType: "t"}}}))
	f.Add([]byte{0x91, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data))
		var rec Record
		for i := 0; i < 10000; i++ {
			err := d.Decode(&rec)
			if err == nil {
				continue
			}
			var te *TruncatedError
			var ce *CorruptError
			if err != io.EOF && !errors.As(err, &te) && !errors.As(err, &ce) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
	})
}

// blockingWriter blocks every Write after the first until release is
// closed, and says on entered when one is waiting.
type blockingWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	n       int
	entered chan struct{}
	release chan struct{}
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.n++
	first := b.n == 1
	b.mu.Unlock()
	if !first {
		b.entered <- struct{}{}
		<-b.release
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// A write to the file that does not return (a slow disk, a stalled
// process) must not hold up the goroutines that record: they append to
// the other buffer meanwhile, and nothing is lost or reordered.
func TestSlowWriteDoesNotBlockRecording(t *testing.T) {
	bw := &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	w, err := NewWriter(bw, testHeader()) // the header: the first write, not blocked
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMark(&Mark{Name: "first"}); err != nil {
		t.Fatal(err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush() }()
	<-bw.entered // the flush is inside Write, holding "first"
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		for i := range 1000 {
			_ = w.WriteAttempt(&Attempt{Endpoint: "/orders", EventID: fmt.Sprint("ev-", i), ArrivalNs: int64(i)})
		}
	}()
	select {
	case <-recorded:
	case <-time.After(30 * time.Second): // a liveness bound, not a timing claim
		t.Fatal("WriteAttempt waited for the blocked write to the file")
	}
	close(bw.release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tr, err := Read(bytes.NewReader(bw.buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Marks) != 1 || tr.Marks[0].Name != "first" || len(tr.Attempts) != 1000 {
		t.Fatalf("read %d marks, %d attempts: want the mark, then 1000 attempts", len(tr.Marks), len(tr.Attempts))
	}
	for i, a := range tr.Attempts {
		if a.EventID != fmt.Sprint("ev-", i) || a.ArrivalNs != int64(i) {
			t.Fatalf("attempt %d is %s at %d: out of order", i, a.EventID, a.ArrivalNs)
		}
	}
	if w.Written() != 1001 || w.Lost() != 0 {
		t.Fatalf("Written %d, Lost %d: want 1001 and 0", w.Written(), w.Lost())
	}
}
