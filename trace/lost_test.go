package trace

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var errDiskFull = errors.New("no space left on device")

// fullDisk accepts limit bytes, then fails every write, keeping a short
// write's prefix as a full disk does.
type fullDisk struct {
	buf   bytes.Buffer
	limit int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	room := d.limit - d.buf.Len()
	if room >= len(p) {
		return d.buf.Write(p)
	}
	d.buf.Write(p[:max(room, 0)])
	return max(room, 0), errDiskFull
}

// Every record the writer was given is either in the file, whole, or
// counted in Lost, wherever the disk fills up: mid-buffer, mid-record,
// in a flush forced by size or in Close.
func TestLostCountsEveryRecord(t *testing.T) {
	recs := sampleRecords()
	var full bytes.Buffer
	w, err := NewWriter(&full, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	header := full.Len()
	big := bytes.Repeat([]byte("x"), 40<<10) // some flushes are forced by size
	for _, tc := range []struct {
		name  string
		total int
		body  []byte
	}{
		{"few records, flushed by Close", 50, nil},
		{"many records, flushed by size", 60, big},
	} {
		for _, limit := range []int{header, header + 1, header + 37, header + 500, header + 100<<10, header + 1<<20, 1 << 30} {
			t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
				d := &fullDisk{limit: limit}
				w, err := NewWriter(d, testHeader())
				if err != nil {
					t.Fatal(err)
				}
				for i := range tc.total {
					r := recs[i%len(recs)]
					switch r.Kind {
					case KindSent:
						r.Sent.EventID = fmt.Sprint("hb-", i)
						_ = w.WriteSent(&r.Sent)
					case KindAttempt:
						r.Attempt.Body = tc.body
						_ = w.WriteAttempt(&r.Attempt)
					case KindMark:
						_ = w.WriteMark(&r.Mark)
					}
				}
				closeErr := w.Close()
				_ = w.WriteMark(&Mark{Name: "after close"}) // lost too
				tr, err := Read(bytes.NewReader(d.buf.Bytes()))
				if err != nil {
					t.Fatalf("read what reached the disk: %v", err)
				}
				read := len(tr.Sent) + len(tr.Attempts) + len(tr.Marks)
				lost := w.Lost()
				if uint64(read) != w.Written() || uint64(read)+lost != uint64(tc.total)+1 {
					t.Fatalf("read %d, Written %d, Lost %d: want read = Written and read+Lost = %d", read, w.Written(), lost, tc.total+1)
				}
				if (lost > 1) != (closeErr != nil) {
					t.Fatalf("Close: %v with %d records lost before it", closeErr, lost-1)
				}
				if closeErr != nil && !errors.Is(closeErr, errDiskFull) {
					t.Fatalf("Close: %v, want the disk's error", closeErr)
				}
			})
		}
	}
}

// A failed flush drops its buffer: a long run on a full disk does not
// grow the writer's memory.
func TestFailedWriterKeepsNoBuffer(t *testing.T) {
	d := &fullDisk{limit: 200}
	w, err := NewWriter(d, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a := Attempt{Endpoint: "/orders", Body: bytes.Repeat([]byte("x"), 4096)}
	for range 200 {
		_ = w.WriteAttempt(&a)
	}
	if err := w.Flush(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Flush: %v", err)
	}
	w.mu.Lock()
	n := len(w.buf)
	w.mu.Unlock()
	if n != 0 || w.Lost() != 200 {
		t.Fatalf("buffer %d bytes, lost %d: want 0 and 200", n, w.Lost())
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.hbt")
	w, err := CreateFile(path, testHeader(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != FileMode {
		t.Fatalf("mode %v, want %v", st.Mode().Perm(), FileMode)
	}
	if _, err := CreateFile(path, testHeader(), false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second CreateFile: %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused CreateFile changed the file")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Size() != 0 || st.Mode().Perm() != FileMode {
		t.Fatalf("overwritten: size %d mode %v, want 0 and %v", st.Size(), st.Mode().Perm(), FileMode)
	}
}
