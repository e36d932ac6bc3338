package ratelog

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestLogger(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		every time.Duration
		at    []time.Duration // when each line is logged
		want  []string
	}{
		{"first passes", 0, []time.Duration{0}, []string{"line 0"}},
		{"burst", 0, []time.Duration{0, 1, 2, 3}, []string{"line 0"}},
		{"burst then later", 0, []time.Duration{0, 10 * time.Millisecond, 500 * time.Millisecond, time.Second},
			[]string{"line 0", "line 3 (2 more suppressed)"}},
		{"spaced", 0, []time.Duration{0, time.Second, 2 * time.Second}, []string{"line 0", "line 1", "line 2"}},
		{"custom every", time.Minute, []time.Duration{0, time.Second, 59 * time.Second, time.Minute},
			[]string{"line 0", "line 3 (2 more suppressed)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var now time.Time
			var got []string
			l := &Logger{
				Logf:  func(f string, args ...any) { got = append(got, fmt.Sprintf(f, args...)) },
				Every: tc.every,
				Now:   func() time.Time { return now },
			}
			for i, d := range tc.at {
				now = base.Add(d)
				l.Printf("line %d", i)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("lines %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoggerNil(t *testing.T) {
	t.Parallel()
	var l *Logger
	l.Printf("nothing")
	(&Logger{}).Printf("nothing either")
}
