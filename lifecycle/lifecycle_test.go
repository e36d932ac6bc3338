package lifecycle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/adapter"
)

// recorder is an adapter that logs what the lifecycle calls, in order.
type recorder struct {
	log      *[]string
	setupErr error
	tdErr    error
}

func (r *recorder) Setup(_ context.Context, eps []adapter.EndpointSpec) error {
	*r.log = append(*r.log, "setup")
	return r.setupErr
}

func (r *recorder) Trigger(context.Context, adapter.Event) (adapter.TriggerResult, error) {
	return adapter.TriggerResult{Status: 202}, nil
}

func (r *recorder) Teardown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		*r.log = append(*r.log, "unbounded teardown")
	}
	if ctx.Err() != nil {
		*r.log = append(*r.log, "teardown with an ended context")
	}
	*r.log = append(*r.log, "teardown")
	return r.tdErr
}

func (r *recorder) Capabilities() adapter.Capabilities { return adapter.Capabilities{} }

func (r *recorder) EndpointSecrets() map[string]string { return map[string]string{"a": "s1", "b": ""} }

func TestRun(t *testing.T) {
	t.Parallel()
	errStep := errors.New("step failed")
	tests := []struct {
		name      string
		newErr    error
		setupErr  error
		sinkErr   error
		workErr   error
		tdErr     error
		cancelled bool
		want      []string
		wantStage Stage
		wantErr   error
	}{
		{name: "every step", want: []string{"sink", "config setup", "setup", "adopt map[a:s1]", "policy", "work", "before teardown", "config teardown", "teardown"}},
		{name: "no adapter", newErr: errStep, wantStage: StageAdapter},
		{name: "no sink: nothing to tear down", sinkErr: errStep, want: []string{"sink"}, wantErr: errStep},
		{name: "failed setup is torn down", setupErr: errStep, want: []string{"sink", "config setup", "setup", "before teardown", "config teardown", "teardown"}, wantStage: StageSetup},
		{name: "failed work is torn down", workErr: errStep, want: []string{"sink", "config setup", "setup", "adopt map[a:s1]", "policy", "work", "before teardown", "config teardown", "teardown"}, wantErr: errStep},
		{name: "teardown error reported", tdErr: errStep, want: []string{"sink", "config setup", "setup", "adopt map[a:s1]", "policy", "work", "before teardown", "config teardown", "teardown", "torn down: step failed"}},
		{name: "cancelled run still torn down, bounded", cancelled: true, want: []string{"sink", "config setup", "setup", "adopt map[a:s1]", "policy", "work", "before teardown", "config teardown", "teardown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log []string
			p := &Provider{
				New: func() (adapter.Adapter, error) {
					if tt.newErr != nil {
						return nil, tt.newErr
					}
					return &recorder{log: &log, setupErr: tt.setupErr, tdErr: tt.tdErr}, nil
				},
				Config: func(what string, fn func() error) error {
					log = append(log, "config "+strings.Fields(what)[0])
					return fn()
				},
				BeforeTeardown: func() { log = append(log, "before teardown") },
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			step := func(name string, err error) error {
				log = append(log, name)
				return err
			}
			_, err := p.Run(ctx, Steps{
				Sink:      func(*Session) error { return step("sink", tt.sinkErr) },
				Endpoints: func() (string, []adapter.EndpointSpec) { return "setup 1 endpoint", nil },
				Adopt: func(learned map[string]string) error {
					log = append(log, "adopt "+formatMap(learned))
					return nil
				},
				MarkPolicy: func(*Session) error { return step("policy", nil) },
				Work: func(context.Context, *Session) error {
					if tt.cancelled {
						cancel()
					}
					return step("work", tt.workErr)
				},
				TornDown: func(terr, _ error) { log = append(log, "torn down: "+terr.Error()) },
			})
			var se *StageError
			switch {
			case tt.wantStage != "":
				if !errors.As(err, &se) || se.Stage != tt.wantStage || !errors.Is(err, errStep) {
					t.Errorf("error %v, want a %s stage error wrapping %v", err, tt.wantStage, errStep)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || errors.As(err, &se) {
					t.Errorf("error %v, want %v as it is", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
			if !slices.Equal(log, tt.want) {
				t.Errorf("calls\n  %q\nwant\n  %q", log, tt.want)
			}
		})
	}
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + ":" + m[k])
	}
	b.WriteString("]")
	return b.String()
}

func TestSessionRenew(t *testing.T) {
	t.Parallel()
	var log []string
	built := 0
	p := &Provider{New: func() (adapter.Adapter, error) {
		built++
		return &recorder{log: &log}, nil
	}}
	s, err := p.Open()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.Setup(ctx, "first", nil); err != nil {
		t.Fatal(err)
	}
	if torn, err := s.Renew(ctx); torn != nil || err != nil {
		t.Fatalf("renew: %v %v", torn, err)
	}
	// The fresh adapter was never set up: nothing to tear down twice.
	if err := s.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"setup", "teardown"}; built != 2 || !slices.Equal(log, want) {
		t.Errorf("built %d, calls %q; want 2, %q", built, log, want)
	}
}
