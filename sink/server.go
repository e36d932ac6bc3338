package sink

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/internal/accept"
	"github.com/hookbench/hookbench/internal/ratelog"
	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// closeLogEvery is how often Close logs the connections still open while it
// waits for in-flight requests.
const closeLogEvery = 5 * time.Second

// closeWaitMax bounds how long Close waits for requests after interrupting
// them (behaviours that ignore ErrStopping).
const closeWaitMax = 15 * time.Second

// Server is a recording webhook sink: it answers deliveries as the rules
// say and records an Attempt for each. Lifecycle as in net/http/httptest:
// New → Start → URL → ... → Close. A Server is safe for concurrent use;
// it must not be copied.
type Server struct {
	opts      Options
	now       func() time.Time
	trace     *trace.Writer
	srv       *fasthttp.Server
	endpoints map[string]*endpoint
	epList    []*endpoint
	unknown   *epMetrics
	global    atomic.Pointer[ruleSet]
	set       *metrics.Set
	maxBody   int // the largest endpoint limit: fasthttp's
	chunked   chunkedHeads
	badReqs   [badCount]*metrics.Counter
	seed      uint64
	callPool  sync.Pool

	hijackClose, hijackReset fasthttp.HijackHandler
	// fhLog rate-limits fasthttp's messages: a peer can provoke one per
	// malformed connection.
	fhLog *ratelog.Logger
	// acceptLog rate-limits the messages about failed Accepts (EMFILE).
	acceptLog *ratelog.Logger

	// set by Start, read-only afterwards
	ln        *switchListener
	acc       *accept.Listener // over ln: retries EMFILE, enforces Concurrency
	url       string
	addr      string // the listener's address, for a restart
	certFile  string
	start     time.Time // Options.Now at Start: origin of rule windows
	startReal time.Time
	serveDone chan struct{}

	inflight  inflightCounter
	down      atomic.Bool
	traceErrs atomic.Uint64
	stop      chan struct{} // closed when Close interrupts sleeps

	mu      sync.Mutex // guards started, closed, retired
	started bool
	closed  bool
	retired []*ruleSet // replaced rule sets, for Cleanup at Close
}

// endpoint is an EndpointConfig made ready to serve.
type endpoint struct {
	cfg      EndpointConfig
	path     string
	verifier signature.Verifier
	diag     signature.Diagnoser // nil when the verifier cannot explain a mismatch
	// diagMisses counts the diagnoses in a row that found no variant:
	// past diagFree only one mismatch in diagEvery is diagnosed, so that a
	// sink holding the wrong secret does not re-encode every body.
	diagMisses    atomic.Uint32
	idHeader      string
	evHeader      string
	evPath        jsonPath
	evOn          bool
	typeHeader    string
	typeHeaders   []string // read in order when typeHeader is ""
	typePath      jsonPath
	typeOn        bool
	types         []string
	maxBody       int
	badSig        int
	attemptHeader string
	cloudEvents   bool
	authHeader    string
	authWant      []byte
	authBearer    bool // authWant is a bearer token (the scheme name's case is free)
	rules         atomic.Pointer[ruleSet]
	counts        *nthCounter
	m             *epMetrics
}

func (ep *endpoint) rulesText() string {
	if rs := ep.rules.Load(); rs != nil {
		return rs.text
	}
	return ""
}

// authOK checks the endpoint's credential in constant time.
func (ep *endpoint) authOK(h *fasthttp.RequestHeader) bool {
	if ep.authHeader == "" {
		return true
	}
	if ep.authBearer {
		return bearerOK(h.Peek(ep.authHeader), ep.authWant)
	}
	return subtle.ConstantTimeCompare(h.Peek(ep.authHeader), ep.authWant) == 1
}

// bearerOK reports whether an Authorization value carries token with the
// Bearer scheme. Auth scheme names are case-insensitive (RFC 9110 11.1):
// "bearer", "BEARER" and "Bearer" are the same. The token is compared in
// constant time.
func bearerOK(value, token []byte) bool {
	const scheme = "bearer"
	if len(value) <= len(scheme) || !bytes.EqualFold(value[:len(scheme)], []byte(scheme)) || value[len(scheme)] != ' ' {
		return false
	}
	return subtle.ConstantTimeCompare(bytes.TrimLeft(value[len(scheme):], " "), token) == 1
}

func (ep *endpoint) typeAllowed(t string) bool {
	for _, x := range ep.types {
		if x == t {
			return true
		}
	}
	return false
}

// New validates opts and builds a Server; it does not listen yet.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:      opts,
		now:       opts.Now,
		trace:     opts.Trace,
		endpoints: make(map[string]*endpoint, len(opts.Endpoints)),
		set:       metrics.NewSet(),
		seed:      uint64(opts.Seed),
		stop:      make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	maxBody := 0
	for i := range opts.Endpoints {
		ep, err := s.newEndpoint(opts.Endpoints[i])
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: %w", opts.Endpoints[i].Path, err)
		}
		s.endpoints[ep.path] = ep
		s.epList = append(s.epList, ep)
		maxBody = max(maxBody, ep.maxBody)
	}
	s.maxBody = maxBody
	s.unknown = newEpMetrics(unknownLabel)
	s.set.RegisterMetricsWriter(func(w io.Writer) {
		for _, ep := range s.epList {
			ep.m.writeMetrics(w)
		}
		s.unknown.writeMetrics(w)
		metrics.WriteCounterUint64(w, `hookbench_sink_accept_errors_total`, s.acceptErrors())
		metrics.WriteCounterUint64(w, `hookbench_sink_over_capacity_total`, s.overCapacity())
	})
	for i, r := range badReasons {
		s.badReqs[i] = s.set.NewCounter(`hookbench_sink_bad_requests_total{reason="` + r + `"}`)
	}
	s.set.NewGauge(`hookbench_sink_in_flight`, func() float64 { return float64(s.inflightNow()) })
	s.set.NewGauge(`hookbench_sink_down`, func() float64 {
		if s.down.Load() {
			return 1
		}
		return 0
	})
	s.set.NewGauge(`hookbench_sink_trace_errors`, func() float64 { return float64(s.traceLost()) })

	byEp := map[string][]Rule{}
	for _, r := range opts.Rules {
		byEp[r.Endpoint] = append(byEp[r.Endpoint], r)
	}
	for path, rules := range byEp {
		rs := s.compile(rules, 0)
		if path == "" {
			s.global.Store(rs)
		} else {
			s.endpoints[path].rules.Store(rs)
		}
	}

	s.hijackClose = func(net.Conn) {} // fasthttp closes the connection after the handler
	s.hijackReset = func(c net.Conn) { setLingerZero(c) }
	s.callPool.New = func() any {
		c := &Call{s: s, timer: time.NewTimer(time.Hour)}
		c.timer.Stop()
		c.rnd = rand.New(&c.pcg)
		return c
	}
	s.fhLog = &ratelog.Logger{Logf: func(format string, args ...any) { s.logf("sink: fasthttp: "+format, args...) }}
	s.acceptLog = &ratelog.Logger{Logf: s.logf}
	s.srv = &fasthttp.Server{
		Handler:      s.handle,
		ErrorHandler: s.handleError,
		Name:         "hookbench-sink",
		// The accept.Listener enforces opts.Concurrency and records each
		// refusal; fasthttp's own cap (whose 503 nobody would see) is kept
		// out of the way: a worker is freed just after its connection
		// closes, so at the cap fasthttp may briefly count a few more.
		Concurrency:                   opts.Concurrency + opts.Concurrency/4 + 16,
		ReadBufferSize:                opts.MaxHeaderSize,
		ReadTimeout:                   opts.ReadTimeout,
		IdleTimeout:                   opts.IdleTimeout,
		MaxRequestBodySize:            maxBody,
		HeaderReceived:                s.headerReceived,
		NoDefaultContentType:          true,
		CloseOnShutdown:               true,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: false,
		Logger:                        s.fhLog,
	}
	return s, nil
}

func (s *Server) newEndpoint(cfg EndpointConfig) (*endpoint, error) {
	ep := &endpoint{
		cfg: cfg, path: cfg.Path, types: cfg.Types, maxBody: cfg.MaxBody, badSig: cfg.BadSigStatus,
		attemptHeader: cfg.AttemptHeader, evHeader: cfg.EventIDHeader, typeHeader: cfg.TypeHeader, idHeader: cfg.IDHeader,
		cloudEvents: cfg.CloudEvents,
	}
	if ep.maxBody == 0 {
		ep.maxBody = DefaultMaxBody
	}
	if cfg.verifies() {
		v, err := signature.NewVerifier(cfg.sigConfig())
		if err != nil {
			return nil, fmt.Errorf("scheme %s: %w", cfg.Signature.Scheme, err)
		}
		ep.verifier = v
		ep.diag, _ = v.(signature.Diagnoser)
		if ep.idHeader == "" {
			ep.idHeader = v.IDHeader()
		}
	}
	if ep.evHeader == "" && cfg.EventIDPath != "-" {
		p := cfg.EventIDPath
		if p == "" {
			p = DefaultEventIDPath
		}
		jp, err := compileJSONPath(p)
		if err != nil {
			return nil, fmt.Errorf("event-id %q: %w", p, err)
		}
		ep.evPath, ep.evOn = jp, true
	}
	if ep.typeHeader == "" {
		ep.typeHeaders = WellKnownTypeHeaders()
	}
	if ep.typeHeader == "" && cfg.TypePath != "-" {
		p := cfg.TypePath
		if p == "" {
			p = DefaultTypePath
		}
		jp, err := compileJSONPath(p)
		if err != nil {
			return nil, fmt.Errorf("type-path %q: %w", p, err)
		}
		ep.typePath, ep.typeOn = jp, true
	}
	switch cfg.Auth.Kind {
	case "bearer":
		ep.authHeader, ep.authWant, ep.authBearer = "Authorization", []byte(cfg.Auth.Value), true
	case "header":
		ep.authHeader, ep.authWant = cfg.Auth.Header, []byte(cfg.Auth.Value)
	}
	ep.m = newEpMetrics(ep.path)
	ep.counts = newNthCounter(s.opts.DedupWindow)
	return ep, nil
}

// Start listens and serves in the background. The address is
// Options.Listen; URL reports the one actually bound.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Listen, err)
	}
	if err := s.serve(ln); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// serve starts serving on ln (tests pass in-memory listeners).
func (s *Server) serve(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("sink: already started")
	}
	if s.closed {
		return errors.New("sink: closed")
	}
	s.ln = newSwitchListener(ln)
	s.acc = &accept.Listener{Listener: s.ln, MaxConns: s.opts.Concurrency, Refuse: s.refuse, OnError: s.acceptErr}
	var serveLn net.Listener = s.acc
	scheme := "http"
	if s.opts.TLS {
		host, _, _ := net.SplitHostPort(s.opts.Listen)
		cert, path, err := selfSigned(host, s.opts.CertFile)
		if err != nil {
			return err
		}
		s.certFile = path
		serveLn = tls.NewListener(s.acc, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	s.url = scheme + "://" + ln.Addr().String()
	s.addr = ln.Addr().String()
	s.startReal = time.Now()
	s.start = s.now()
	s.started = true
	if s.trace != nil {
		for _, ep := range s.epList {
			s.mark(trace.EndpointMark, ep.path, ep.cfg.RedactedJSON())
		}
		if rs := s.global.Load(); rs != nil {
			s.mark(trace.BehaviorMark, "", rs.text)
		}
		for _, ep := range s.epList {
			if rs := ep.rules.Load(); rs != nil {
				s.mark(trace.BehaviorMark, ep.path, rs.text)
			}
		}
	}
	go func() {
		defer close(s.serveDone)
		if err := s.srv.Serve(serveLn); err != nil {
			s.logf("sink: serve: %v", err)
		}
	}()
	return nil
}

// Addr returns the address the sink listens on, e.g. "127.0.0.1:40123"
// ("" before Start): what a restart listens on again.
func (s *Server) Addr() string { return s.addr }

// URL returns the base URL, e.g. "http://127.0.0.1:40123" ("" before Start).
func (s *Server) URL() string { return s.url }

// CertFile returns the PEM certificate file written for TLS ("" without TLS).
func (s *Server) CertFile() string { return s.certFile }

// SetRules replaces the rules of one endpoint ("" = the global rules, tried
// after each endpoint's own) while serving; requests already being answered
// keep the rule they matched. Rules must name the same endpoint or none.
// With a trace it writes a "behavior" Mark (Name = endpoint, Detail = rules).
func (s *Server) SetRules(path string, rules []Rule) error {
	var ep *endpoint
	if path != "" {
		ep = s.endpoints[path]
		if ep == nil {
			return fmt.Errorf("set rules: endpoint %q is not configured", path)
		}
	}
	for i := range rules {
		r := &rules[i]
		if r.Endpoint != "" && r.Endpoint != path {
			return fmt.Errorf("set rules for %q: rule %d (%s) names endpoint %q", path, i+1, r, r.Endpoint)
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("set rules for %q: rule %d (%s): %w", path, i+1, r, err)
		}
	}
	var since time.Duration
	if !s.start.IsZero() {
		since = s.now().Sub(s.start)
	}
	rs := s.compile(rules, since)
	var old *ruleSet
	if ep == nil {
		old = s.global.Swap(rs)
	} else {
		old = ep.rules.Swap(rs)
	}
	s.mu.Lock()
	if old != nil {
		s.retired = append(s.retired, old)
	}
	s.mu.Unlock()
	if s.trace != nil {
		s.mark(trace.BehaviorMark, path, rs.text)
	}
	return nil
}

// SetDown takes the sink down (the listening socket closes, so connections
// are refused, and open connections are closed; requests being delayed end
// without an answer) or brings it back up on the same port. With a trace it
// writes a "note" Mark (Name "sink", Detail "down" or "up").
func (s *Server) SetDown(down bool) error {
	s.mu.Lock()
	ok := s.started && !s.closed
	s.mu.Unlock()
	if !ok {
		return errors.New("sink: set down: not running")
	}
	if s.down.Load() == down {
		return nil
	}
	s.down.Store(down)
	if err := s.ln.setDown(down); err != nil {
		return fmt.Errorf("sink: set down=%v: %w", down, err)
	}
	if s.trace != nil {
		detail := "up"
		if down {
			detail = "down"
		}
		s.mark(trace.NoteMark, "sink", detail)
	}
	return nil
}

// Close stops the sink: it stops accepting, lets in-flight requests finish
// for ShutdownGrace, then interrupts the ones still sleeping (they end
// without an answer), waits for them (logging open connections every 5 s,
// giving up after 15 s), closes every connection and flushes the trace
// (which the caller still owns and closes). Close is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()
	var errs []error
	if started {
		_ = s.acc.Close()
		s.waitInflight(s.opts.ShutdownGrace, false)
		close(s.stop)
		if !s.waitInflight(closeWaitMax, true) {
			errs = append(errs, fmt.Errorf("sink: close: %d requests still running after %v", s.inflightNow(), closeWaitMax))
		}
		s.ln.closeConns()
		ctx, cancel := context.WithTimeout(context.Background(), closeLogEvery)
		if err := s.srv.ShutdownWithContext(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, fmt.Errorf("sink: shutdown: %w", err))
		}
		cancel()
		<-s.serveDone
	}
	s.cleanup()
	if s.trace != nil {
		if err := s.trace.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("sink: flush trace: %w", err))
		}
	}
	return errors.Join(errs...)
}

// waitInflight waits until no request is being handled or d passes.
func (s *Server) waitInflight(d time.Duration, logOpen bool) bool {
	deadline := time.Now().Add(d)
	nextLog := time.Now().Add(closeLogEvery)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.inflightNow() > 0 {
		now := time.Now()
		if !now.Before(deadline) {
			return false
		}
		if logOpen && now.After(nextLog) {
			s.logf("sink: close: waiting for %d requests; open connections: %s", s.inflightNow(), strings.Join(s.ln.openConns(), ", "))
			nextLog = now.Add(closeLogEvery)
		}
		<-t.C
	}
	return true
}

// cleanup calls Cleanup on every Behavior the server used.
func (s *Server) cleanup() {
	s.mu.Lock()
	sets := append([]*ruleSet(nil), s.retired...)
	s.mu.Unlock()
	sets = append(sets, s.global.Load())
	for _, ep := range s.epList {
		sets = append(sets, ep.rules.Load())
	}
	done := map[Behavior]bool{}
	for _, rs := range sets {
		if rs == nil {
			continue
		}
		for _, r := range rs.rules {
			c, ok := r.Behavior.(Cleaner)
			if ok && !done[r.Behavior] {
				done[r.Behavior] = true
				c.Cleanup()
			}
		}
	}
}

func (s *Server) mark(typ, name, detail string) {
	m := trace.Mark{AtNs: s.trace.Now(), Type: typ, Name: name, Detail: detail}
	if err := s.trace.WriteMark(&m); err != nil {
		s.traceErr(err)
	}
}

// traceLost is how many records the trace writer lost.
func (s *Server) traceLost() uint64 {
	if s.trace == nil {
		return 0
	}
	return s.trace.Lost()
}

func (s *Server) traceErr(err error) {
	if s.traceErrs.Add(1) == 1 {
		s.logf("sink: trace: %v (further errors are only counted)", err)
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// overCapacityMark is the Name of the "note" Mark written for each
// connection refused over Options.Concurrency (Detail: the peer address).
const overCapacityMark = "over-capacity"

// refuse answers a connection over Options.Concurrency with 503 (plain
// HTTP only: a TLS peer has not even said hello yet) and records it. It
// runs on the accepting goroutine, so the write is bounded.
func (s *Server) refuse(c net.Conn) {
	if !s.opts.TLS {
		_ = c.SetWriteDeadline(time.Now().Add(refuseWriteMax))
		_, _ = io.WriteString(c, overCapacityAnswer)
	}
	if s.trace != nil {
		s.mark("note", overCapacityMark, c.RemoteAddr().String())
	}
}

// refuseWriteMax bounds the 503 written to a refused connection.
const refuseWriteMax = 100 * time.Millisecond

const overCapacityBody = "the sink is serving its maximum number of connections (--max-conns)"

var overCapacityAnswer = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nServer: hookbench-sink\r\n" +
	"Content-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(overCapacityBody)) + "\r\n\r\n" + overCapacityBody

// acceptErr logs a failed Accept (out of file descriptors...), at most
// once a second: the listener backs off and tries again.
func (s *Server) acceptErr(err error) {
	s.acceptLog.Printf("sink: accept: %v; retrying", err)
}

// acceptErrors counts the Accepts that failed and were retried.
func (s *Server) acceptErrors() uint64 {
	if acc := s.listener(); acc != nil {
		return acc.Errors()
	}
	return 0
}

// overCapacity counts the connections refused over Options.Concurrency
// (by the listener, or by fasthttp in the moment a worker is being freed).
func (s *Server) overCapacity() uint64 {
	n := uint64(s.srv.GetRejectedConnectionsCount())
	if acc := s.listener(); acc != nil {
		n += acc.Refused()
	}
	return n
}

func (s *Server) listener() *accept.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acc
}
