package scenarios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
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
	spec CommandSpec
	vars *stepVars
	red  *Redactor
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
func NewCommandAdapter(spec CommandSpec, opts AdapterOptions) (*CommandAdapter, error) {
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
	return &CommandAdapter{spec: spec, vars: newStepVars(spec.Vars, opts), red: opts.Redactor, perEndpoint: usesEndpoint(refs...)}, nil
}

// Capabilities derives what the declared commands allow from their
// templates.
func (a *CommandAdapter) Capabilities() Capabilities {
	c := Capabilities{DeleteEndpoint: len(a.spec.EndpointTeardown) > 0}
	for _, s := range a.spec.Endpoint {
		all := strings.Join(s.Run, " ") + s.Stdin
		c.SetSecret = c.SetSecret || templateUses(all, "secret")
		c.EventTypes = c.EventTypes || templateUses(all, "event_types") || templateUses(all, "event_types_json")
		if _, ok := s.Extract["secret"]; ok {
			c.ReadSecret = true
		}
	}
	all := strings.Join(a.spec.Trigger.Run, " ") + a.spec.Trigger.Stdin
	c.IdempotencyKey = templateUses(all, "idempotency_key")
	c.EventIDs = templateUses(all, "id") || templateUses(all, "payload")
	c.ProviderIDs = a.spec.Trigger.ProviderID != ""
	c.TargetEndpoints, c.PerEndpointTrigger = a.perEndpoint, a.perEndpoint
	c.Restart = len(a.spec.Restart) > 0
	c.RotateSecret = len(a.spec.RotateSecret) > 0
	c.Notes = append(c.Notes, "load phases run the trigger command once per event (no generator)")
	if !c.SetSecret && !c.ReadSecret {
		c.Notes = append(c.Notes, "the endpoint commands neither pass {{secret}} nor extract a secret: signatures cannot be verified")
	}
	if !c.EventIDs {
		c.Notes = append(c.Notes, "the trigger passes neither {{id}} nor {{payload}}: deliveries are matched to triggers by count only")
	}
	return c
}

// Setup runs the setup commands, then the endpoint commands per endpoint,
// then waits as settle says.
func (a *CommandAdapter) Setup(ctx context.Context, eps []EndpointSpec) error {
	states := a.vars.setEndpoints(eps)
	if err := a.vars.resolve(true); err != nil {
		return fmt.Errorf("command adapter: %w", err)
	}
	for i := range a.spec.Setup {
		if _, err := a.step(ctx, "setup", &a.spec.Setup[i], a.vars.lookupGlobal, nil); err != nil {
			return err
		}
	}
	for _, ep := range states {
		for i := range a.spec.Endpoint {
			if _, err := a.step(ctx, "endpoint "+ep.spec.Name, &a.spec.Endpoint[i], a.vars.endpointLookup(ep), ep); err != nil {
				return err
			}
		}
	}
	return a.settle(ctx)
}

// settle waits until the provider applied its configuration (see Settle).
func (a *CommandAdapter) settle(ctx context.Context) error {
	s := a.spec.Settle
	if s == nil {
		return nil
	}
	return settle(ctx, s, a.vars, func(ctx context.Context, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error) {
		return a.step(ctx, "settle", s.Poll, lookup, ep)
	})
}

// RotateSecret runs the rotate_secret commands for one endpoint and returns
// its new secret ("" when the provider chose one and did not say).
func (a *CommandAdapter) RotateSecret(ctx context.Context, name string) (string, error) {
	if len(a.spec.RotateSecret) == 0 {
		return "", fmt.Errorf("rotate secret of %q: %w (no rotate_secret commands)", name, ErrUnsupported)
	}
	return a.vars.rotate(name, func(ep *endpointVars, lookup func(string) (string, bool)) error {
		for i := range a.spec.RotateSecret {
			if _, err := a.step(ctx, "rotate_secret "+name, &a.spec.RotateSecret[i], lookup, ep); err != nil {
				return err
			}
		}
		return nil
	})
}

// Restart runs the restart commands, then waits as settle says.
func (a *CommandAdapter) Restart(ctx context.Context) error {
	if len(a.spec.Restart) == 0 {
		return fmt.Errorf("restart: %w (no restart commands)", ErrUnsupported)
	}
	for i := range a.spec.Restart {
		if _, err := a.step(ctx, "restart", &a.spec.Restart[i], a.vars.lookupGlobal, nil); err != nil {
			return err
		}
	}
	return a.settle(ctx)
}

// EndpointSecrets returns every endpoint's secret after Setup.
func (a *CommandAdapter) EndpointSecrets() map[string]string { return a.vars.secrets() }

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

// DeleteEndpoint runs the endpoint_teardown commands for one endpoint.
func (a *CommandAdapter) DeleteEndpoint(ctx context.Context, name string) error {
	if len(a.spec.EndpointTeardown) == 0 {
		return fmt.Errorf("delete endpoint %q: %w (no endpoint_teardown commands)", name, ErrUnsupported)
	}
	ep, ok := a.vars.endpoint(name)
	if !ok {
		return fmt.Errorf("delete endpoint %q: no such endpoint", name)
	}
	for i := range a.spec.EndpointTeardown {
		if _, err := a.step(ctx, "endpoint_teardown "+name, &a.spec.EndpointTeardown[i], a.vars.endpointLookup(ep), ep); err != nil {
			return err
		}
	}
	a.vars.mu.Lock()
	ep.deleted = true
	a.vars.mu.Unlock()
	return nil
}

// Teardown deletes the remaining endpoints and runs the teardown commands,
// continuing after errors.
func (a *CommandAdapter) Teardown(ctx context.Context) error {
	var errs []error
	for _, ep := range a.vars.live() {
		for i := range a.spec.EndpointTeardown {
			if _, err := a.step(ctx, "endpoint_teardown "+ep.spec.Name, &a.spec.EndpointTeardown[i], a.vars.endpointLookup(ep), ep); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	for i := range a.spec.Teardown {
		if _, err := a.step(ctx, "teardown", &a.spec.Teardown[i], a.vars.lookupGlobal, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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

// step renders and runs one command, returning its stdout.
func (a *CommandAdapter) step(ctx context.Context, stage string, s *CommandStep, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error) {
	label := stage + " command"
	if s.Name != "" {
		label += " " + strconv.Quote(s.Name)
	}
	argv := make([]string, len(s.Run))
	for i, arg := range s.Run {
		v, err := render(arg, lookup)
		if err != nil {
			return nil, fmt.Errorf("%s: argument %d: %w", label, i, err)
		}
		argv[i] = v
	}
	stdin, err := renderBody(s.Stdin, lookup)
	if err != nil {
		return nil, fmt.Errorf("%s: stdin: %w", label, err)
	}
	env := make([]string, 0, len(a.spec.Env))
	for k, v := range a.spec.Env {
		val, err := render(v, lookup)
		if err != nil {
			return nil, fmt.Errorf("%s: env %s: %w", label, k, err)
		}
		env = append(env, k+"="+val)
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, fmt.Errorf("%s: no command", label)
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
		return nil, fmt.Errorf("%s (%s): timed out after %v", label, shown, a.spec.Timeout)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s (%s): %w", label, shown, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("%s (%s): %w; stderr %s", label, shown, errors.New(a.red.Redact(err.Error())), a.red.Redact(snippet(stderr.buf.Bytes(), 300)))
	}
	out := stdout.buf.Bytes()
	for name, expr := range s.Extract {
		v, err := extractValue(expr, out, nil)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): extract %s: %w", label, shown, name, errors.New(a.red.Redact(err.Error())))
		}
		a.vars.extracted(ep, name, v)
	}
	return out, nil
}
