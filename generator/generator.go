package generator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/internal/netx"
)

// Generator sends events at a target on an open-loop schedule. Build one
// with New, run it once with Run; Stop ends it early. Its methods are safe
// for concurrent use.
//
// Each hit of the schedule carries its intended send time; latency is
// measured from that time (and, separately, from when the request left), so
// a slow target shows up as latency and late sends instead of silently
// lowering the rate. Workers are bounded by Options.MaxInflight.
type Generator struct {
	opts     Options
	body     bodyEncoder
	headers  []headerTmpl
	client   *fasthttp.HostClient
	conns    *connSet
	idPrefix []byte
	warnings []string
	ctype    string
	workers  int
	capacity bool // the pacer sends as fast as possible

	ran      atomic.Bool
	stopOnce sync.Once
	preMu    sync.Mutex      // guards precise and ticker
	precise  []*preciseTimer // the workers' precise timers, closed by Stop and at the end of Run
	ticker   *preciseTimer   // wakes the scheduler every gridQuantum (see worker.run); nil in capacity mode

	// The ticker runs only while workers wait on the grid (moderate rates).
	tickOn   atomic.Bool   // the ticker is armed
	tickUsed atomic.Int64  // when a worker last waited on the grid (ns since start)
	gridBase atomic.Int64  // phase of the ticker's grid (ns since start, < gridQuantum)
	tickWake chan struct{} // a worker asks for the ticker (cap 1)
	tickDone chan struct{} // closed when the workers are done
	stopped  atomic.Bool
	endOnce  sync.Once
	end      chan struct{} // closed when the schedule ends (deadline or Stop)
	ended    atomic.Bool
	forced   atomic.Bool // connections were closed at the end of the drain

	// Set when Run starts (before running), read-only afterwards.
	start   time.Time
	running atomic.Bool
	traceAt int64 // trace time of start
	endAt   atomic.Int64
	next    atomic.Uint64 // next hit number to claim
	late    time.Duration // how long after StartAt the workers started (0 when not after it)
	skipped uint64        // hits due before the workers started (StartAt in the past)
	ws      []*worker     // built by New
	shards  []*histShard  // built by New
}

// headerTmpl is a header whose value is a template.
type headerTmpl struct {
	name string
	t    *Template
}

// New validates opts, compiles the templates and prepares the client. It
// opens no connection.
func New(opts Options) (*Generator, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{opts: opts, end: make(chan struct{}), tickWake: make(chan struct{}, 1), tickDone: make(chan struct{})}
	g.opts.Headers = append([][2]string(nil), opts.Headers...)
	g.opts.Types = append([]string(nil), opts.Types...)
	if len(g.opts.Types) == 0 {
		g.opts.Types = []string{DefaultType}
	}
	if g.opts.MaxInflight == 0 {
		g.opts.MaxInflight = g.opts.Connections
	}
	if g.opts.Drain == 0 {
		g.opts.Drain = g.opts.Timeout
	}
	g.workers = g.opts.MaxInflight
	src := g.opts.Body
	if src == "" {
		src = DefaultBody
	}
	t, err := ParseTemplate(src)
	if err != nil {
		return nil, &OptionError{Field: "Body", Err: err}
	}
	switch g.opts.Format {
	case FormatMsgpack:
		mb, warns, err := compileMsgpack(t, g.opts.IDField, g.opts.BodySize)
		if err != nil {
			return nil, &OptionError{Field: "Body", Err: err}
		}
		g.body, g.warnings, g.ctype = mb, warns, "application/msgpack"
	default:
		jb, warns := newJSONBody(t, g.opts.IDField, g.opts.BodySize)
		g.body, g.warnings, g.ctype = jb, warns, "application/json"
		if _, _, err := compileMsgpack(t, "", 0); err != nil && jb.object {
			g.warnings = append(g.warnings, "body template is not valid JSON: "+err.Error())
		}
	}
	if g.opts.ContentType != "" {
		g.ctype = g.opts.ContentType
	}
	for _, h := range g.opts.Headers {
		ht, err := ParseTemplate(h[1])
		if err != nil {
			return nil, &OptionError{Field: "Headers", Err: fmt.Errorf("header %s: %w", h[0], err)}
		}
		g.headers = append(g.headers, headerTmpl{name: h[0], t: ht})
	}
	g.idPrefix = []byte(g.opts.IDPrefix)
	if len(g.idPrefix) == 0 {
		var tag [4]byte
		if _, err := rand.Read(tag[:]); err != nil {
			return nil, fmt.Errorf("generator: random run tag: %w", err)
		}
		g.idPrefix = []byte("hb-" + hex.EncodeToString(tag[:]) + "-")
	}
	if w, stop := g.opts.Rate.Pace(0, 1<<20); !stop && w <= 0 {
		g.capacity = true
	}
	if g.opts.Shard.Active() {
		// After the capacity check: a shard's pacer stops at the run's count.
		g.opts.Rate = g.opts.Shard.Pacer(g.opts.Rate, g.opts.Count)
		g.opts.Count = g.opts.Shard.Count(g.opts.Count)
		g.idPrefix = append(g.idPrefix, g.opts.Shard.IDPrefix()...)
	}
	u, _ := url.Parse(g.opts.URL) // validated
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		} else {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	g.conns = newConnSet(g.opts.Dial, g.opts.Timeout)
	g.client = &fasthttp.HostClient{
		Addr:                          addr,
		Name:                          g.opts.UserAgent,
		NoDefaultUserAgentHeader:      g.opts.UserAgent == "",
		IsTLS:                         u.Scheme == "https",
		TLSConfig:                     g.opts.TLSConfig,
		Dial:                          g.conns.dial,
		MaxConns:                      g.opts.Connections,
		MaxConnWaitTimeout:            g.opts.Timeout,
		MaxIdemponentCallAttempts:     1,
		MaxResponseBodySize:           maxResponseBody,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
	}
	g.endAt.Store(-1)
	nShards := min(g.workers, maxHistShards)
	highest := int64(time.Hour / time.Microsecond)
	if g.opts.Duration > 0 {
		highest = min(highest, int64((g.opts.Duration+g.opts.Timeout+g.opts.Drain+time.Minute)/time.Microsecond))
	}
	g.shards = make([]*histShard, nShards)
	for i := range g.shards {
		g.shards[i] = newHistShard(highest)
	}
	g.ws = make([]*worker, g.workers)
	for i := range g.ws {
		g.ws[i] = g.newWorker(g.shards[i%nShards])
	}
	return g, nil
}

// Warnings returns what New noticed but let pass: a body that is not a JSON
// object (so the id could not be embedded), or not valid JSON.
func (g *Generator) Warnings() []string { return append([]string(nil), g.warnings...) }

// Stop ends the schedule: no new request leaves, in-flight requests get
// Options.Drain to finish. It returns false when the run was already stopped.
func (g *Generator) Stop() bool {
	first := false
	g.stopOnce.Do(func() {
		first = true
		g.stopped.Store(true)
		g.endSchedule()
		g.closePrecise() // wakes workers waiting on them
	})
	return first
}

// openPrecise makes the ticker and gives each worker a preciseTimer (never
// in capacity mode; no worker timers beyond maxPreciseWorkers workers).
// Called by Run before the workers start.
func (g *Generator) openPrecise() {
	if g.capacity {
		return
	}
	g.preMu.Lock()
	defer g.preMu.Unlock()
	if g.stopped.Load() {
		return
	}
	if pt, err := newPreciseTimer(); err == nil {
		g.ticker = pt
	}
	if g.workers > maxPreciseWorkers {
		return
	}
	for _, w := range g.ws {
		pt, err := newPreciseTimer()
		if err != nil {
			return // the workers without one use the Go timer
		}
		w.precise = pt
		g.precise = append(g.precise, pt)
	}
}

func (g *Generator) closePrecise() {
	g.preMu.Lock()
	defer g.preMu.Unlock()
	for _, pt := range g.precise {
		pt.close()
	}
	g.precise = nil
	if g.ticker != nil {
		g.ticker.close()
	}
}

// endSchedule marks the end of the schedule (deadline or Stop).
func (g *Generator) endSchedule() {
	g.endOnce.Do(func() {
		if g.running.Load() {
			g.endAt.CompareAndSwap(-1, int64(time.Since(g.start)))
		}
		g.ended.Store(true)
		close(g.end)
	})
}

// Run sends the schedule and returns its summary. It returns when the
// schedule is over (duration, count or the pacer's end), ctx is done or Stop
// is called, and every in-flight request has finished or been cut after the
// drain. A run that was stopped early is not an error: the Summary says so.
func (g *Generator) Run(ctx context.Context) (Summary, error) {
	if g.ran.Swap(true) {
		return Summary{}, ErrRunTwice
	}
	defer func() {
		for _, w := range g.ws {
			w.release()
		}
	}()

	now := time.Now()
	g.start = now
	joined := false // started after StartAt, without waiting
	if !g.opts.StartAt.IsZero() {
		// now.Add keeps the monotonic clock reading: the schedule is not
		// moved by wall clock steps during the run.
		g.start = now.Add(g.opts.StartAt.Sub(now))
		joined = !g.start.After(now)
		g.waitStart(ctx)
	}
	if g.opts.Trace != nil {
		g.traceAt = g.opts.Trace.At(g.start)
	}
	// After a wait, hit 0 leaving a little after time zero is a late send
	// (lateness), not a skipped one.
	if late := time.Since(g.start); joined && late > 0 && !g.stopped.Load() {
		g.late = late
		if !g.capacity {
			// Hits due before now are missed, not sent in a burst.
			at := late
			if g.opts.Duration > 0 {
				at = min(at, g.opts.Duration)
			}
			g.skipped = g.dueCount(0, at)
			g.next.Store(g.skipped)
		}
	}
	g.running.Store(true) // publishes start to Progress and endSchedule
	if g.opts.Metrics != nil {
		g.opts.Metrics.attach(g)
	}
	if g.stopped.Load() { // Stop before or while Run started (or while it waited for StartAt)
		g.endAt.CompareAndSwap(-1, int64(max(time.Since(g.start), 0)))
	}
	var deadline *time.Timer
	if g.opts.Duration > 0 {
		deadline = time.AfterFunc(g.opts.Duration-time.Since(g.start), g.endSchedule)
		defer deadline.Stop()
	}
	g.openPrecise()
	defer g.closePrecise()
	var tickWG sync.WaitGroup
	if g.ticker != nil {
		tickWG.Go(g.runTicker)
	}
	var wg sync.WaitGroup
	for _, w := range g.ws {
		wg.Go(w.run)
	}
	done := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		select {
		case <-ctx.Done():
			g.Stop()
		case <-done:
		}
	})
	go func() { wg.Wait(); close(done) }()

	select {
	case <-done:
	case <-g.end:
		drain := time.NewTimer(g.opts.Drain)
		select {
		case <-done:
		case <-drain.C:
			g.forced.Store(true)
			g.conns.closeAll()
			<-done
		}
		drain.Stop()
	}
	watch.Wait()
	close(g.tickDone)
	g.closePrecise()
	tickWG.Wait()
	if deadline != nil {
		deadline.Stop()
	}
	finished := max(time.Since(g.start), 0) // 0 when stopped while waiting for StartAt
	g.conns.closeAll()
	g.client.CloseIdleConnections()
	sum := g.summarize(finished)
	if g.opts.Metrics != nil {
		g.opts.Metrics.detach(g, &sum)
	}
	return sum, nil
}

// waitStart waits until the schedule's time zero; ctx and Stop end the
// wait early (ctx by stopping the run).
func (g *Generator) waitStart(ctx context.Context) {
	left := time.Until(g.start)
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-t.C:
	case <-g.end:
	case <-ctx.Done():
		g.Stop()
	}
}

// tickIdle is how long the ticker keeps running after the last worker
// waited on the grid.
const tickIdle = 20 * time.Millisecond

// runTicker arms the ticker while workers wait on the grid and disarms it
// when they stop (so that slow and capacity phases do not pay for it).
func (g *Generator) runTicker() {
	t := g.ticker
	for {
		select {
		case <-g.tickWake:
		case <-g.tickDone:
			return
		}
		if !t.startTicking(gridQuantum) {
			return
		}
		g.gridBase.Store(int64(time.Since(g.start) % gridQuantum))
		g.tickOn.Store(true)
		for int64(time.Since(g.start))-g.tickUsed.Load() < int64(tickIdle) {
			if !t.waitTick() {
				return
			}
		}
		g.tickOn.Store(false)
		if !t.startTicking(0) {
			return
		}
	}
}

// askTicker notes that a worker waits on the grid, and wakes the ticker
// when it is not running.
func (g *Generator) askTicker() {
	g.tickUsed.Store(int64(time.Since(g.start)))
	if !g.tickOn.Load() {
		select {
		case g.tickWake <- struct{}{}:
		default:
		}
	}
}

// Progress is a snapshot of a running generator, for a live display.
type Progress struct {
	Elapsed  time.Duration
	Due      uint64 // hits the schedule called for so far (capacity mode: Sent)
	Sent     uint64 // requests that left
	Done     uint64 // requests that finished (response or error)
	InFlight int64
	Late     uint64 // sends that left more than LateThreshold after their intended time
	Failed   uint64 // transport errors and non-2xx responses
}

// Progress returns live counters; safe to call while Run runs.
func (g *Generator) Progress() Progress {
	var p Progress
	if !g.running.Load() {
		return p
	}
	p.Elapsed = time.Since(g.start)
	for _, w := range g.ws {
		d := w.live.done.Load() // before sent, so that d <= s
		s := w.live.sent.Load()
		p.Sent += s
		p.Done += d
		p.InFlight += int64(s - d)
		p.Late += w.live.late.Load()
		p.Failed += w.live.failed.Load()
	}
	p.Due = p.Sent
	if !g.capacity {
		at := p.Elapsed
		if g.opts.Duration > 0 {
			at = min(at, g.opts.Duration)
		}
		p.Due = g.dueCount(0, at)
	}
	return p
}

// dueCount returns how many hits from `from` on are due before at (and
// within Count), by exponential then binary search on the pacer, which must
// be monotone. It is used once, after the run, to count missed hits.
func (g *Generator) dueCount(from uint64, at time.Duration) uint64 {
	return dueCount(g.opts.Rate, g.opts.Count, from, at)
}

// DueBefore returns how many hits of p's schedule (at most count; 0 = no
// bound) are due before at, the time since the schedule's start: the hits
// a run joining the schedule at at has missed. p must be monotone (every
// Pacer of this package is).
func DueBefore(p Pacer, count uint64, at time.Duration) uint64 {
	return dueCount(p, count, 0, at)
}

func dueCount(p Pacer, count, from uint64, at time.Duration) uint64 {
	limit := uint64(1) << 40
	if count > 0 {
		if from >= count {
			return 0
		}
		limit = count - from
	}
	isDue := func(k uint64) bool { // is hit from+k due before at?
		w, stop := p.Pace(0, from+k)
		return !stop && w < at
	}
	if !isDue(0) {
		return 0
	}
	lo, hi := uint64(0), uint64(1) // isDue(lo), hi unknown
	for hi < limit && isDue(hi) {
		lo, hi = hi, hi*2
	}
	if hi > limit {
		hi = limit
		if isDue(hi - 1) {
			return limit
		}
	}
	// isDue(lo) && (hi == limit || !isDue(hi))
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if isDue(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// maxHistShards bounds the number of histogram sets: up to this many workers
// (the default is one per connection, 64) each has its own; beyond it
// workers share sets round-robin, so memory stays bounded (a set is a few
// hundred KiB) with thousands of in-flight requests.
const maxHistShards = 64

// histShard holds the latency histograms of one worker, or of a group of
// workers beyond maxHistShards. The mutex is uncontended in the first case.
type histShard struct {
	mu          sync.Mutex // guards the histograms and outOfRange
	corrected   *hdrhistogram.Histogram
	uncorrected *hdrhistogram.Histogram
	lateness    *hdrhistogram.Histogram
	outOfRange  uint64
}

func newHistShard(highestUs int64) *histShard {
	return &histShard{
		corrected:   hdrhistogram.New(1, highestUs, 3),
		uncorrected: hdrhistogram.New(1, highestUs, 3),
		lateness:    hdrhistogram.New(1, highestUs, 3),
	}
}

func (h *histShard) record(corrected, uncorrected, late time.Duration) {
	h.mu.Lock()
	if h.corrected.RecordValue(max(int64(corrected/time.Microsecond), 1)) != nil {
		h.outOfRange++
	}
	if h.uncorrected.RecordValue(max(int64(uncorrected/time.Microsecond), 1)) != nil {
		h.outOfRange++
	}
	if h.lateness.RecordValue(max(int64(late/time.Microsecond), 0)) != nil {
		h.outOfRange++
	}
	h.mu.Unlock()
}

// connSet dials and tracks connections so the end of the drain can cut
// requests that would otherwise hang until their timeout.
type connSet struct {
	conns   netx.Tracker
	dialFn  func(addr string) (net.Conn, error)
	dialer  net.Dialer
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelFunc
}

func newConnSet(dial func(string) (net.Conn, error), timeout time.Duration) *connSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &connSet{dialFn: dial, dialer: net.Dialer{Timeout: timeout}, timeout: timeout, ctx: ctx, cancel: cancel}
}

// deadlineConn enforces the request timeout on a connection with a
// deadline kept between timeout and timeout+timeout/8 ahead of every read
// and write, moved only when less than timeout remains: one runtime timer
// update per timeout/8 of traffic instead of two per request (the
// per-request deadlines of DoTimeout were about 3 % of the CPU of a send).
// No request is cut before its timeout; one that answers later than the
// timeout but within the slack is counted as a timeout by send all the
// same. A connection serves one request at a time (the HostClient hands
// it over under a lock), so deadline needs no lock.
type deadlineConn struct {
	net.Conn
	timeout, slack time.Duration
	deadline       time.Time
}

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	return &deadlineConn{Conn: c, timeout: timeout, slack: timeout / 8}
}

func (c *deadlineConn) extend() error {
	now := time.Now()
	if c.deadline.Sub(now) >= c.timeout {
		return nil
	}
	c.deadline = now.Add(c.timeout + c.slack)
	return c.Conn.SetDeadline(c.deadline)
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.extend(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.extend(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// SetDeadline, SetReadDeadline and SetWriteDeadline come from the client
// (clearing deadlines of a fresh connection): the next read or write sets
// this connection's own deadline again.
func (c *deadlineConn) SetDeadline(time.Time) error      { c.deadline = time.Time{}; return nil }
func (c *deadlineConn) SetReadDeadline(time.Time) error  { c.deadline = time.Time{}; return nil }
func (c *deadlineConn) SetWriteDeadline(time.Time) error { c.deadline = time.Time{}; return nil }

// errClosedByStop is what requests get once the drain has ended.
var errClosedByStop = fmt.Errorf("generator: connection closed at the end of the run: %w", net.ErrClosed)

func (s *connSet) dial(addr string) (net.Conn, error) {
	if s.conns.Closed() {
		return nil, errClosedByStop
	}
	var c net.Conn
	var err error
	if s.dialFn != nil {
		c, err = s.dialFn(addr)
	} else {
		c, err = s.dialer.DialContext(s.ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	tc, err := s.conns.Track(c)
	if err != nil {
		return nil, errClosedByStop
	}
	return newDeadlineConn(tc, s.timeout), nil
}

// closeAll closes every open connection and refuses new dials.
func (s *connSet) closeAll() {
	s.cancel()
	s.conns.Close()
}
