package suite

import (
	"fmt"
	"time"

	"github.com/hookbench/hookbench/conformance"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/sink"
)

// Registration is one endpoint the suite registers with the provider.
type Registration struct {
	// Fragment is the fragment the endpoint belongs to.
	Fragment string
	// Path is the endpoint's sink path (/f/<fragment>[/...]); it is also
	// the endpoint's name.
	Path string
	// EventType is the one event type the endpoint subscribes to.
	EventType string
	// Batch numbers the group of endpoints registered together (from 1);
	// always 1 without Options.MaxEndpoints.
	Batch int
}

// Registrations lists the endpoints a run with o registers, batch by batch
// in plan order: those of every fragment the selected checks need (a
// fragment that then skips for its policy or adapter is registered all
// the same). It reads only o: no provider is contacted.
func Registrations(o *Options) ([]Registration, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var out []Registration
	for i, b := range planBatches(selectedPlans(&o.Eval), o.MaxEndpoints) {
		for _, fp := range b {
			for _, ep := range fp.Endpoints {
				if !ep.SinkOnly {
					out = append(out, Registration{Fragment: fp.ID, Path: ep.Path, EventType: o.eventType(fp.ID, ep.Sub), Batch: i + 1})
				}
			}
		}
	}
	return out, nil
}

// registered is how many endpoints the fragment registers with the provider.
func (fp *fragmentPlan) registered() int {
	n := 0
	for _, ep := range fp.Endpoints {
		if !ep.SinkOnly {
			n++
		}
	}
	return n
}

// planBatches packs fragments, in plan order, into batches registering at
// most max endpoints each (max 0: one batch). Within a batch the usual
// schedule holds: side-by-side fragments together, Alone ones after them.
// Validate has made sure no fragment alone exceeds max.
func planBatches(frags []*fragmentPlan, max int) [][]*fragmentPlan {
	if max <= 0 || len(frags) == 0 {
		return [][]*fragmentPlan{frags}
	}
	var out [][]*fragmentPlan
	var cur []*fragmentPlan
	n := 0
	for _, fp := range frags {
		k := fp.registered()
		if len(cur) > 0 && n+k > max {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, fp)
		n += k
	}
	return append(out, cur)
}

// eventType names a fragment's event type: the prefix, the fragment id and
// the subtype, if any ("hookbench.types.a").
func (o *Options) eventType(frag, sub string) string {
	if sub == "" {
		return o.typePrefix() + frag
	}
	return o.typePrefix() + frag + "." + sub
}

// hangCap is the sink's cap on hanging endpoints: the option, else one that
// follows the graded timeout.
func (e *env) hangCap() time.Duration {
	if e.o.MaxHang > 0 {
		return e.o.MaxHang
	}
	return HangCap(e.p.Timeout)
}

// maxWait bounds every fragment wait: Options.MaxFragment, raised so that
// the timeout fragment can see a hang cut off and then the retry, and at
// most an hour.
func (e *env) maxWait() time.Duration {
	w := e.o.MaxFragment
	if e.p.Timeout > 0 {
		w = max(w, e.p.Timeout+e.hangCap()+e.retryHi(1)+e.o.Grace)
	}
	return min(w, time.Hour)
}

// subscribe makes the graded policy sign as the subscriber settings say:
// their scheme and (when they set one) tolerance replace the policy's, as
// the sink verifies with them.
func (e *env) subscribe() error {
	t := e.o.Subscriber
	if t == nil {
		return nil
	}
	e.p.Scheme = t.Scheme
	if t.Scheme == adapter.SchemeNone {
		e.p.Scheme = ""
	}
	if e.p.Signed() {
		probe := *t
		probe.Path, probe.Secret = "/f/probe", ""
		cfg, err := probe.SinkConfig(false)
		if err != nil {
			return fmt.Errorf("subscriber settings: %w", err)
		}
		if cfg.Signature.Tolerance > 0 {
			e.p.Tolerance = cfg.Signature.Tolerance
		}
	}
	return nil
}

// endpointConfig is the sink configuration of one suite endpoint: the
// subscriber settings with the endpoint's path and secret ("" verifies
// nothing). Endpoints that do not count arrivals by provider message id
// name a header no provider sends as their id header, so the sink counts
// per harness event id; a generic scheme keeps the user's id header for
// the signed content.
func (e *env) endpointConfig(ep endpointPlan, secret string) (sink.EndpointConfig, error) {
	spec := adapter.EndpointSpec{}
	if t := e.o.Subscriber; t != nil {
		spec = *t
	}
	spec.Name, spec.Path, spec.Secret, spec.EventTypes, spec.Scheme = ep.Path, ep.Path, secret, nil, ""
	if e.p.Signed() {
		spec.Scheme = e.p.Scheme
	}
	if e.o.Subscriber == nil && spec.Scheme == signature.SchemeGeneric {
		// Without a scenario the generic scheme's settings are the
		// policy's (a scenario's endpoints took them when it was loaded).
		spec.Options = adapter.WithSchemeOptions(e.p.SchemeOptions, spec.Options)
	}
	cfg, err := spec.SinkConfig(secret != "" && spec.Scheme != "")
	if err != nil {
		return cfg, fmt.Errorf("sink endpoint %s: %w", ep.Path, err)
	}
	cfg.Types = nil
	cfg.CloudEvents = e.p.CloudEvents()
	if cfg.TypeHeader == "" && cfg.TypePath == "" {
		cfg.TypeHeader = e.o.TypeHeader
	}
	if cfg.Signature.Tolerance == 0 {
		cfg.Signature.Tolerance = e.p.Tolerance
	}
	if !ep.ByMessage {
		if cfg.Signature.Scheme == "generic" && cfg.Signature.IDHeader == "" {
			cfg.Signature.IDHeader = cfg.IDHeader
		}
		cfg.IDHeader = countByEventHeader
	}
	return cfg, nil
}

// needsHang is needsTimeout for the hanging fragment, which also needs the
// sink to hang clearly longer than the timeout: otherwise a provider that
// never gives up would look like one that does.
func needsHang(e *env) string {
	if s := needsTimeout(e); s != "" {
		return s
	}
	limit := e.p.Timeout + conformance.LateFactor*e.slack + e.p.Timeout/10
	if hc := e.hangCap(); hc <= limit {
		return fmt.Sprintf("the sink's hang cap (max hang %s) is not beyond the declared timeout %s and its tolerance (%s)", hc, e.p.Timeout, limit)
	}
	return ""
}
