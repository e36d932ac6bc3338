package sink

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/trace"
)

// unknownLabel is the endpoint label of requests to unconfigured paths.
const unknownLabel = "(unknown)"

// sigResults are the verdicts counted per endpoint (trace.SigResult values).
var sigResults = []trace.SigResult{trace.SigNone, trace.SigValid, trace.SigMissing, trace.SigMalformed,
	trace.SigNoKnownVer, trace.SigMismatch, trace.SigStale, trace.SigFuture, trace.SigValidWeak}

// maxStatus bounds the per-status counters; statuses are 0 (no answer) to 999.
const maxStatus = 1000

// epMetrics are one endpoint's counters, registered in the server's
// metrics.Set. Counting never allocates except the first time a status
// code is seen.
type epMetrics struct {
	set   *metrics.Set
	label string // `endpoint="/orders"`

	received, bytes, unique, dups *metrics.Counter
	authFailed, tooLarge, aborted *metrics.Counter
	gaveUp                        *metrics.Counter
	sigs                          []*metrics.Counter
	status                        [maxStatus]atomic.Pointer[metrics.Counter]
	handle                        *metrics.Histogram
}

func newEpMetrics(set *metrics.Set, path string) *epMetrics {
	l := `endpoint="` + path + `"`
	m := &epMetrics{set: set, label: l}
	m.received = set.NewCounter(`hookbench_sink_requests_total{` + l + `}`)
	m.bytes = set.NewCounter(`hookbench_sink_bytes_total{` + l + `}`)
	m.unique = set.NewCounter(`hookbench_sink_unique_ids_total{` + l + `}`)
	m.dups = set.NewCounter(`hookbench_sink_duplicates_total{` + l + `}`)
	m.authFailed = set.NewCounter(`hookbench_sink_flags_total{` + l + `,flag="auth_failed"}`)
	m.tooLarge = set.NewCounter(`hookbench_sink_flags_total{` + l + `,flag="too_large"}`)
	m.aborted = set.NewCounter(`hookbench_sink_flags_total{` + l + `,flag="aborted"}`)
	m.gaveUp = set.NewCounter(`hookbench_sink_flags_total{` + l + `,flag="provider_gave_up"}`)
	for _, r := range sigResults {
		m.sigs = append(m.sigs, set.NewCounter(`hookbench_sink_signatures_total{`+l+`,result="`+r.String()+`"}`))
	}
	m.handle = set.NewHistogram(`hookbench_sink_handle_seconds{` + l + `}`)
	return m
}

// record counts one finished attempt.
func (m *epMetrics) record(a *trace.Attempt, hasKey bool) {
	m.received.Inc()
	m.bytes.Add(a.Size)
	if hasKey {
		if a.Nth == 1 {
			m.unique.Inc()
		} else {
			m.dups.Inc()
		}
	}
	if a.Flags&trace.FlagAuthFailed != 0 {
		m.authFailed.Inc()
	}
	if a.Flags&trace.FlagTooLarge != 0 {
		m.tooLarge.Inc()
	}
	if a.Flags&trace.FlagAborted != 0 {
		m.aborted.Inc()
	}
	if a.Flags&trace.FlagProviderGaveUp != 0 {
		m.gaveUp.Inc()
	}
	if int(a.Sig) < len(m.sigs) {
		m.sigs[a.Sig].Inc()
	}
	m.statusCounter(a.Status).Inc()
	m.handle.Update(float64(a.HandleNs) / 1e9)
}

func (m *epMetrics) statusCounter(code int) *metrics.Counter {
	if code < 0 || code >= maxStatus {
		code = 0
	}
	if c := m.status[code].Load(); c != nil {
		return c
	}
	c := m.set.GetOrCreateCounter(`hookbench_sink_responses_total{` + m.label + `,status="` + strconv.Itoa(code) + `"}`)
	m.status[code].Store(c)
	return c
}

// Stats is a snapshot of what the sink has seen, as served by
// GET /_hookbench/stats.
type Stats struct {
	URL      string `json:"url"`
	UptimeMs int64  `json:"uptime_ms"`
	Down     bool   `json:"down"`
	InFlight int64  `json:"in_flight"`
	// Rules are the global rules, tried after each endpoint's own.
	Rules     string          `json:"rules,omitempty"`
	Endpoints []EndpointStats `json:"endpoints"`
	// Unknown counts requests to paths that are not endpoints (404).
	Unknown EndpointStats `json:"unknown"`
	// BadRequests counts requests fasthttp could not parse, by reason
	// (malformed, header_too_large, timeout, body_too_large).
	BadRequests map[string]uint64 `json:"bad_requests"`
	TraceErrors uint64            `json:"trace_errors"`
}

// EndpointStats are one endpoint's counters.
type EndpointStats struct {
	Path     string `json:"path"`
	Received uint64 `json:"received"`
	Bytes    uint64 `json:"bytes"`
	// UniqueIDs counts first arrivals of an id; Duplicates later ones.
	UniqueIDs  uint64 `json:"unique_ids"`
	Duplicates uint64 `json:"duplicates"`
	// Status counts answers by HTTP status; "0" is no answer.
	Status map[string]uint64 `json:"status"`
	// Sig counts signature verdicts by reason ("valid", "mismatch", ...).
	Sig            map[string]uint64 `json:"sig"`
	AuthFailed     uint64            `json:"auth_failed"`
	TooLarge       uint64            `json:"too_large"`
	Aborted        uint64            `json:"aborted"`
	ProviderGaveUp uint64            `json:"provider_gave_up"`
	Rules          string            `json:"rules,omitempty"`
}

func (m *epMetrics) snapshot(path string) EndpointStats {
	st := EndpointStats{
		Path: path, Received: m.received.Get(), Bytes: m.bytes.Get(), UniqueIDs: m.unique.Get(), Duplicates: m.dups.Get(),
		Status: map[string]uint64{}, Sig: map[string]uint64{},
		AuthFailed: m.authFailed.Get(), TooLarge: m.tooLarge.Get(), Aborted: m.aborted.Get(), ProviderGaveUp: m.gaveUp.Get(),
	}
	for code := range m.status {
		if c := m.status[code].Load(); c != nil && c.Get() > 0 {
			st.Status[strconv.Itoa(code)] = c.Get()
		}
	}
	for i, c := range m.sigs {
		if v := c.Get(); v > 0 {
			st.Sig[sigResults[i].String()] = v
		}
	}
	return st
}

// Stats returns a snapshot of the counters; it is the data of
// GET /_hookbench/stats. Safe to call at any time.
func (s *Server) Stats() Stats {
	st := Stats{
		URL:         s.URL(),
		Down:        s.down.Load(),
		InFlight:    s.inflight.Load(),
		BadRequests: map[string]uint64{},
		TraceErrors: s.traceErrs.Load(),
	}
	if rs := s.global.Load(); rs != nil {
		st.Rules = rs.text
	}
	if !s.startReal.IsZero() {
		st.UptimeMs = time.Since(s.startReal).Milliseconds()
	}
	for _, ep := range s.epList {
		e := ep.m.snapshot(ep.path)
		e.Rules = ep.rulesText()
		st.Endpoints = append(st.Endpoints, e)
	}
	st.Unknown = s.unknown.snapshot(unknownLabel)
	for i, c := range s.badReqs {
		if v := c.Get(); v > 0 {
			st.BadRequests[badReasons[i]] = v
		}
	}
	return st
}

// Reasons for requests that never reached a handler.
const (
	badMalformed = iota
	badHeaderTooLarge
	badTimeout
	badBodyTooLarge
	badCount
)

var badReasons = [badCount]string{"malformed", "header_too_large", "timeout", "body_too_large"}
