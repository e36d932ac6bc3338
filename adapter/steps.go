package adapter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// step is one templated step of a declarative adapter: an HTTPStep or a
// CommandStep.
type step interface {
	stepName() string
	stepExtract() map[string]string
}

func (s HTTPStep) stepName() string                  { return s.Name }
func (s HTTPStep) stepExtract() map[string]string    { return s.Extract }
func (s CommandStep) stepName() string               { return s.Name }
func (s CommandStep) stepExtract() map[string]string { return s.Extract }

// program is what a declarative adapter's spec declares, by stage.
type program[S step] struct {
	setup, endpoint, endpointTeardown, teardown, rotateSecret, restart []S
	settle                                                             *Settle[S]
}

func (h *HTTPSpec) program() program[HTTPStep] {
	return program[HTTPStep]{setup: h.Setup, endpoint: h.Endpoint, endpointTeardown: h.EndpointTeardown, teardown: h.Teardown,
		rotateSecret: h.RotateSecret, restart: h.Restart, settle: h.Settle}
}

func (c *CommandSpec) program() program[CommandStep] {
	return program[CommandStep]{setup: c.Setup, endpoint: c.Endpoint, endpointTeardown: c.EndpointTeardown, teardown: c.Teardown,
		rotateSecret: c.RotateSecret, restart: c.Restart, settle: c.Settle}
}

// stepRunner runs one step the way its adapter does (a request, a
// command). It returns the step's output, the answer's headers (nil when
// there are none) and what it ran, redacted, for messages; its errors name
// the step by label.
type stepRunner[S step] interface {
	runStep(ctx context.Context, label string, s *S, lookup func(string) (string, bool)) (out []byte, header func(string) string, target string, err error)
}

// engine runs a declarative adapter's program: setup, the endpoint steps
// per endpoint, settle, rotation, restart, endpoint deletion and teardown,
// with vars, extraction and secret adoption. The adapters differ only in
// their stepRunner.
type engine[S step] struct {
	kind   string // "http adapter", in errors
	unit   string // "step" or "command", in errors
	prog   program[S]
	vars   *stepVars
	red    *Redactor
	runner stepRunner[S]
}

// step runs one step and stores what it extracts (per endpoint when ep is
// not nil); it returns the step's output.
func (e *engine[S]) step(ctx context.Context, stage string, s *S, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error) {
	label := stage + " " + e.unit
	if n := (*s).stepName(); n != "" {
		label += " " + strconv.Quote(n)
	}
	out, header, target, err := e.runner.runStep(ctx, label, s, lookup)
	if err != nil {
		return nil, err
	}
	for name, expr := range (*s).stepExtract() {
		v, err := extractValue(expr, out, header)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): extract %s: %w", label, target, name, errors.New(e.red.Redact(err.Error())))
		}
		e.vars.extracted(ep, name, v)
	}
	return out, nil
}

// steps runs steps in order and stops at the first error.
func (e *engine[S]) steps(ctx context.Context, stage string, ss []S, lookup func(string) (string, bool), ep *endpointVars) error {
	for i := range ss {
		if _, err := e.step(ctx, stage, &ss[i], lookup, ep); err != nil {
			return err
		}
	}
	return nil
}

// Setup runs the setup steps, then the endpoint steps for each endpoint,
// then waits as settle says.
func (e *engine[S]) Setup(ctx context.Context, eps []EndpointSpec) error {
	states := e.vars.setEndpoints(eps)
	if err := e.vars.resolve(true); err != nil {
		return fmt.Errorf("%s: %w", e.kind, err)
	}
	if err := e.steps(ctx, "setup", e.prog.setup, e.vars.lookupGlobal, nil); err != nil {
		return err
	}
	for _, ep := range states {
		if err := e.steps(ctx, "endpoint "+ep.spec.Name, e.prog.endpoint, e.vars.endpointLookup(ep), ep); err != nil {
			return err
		}
	}
	return e.settle(ctx)
}

// EndpointSecrets returns every endpoint's secret after Setup, including
// secrets the provider generated.
func (e *engine[S]) EndpointSecrets() map[string]string { return e.vars.secrets() }

// settle waits until the provider applied its configuration (see Settle).
func (e *engine[S]) settle(ctx context.Context) error {
	s := e.prog.settle
	if s == nil {
		return nil
	}
	return settle(ctx, s, e.vars, func(ctx context.Context, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error) {
		return e.step(ctx, "settle", s.Poll, lookup, ep)
	})
}

// RotateSecret runs the rotate_secret steps for one endpoint and returns
// its new secret ("" when the provider chose one and did not say).
func (e *engine[S]) RotateSecret(ctx context.Context, name string) (string, error) {
	if len(e.prog.rotateSecret) == 0 {
		return "", fmt.Errorf("rotate secret of %q: %w (no rotate_secret %ss)", name, ErrUnsupported, e.unit)
	}
	return e.vars.rotate(name, func(ep *endpointVars, lookup func(string) (string, bool)) error {
		return e.steps(ctx, "rotate_secret "+name, e.prog.rotateSecret, lookup, ep)
	})
}

// Restart runs the restart steps, then waits as settle says.
func (e *engine[S]) Restart(ctx context.Context) error {
	if len(e.prog.restart) == 0 {
		return fmt.Errorf("restart: %w (no restart %ss)", ErrUnsupported, e.unit)
	}
	if err := e.steps(ctx, "restart", e.prog.restart, e.vars.lookupGlobal, nil); err != nil {
		return err
	}
	return e.settle(ctx)
}

// DeleteEndpoint runs the endpoint_teardown steps for one endpoint.
func (e *engine[S]) DeleteEndpoint(ctx context.Context, name string) error {
	if len(e.prog.endpointTeardown) == 0 {
		return fmt.Errorf("delete endpoint %q: %w (no endpoint_teardown %ss)", name, ErrUnsupported, e.unit)
	}
	ep, ok := e.vars.endpoint(name)
	if !ok {
		return fmt.Errorf("delete endpoint %q: no such endpoint", name)
	}
	if err := e.steps(ctx, "endpoint_teardown "+name, e.prog.endpointTeardown, e.vars.endpointLookup(ep), ep); err != nil {
		return err
	}
	e.vars.mu.Lock()
	ep.deleted = true
	e.vars.mu.Unlock()
	return nil
}

// Teardown deletes every endpoint not yet deleted, then runs the teardown
// steps; it keeps going after errors and returns them joined.
func (e *engine[S]) Teardown(ctx context.Context) error {
	var errs []error
	for _, ep := range e.vars.live() {
		if err := e.steps(ctx, "endpoint_teardown "+ep.spec.Name, e.prog.endpointTeardown, e.vars.endpointLookup(ep), ep); err != nil {
			errs = append(errs, err)
		}
	}
	for i := range e.prog.teardown {
		if _, err := e.step(ctx, "teardown", &e.prog.teardown[i], e.vars.lookupGlobal, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// capabilities derives what the program allows from its templates: texts
// returns a step's template text; send is how a step hands a value over
// ("send", "pass"), in the notes.
func (e *engine[S]) capabilities(trigger *S, providerID string, texts func(*S) string, perEndpoint bool, send string) Capabilities {
	c := Capabilities{DeleteEndpoint: len(e.prog.endpointTeardown) > 0}
	for i := range e.prog.endpoint {
		s := &e.prog.endpoint[i]
		all := texts(s)
		c.SetSecret = c.SetSecret || templateUses(all, "secret")
		c.EventTypes = c.EventTypes || templateUses(all, "event_types") || templateUses(all, "event_types_json")
		if _, ok := (*s).stepExtract()["secret"]; ok {
			c.ReadSecret = true
		}
	}
	all := texts(trigger)
	c.IdempotencyKey = templateUses(all, "idempotency_key")
	c.EventIDs = templateUses(all, "id") || templateUses(all, "payload")
	c.ProviderIDs = providerID != ""
	c.TargetEndpoints, c.PerEndpointTrigger = perEndpoint, perEndpoint
	c.Restart = len(e.prog.restart) > 0
	c.RotateSecret = len(e.prog.rotateSecret) > 0
	if !c.SetSecret && !c.ReadSecret {
		c.Notes = append(c.Notes, fmt.Sprintf("the endpoint %ss neither %s {{secret}} nor extract a secret: signatures cannot be verified", e.unit, send))
	}
	if !c.EventIDs {
		c.Notes = append(c.Notes, fmt.Sprintf("the trigger %ss neither {{id}} nor {{payload}}: deliveries are matched to triggers by count only", send))
	}
	if !c.DeleteEndpoint {
		c.Notes = append(c.Notes, fmt.Sprintf("no endpoint_teardown %ss: endpoints cannot be deleted", e.unit))
	}
	if !c.IdempotencyKey {
		c.Notes = append(c.Notes, fmt.Sprintf("the trigger %ss no {{idempotency_key}}", send))
	}
	if c.PerEndpointTrigger {
		c.Notes = append(c.Notes, "the trigger is aimed at one endpoint at a time: an event that names none is sent to each endpoint subscribed to its type")
	}
	if !c.RotateSecret {
		c.Notes = append(c.Notes, fmt.Sprintf("no rotate_secret %ss: secrets cannot be rotated", e.unit))
	}
	if !c.Restart {
		c.Notes = append(c.Notes, fmt.Sprintf("no restart %ss: the provider cannot be restarted", e.unit))
	}
	return c
}
