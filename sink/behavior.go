package sink

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// Behavior answers one request the way a (mis)behaving consumer would. It is
// consulted per request, never per connection.
//
// Lifecycle: construct (ParseRule, LoadRules or a literal) → Validate, when
// the Behavior implements Validator (New and SetRules call it) → Respond,
// concurrently, for every matching request while the rule is installed →
// Cleanup, when it implements Cleaner, once when the Server closes.
//
// See "Writing a Behavior" in the package documentation.
type Behavior interface {
	// Respond produces the answer through c: set the status and body on
	// c.Response(), sleep with c.Sleep, or end the exchange with c.Reset,
	// c.Drop, c.Hang or c.Trickle. It must return promptly once c.Sleep
	// reports an error. Leaving the response untouched answers 200.
	Respond(c *Call)
}

// Validator is implemented by Behaviors that can check their configuration.
type Validator interface {
	Validate() error
}

// Cleaner is implemented by Behaviors holding resources; Cleanup is called
// once when the Server closes, after every request has finished.
type Cleaner interface {
	Cleanup()
}

// Errors returned by Call.Sleep when the wait was cut short. After either,
// the exchange is over: the sink sends nothing and closes the connection.
var (
	// ErrProviderGone: the provider closed the connection (it timed out).
	ErrProviderGone = errors.New("sink: provider closed the connection")
	// ErrStopping: the sink is shutting down or was set down.
	ErrStopping = errors.New("sink: stopping")
)

// pollInterval is how often a sleeping request checks whether the provider
// closed its connection.
const pollInterval = 20 * time.Millisecond

// outcome says how the exchange ended.
type outcome uint8

const (
	outcomeRespond outcome = iota // fasthttp writes the response
	outcomeAbort                  // closed without a response
	outcomeTrickle                // response written slowly by the hijack handler
)

// Call is one request as a Behavior sees it. It is valid only during
// Respond (the Server reuses it afterwards); the strings of Attempt() point
// into the request and must be copied to be kept. A Call is not safe for
// concurrent use.
type Call struct {
	s  *Server
	ep *endpoint
	rc *fasthttp.RequestCtx
	a  trace.Attempt

	arrival   time.Time // Options.Now at arrival
	t0        time.Time // monotonic arrival, for HandleNs
	elapsed   time.Duration
	pcg       rand.PCG
	rnd       *rand.Rand
	timer     *time.Timer
	scratch   []byte // JSON unescape of the event id
	scratch2  []byte // JSON unescape of the event type
	hdr       []byte // header values built per request (Retry-After)
	rateWait  time.Duration
	out       outcome
	reset     bool
	trickle   int
	behaviorN string
}

// Request returns the request; its memory is valid during Respond only.
func (c *Call) Request() *fasthttp.Request { return &c.rc.Request }

// Response returns the response to fill in.
func (c *Call) Response() *fasthttp.Response { return &c.rc.Response }

// Attempt returns what the sink has recorded so far: endpoint, ids, Nth,
// signature verdict, size, hash, type. Treat it as read-only.
func (c *Call) Attempt() *trace.Attempt { return &c.a }

// Rand returns the request's random generator, seeded from the server's
// seed and the request's identity, so a run with the same seed makes the
// same draws for the same deliveries.
func (c *Call) Rand() *rand.Rand { return c.rnd }

// Elapsed returns the time from the sink's start to this request's arrival.
func (c *Call) Elapsed() time.Duration { return c.elapsed }

// Sleep waits for d (capped at the server's MaxHang). It returns nil after
// the full wait, ErrProviderGone when the provider closed the connection
// meanwhile, ErrStopping when the sink is shutting down or set down; after
// an error the exchange has been aborted (nothing will be sent).
func (c *Call) Sleep(d time.Duration) error {
	if c.out != outcomeRespond {
		return ErrStopping
	}
	if d > c.s.opts.MaxHang {
		d = c.s.opts.MaxHang
	}
	if d <= 0 {
		return nil
	}
	end := time.Now().Add(d)
	canPoll := canDetectClose(c.rc.Conn())
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		if canPoll && left > pollInterval {
			left = pollInterval
		}
		c.timer.Reset(left)
		select {
		case <-c.timer.C:
		case <-c.s.stop:
			c.timer.Stop()
			c.abort(0)
			return ErrStopping
		}
		if c.s.down.Load() {
			c.abort(0)
			return ErrStopping
		}
		if canPoll && connClosedByPeer(c.rc.Conn()) {
			c.abort(trace.FlagProviderGaveUp)
			return ErrProviderGone
		}
	}
}

// abort ends the exchange without a response; flags are added to
// FlagAborted on the record.
func (c *Call) abort(flags uint8) {
	if c.out == outcomeAbort {
		return
	}
	c.out = outcomeAbort
	c.a.Flags |= trace.FlagAborted | flags
	c.rc.HijackSetNoResponse(true)
	if c.reset {
		c.rc.Hijack(c.s.hijackReset)
	} else {
		c.rc.Hijack(c.s.hijackClose)
	}
}

// Reset sends nothing and resets the connection (TCP RST). Recorded as
// status 0 with FlagAborted.
func (c *Call) Reset() {
	c.reset = true
	c.abort(0)
}

// Drop is ack-lost: the request counts as processed with status processed
// (recorded in the behaviour), but the connection is closed before any
// answer, so the provider retries and the consumer sees a duplicate.
// Recorded as status 0 with FlagAborted.
func (c *Call) Drop(processed int) {
	_ = processed // the rule's name carries it ("status=200,ack-lost")
	c.abort(0)
}

// Hang holds the request until the provider gives up, the sink stops, or
// limit passes (0 or above MaxHang means MaxHang); then it closes the
// connection without an answer.
func (c *Call) Hang(limit time.Duration) {
	if limit <= 0 {
		limit = c.s.opts.MaxHang
	}
	if c.Sleep(limit) == nil {
		c.abort(0)
	}
}

// Trickle sends the response as filled in so far (status line, headers and
// body) at bytesPerSec, then closes the connection. The sleeps between
// chunks are interruptible; a provider that closes the connection is
// recorded with FlagProviderGaveUp.
func (c *Call) Trickle(bytesPerSec int) {
	if c.out != outcomeRespond || bytesPerSec <= 0 {
		return
	}
	c.out = outcomeTrickle
	c.trickle = bytesPerSec
	c.rc.HijackSetNoResponse(true)
	c.rc.Hijack(c.hijackTrickle)
}

// Action is the built-in Behavior that ParseRule builds. The zero value
// answers 200. At most one of Gone, Redirect, Reset, Hang, Trickle and
// AckLost is set.
type Action struct {
	// Status is the answer; 0 means 200, or 410 with Gone, 307 with
	// Redirect, 503 with RetryAfter.
	Status int
	Body   string
	// Delay is waited before answering.
	Delay Dist
	// RetryAfter is sent as a Retry-After header, in whole seconds (rounded
	// up), or as an HTTP-date that far ahead when RetryAfterDate is set.
	RetryAfter     time.Duration
	RetryAfterDate bool
	Gone           bool
	Redirect       string // Location header
	Reset          bool
	Hang           bool
	HangCap        time.Duration // 0 = the server's MaxHang
	Trickle        int           // bytes per second
	AckLost        bool
	// RefuseHandshake makes the rule answer webhook validation requests
	// (OPTIONS with WebHook-Request-Origin) without granting the origin,
	// with Status (default 200) and Body; it never applies to deliveries.
	RefuseHandshake bool
}

var _ Behavior = (*Action)(nil)
var _ Validator = (*Action)(nil)

func (a *Action) isZero() bool {
	return a.Status == 0 && a.Body == "" && a.Delay.Kind == DistNone && a.RetryAfter == 0 && !a.Gone &&
		a.Redirect == "" && !a.Reset && !a.Hang && a.Trickle == 0 && !a.AckLost && !a.RefuseHandshake
}

// aborts reports whether the action sends no response.
func (a *Action) aborts() bool { return a.Reset || a.Hang || a.AckLost }

// status returns the effective status.
func (a *Action) status() int {
	switch {
	case a.Status != 0:
		return a.Status
	case a.Gone:
		return 410
	case a.Redirect != "":
		return 307
	case a.RetryAfter > 0:
		return 503
	}
	return 200
}

// Validate checks that the action's parts fit together.
func (a *Action) Validate() error {
	kinds := 0
	for _, on := range []bool{a.Gone, a.Redirect != "", a.Reset, a.Hang, a.Trickle > 0, a.AckLost} {
		if on {
			kinds++
		}
	}
	st := a.status()
	switch {
	case kinds > 1:
		return errors.New("gone, redirect, reset, hang, trickle and ack-lost exclude each other")
	case a.Status != 0 && (a.Status < 100 || a.Status > 999):
		return fmt.Errorf("status %d: not an HTTP status", a.Status)
	case a.Gone && st != 410:
		return fmt.Errorf("gone answers 410, not status=%d", a.Status)
	case a.Redirect != "" && st != 301 && st != 302 && st != 303 && st != 307 && st != 308:
		return fmt.Errorf("redirect needs status 301, 302, 303, 307 or 308, found %d", st)
	case (a.Reset || a.Hang) && (a.Status != 0 || a.Body != "" || a.RetryAfter != 0):
		return errors.New("reset and hang send no answer: drop status, body and retry-after")
	case a.AckLost && (a.Body != "" || a.RetryAfter != 0):
		return errors.New("ack-lost sends no answer: drop body and retry-after (status= is what it processed)")
	case a.HangCap < 0 || a.RetryAfter < 0 || a.Trickle < 0:
		return errors.New("negative hang cap, retry-after or trickle")
	case strings.ContainsAny(a.Redirect, "\r\n"):
		return errors.New("redirect: location contains a line break")
	case a.RefuseHandshake && (kinds > 0 || a.Delay.Kind != DistNone || a.RetryAfter != 0):
		return errors.New("refuse-handshake answers validation requests: only status= and body= go with it")
	}
	return nil
}

// Respond implements Behavior.
func (a *Action) Respond(c *Call) {
	if a.Delay.Kind != DistNone {
		if c.Sleep(a.Delay.Sample(c.Rand())) != nil {
			return
		}
	}
	switch {
	case a.Reset:
		c.Reset()
		return
	case a.Hang:
		c.Hang(a.HangCap)
		return
	case a.AckLost:
		c.Drop(a.status())
		return
	}
	r := c.Response()
	r.SetStatusCode(a.status())
	if a.Body != "" {
		r.SetBodyString(a.Body)
	}
	if a.Redirect != "" {
		r.Header.Set("Location", a.Redirect)
	}
	wait := a.RetryAfter
	if wait == 0 && c.rateWait > 0 && (a.Status == 0 || a.Status == 429 || a.Status == 503) {
		wait = c.rateWait
	}
	if wait > 0 {
		secs := int64((wait + time.Second - 1) / time.Second)
		if a.RetryAfterDate {
			c.hdr = fasthttp.AppendHTTPDate(c.hdr[:0], c.arrival.Add(time.Duration(secs)*time.Second))
		} else {
			c.hdr = strconv.AppendInt(c.hdr[:0], secs, 10)
		}
		r.Header.SetBytesV("Retry-After", c.hdr)
		c.a.RetryAfter = secs * 1000
	}
	if a.Trickle > 0 {
		c.Trickle(a.Trickle)
	}
}

// String returns the action in ParseRule form; it is what an Attempt
// records as its Behavior.
func (a *Action) String() string {
	var p []string
	if a.RefuseHandshake {
		p = append(p, "refuse-handshake")
		if a.Status != 0 {
			p = append(p, "status="+strconv.Itoa(a.Status))
		}
		if a.Body != "" {
			p = append(p, "body="+a.Body)
		}
		return strings.Join(p, ",")
	}
	if a.Delay.Kind != DistNone {
		p = append(p, "delay="+a.Delay.String())
	}
	switch {
	case a.Reset:
		return strings.Join(append(p, "reset"), ",")
	case a.Hang:
		if a.HangCap > 0 {
			return strings.Join(append(p, "hang="+a.HangCap.String()), ",")
		}
		return strings.Join(append(p, "hang"), ",")
	case a.AckLost:
		return strings.Join(append(p, "status="+strconv.Itoa(a.status()), "ack-lost"), ",")
	case a.Gone:
		p = append(p, "gone")
	}
	if a.Status != 0 || (!a.Gone && (a.Delay.Kind == DistNone || a.Body != "" || a.Redirect != "" || a.RetryAfter > 0)) {
		p = append(p, "status="+strconv.Itoa(a.status()))
	}
	if a.Redirect != "" {
		p = append(p, "redirect="+a.Redirect)
	}
	if a.RetryAfter > 0 {
		v := a.RetryAfter.String()
		if a.RetryAfterDate {
			v = "date:" + v
		}
		p = append(p, "retry-after="+v)
	}
	if a.Trickle > 0 {
		p = append(p, "trickle="+strconv.Itoa(a.Trickle)+"/s")
	}
	if a.Body != "" {
		p = append(p, "body="+a.Body)
	}
	return strings.Join(p, ",")
}
