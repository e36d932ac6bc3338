package adapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Limits of the command adapter.
const (
	// maxCommandOutput bounds what is kept of a command's stdout and
	// stderr each; the rest is discarded.
	maxCommandOutput = 1 << 20
	// commandWaitDelay is how long a command's output pipes may stay open
	// after it was killed at its timeout.
	commandWaitDelay = 2 * time.Second
)

// CommandAdapter drives a provider through a user's command line tool, as a
// CommandSpec declares it. Every command is bounded by the spec's timeout
// and by the context; output is capped. Safe for concurrent Trigger calls.
type CommandAdapter struct {
	// engine runs the declared commands: Setup, RotateSecret, Restart,
	// DeleteEndpoint, EndpointSecrets, Teardown.
	*engine[CommandStep]
	spec CommandSpec
	// perEndpoint: the trigger refers to {{endpoint.NAME}} (see HTTPAdapter).
	perEndpoint bool
}

var (
	_ Adapter         = (*CommandAdapter)(nil)
	_ EndpointDeleter = (*CommandAdapter)(nil)
	_ SecretSource    = (*CommandAdapter)(nil)
	_ Restarter       = (*CommandAdapter)(nil)
	_ SecretRotator   = (*CommandAdapter)(nil)
)

// NewCommandAdapter returns an adapter running the declared commands.
func NewCommandAdapter(spec CommandSpec, opts Options) (*CommandAdapter, error) {
	if len(spec.Trigger.Run) == 0 {
		return nil, errors.New("command adapter: a trigger command is required")
	}
	if spec.Timeout == 0 {
		spec.Timeout = DefaultStepTimeout
	}
	if opts.Redactor == nil {
		opts.Redactor = &Redactor{}
	}
	refs := append([]string{spec.Trigger.Stdin}, spec.Trigger.Run...)
	for _, v := range spec.Env {
		refs = append(refs, v)
	}
	a := &CommandAdapter{spec: spec, perEndpoint: usesEndpoint(refs...)}
	a.engine = &engine[CommandStep]{kind: "command adapter", unit: "command", vars: newStepVars(spec.Vars, opts), red: opts.Redactor, runner: a, prog: spec.program()}
	return a, nil
}

// commandTexts is a step's template text.
func commandTexts(s *CommandStep) string { return strings.Join(s.Run, " ") + s.Stdin }

// Capabilities derives what the declared commands allow from their
// templates.
func (a *CommandAdapter) Capabilities() Capabilities {
	c := a.capabilities(&a.spec.Trigger, a.spec.Trigger.ProviderID, commandTexts, a.perEndpoint, "pass")
	c.Notes = append([]string{"load phases run the trigger command once per event (no generator)"}, c.Notes...)
	return c
}

// Trigger runs the trigger command for one event (once per target
// endpoint when it refers to {{endpoint.NAME}}, as the http adapter does).
// Exit status 0 is reported as status 200; a failing command is an error.
func (a *CommandAdapter) Trigger(ctx context.Context, ev Event) (TriggerResult, error) {
	return a.vars.fanOut(ev, a.perEndpoint, func(lookup func(string) (string, bool)) (TriggerResult, error) {
		out, err := a.step(ctx, "trigger", &a.spec.Trigger, lookup, nil)
		if err != nil {
			return TriggerResult{}, err
		}
		res := TriggerResult{Status: 200}
		if a.spec.Trigger.ProviderID != "" {
			id, err := extractValue(a.spec.Trigger.ProviderID, out, nil)
			if err != nil {
				res.Note = fmt.Sprintf("the trigger command succeeded but no provider id could be extracted (%s: %s)", a.spec.Trigger.ProviderID, a.red.Redact(err.Error()))
			}
			res.ProviderID = id
		}
		return res, nil
	})
}

// cappedBuffer keeps the first max bytes written and counts the rest.
type cappedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if room >= len(p) {
		return c.buf.Write(p)
	}
	if room > 0 {
		c.buf.Write(p[:room])
	}
	c.dropped += int64(len(p) - max(room, 0))
	return len(p), nil
}

// runStep renders and runs one command, returning its stdout (see
// stepRunner).
func (a *CommandAdapter) runStep(ctx context.Context, label string, s *CommandStep, lookup func(string) (string, bool)) ([]byte, func(string) string, string, error) {
	argv := make([]string, len(s.Run))
	for i, arg := range s.Run {
		v, err := render(arg, lookup)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%s: argument %d: %w", label, i, err)
		}
		argv[i] = v
	}
	stdin, err := renderBody(s.Stdin, lookup)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: stdin: %w", label, err)
	}
	env := make([]string, 0, len(a.spec.Env))
	for k, v := range a.spec.Env {
		val, err := render(v, lookup)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%s: env %s: %w", label, k, err)
		}
		env = append(env, k+"="+val)
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, nil, "", fmt.Errorf("%s: no command", label)
	}
	cctx, cancel := context.WithTimeout(ctx, a.spec.Timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.WaitDelay = commandWaitDelay
	cmd.Dir = a.spec.Dir
	if len(env) > 0 {
		cmd.Env = append(cmd.Environ(), env...)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	stdout := &cappedBuffer{max: maxCommandOutput}
	stderr := &cappedBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	shown := a.red.Redact(argv[0])
	err = cmd.Run()
	switch {
	case cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		return nil, nil, "", fmt.Errorf("%s (%s): timed out after %v", label, shown, a.spec.Timeout)
	case ctx.Err() != nil:
		return nil, nil, "", fmt.Errorf("%s (%s): %w", label, shown, ctx.Err())
	case err != nil:
		return nil, nil, "", fmt.Errorf("%s (%s): %w; stderr %s", label, shown, errors.New(a.red.Redact(err.Error())), a.red.Redact(snippet(stderr.buf.Bytes(), 300)))
	}
	return stdout.buf.Bytes(), nil, shown, nil
}
