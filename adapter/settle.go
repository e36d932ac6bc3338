package adapter

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/internal/wait"
	"github.com/hookbench/hookbench/signature"
)

// settleOnce runs one round of a poll: it returns the output to match the
// Until paths against, or an error when the poll did not succeed (a status
// it does not expect, a failing command).
type settleOnce func(ctx context.Context, lookup func(string) (string, bool), ep *endpointVars) ([]byte, error)

// settle waits as s declares (see Settle): the fixed wait, then each poll
// (once, or once per live endpoint) until it succeeds and matches. The
// error says what the last poll saw.
func settle[S any](ctx context.Context, s *Settle[S], v *stepVars, poll settleOnce) error {
	if s == nil {
		return nil
	}
	if err := wait.Sleep(ctx, s.Wait); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	if s.Poll == nil {
		return nil
	}
	interval, timeout := s.Interval, s.Timeout
	if interval <= 0 {
		interval = DefaultSettleInterval
	}
	if timeout <= 0 {
		timeout = DefaultSettleTimeout
	}
	deadline := time.Now().Add(timeout)
	targets := []*endpointVars{nil}
	if s.EachEndpoint {
		targets = v.live()
	}
	for _, ep := range targets {
		lookup, what := v.lookupGlobal, "settle"
		if ep != nil {
			lookup, what = v.endpointLookup(ep), "settle (endpoint "+ep.spec.Name+")"
		}
		for {
			out, err := poll(ctx, lookup, ep)
			if err == nil {
				err = matchUntil(s.Until, out)
			}
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", what, ctx.Err())
			}
			if !time.Now().Add(interval).Before(deadline) {
				return fmt.Errorf("%s: not settled after %v: %w", what, timeout, err)
			}
			if err := wait.Sleep(ctx, interval); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
	}
	return nil
}

// matchUntil checks every JSON path of until against out, in a stable
// order, and says which one differs.
func matchUntil(until map[string]string, out []byte) error {
	paths := make([]string, 0, len(until))
	for p := range until {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		got, err := extractValue(p, out, nil)
		if err != nil {
			return err
		}
		if got != until[p] {
			return fmt.Errorf("%s is %s, want %s", p, strconv.Quote(got), strconv.Quote(until[p]))
		}
	}
	return nil
}

// rotateLookup adds {{new_secret}} to an endpoint's values: a fresh secret
// of the endpoint's scheme, generated on first use.
func (v *stepVars) rotateLookup(ep *endpointVars, newSecret *string, genErr *error) func(string) (string, bool) {
	base := v.endpointLookup(ep)
	return func(name string) (string, bool) {
		if name != "new_secret" {
			return base(name)
		}
		if *newSecret == "" && *genErr == nil {
			v.mu.Lock()
			scheme := ep.spec.Scheme
			v.mu.Unlock()
			s, err := signature.GenerateSecret(scheme, rand.Reader)
			if err != nil {
				*genErr = fmt.Errorf("new secret for scheme %q: %w", scheme, err)
				return "", false
			}
			v.red.Add(s)
			*newSecret = s
		}
		return *newSecret, *genErr == nil
	}
}

// rotate runs one endpoint's rotate_secret steps (run) and records its new
// secret: the one the steps extracted, else the one they sent.
func (v *stepVars) rotate(name string, run func(ep *endpointVars, lookup func(string) (string, bool)) error) (string, error) {
	ep, ok := v.endpoint(name)
	if !ok {
		return "", fmt.Errorf("rotate secret of %q: no such endpoint", name)
	}
	v.mu.Lock()
	old := ep.spec.Secret
	v.mu.Unlock()
	var newSecret string
	var genErr error
	err := run(ep, v.rotateLookup(ep, &newSecret, &genErr))
	if genErr != nil {
		return "", fmt.Errorf("rotate secret of %q: %w", name, genErr)
	}
	if err != nil {
		return "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ep.spec.Secret == old && newSecret != "" {
		ep.spec.Secret = newSecret
	}
	if ep.spec.Secret == old {
		return "", nil
	}
	return ep.spec.Secret, nil
}
