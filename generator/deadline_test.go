package generator

import (
	"net"
	"testing"
	"time"
)

// deadlineRecorder is a net.Conn that records the deadlines set on it.
type deadlineRecorder struct {
	net.Conn
	set []time.Time
}

func (r *deadlineRecorder) SetDeadline(t time.Time) error { r.set = append(r.set, t); return nil }
func (r *deadlineRecorder) Read(p []byte) (int, error)    { return len(p), nil }
func (r *deadlineRecorder) Write(p []byte) (int, error)   { return len(p), nil }

func TestDeadlineConn(t *testing.T) {
	t.Parallel()
	const timeout = time.Hour // far beyond the test: only the first I/O needs a deadline
	tests := []struct {
		name string
		ops  string // r read, w write, c the client clears the deadlines
		sets int
	}{
		{"first read sets it", "r", 1},
		{"first write sets it", "w", 1},
		{"requests reuse it", "wrwrwrwrwr", 1},
		{"client clear sets it again", "wrcwr", 2},
		{"clear before use", "cwr", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &deadlineRecorder{}
			c := newDeadlineConn(rec, timeout)
			buf := make([]byte, 4)
			for _, op := range tt.ops {
				switch op {
				case 'r':
					_, _ = c.Read(buf)
				case 'w':
					_, _ = c.Write(buf)
				case 'c':
					_ = c.SetReadDeadline(time.Time{})
					_ = c.SetWriteDeadline(time.Time{})
				}
			}
			if len(rec.set) != tt.sets {
				t.Fatalf("deadline set %d times, want %d", len(rec.set), tt.sets)
			}
			for _, d := range rec.set {
				if d.IsZero() {
					t.Fatal("a zero deadline reached the connection")
				}
				// Never sooner than the timeout from now: no request is cut early.
				if left := time.Until(d); left < timeout-time.Minute || left > timeout+timeout/8 {
					t.Fatalf("deadline %v ahead, want within [timeout, timeout+timeout/8]", left)
				}
			}
		})
	}
}
