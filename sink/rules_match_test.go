package sink

import (
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// fakeClock is an injectable clock for rule windows, flapping and rates.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// hit calls the handler directly with a POST to path carrying id in X-Id
// (and event type typ in X-Type) and returns the response.
func hit(tb testing.TB, s *Server, path, id, typ string) *fasthttp.Response {
	tb.Helper()
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI(path)
	if id != "" {
		req.Header.Set("X-Id", id)
	}
	if typ != "" {
		req.Header.Set("X-Type", typ)
	}
	req.SetBodyString(`{"n":1}`)
	var rc fasthttp.RequestCtx
	rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	s.handle(&rc)
	resp := &fasthttp.Response{}
	rc.Response.CopyTo(resp)
	return resp
}

// ruleServer builds a server whose endpoints /a and /b read ids from X-Id
// and types from X-Type, with the given rules and a fake clock.
func ruleServer(tb testing.TB, clock *fakeClock, seed int64, rules ...string) *Server {
	tb.Helper()
	opts := testOptions(
		EndpointConfig{Path: "/a", IDHeader: "X-Id", TypeHeader: "X-Type"},
		EndpointConfig{Path: "/b", IDHeader: "X-Id", TypeHeader: "X-Type"},
	)
	opts.Seed = seed
	if clock != nil {
		opts.Now = clock.Now
	}
	for _, spec := range rules {
		r, err := ParseRule(spec)
		if err != nil {
			tb.Fatal(err)
		}
		opts.Rules = append(opts.Rules, r)
	}
	return newTestServer(tb, opts, false)
}

func statuses(tb testing.TB, s *Server, path string, ids ...string) string {
	tb.Helper()
	var out []string
	for _, id := range ids {
		out = append(out, strconv.Itoa(hit(tb, s, path, id, "").StatusCode()))
	}
	return strings.Join(out, " ")
}

func TestRuleMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules []string
		path  string
		ids   []string
		want  string
	}{
		{"default 200", nil, "/a", []string{"x"}, "200"},
		{"first match wins", []string{"status=500", "status=501"}, "/a", []string{"x"}, "500"},
		{"endpoint rules before global", []string{"status=500", "endpoint=/a,status=501"}, "/a", []string{"x"}, "501"},
		{"other endpoint unaffected", []string{"endpoint=/a,status=501"}, "/b", []string{"x"}, "200"},
		{"attempt range", []string{"attempt=1-2,status=503"}, "/a", []string{"m", "m", "m", "n"}, "503 503 200 503"},
		{"attempt open range", []string{"attempt=2-,status=500"}, "/a", []string{"m", "m", "m"}, "200 500 500"},
		{"exact attempt", []string{"attempt=2,gone"}, "/a", []string{"m", "m", "m"}, "200 410 200"},
		{"every 3rd", []string{"every=3,status=500"}, "/a", []string{"a", "b", "c", "d", "e", "f"}, "200 200 500 200 200 500"},
		{"no id counts identical bodies", []string{"attempt=1,status=500"}, "/a", []string{"", "", ""}, "500 200 200"},
		{"every counts only earlier matches", []string{"attempt=2,every=2,status=500"}, "/a", []string{"m", "m", "n", "n"}, "200 200 200 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := ruleServer(t, nil, 1, tt.rules...)
			if got := statuses(t, s, tt.path, tt.ids...); got != tt.want {
				t.Fatalf("statuses %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRuleType(t *testing.T) {
	t.Parallel()
	s := ruleServer(t, nil, 1, "type=order.created|order.paid,status=500")
	for typ, want := range map[string]int{"order.created": 500, "order.paid": 500, "user.created": 200, "": 200} {
		if got := hit(t, s, "/a", "id-"+typ, typ).StatusCode(); got != want {
			t.Errorf("type %q: status %d, want %d", typ, got, want)
		}
	}
}

func TestRuleProbabilityIsSeeded(t *testing.T) {
	t.Parallel()
	ids := make([]string, 400)
	for i := range ids {
		ids[i] = "msg-" + strconv.Itoa(i)
	}
	run := func(seed int64) string {
		s := ruleServer(t, nil, seed, "p=0.25,status=500")
		return statuses(t, s, "/a", ids...)
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Fatal("same seed gave different decisions")
	}
	if a == c {
		t.Fatal("different seeds gave identical decisions for 400 requests")
	}
	n := strings.Count(a, "500")
	if n < 50 || n > 150 { // p=0.25 of 400: 100 expected; 5 sd ≈ 43
		t.Fatalf("p=0.25 matched %d of 400", n)
	}
}

func TestRuleWindowAndFlap(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := ruleServer(t, clock, 1, "endpoint=/a,after=10s,before=20s,status=500", "endpoint=/b,flap=3s/2s")
	steps := []struct {
		at      time.Duration // since start
		a, b    int
		comment string
	}{
		{0, 200, 200, "before window, flap up"},
		{2900 * time.Millisecond, 200, 200, "flap still up"},
		{3 * time.Second, 200, 503, "flap down"},
		{4900 * time.Millisecond, 200, 503, "flap down"},
		{5 * time.Second, 200, 200, "flap up again"},
		{10 * time.Second, 500, 200, "window open, flap up"},
		{18 * time.Second, 500, 503, "window open, flap down"},
		{20 * time.Second, 200, 200, "window closed"},
	}
	var now time.Duration
	for i, st := range steps {
		clock.Advance(st.at - now)
		now = st.at
		id := "id" + strconv.Itoa(i)
		if a, b := hit(t, s, "/a", id, "").StatusCode(), hit(t, s, "/b", id, "").StatusCode(); a != st.a || b != st.b {
			t.Errorf("at %v (%s): /a %d /b %d, want %d %d", st.at, st.comment, a, b, st.a, st.b)
		}
	}
}

func TestRuleRateLimit(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := ruleServer(t, clock, 1, "rate=1/s,burst=2")
	want := []struct {
		advance time.Duration
		status  int
		retry   string
	}{
		{0, 200, ""}, {0, 200, ""}, {0, 429, "1"}, {0, 429, "1"},
		{time.Second, 200, ""}, {0, 429, "1"},
		{10 * time.Second, 200, ""}, {0, 200, ""}, {0, 429, "1"},
	}
	for i, w := range want {
		clock.Advance(w.advance)
		r := hit(t, s, "/a", "r"+strconv.Itoa(i), "")
		if r.StatusCode() != w.status || string(r.Header.Peek("Retry-After")) != w.retry {
			t.Fatalf("request %d: %d Retry-After %q, want %d %q", i, r.StatusCode(), r.Header.Peek("Retry-After"), w.status, w.retry)
		}
	}
}

func TestRuleSlowRateRetryAfter(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := ruleServer(t, clock, 1, "rate=1/m")
	hit(t, s, "/a", "1", "")
	r := hit(t, s, "/a", "2", "")
	if r.StatusCode() != 429 || string(r.Header.Peek("Retry-After")) != "60" {
		t.Fatalf("%d Retry-After %q, want 429 60", r.StatusCode(), r.Header.Peek("Retry-After"))
	}
}

func TestRetryAfterForms(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := ruleServer(t, clock, 1, "endpoint=/a,status=429,retry-after=30", "endpoint=/b,retry-after=date:90s")
	r := hit(t, s, "/a", "x", "")
	if r.StatusCode() != 429 || string(r.Header.Peek("Retry-After")) != "30" {
		t.Fatalf("/a: %d %q", r.StatusCode(), r.Header.Peek("Retry-After"))
	}
	r = hit(t, s, "/b", "x", "")
	want := clock.Now().Add(90 * time.Second).UTC().Format(time.RFC1123)
	want = strings.Replace(want, "UTC", "GMT", 1)
	if r.StatusCode() != 503 || string(r.Header.Peek("Retry-After")) != want {
		t.Fatalf("/b: %d %q, want 503 %q", r.StatusCode(), r.Header.Peek("Retry-After"), want)
	}
}

func TestRedirectAndBody(t *testing.T) {
	t.Parallel()
	s := ruleServer(t, nil, 1, "endpoint=/a,attempt=1,redirect=/elsewhere,status=308", "endpoint=/a,attempt=2,status=302", "endpoint=/b,status=418,body=teapot")
	r := hit(t, s, "/a", "x", "")
	if r.StatusCode() != 308 || string(r.Header.Peek("Location")) != "/elsewhere" {
		t.Fatalf("/a: %d Location %q", r.StatusCode(), r.Header.Peek("Location"))
	}
	// A 3xx without redirect= carries no Location: a broken redirect.
	r = hit(t, s, "/a", "x", "")
	if r.StatusCode() != 302 || r.Header.Peek("Location") != nil {
		t.Fatalf("/a second: %d Location %q, want 302 without Location", r.StatusCode(), r.Header.Peek("Location"))
	}
	r = hit(t, s, "/b", "x", "")
	if r.StatusCode() != 418 || string(r.Body()) != "teapot" {
		t.Fatalf("/b: %d %q", r.StatusCode(), r.Body())
	}
}

func TestSetRules(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/a", IDHeader: "X-Id"}, EndpointConfig{Path: "/b", IDHeader: "X-Id"})
	opts.Trace = tw
	s := newTestServer(t, opts, false)
	if got := statuses(t, s, "/a", "1"); got != "200" {
		t.Fatalf("before: %s", got)
	}
	r1, _ := ParseRule("status=503")
	if err := s.SetRules("/a", []Rule{r1}); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, s, "/a", "2") + " " + statuses(t, s, "/b", "2"); got != "503 200" {
		t.Fatalf("after SetRules(/a): %s", got)
	}
	r2, _ := ParseRule("status=500")
	if err := s.SetRules("", []Rule{r2}); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, s, "/a", "3") + " " + statuses(t, s, "/b", "3"); got != "503 500" {
		t.Fatalf("after SetRules(global): %s", got)
	}
	if err := s.SetRules("/a", nil); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, s, "/a", "4"); got != "500" {
		t.Fatalf("after clearing /a: %s", got)
	}
	if err := s.SetRules("/nope", nil); err == nil {
		t.Error("SetRules on an unknown endpoint: no error")
	}
	r3, _ := ParseRule("endpoint=/b,status=500")
	if err := s.SetRules("/a", []Rule{r3}); err == nil {
		t.Error("SetRules with a rule for another endpoint: no error")
	}
	if err := s.SetRules("/a", []Rule{{}}); err == nil {
		t.Error("SetRules with an invalid rule: no error")
	}
	tr := read()
	var marks []string
	for _, m := range tr.Marks {
		if m.Type == "behavior" {
			marks = append(marks, m.Name+"="+m.Detail)
		}
	}
	if got := strings.Join(marks, " | "); got != "/a=status=503 | =status=500 | /a=" {
		t.Fatalf("behavior marks %q", got)
	}
	var behaviors []string
	for _, a := range tr.Attempts {
		behaviors = append(behaviors, a.Behavior)
	}
	if got := strings.Join(behaviors, ","); got != ",status=503,,status=503,status=500,status=500" {
		t.Fatalf("recorded behaviours %q", got)
	}
}

// A custom Behavior: the extension contract of doc.go.
type teapot struct{ cleaned atomic.Bool }

func (t *teapot) Respond(c *Call) {
	c.Response().SetStatusCode(418)
	c.Response().SetBodyString("nth=" + strconv.Itoa(int(c.Attempt().Nth)))
}
func (t *teapot) String() string { return "teapot" }
func (t *teapot) Cleanup()       { t.cleaned.Store(true) }

func TestCustomBehavior(t *testing.T) {
	t.Parallel()
	tp := &teapot{}
	opts := testOptions(EndpointConfig{Path: "/a", IDHeader: "X-Id"})
	opts.Rules = []Rule{{Match: Match{AttemptMin: 2}, Behavior: tp}}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.serve(fasthttputil.NewInmemoryListener()); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, s, "/a", "x", "x"); got != "200 418" {
		t.Fatalf("statuses %q", got)
	}
	if r := hit(t, s, "/a", "x", ""); string(r.Body()) != "nth=3" {
		t.Fatalf("body %q", r.Body())
	}
	if st := s.Stats(); st.Rules != "attempt=2-,teapot" {
		t.Fatalf("rules %q", st.Rules)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !tp.cleaned.Load() {
		t.Fatal("Cleanup not called at Close")
	}
	if _, err := New(Options{}); err == nil {
		t.Fatal("New(zero Options): no error")
	}
	bad := testOptions(EndpointConfig{Path: "/a"})
	bad.Rules = []Rule{{Match: Match{AttemptMin: 3, AttemptMax: 1}, Behavior: tp}}
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "empty range") {
		t.Fatalf("New with a bad rule: %v", err)
	}
}
