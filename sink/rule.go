package sink

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/internal/suggest"
	"github.com/hookbench/hookbench/signature"
)

// Rule is one behaviour: when a request matches, Behavior answers it.
// Rules are configuration (safe to copy and share); the Server keeps each
// rule's run-time state (every= counter, rate-limit bucket) itself, fresh
// each time rules are installed.
type Rule struct {
	// Endpoint limits the rule to one endpoint path; "" applies it to all.
	Endpoint string
	Match    Match
	Behavior Behavior
}

// Match selects requests. The zero value matches everything. Conditions
// are checked in field order; Every counts only requests that passed the
// conditions before it, P draws only for those, and Rate takes a token
// only for those.
type Match struct {
	// Types lists event types; empty matches any (and none).
	Types []string
	// AttemptMin..AttemptMax (inclusive) selects the n-th arrival of a
	// message id at the endpoint, from 1; AttemptMax 0 means no upper bound.
	// 0..0 matches every arrival.
	AttemptMin, AttemptMax uint32
	// After and Before form a window since the sink started; 0 leaves a
	// side open.
	After, Before time.Duration
	// Every matches every n-th request reaching this condition (n, 2n, ...).
	Every uint64
	// P is the probability of matching, drawn from the seeded per-request
	// generator; 0 means always.
	P float64
	// Flap alternates Up and Down periods from the moment the rules were
	// installed; the rule matches during Down periods only.
	Flap Flap
	// Rate is a token bucket; the rule matches only when it is empty
	// (the request is over the limit), so the default answer is 429 with
	// a Retry-After saying when the next token arrives.
	Rate Rate
}

// Flap is an up/down cycle. The zero value never flaps.
type Flap struct{ Up, Down time.Duration }

// Rate is a token bucket: PerSecond tokens per second, up to Burst stored.
// The zero value is no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// ruleKeys lists the keys ParseRule accepts.
var ruleKeys = []string{"endpoint", "type", "attempt", "after", "before", "every", "p", "flap", "rate", "burst",
	"status", "body", "delay", "retry-after", "gone", "redirect", "reset", "hang", "trickle", "ack-lost", "refuse-handshake"}

// ParseRule parses the --rule form: comma-separated key=value pairs (a
// distribution's own comma is kept: delay=normal:2s,500ms), e.g.
// "endpoint=/orders,attempt=1-2,status=503,retry-after=30". Match keys:
// endpoint, type (a|b), attempt (N, A-B or A-), after, before, every, p,
// flap (UP/DOWN), rate (N/s, N/m or N/h) with burst. Action keys: status,
// body, delay (a duration or distribution), retry-after (seconds, a
// duration, or date:DURATION for an HTTP-date), gone, redirect=LOCATION,
// reset, hang[=CAP], trickle=BYTES/s, ack-lost, refuse-handshake (answers
// webhook validation requests without granting them; only those). Errors
// name the key.
func ParseRule(s string) (Rule, error) {
	var b ruleBuilder
	for _, kv := range splitRuleFields(s) {
		k, v, _ := strings.Cut(kv, "=")
		if err := b.set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return Rule{}, fmt.Errorf("rule %q: %w", s, err)
		}
	}
	r, err := b.build()
	if err != nil {
		return Rule{}, fmt.Errorf("rule %q: %w", s, err)
	}
	return r, nil
}

// ParseRuleOptions is ParseRule for keys and values already split (the
// mapping form of a rules file or a scenario), so that a value may hold a
// comma. Keys and values are those of ParseRule.
func ParseRuleOptions(opts []signature.Option) (Rule, error) {
	var b ruleBuilder
	for _, o := range opts {
		if err := b.set(o.Key, o.Value); err != nil {
			return Rule{}, err
		}
	}
	return b.build()
}

// splitRuleFields splits on commas, except that a part which is neither
// key=value nor a known flag key continues the previous value: that keeps
// "delay=normal:2s,500ms" whole.
func splitRuleFields(s string) []string {
	var out []string
	for _, p := range splitFields(s) {
		t := strings.TrimSpace(p)
		if len(out) > 0 && !strings.Contains(t, "=") && !isRuleKey(t) {
			out[len(out)-1] += "," + p
			continue
		}
		out = append(out, p)
	}
	return out
}

func isRuleKey(k string) bool {
	for _, x := range ruleKeys {
		if x == k {
			return true
		}
	}
	return false
}

// ruleBuilder collects key=value pairs from ParseRule or a YAML mapping.
type ruleBuilder struct {
	seen      map[string]bool
	r         Rule
	a         Action
	statusSet bool
}

// set applies one key. Flag keys (gone, reset, hang, ack-lost) accept an
// empty value or "true".
func (b *ruleBuilder) set(k, v string) error {
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if b.seen[k] {
		return fmt.Errorf("%s: given twice", k)
	}
	b.seen[k] = true
	err := b.apply(k, v)
	if err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	return nil
}

func flagValue(v string) (bool, error) {
	switch v {
	case "", "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("expected no value or true/false, found %q", v)
}

func (b *ruleBuilder) apply(k, v string) error {
	m := &b.r.Match
	a := &b.a
	var err error
	switch k {
	case "endpoint":
		b.r.Endpoint = v
		if v != "" {
			err = validatePath(v)
		}
	case "type":
		for _, t := range strings.Split(v, "|") {
			if t != "" {
				m.Types = append(m.Types, t)
			}
		}
		if len(m.Types) == 0 {
			err = errors.New("expected type names separated by '|'")
		}
	case "attempt":
		m.AttemptMin, m.AttemptMax, err = parseRange(v)
	case "after":
		m.After, err = parseDuration(v)
	case "before":
		m.Before, err = parseDuration(v)
	case "every":
		m.Every, err = strconv.ParseUint(v, 10, 64)
		if err != nil || m.Every == 0 {
			err = fmt.Errorf("expected a positive integer, found %q", v)
		}
	case "p":
		m.P, err = strconv.ParseFloat(v, 64)
		if err != nil || !(m.P > 0 && m.P <= 1) {
			err = fmt.Errorf("expected a probability in (0, 1], found %q", v)
		}
	case "flap":
		up, down, ok := strings.Cut(v, "/")
		if !ok {
			return fmt.Errorf("expected UP/DOWN durations such as 10s/5s, found %q", v)
		}
		if m.Flap.Up, err = parseDuration(up); err == nil {
			m.Flap.Down, err = parseDuration(down)
		}
		if err == nil && (m.Flap.Up <= 0 || m.Flap.Down <= 0) {
			err = fmt.Errorf("both periods must be positive, found %q", v)
		}
	case "rate":
		m.Rate.PerSecond, err = parseRate(v)
	case "burst":
		m.Rate.Burst, err = strconv.Atoi(v)
		if err != nil || m.Rate.Burst < 1 || m.Rate.Burst > 1<<30 {
			err = fmt.Errorf("expected a positive integer, found %q", v)
		}
	case "status":
		a.Status, err = parseStatus(v)
		b.statusSet = true
	case "body":
		a.Body = v
	case "delay":
		a.Delay, err = ParseDist(v)
	case "retry-after":
		if rest, ok := strings.CutPrefix(v, "date:"); ok {
			a.RetryAfterDate = true
			v = rest
		}
		a.RetryAfter, err = parseDuration(v)
		if err == nil && a.RetryAfter <= 0 {
			err = fmt.Errorf("must be positive, found %q", v)
		}
	case "gone":
		a.Gone, err = flagValue(v)
	case "redirect":
		a.Redirect = v
		if v == "" || strings.ContainsAny(v, "\r\n") {
			err = fmt.Errorf("expected a location such as /elsewhere, found %q", v)
		}
	case "reset":
		a.Reset, err = flagValue(v)
	case "hang":
		if on, ferr := flagValue(v); ferr == nil {
			a.Hang = on
		} else {
			a.Hang = true
			a.HangCap, err = parseDuration(v)
			if err == nil && a.HangCap <= 0 {
				err = fmt.Errorf("cap must be positive, found %q", v)
			}
		}
	case "trickle":
		var r float64
		r, err = parseRate(v)
		if err == nil && (r < 1 || r > 1<<30) {
			err = fmt.Errorf("expected 1 to 2^30 bytes per second, found %q", v)
		}
		a.Trickle = int(r)
	case "ack-lost":
		a.AckLost, err = flagValue(v)
	case "refuse-handshake":
		a.RefuseHandshake, err = flagValue(v)
	default:
		return fmt.Errorf("unknown key%s (known: %s)", suggest.Hint(k, ruleKeys), strings.Join(ruleKeys, ", "))
	}
	return err
}

func (b *ruleBuilder) build() (Rule, error) {
	r := b.r
	a := b.a
	if r.Match.Rate.PerSecond > 0 && r.Match.Rate.Burst == 0 {
		r.Match.Rate.Burst = 1
	}
	if b.seen["burst"] && r.Match.Rate.PerSecond == 0 {
		return Rule{}, errors.New("burst given without rate=")
	}
	if !b.statusSet {
		switch {
		case r.Match.Rate.PerSecond > 0 && !a.aborts():
			a.Status = 429
		case r.Match.Flap.Up > 0 && !a.aborts() && !a.Gone && a.Redirect == "":
			a.Status = 503
		}
	}
	if a.isZero() {
		return Rule{}, errors.New("no action (add e.g. status=503, delay=2s, reset, hang, ack-lost, gone)")
	}
	r.Behavior = &a
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseRange parses "N", "A-B" or "A-" (open).
func parseRange(v string) (lo, hi uint32, err error) {
	bad := fmt.Errorf("expected N, A-B or A- (arrival numbers from 1), found %q", v)
	a, b, isRange := strings.Cut(v, "-")
	x, err := strconv.ParseUint(a, 10, 32)
	if err != nil || x == 0 {
		return 0, 0, bad
	}
	if !isRange {
		return uint32(x), uint32(x), nil
	}
	if b == "" {
		return uint32(x), 0, nil
	}
	y, err := strconv.ParseUint(b, 10, 32)
	if err != nil || y < x {
		return 0, 0, bad
	}
	return uint32(x), uint32(y), nil
}

// parseRate parses "100/s", "6000/m", "10/h" or a bare number (per second).
func parseRate(v string) (float64, error) {
	num, unit, _ := strings.Cut(v, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || !(n > 0) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("expected a positive rate such as 100/s, found %q", v)
	}
	switch unit {
	case "", "s":
	case "m":
		n /= 60
	case "h":
		n /= 3600
	default:
		return 0, fmt.Errorf("expected a unit /s, /m or /h, found %q", v)
	}
	return n, nil
}

// Validate reports the first problem with the rule, including the
// Behavior's own Validate when it has one.
func (r *Rule) Validate() error {
	m := &r.Match
	switch {
	case r.Behavior == nil:
		return errors.New("no behavior")
	case m.AttemptMax != 0 && m.AttemptMax < m.AttemptMin:
		return fmt.Errorf("attempt %d-%d: empty range", m.AttemptMin, m.AttemptMax)
	case m.After < 0 || m.Before < 0:
		return errors.New("after/before: must not be negative")
	case m.Before != 0 && m.Before <= m.After:
		return fmt.Errorf("before %v is not after after %v", m.Before, m.After)
	case m.P < 0 || m.P > 1 || math.IsNaN(m.P):
		return fmt.Errorf("p %v: expected a probability in (0, 1]", m.P)
	case (m.Flap.Up > 0) != (m.Flap.Down > 0) || m.Flap.Up < 0 || m.Flap.Down < 0:
		return errors.New("flap: both periods must be positive")
	case m.Rate.PerSecond < 0 || m.Rate.PerSecond > 0 && m.Rate.Burst < 1:
		return errors.New("rate: needs a positive rate and burst >= 1")
	}
	if r.Endpoint != "" {
		if err := validatePath(r.Endpoint); err != nil {
			return fmt.Errorf("endpoint: %w", err)
		}
	}
	if v, ok := r.Behavior.(Validator); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// String returns the rule in the form ParseRule accepts (for built-in
// behaviours; another Behavior shows as its String() or "custom").
func (r Rule) String() string {
	var parts []string
	if r.Endpoint != "" {
		parts = append(parts, "endpoint="+r.Endpoint)
	}
	if m := r.Match.String(); m != "" {
		parts = append(parts, m)
	}
	parts = append(parts, behaviorName(r.Behavior))
	return strings.Join(parts, ",")
}

// String returns the match conditions in ParseRule form.
func (m Match) String() string {
	var p []string
	if len(m.Types) > 0 {
		p = append(p, "type="+strings.Join(m.Types, "|"))
	}
	if m.AttemptMin > 0 {
		s := "attempt=" + strconv.FormatUint(uint64(m.AttemptMin), 10)
		switch {
		case m.AttemptMax == 0:
			s += "-"
		case m.AttemptMax != m.AttemptMin:
			s += "-" + strconv.FormatUint(uint64(m.AttemptMax), 10)
		}
		p = append(p, s)
	}
	if m.After > 0 {
		p = append(p, "after="+m.After.String())
	}
	if m.Before > 0 {
		p = append(p, "before="+m.Before.String())
	}
	if m.Every > 0 {
		p = append(p, "every="+strconv.FormatUint(m.Every, 10))
	}
	if m.P > 0 {
		p = append(p, "p="+strconv.FormatFloat(m.P, 'g', -1, 64))
	}
	if c := m.condition(); c != "" {
		p = append(p, c)
	}
	return strings.Join(p, ",")
}

// condition returns the flap/rate part, which is recorded with the
// behaviour because it decides the answer.
func (m Match) condition() string {
	var p []string
	if m.Flap.Up > 0 {
		p = append(p, "flap="+m.Flap.Up.String()+"/"+m.Flap.Down.String())
	}
	if m.Rate.PerSecond > 0 {
		p = append(p, "rate="+strconv.FormatFloat(m.Rate.PerSecond, 'g', -1, 64)+"/s", "burst="+strconv.Itoa(m.Rate.Burst))
	}
	return strings.Join(p, ",")
}

func behaviorName(b Behavior) string {
	if s, ok := b.(fmt.Stringer); ok {
		return s.String()
	}
	return "custom"
}
