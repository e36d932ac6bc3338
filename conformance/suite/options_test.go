package suite

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(*Options)
		want string // "" = valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"type prefix", func(o *Options) { o.TypePrefix = "acme.events." }, ""},
		{"type prefix with a space", func(o *Options) { o.TypePrefix = "acme events" }, "--type-prefix, conform.type_prefix"},
		{"type prefix with a comma", func(o *Options) { o.TypePrefix = "a,b" }, "--type-prefix"},
		{"type prefix too long", func(o *Options) { o.TypePrefix = strings.Repeat("a", conformance.MaxTypePrefix+1) }, "--type-prefix"},
		{"max endpoints", func(o *Options) { o.MaxEndpoints = 6 }, ""},
		{"max endpoints negative", func(o *Options) { o.MaxEndpoints = -1 }, "--max-endpoints, conform.max_endpoints"},
		{"max endpoints too many", func(o *Options) { o.MaxEndpoints = MaxMaxEndpoints + 1 }, "--max-endpoints"},
		{"max endpoints below a fragment", func(o *Options) { o.MaxEndpoints = 5 }, "fragment redirect"},
		{"max endpoints enough for the selection", func(o *Options) { o.MaxEndpoints, o.Eval.Only = 1, []string{"1.1"} }, ""},
		{"max hang follows the timeout", func(o *Options) { o.MaxHang = 0 }, ""},
		{"max hang negative", func(o *Options) { o.MaxHang = -time.Second }, "--max-hang, sink.max_hang"},
		{"subscriber", func(o *Options) { o.Subscriber = genericSubscriber("s") }, ""},
		{"subscriber without a secret", func(o *Options) { o.Subscriber = &adapter.EndpointSpec{Scheme: "svix"} }, ""},
		{"subscriber scheme none", func(o *Options) { o.Subscriber = &adapter.EndpointSpec{Scheme: adapter.SchemeNone} }, ""},
		{"subscriber unsigned", func(o *Options) { o.Subscriber = &adapter.EndpointSpec{Options: "id-header=X-Id"} }, ""},
		{"subscriber with a bad option", func(o *Options) { o.Subscriber = &adapter.EndpointSpec{Options: "colour=red"} }, "subscriber settings"},
		{"subscriber generic without its header", func(o *Options) { o.Subscriber = &adapter.EndpointSpec{Scheme: "generic", Secret: "s"} }, "subscriber settings"},
		{"subscriber unknown scheme", func(o *Options) { o.Subscriber = &adapter.EndpointSpec{Scheme: "paypal"} }, "subscriber scheme"},
		{"reference timeout too short once scaled", func(o *Options) {
			o.Policy, o.PolicySet = withTimeout(15*time.Second), true
		}, "declare a timeout of at least 16m40s (policy.timeout) or a time scale of at least 0.0667"},
		{"time scale too small for the default timeout", func(o *Options) { o.Provider.Reference.TimeScale = 0.0001 }, "400ms at time scale 0.0001"},
		{"short timeout of another provider", func(o *Options) {
			o.Provider = adapter.ProviderSpec{Adapter: "http"}
			o.Policy, o.PolicySet = withTimeout(15*time.Millisecond), true
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions()
			tt.set(&o)
			err := o.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want one naming %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestHangCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		timeout, want time.Duration
	}{
		{0, DefaultMaxHang},
		{4 * time.Second, DefaultMaxHang},
		{10 * time.Second, 15 * time.Second},
		{30 * time.Second, 45 * time.Second},
	}
	for _, tt := range tests {
		if got := HangCap(tt.timeout); got != tt.want {
			t.Errorf("HangCap(%v) = %v, want %v", tt.timeout, got, tt.want)
		}
	}
}

// The hang cap, and with it the longest a fragment waits, follow the
// declared timeout unless max hang is set; a cap too short to tell a
// provider without a timeout from one with it skips the hanging fragment.
func TestHangFollowsTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		timeout, hang   time.Duration
		wantCap         time.Duration
		wantWaitAtLeast time.Duration
		wantSkip        string
	}{
		{"reference", 4 * time.Second, 0, DefaultMaxHang, DefaultMaxFragment, ""},
		{"10 s timeout", 10 * time.Second, 0, 15 * time.Second, DefaultMaxFragment, ""},
		{"30 s timeout", 30 * time.Second, 0, 45 * time.Second, 75 * time.Second, ""},
		{"explicit cap", 10 * time.Second, 20 * time.Second, 20 * time.Second, DefaultMaxFragment, ""},
		{"explicit cap below the timeout", 10 * time.Second, 5 * time.Second, 5 * time.Second, DefaultMaxFragment, "not beyond the declared timeout"},
		{"no timeout", 0, 0, DefaultMaxHang, DefaultMaxFragment, "no timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions()
			o.MaxHang = tt.hang
			p := policy.Policy{MaxAttempts: 4, Backoff: policy.Backoff{Kind: "schedule", Schedule: []time.Duration{2 * time.Second}}, Timeout: tt.timeout}
			e := &env{o: &o, p: p, slack: conformance.DefaultSlack}
			if got := e.hangCap(); got != tt.wantCap {
				t.Errorf("hang cap %v, want %v", got, tt.wantCap)
			}
			if got := e.maxWait(); got < tt.wantWaitAtLeast || got > time.Hour {
				t.Errorf("longest wait %v, want at least %v and at most 1h", got, tt.wantWaitAtLeast)
			}
			if got := needsHang(e); !strings.Contains(got, tt.wantSkip) || (tt.wantSkip == "") != (got == "") {
				t.Errorf("needsHang = %q, want %q", got, tt.wantSkip)
			}
		})
	}
}

func TestPlanBatches(t *testing.T) {
	t.Parallel()
	all := plans()
	for _, max := range []int{0, 6, 7, 10, 1000} {
		bs := planBatches(all, max)
		seen := 0
		for i, b := range bs {
			n := registeredIn(b)
			if max > 0 && n > max {
				t.Errorf("max %d: batch %d registers %d endpoints", max, i+1, n)
			}
			seen += len(b)
		}
		if seen != len(all) {
			t.Errorf("max %d: batches hold %d fragments, want %d", max, seen, len(all))
		}
		if max == 0 && len(bs) != 1 {
			t.Errorf("no limit: %d batches, want 1", len(bs))
		}
	}
}

// A scenario written for run (the reference at time scale 0.001 with a
// 15 s timeout: 15 ms) is graded with the timeout raised to 1 s scaled,
// declared and run alike, and the note says so; a long enough timeout and
// other providers are left alone.
func TestFloorScaledTimeout(t *testing.T) {
	t.Parallel()
	o := NewOptions()
	o.Policy, o.PolicySet = withTimeout(15*time.Second), true
	note := o.FloorScaledTimeout()
	if o.Policy.Timeout != 1000*time.Second || !strings.Contains(note, "15s timeout would run as 15ms") || !strings.Contains(note, "16m40s") {
		t.Fatalf("timeout %v, note %q: want 16m40s and a note naming both", o.Policy.Timeout, note)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("after the floor: %v", err)
	}
	if again := o.FloorScaledTimeout(); again != "" {
		t.Errorf("a second call changed something: %q", again)
	}

	d := NewOptions() // the suite's own reference policy: 4 s once scaled
	if note := d.FloorScaledTimeout(); note != "" || d.PolicySet {
		t.Errorf("default options changed: %q", note)
	}
	h := NewOptions()
	h.Provider = adapter.ProviderSpec{Adapter: "http"}
	h.Policy, h.PolicySet = withTimeout(15*time.Millisecond), true
	if note := h.FloorScaledTimeout(); note != "" || h.Policy.Timeout != 15*time.Millisecond {
		t.Errorf("another provider's declared timeout changed: %q, %v", note, h.Policy.Timeout)
	}
}

func withTimeout(d time.Duration) policy.Policy {
	p := ReferencePolicy()
	p.Timeout = d
	return p
}
