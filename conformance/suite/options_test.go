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
