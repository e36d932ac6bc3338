package sink

import (
	"io"
	"sort"
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

// statShards spreads the per-request counters over separate cache lines:
// a request counts in the shard of its connection, so the handlers of two
// connections rarely touch the same line. Readers sum the shards.
const statShards = 8

// epMetrics are one endpoint's counters. Counting never allocates. The
// server's metrics.Set renders them (see writeMetrics).
type epMetrics struct {
	label  string // `endpoint="/orders"`
	shards [statShards]statShard
}

// statShard is one shard of an endpoint's counters; its size (~8 KiB)
// keeps shards far apart in memory.
type statShard struct {
	received, bytes, unique, dups         atomic.Uint64
	authFailed, tooLarge, aborted, gaveUp atomic.Uint64
	sig                                   [sigCount]atomic.Uint64
	status                                [maxStatus]atomic.Uint64
}

// sigCount is the number of trace.SigResult values counted.
const sigCount = 9

func newEpMetrics(path string) *epMetrics {
	return &epMetrics{label: `endpoint="` + path + `"`}
}

// record counts one finished attempt in shard (any number; usually the
// connection id).
func (m *epMetrics) record(a *trace.Attempt, shard uint64, hasKey bool) {
	sh := &m.shards[shard%statShards]
	sh.received.Add(1)
	sh.bytes.Add(uint64(a.Size))
	if hasKey {
		if a.Nth == 1 {
			sh.unique.Add(1)
		} else {
			sh.dups.Add(1)
		}
	}
	if a.Flags&(trace.FlagAuthFailed|trace.FlagTooLarge|trace.FlagAborted|trace.FlagProviderGaveUp) != 0 {
		if a.Flags&trace.FlagAuthFailed != 0 {
			sh.authFailed.Add(1)
		}
		if a.Flags&trace.FlagTooLarge != 0 {
			sh.tooLarge.Add(1)
		}
		if a.Flags&trace.FlagAborted != 0 {
			sh.aborted.Add(1)
		}
		if a.Flags&trace.FlagProviderGaveUp != 0 {
			sh.gaveUp.Add(1)
		}
	}
	if int(a.Sig) < sigCount {
		sh.sig[a.Sig].Add(1)
	}
	code := a.Status
	if code < 0 || code >= maxStatus {
		code = 0
	}
	sh.status[code].Add(1)
}

// totals are an endpoint's counters summed over the shards.
type totals struct {
	received, bytes, unique, dups         uint64
	authFailed, tooLarge, aborted, gaveUp uint64
	sig                                   [sigCount]uint64
	status                                map[int]uint64
}

func (m *epMetrics) sum() totals {
	t := totals{status: map[int]uint64{}}
	for i := range m.shards {
		sh := &m.shards[i]
		t.received += sh.received.Load()
		t.bytes += sh.bytes.Load()
		t.unique += sh.unique.Load()
		t.dups += sh.dups.Load()
		t.authFailed += sh.authFailed.Load()
		t.tooLarge += sh.tooLarge.Load()
		t.aborted += sh.aborted.Load()
		t.gaveUp += sh.gaveUp.Load()
		for j := range sh.sig {
			t.sig[j] += sh.sig[j].Load()
		}
		for code := range sh.status {
			if v := sh.status[code].Load(); v > 0 {
				t.status[code] += v
			}
		}
	}
	return t
}

// writeMetrics renders one endpoint's counters in Prometheus text format.
func (m *epMetrics) writeMetrics(w io.Writer) {
	t := m.sum()
	l := m.label
	metrics.WriteCounterUint64(w, `hookbench_sink_requests_total{`+l+`}`, t.received)
	metrics.WriteCounterUint64(w, `hookbench_sink_bytes_total{`+l+`}`, t.bytes)
	metrics.WriteCounterUint64(w, `hookbench_sink_unique_ids_total{`+l+`}`, t.unique)
	metrics.WriteCounterUint64(w, `hookbench_sink_duplicates_total{`+l+`}`, t.dups)
	for _, f := range []struct {
		name string
		v    uint64
	}{{"auth_failed", t.authFailed}, {"too_large", t.tooLarge}, {"aborted", t.aborted}, {"provider_gave_up", t.gaveUp}} {
		metrics.WriteCounterUint64(w, `hookbench_sink_flags_total{`+l+`,flag="`+f.name+`"}`, f.v)
	}
	for i, r := range sigResults {
		metrics.WriteCounterUint64(w, `hookbench_sink_signatures_total{`+l+`,result="`+r.String()+`"}`, t.sig[i])
	}
	codes := make([]int, 0, len(t.status))
	for c := range t.status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		metrics.WriteCounterUint64(w, `hookbench_sink_responses_total{`+l+`,status="`+strconv.Itoa(c)+`"}`, t.status[c])
	}
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
	// TraceErrors counts the records that did not reach the trace file
	// whole (a full disk loses every record of the buffer being written).
	TraceErrors uint64 `json:"trace_errors"`
	// AcceptErrors counts failed Accepts (out of file descriptors, EMFILE
	// or ENFILE; connection aborted), each retried after a back-off of
	// 5 ms doubling up to 1 s.
	AcceptErrors uint64 `json:"accept_errors"`
	// OverCapacity counts connections refused because the sink was serving
	// Options.Concurrency connections already (answered 503, or closed
	// unanswered with TLS).
	OverCapacity uint64 `json:"over_capacity"`
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
	t := m.sum()
	st := EndpointStats{
		Path: path, Received: t.received, Bytes: t.bytes, UniqueIDs: t.unique, Duplicates: t.dups,
		Status: map[string]uint64{}, Sig: map[string]uint64{},
		AuthFailed: t.authFailed, TooLarge: t.tooLarge, Aborted: t.aborted, ProviderGaveUp: t.gaveUp,
	}
	for code, v := range t.status {
		st.Status[strconv.Itoa(code)] = v
	}
	for i, v := range t.sig {
		if v > 0 {
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
		InFlight:    s.inflightNow(),
		BadRequests: map[string]uint64{},
		TraceErrors: s.traceLost(),

		AcceptErrors: s.acceptErrors(),
		OverCapacity: s.overCapacity(),
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

// inflightCounter counts requests being handled, sharded like the stats.
type inflightCounter struct {
	shards [statShards]struct {
		n atomic.Int64
		_ [56]byte // one cache line each
	}
}

func (c *inflightCounter) add(shard uint64, d int64) { c.shards[shard%statShards].n.Add(d) }

func (c *inflightCounter) load() int64 {
	var n int64
	for i := range c.shards {
		n += c.shards[i].n.Load()
	}
	return n
}

func (s *Server) inflightNow() int64 { return s.inflight.load() }
