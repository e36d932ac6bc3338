package provider

import (
	"cmp"
	"container/heap"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/internal/accept"
	"github.com/hookbench/hookbench/internal/netx"
	"github.com/hookbench/hookbench/internal/ratelog"
	"github.com/hookbench/hookbench/policy"
)

// Provider is the reference webhook provider. Create it with New, then
// Start; it is safe for concurrent use and must not be copied.
type Provider struct {
	opts   Options
	policy policy.Policy // effective: declared, scaled, Persistent set
	faults faultSet
	clock  Clock
	logf   func(string, ...any)
	st     *store
	client *fasthttp.Client
	conns  *netx.Tracker // its own object: the client's goroutines must not keep p alive
	server *fasthttp.Server
	// apiLog rate-limits the API server's messages (a peer can provoke
	// one per malformed connection) and failed Accepts.
	apiLog *ratelog.Logger

	rndMu sync.Mutex // guards rnd
	rnd   *rand.Rand
	idMu  sync.Mutex // guards ids
	ids   *rand.ChaCha8

	closing atomic.Bool
	running atomic.Bool  // Start has run
	pending atomic.Int64 // deliveries not finished
	lanes   sync.WaitGroup
	serveWG sync.WaitGroup
	scratch sync.Pool // of *laneScratch
	apiRef  *apiRef

	counters provCounters
	metrics  *metrics.Set

	mu        sync.Mutex // guards the fields below
	started   bool
	closed    bool
	ln        net.Listener
	acc       *accept.Listener // ln wrapped: retries EMFILE, enforces MaxAPIConns
	url       string
	endpoints map[string]*endpoint
	epOrder   []*endpoint // creation order, for listing
	events    map[string]*event
	idem      map[string]idemRecord
	idemQ     []idemEntry // insertion order, for expiry
	idemHead  int
	doneQ     []string // finished events, oldest first
	doneHead  int
	sched     schedHeap
	timer     Timer
	timerAt   time.Time
	restored  []*delivery // pending deliveries from the store or from before Start

	// attemptHook, when set (tests only, before Start), is called after
	// every attempt is logged.
	attemptHook func(evID, epID string, rec attemptLog)
}

type idemEntry struct {
	key string
	at  int64
}

// New validates opts, opens the store and loads what it holds. The
// provider does nothing until Start.
func New(opts Options) (*Provider, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fs, _ := parseFaults(opts.Faults)
	p := &Provider{
		opts:      opts,
		faults:    fs,
		clock:     opts.Clock,
		logf:      opts.Logf,
		rnd:       opts.Rand,
		endpoints: map[string]*endpoint{},
		events:    map[string]*event{},
		idem:      map[string]idemRecord{},
		conns:     &netx.Tracker{},
	}
	p.apiLog = &ratelog.Logger{Logf: p.log}
	p.metrics = p.newMetricSet()
	p.opts.Faults = fs.names()
	p.scratch.New = func() any { return &laneScratch{} }
	if p.clock == nil {
		p.clock = realClock{}
	}
	if p.rnd == nil {
		p.rnd = rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	}
	var seed [32]byte
	if _, err := cryptorand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("seed id generator: %w", err)
	}
	p.ids = rand.NewChaCha8(seed)

	p.policy = opts.effectivePolicy()

	st, err := openStore(opts.DataDir, opts.Fsync, p.logf)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	p.st = st
	if err := p.load(); err != nil {
		st.close()
		return nil, fmt.Errorf("reference: load %s: %w", opts.DataDir, err)
	}
	var tlsConf *tls.Config
	if opts.CAFile != "" {
		pool, err := loadCAs(opts.CAFile)
		if err != nil {
			st.close()
			return nil, &OptionError{Field: "ca_file", Err: err}
		}
		tlsConf = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	dialTimeout := p.policy.Timeout
	p.client = &fasthttp.Client{
		TLSConfig:                tlsConf,
		Name:                     opts.UserAgent,
		NoDefaultUserAgentHeader: true,
		Dial:                     p.conns.Dial(targetDialer(opts.AllowLinkLocal, func(addr string) (net.Conn, error) { return fasthttp.DialTimeout(addr, dialTimeout) })),
		MaxConnsPerHost:          opts.MaxConns,
		MaxConnWaitTimeout:       p.policy.Timeout,
		MaxIdleConnDuration:      5 * time.Second,
		MaxResponseBodySize:      1 << 20,
		ReadBufferSize:           8 << 10,
		DisablePathNormalizing:   true,
		// Exactly one HTTP request per attempt: never a hidden retry.
		RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
	}
	// The server's idle workers outlive Close by seconds: they reach the
	// provider through ref, which Close clears, so a closed provider is
	// freed at once.
	ref := &apiRef{}
	ref.p.Store(p)
	p.apiRef = ref
	p.server = &fasthttp.Server{
		Handler: ref.handle,
		Name:    "hookbench-reference",
		// The accept.Listener enforces MaxAPIConns and counts refusals;
		// fasthttp's cap only covers the moment a worker is being freed.
		Concurrency:                   opts.MaxAPIConns + opts.MaxAPIConns/4 + 16,
		MaxRequestBodySize:            opts.MaxBody,
		ReadTimeout:                   30 * time.Second,
		WriteTimeout:                  30 * time.Second,
		IdleTimeout:                   time.Minute,
		CloseOnShutdown:               true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: false,
		ErrorHandler:                  ref.handleServeError,
		Logger:                        ref,
	}
	return p, nil
}

// Start listens on Options.Listen, serves the API and starts delivering
// (including deliveries restored from the store).
func (p *Provider) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.started {
		return errors.New("reference: already started")
	}
	ln, err := net.Listen("tcp", p.opts.Listen)
	if err != nil {
		return fmt.Errorf("reference: listen on %s: %w", p.opts.Listen, err)
	}
	p.ln = ln
	p.acc = &accept.Listener{
		Listener: ln,
		MaxConns: p.opts.MaxAPIConns,
		Refuse:   refuseAPI,
		OnError:  func(err error) { p.apiLog.Printf("reference: accept: %v; retrying", err) },
	}
	acc := p.acc
	p.url = "http://" + ln.Addr().String()
	p.started = true
	p.serveWG.Add(1)
	go func() {
		defer p.serveWG.Done()
		if err := p.server.Serve(acc); err != nil && p.logf != nil && !p.closing.Load() {
			p.logf("reference: serve: %v", err)
		}
	}()
	p.running.Store(true)
	restored := p.restored
	p.restored = nil
	for _, d := range restored {
		p.scheduleLocked(d, d.due)
	}
	p.armLocked()
	return nil
}

// URL returns the API's base URL, "http://127.0.0.1:PORT"; "" before Start.
func (p *Provider) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.url
}

// Policy returns the effective policy: as declared, every duration
// multiplied by the time scale, Persistent true with a DataDir. Faults do
// not change it: a faulty provider still claims the policy it breaks.
func (p *Provider) Policy() policy.Policy { return publicPolicy(p.policy) }

// EffectivePolicy is the policy a provider built from these options runs
// (see Provider.Policy), known before it starts.
func (o *Options) EffectivePolicy() policy.Policy { return publicPolicy(o.effectivePolicy()) }

func (o *Options) effectivePolicy() policy.Policy {
	q := o.Policy.Scaled(o.TimeScale)
	q.Persistent = o.DataDir != ""
	if q.Scheme == "" {
		q.Scheme = schemeNone
	}
	if q.Tolerance == 0 {
		q.Tolerance = DefaultTolerance
	}
	return q
}

// publicPolicy is a copy of q that shares nothing and holds no secret.
func publicPolicy(q policy.Policy) policy.Policy {
	q.Backoff.Schedule = append([]time.Duration(nil), q.Backoff.Schedule...)
	q.Secrets = nil
	return q
}

// TimeScale returns the time scale the provider runs with.
func (p *Provider) TimeScale() float64 { return p.opts.TimeScale }

// ActiveFaults returns the names of the faults switched on.
func (p *Provider) ActiveFaults() []string {
	out := make([]string, len(p.opts.Faults))
	copy(out, p.opts.Faults)
	return out
}

// Pending returns how many deliveries are not finished.
func (p *Provider) Pending() int { return int(p.pending.Load()) }

// Close stops the API and the deliveries. Attempts in flight are cut off
// (their connections closed) and their results dropped: with a DataDir
// they are made again after a restart. Close is idempotent.
func (p *Provider) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.closing.Store(true)
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	started := p.started
	eps := append([]*endpoint(nil), p.epOrder...)
	p.mu.Unlock()

	var errs []error
	if started {
		if err := p.server.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("reference: stop api: %w", err))
		}
		// Serve may not have registered the listener yet when Shutdown ran.
		p.acc.Close()
		p.serveWG.Wait()
	}
	// No lane starts after this barrier: dispatch checks closing under lmu.
	for _, ep := range eps {
		ep.lmu.Lock()
		ep.ready, ep.head = nil, 0
		ep.lmu.Unlock()
	}
	p.conns.Close()
	p.lanes.Wait()
	p.client.CloseIdleConnections()
	p.apiRef.p.Store(nil)
	if err := p.st.close(); err != nil {
		errs = append(errs, fmt.Errorf("reference: %w", err))
	}
	return errors.Join(errs...)
}

// Restart closes p and starts a new provider with the same options on
// the same address, as a crash and restart would: with a DataDir it
// resumes what was pending; without one it starts empty. p must have been
// started.
func (p *Provider) Restart() (*Provider, error) {
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		return nil, errors.New("reference: restart: not started")
	}
	addr := p.ln.Addr().String()
	p.mu.Unlock()
	if err := p.Close(); err != nil {
		return nil, fmt.Errorf("reference: restart: %w", err)
	}
	o := p.opts
	o.Listen = addr
	q, err := New(o)
	if err != nil {
		return nil, fmt.Errorf("reference: restart: %w", err)
	}
	q.attemptHook = p.attemptHook
	if err := q.Start(); err != nil {
		q.Close()
		return nil, fmt.Errorf("reference: restart: %w", err)
	}
	return q, nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	return pool, nil
}

// newID returns prefix + 22 base62 characters: 8 of the clock's unix
// milliseconds (ids sort by creation, which keeps store inserts at the end
// of the B-tree) and 14 from a strong random source (83 bits).
func (p *Provider) newID(prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b [40]byte
	n := copy(b[:], prefix)
	ms := uint64(max(p.clock.Now().UnixMilli(), 0))
	for i := 7; i >= 0; i-- {
		b[n+i] = alphabet[ms%62]
		ms /= 62
	}
	n += 8
	p.idMu.Lock()
	a, c := p.ids.Uint64(), p.ids.Uint64()
	p.idMu.Unlock()
	for i := 0; i < 7; i++ {
		b[n] = alphabet[a%62]
		a /= 62
		b[n+1] = alphabet[c%62]
		c /= 62
		n += 2
	}
	return string(b[:n])
}

func (p *Provider) uniform() float64 {
	p.rndMu.Lock()
	u := p.rnd.Float64()
	p.rndMu.Unlock()
	return u
}

// apiRef is how the API server reaches the provider.
type apiRef struct{ p atomic.Pointer[Provider] }

func (r *apiRef) handle(ctx *fasthttp.RequestCtx) {
	if p := r.p.Load(); p != nil {
		p.handle(ctx)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
}

func (r *apiRef) handleServeError(ctx *fasthttp.RequestCtx, err error) {
	if p := r.p.Load(); p != nil {
		p.handleServeError(ctx, err)
	}
}

// Printf routes fasthttp's log lines to Options.Logf (or nowhere).
func (r *apiRef) Printf(format string, args ...any) {
	if p := r.p.Load(); p != nil {
		p.apiLog.Printf("reference: api: "+format, args...)
	}
}

// overCapacityAnswer is written to an API connection past MaxAPIConns.
const overCapacityAnswer = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nServer: hookbench-reference\r\n" +
	"Content-Type: application/json\r\nContent-Length: 43\r\n\r\n" + `{"error":"too many connections to the API"}`

// refuseAPI answers a connection past MaxAPIConns; it runs on the
// accepting goroutine, so the write is bounded.
func refuseAPI(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write([]byte(overCapacityAnswer))
}

// AcceptErrors returns how many API Accepts failed (out of file
// descriptors...) and were retried after a back-off.
func (p *Provider) AcceptErrors() uint64 {
	p.mu.Lock()
	acc := p.acc
	p.mu.Unlock()
	if acc == nil {
		return 0
	}
	return acc.Errors()
}

// OverCapacity returns how many API connections were refused past
// Options.MaxAPIConns.
func (p *Provider) OverCapacity() uint64 {
	n := uint64(p.server.GetRejectedConnectionsCount())
	p.mu.Lock()
	acc := p.acc
	p.mu.Unlock()
	if acc != nil {
		n += acc.Refused()
	}
	return n
}

func (p *Provider) log(format string, args ...any) {
	if p.logf != nil {
		p.logf(format, args...)
	}
}

// load restores endpoints, events, deliveries and idempotency keys from
// the store. Pending deliveries wait in p.restored for Start.
func (p *Provider) load() error {
	if !p.st.persistent() {
		return nil
	}
	err := p.st.forEach(bEndpoints, func(k, v []byte) error {
		var r endpointRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("endpoint %q: %w", k, err)
		}
		ep := &endpoint{id: r.ID, url: r.URL, scheme: r.Scheme, eventTypes: r.EventTypes, created: r.Created,
			secrets: r.Secrets, reason: r.Reason}
		if r.OldUntil != 0 {
			ep.oldUntil = time.Unix(0, r.OldUntil)
		}
		ep.state.Store(r.State)
		if err := p.buildSigning(ep); err != nil {
			return fmt.Errorf("endpoint %q: %w", k, err)
		}
		p.endpoints[ep.id] = ep
		p.epOrder = append(p.epOrder, ep)
		return nil
	})
	if err != nil {
		return err
	}
	type loaded struct {
		ev  *event
		rec eventRecord
	}
	var evs []loaded
	err = p.st.forEach(bEvents, func(k, v []byte) error {
		var r eventRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("event %q: %w", k, err)
		}
		ev := &event{id: r.ID, typ: r.Type, body: r.Body, created: r.Created, idemKey: r.IdemKey}
		p.events[ev.id] = ev
		evs = append(evs, loaded{ev, r})
		return nil
	})
	if err != nil {
		return err
	}
	recs := map[string]deliveryRecord{}
	err = p.st.forEach(bDeliveries, func(k, v []byte) error {
		var r deliveryRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("delivery %q: %w", k, err)
		}
		recs[string(k)] = r
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(evs, func(a, b loaded) int { return a.ev.created.Compare(b.ev.created) })
	for _, l := range evs {
		ev := l.ev
		for _, t := range l.rec.Targets {
			ep := p.endpoints[t.Endpoint]
			if ep == nil {
				continue // a stray target
			}
			d := &delivery{ev: ev, ep: ep, msgID: cmp.Or(t.MsgID, ev.id), dup: t.Dup, hidx: -1, due: time.Unix(0, l.rec.Due)}
			if r, ok := recs[d.key()]; ok {
				d.state, d.attempts, d.log = parseDState(r.State), r.Attempts, r.Log
				d.due = time.Time{}
				if r.Due != 0 {
					d.due = time.Unix(0, r.Due)
				}
				if r.FirstTS != 0 {
					d.firstTS = time.Unix(0, r.FirstTS)
				}
			}
			ev.deliveries = append(ev.deliveries, d)
			if d.state == dPending {
				ev.open.Add(1)
				p.pending.Add(1)
				p.restored = append(p.restored, d)
			}
		}
	}
	// Finished events queue for eviction, oldest first.
	for _, l := range evs {
		if l.ev.open.Load() == 0 {
			p.doneQ = append(p.doneQ, l.ev.id)
		}
	}
	now := p.clock.Now().UnixNano()
	var idems []idemEntry
	err = p.st.forEach(bIdempotency, func(k, v []byte) error {
		var r idemRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("idempotency key %q: %w", k, err)
		}
		if now-r.At < int64(p.opts.IdempotencyWindow) {
			p.idem[string(k)] = r
			idems = append(idems, idemEntry{key: string(k), at: r.At})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sortIdem(idems)
	p.idemQ = idems
	p.mu.Lock()
	p.evictLocked()
	p.mu.Unlock()
	return nil
}

// Scheduler: a min-heap of deliveries by due time and one clock timer for
// the earliest.

type schedHeap []*delivery

func (h schedHeap) Len() int           { return len(h) }
func (h schedHeap) Less(i, j int) bool { return h[i].hdue.Before(h[j].hdue) }
func (h schedHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}
func (h *schedHeap) Push(x any) {
	d := x.(*delivery)
	d.hidx = len(*h)
	*h = append(*h, d)
}
func (h *schedHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	d.hidx = -1
	return d
}

// schedule makes d's next attempt happen at due (at once when due has
// passed).
func (p *Provider) schedule(d *delivery, due time.Time) {
	if !p.running.Load() {
		p.mu.Lock()
		if !p.started {
			// Before Start nothing is sent: Start schedules these.
			p.restored = append(p.restored, d)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	if !due.After(p.clock.Now()) {
		p.dispatch(d)
		return
	}
	p.mu.Lock()
	if !p.closed {
		p.scheduleLocked(d, due)
		p.armLocked()
	}
	p.mu.Unlock()
}

func (p *Provider) scheduleLocked(d *delivery, due time.Time) {
	d.hdue = due
	heap.Push(&p.sched, d)
}

// armLocked points the timer at the earliest due delivery.
func (p *Provider) armLocked() {
	if p.closed || !p.started || len(p.sched) == 0 {
		return
	}
	first := p.sched[0].hdue
	if p.timer != nil {
		if !first.Before(p.timerAt) {
			return
		}
		p.timer.Stop()
	}
	p.timerAt = first
	p.timer = p.clock.AfterFunc(first.Sub(p.clock.Now()), p.fire)
}

// fire dispatches every due delivery and re-arms the timer.
func (p *Provider) fire() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	now := p.clock.Now()
	var due []*delivery
	for len(p.sched) > 0 && !p.sched[0].hdue.After(now) {
		due = append(due, heap.Pop(&p.sched).(*delivery))
	}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.armLocked()
	p.mu.Unlock()
	for _, d := range due {
		p.dispatch(d)
	}
}
