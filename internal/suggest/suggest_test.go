package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"provider", "conform", "check", "report", "run", "sink", "version"}
	for _, tt := range []struct {
		name string
		want string
		ok   bool
	}{
		{"provder", "provider", true}, // one deletion
		{"confrom", "conform", true},  // transposition = 2 edits
		{"chek", "check", true},       // one deletion
		{"rn", "run", true},           // one deletion, short name
		{"sinks", "sink", true},       // one insertion
		{"conformance", "", false},    // 4 edits
		{"x", "", false},              // every 1-3 letter name is within 2 of "x"
		{"provider", "", false},       // exact: nothing to suggest
		{"", "", false},
		{"zzzzzz", "", false},
	} {
		got, ok := Closest(tt.name, known)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestClosestTiesGoToTheEarlier(t *testing.T) {
	if got, _ := Closest("ab", []string{"abc", "abd"}); got != "abc" {
		t.Errorf("got %q, want abc", got)
	}
}

func TestHint(t *testing.T) {
	if h := Hint("no-jiter", []string{"no-jitter", "slow"}); h != ` (did you mean "no-jitter"?)` {
		t.Errorf("Hint = %q", h)
	}
	if h := Hint("unrelated", []string{"no-jitter"}); h != "" {
		t.Errorf("Hint = %q, want empty", h)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"héllo", "hello", 1},
	} {
		if got := distance(tt.a, tt.b, 100); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distance(tt.a, tt.b, 2); got != min(tt.want, 2) {
			t.Errorf("distance(%q, %q, limit 2) = %d, want %d", tt.a, tt.b, got, min(tt.want, 2))
		}
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := distance(a, b, 1<<30)
		if d != distance(b, a, 1<<30) {
			t.Fatalf("not symmetric: %q %q", a, b)
		}
		if (d == 0) != (string([]rune(a)) == string([]rune(b))) {
			t.Fatalf("distance %d between %q and %q", d, a, b)
		}
		if n := max(len([]rune(a)), len([]rune(b))); d > n {
			t.Fatalf("distance %d > %d", d, n)
		}
	})
}

func BenchmarkClosest(b *testing.B) {
	known := []string{"max-attempts", "retry-window", "backoff", "schedule", "schedule-repeat", "jitter", "timeout", "time-scale"}
	for b.Loop() {
		Closest("max-attempt", known)
	}
}
