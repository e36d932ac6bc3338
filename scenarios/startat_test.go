package scenarios

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// TestRunStartAtLate runs a scenario whose start time passed 1.5 s before
// the load began: the first phase (2 s at 10/s) skips the hits due before
// then, sends the rest on schedule, and says so.
func TestRunStartAtLate(t *testing.T) {
	t.Parallel()
	// The command adapter triggers through the adapter (the trigger loop),
	// the others through the generator.
	for _, file := range []string{"command", "../examples/svix.yaml", "../examples/minimal-server.yaml", "../examples/smoke.yaml"} {
		t.Run(file, func(t *testing.T) {
			vars := map[string]string{}
			switch {
			case strings.Contains(file, "minimal"):
				vars["PROVIDER_URL"] = newMinimalServer(t).URL
			case strings.Contains(file, "svix"):
				vars["SVIX_URL"], vars["SVIX_TOKEN"] = newSvixServer(t, "sk_t").URL, "sk_t"
			}
			var sc *Scenario
			var err error
			if file == "command" {
				sc, err = Parse("command.yaml", []byte(commandTrue), nil)
			} else {
				sc, err = Load(file, vars)
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			opts := NewRunOptions()
			opts.TraceOut = &buf
			opts.StartAt = time.Now().Add(-1500 * time.Millisecond) // before setup: setup time only adds to it
			res, err := Run(t.Context(), sc, opts)
			if err != nil {
				t.Fatal(err)
			}
			ph := res.Phases[0]
			if (ph.Summary == nil) != (file == "command") {
				t.Errorf("phase %s: through the generator: %v", ph.Name, ph.Summary != nil)
			}
			due := uint64(sc.Phases[0].Rate * sc.Phases[0].Duration.Seconds())
			// At most the hits due in the last 0.5 s of the phase are sent.
			if max := due - uint64(1.5*sc.Phases[0].Rate); ph.Sent > max {
				t.Errorf("phase %s sent %d, want at most %d", ph.Name, ph.Sent, max)
			}
			if !strings.Contains(strings.Join(res.Warnings, "\n"), "hits due before then were skipped") {
				t.Errorf("no warning of the skipped hits: %q", res.Warnings)
			}
			tr, err := trace.Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			// No skipped hit went out late: every send was due after the join.
			zero := tr.Header.StartWall
			for _, s := range tr.Sent {
				if at := zero.Add(time.Duration(s.IntendedNs)); at.Before(opts.StartAt.Add(1500 * time.Millisecond)) {
					t.Errorf("event %s intended %v after the start time, before the join", s.EventID, at.Sub(opts.StartAt))
				}
			}
		})
	}
}

// commandTrue is a scenario whose trigger runs true(1): the trigger loop.
const commandTrue = `provider:
  adapter: command
  command:
    trigger:
      run: [true]
sink:
  endpoints:
    - path: /a
phases:
  - name: loop
    duration: 2s
    rate: 10
drain: 200ms
`
