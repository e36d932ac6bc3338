package reports

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

func TestSampleRunCounts(t *testing.T) {
	t.Parallel()
	sum := build(t, testOptions(), sampleRun())
	want := Counts{
		Sent: 6, SentFailed: 1, Attempts: 9,
		Deliveries: 6, DeliveriesSucceeded: 4, DeliveriesRetried: 2,
		EventsDelivered: 4, EventsSucceeded: 3, EventsExpected: 5, EventsUndelivered: 1, EventsUnknown: 1,
		Marks: 5,
	}
	if sum.Counts != want {
		t.Errorf("counts\n got %+v\nwant %+v", sum.Counts, want)
	}
	if sum.Duration != 4300*time.Millisecond {
		t.Errorf("duration %v", sum.Duration)
	}
	if len(sum.Runs) != 1 || sum.Runs[0].RunID != "run-sample" || !sum.Start.Equal(testStart) {
		t.Errorf("runs %+v start %v", sum.Runs, sum.Start)
	}
}

func TestSampleRunLatencies(t *testing.T) {
	t.Parallel()
	sum := build(t, testOptions(), sampleRun())
	tests := []struct {
		metric string
		values []int64 // ms
	}{
		{MetricE2EFirst, []int64{10, 10, 30, 50, 100}},
		{MetricE2ESuccess, []int64{1010, 10, 30, 50}},
		{MetricTrigger, []int64{3, 21, 1, 1, 53, 1}},
		{MetricTriggerUncorrected, []int64{2, 20, 1, 1, 3, 1}},
		{MetricGap, []int64{1000, 500, 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			d := sum.Metric(tt.metric)
			if d == nil {
				t.Fatal("metric missing")
			}
			lh := libHist()
			for _, v := range tt.values {
				_ = lh.RecordValue(v * ms)
			}
			if d.Count != int64(len(tt.values)) {
				t.Fatalf("count %d, want %d", d.Count, len(tt.values))
			}
			if want := time.Duration(slices.Max(tt.values) * ms); d.Max != want {
				t.Errorf("max %v, want %v", d.Max, want)
			}
			if want := time.Duration(slices.Min(tt.values) * ms); d.Min != want {
				t.Errorf("min %v, want %v", d.Min, want)
			}
			for _, p := range d.Percentiles {
				want := min(time.Duration(lh.ValueAtPercentile(p.P)), d.Max)
				if p.P == 100 {
					want = d.Max
				}
				if p.Value != want {
					t.Errorf("p%v = %v, want %v", p.P, p.Value, want)
				}
			}
			if last := d.Percentiles[len(d.Percentiles)-1]; last.Count != d.Count {
				t.Errorf("count at max %d, want %d", last.Count, d.Count)
			}
		})
	}
}

func TestSampleRunGroups(t *testing.T) {
	t.Parallel()
	sum := build(t, testOptions(), sampleRun())
	got := map[string]GroupCounts{}
	for _, g := range sum.Endpoints {
		got[g.Name] = g.Counts
	}
	want := map[string]GroupCounts{
		"/billing": {Attempts: 5, Deliveries: 3, Succeeded: 1, Retried: 1, Status2xx: 1, Status4xx: 1, Status5xx: 2, StatusNone: 1},
		"/orders":  {Attempts: 4, Deliveries: 3, Succeeded: 3, Retried: 1, Status2xx: 3, Status5xx: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints\n got %+v\nwant %+v", got, want)
	}
	if sum.Endpoints[0].Name != "/billing" {
		t.Errorf("endpoints not sorted: %s first", sum.Endpoints[0].Name)
	}
	for _, g := range sum.Endpoints {
		if g.Name == "/orders" {
			if n := g.Metrics[0].Count; n != 3 { // e2e_first: ev1, ev2, ev3
				t.Errorf("/orders e2e_first count %d", n)
			}
		}
	}
	types := map[string]int64{}
	for _, g := range sum.EventTypes {
		types[g.Name] = g.Counts.Sent
	}
	if !reflect.DeepEqual(types, map[string]int64{"order.created": 4, "invoice.paid": 2}) {
		t.Errorf("event types sent %v", types)
	}
}

func TestSampleRunTimelinesAndSpans(t *testing.T) {
	t.Parallel()
	sum := build(t, testOptions(), sampleRun())
	var got []string
	for _, tl := range sum.Timelines {
		got = append(got, tl.EventID+"@"+tl.Endpoint+":"+tl.Reason+":"+strconv.Itoa(len(tl.Attempts)))
	}
	want := []string{"evX@/billing:failed:1", "ev6@/billing:failed:3", "ev1@/orders:retried:2"}
	if !slices.Equal(got, want) {
		t.Errorf("timelines %v, want %v", got, want)
	}
	if tl := sum.Timelines[2]; tl.Intended != time.Second || !tl.Succeeded {
		t.Errorf("ev1 timeline intended %v succeeded %v", tl.Intended, tl.Succeeded)
	}
	if tl := sum.Timelines[0]; tl.Intended != -1 {
		t.Errorf("unknown event has intended %v", tl.Intended)
	}
	wantSpans := []Span{
		{Type: "phase", Name: "warmup", Start: 0, End: 2100 * time.Millisecond},
		{Type: "behavior", Name: "/orders", Detail: "status=503 attempt=1", Start: 1500 * time.Millisecond, End: 4300 * time.Millisecond},
		{Type: "phase", Name: "load", Detail: "rate=10/s", Start: 2100 * time.Millisecond, End: 2600 * time.Millisecond},
		{Type: "phase", Name: "drain", Start: 2600 * time.Millisecond, End: 4300 * time.Millisecond},
	}
	if !reflect.DeepEqual(sum.Spans, wantSpans) {
		t.Errorf("spans\n got %+v\nwant %+v", sum.Spans, wantSpans)
	}
}

func TestSampleRunSeries(t *testing.T) {
	t.Parallel()
	sum := build(t, testOptions(), sampleRun())
	pts := sum.Series.Points
	if sum.Series.Step != time.Second || len(pts) != 5 {
		t.Fatalf("step %v, %d points", sum.Series.Step, len(pts))
	}
	sentPer := []int64{0, 2, 4, 0, 0}
	attemptsPer := []int64{0, 2, 5, 1, 1}
	for i, p := range pts {
		if p.Sent != sentPer[i] || p.Attempts != attemptsPer[i] {
			t.Errorf("point %d: sent %d attempts %d, want %d %d", i, p.Sent, p.Attempts, sentPer[i], attemptsPer[i])
		}
		if p.T != time.Duration(i)*time.Second {
			t.Errorf("point %d at %v", i, p.T)
		}
	}
	// Every recorded latency lands in exactly one interval.
	for m, d := range sum.Metrics {
		var n int64
		for _, p := range pts {
			n += p.Latency[m].N
		}
		if n != d.Count {
			t.Errorf("%s: intervals hold %d values, histogram %d", d.Name, n, d.Count)
		}
	}
}

// genRun makes a plausible trace: n events at rate per second, each
// delivered to one of two endpoints, some retried, records in write order.
func genRun(seed uint64, n int, prefix string, start time.Time, rate float64) []trace.Record {
	rnd := rand.New(rand.NewPCG(seed, 2))
	type timed struct {
		at  int64
		rec *trace.Record
	}
	out := make([]timed, 0, 2*n)
	for i := range n {
		id := prefix + strconv.Itoa(i)
		typ := []string{"order.created", "invoice.paid", "user.deleted"}[rnd.IntN(3)]
		intended := int64(float64(i) / rate * 1e9)
		sentAt := intended + rnd.Int64N(200_000)
		lat := int64(rnd.ExpFloat64()*3e6) + 100_000
		status := 202
		if rnd.IntN(100) == 0 {
			status = 503
		}
		rec := sent(id, typ, intended, sentAt, lat, status)
		out = append(out, timed{sentAt + lat, &rec})
		if status != 202 {
			continue
		}
		ep := []string{"/orders", "/billing"}[rnd.IntN(2)]
		at := sentAt + int64(rnd.ExpFloat64()*8e6) + 500_000
		for nth := uint32(1); ; nth++ {
			code := 200
			if nth < 3 && rnd.IntN(10) == 0 {
				code = 500
			}
			rec := attempt(id, ep, typ, nth, at, code)
			out = append(out, timed{at, &rec})
			if code == 200 {
				break
			}
			at += int64(nth) * 500 * ms
		}
	}
	slices.SortStableFunc(out, func(a, b timed) int { return cmp.Compare(a.at, b.at) })
	recs := make([]trace.Record, 1, len(out)+1)
	recs[0] = header("run-"+prefix, start)
	for _, o := range out {
		recs = append(recs, *o.rec)
	}
	return recs
}

// shiftRecords moves a trace's records by off (as if started off later).
func shiftRecords(recs []trace.Record, off int64) []trace.Record {
	out := slices.Clone(recs)
	for i := range out {
		shift(&out[i], off)
	}
	return out
}

func TestMergeThreeTracesEqualsOneTrace(t *testing.T) {
	t.Parallel()
	offs := []time.Duration{0, 1500 * time.Millisecond, 700 * time.Millisecond}
	var parts [][]trace.Record
	var all []trace.Record
	for i, off := range offs {
		run := genRun(uint64(i+1), 3000, "s"+strconv.Itoa(i)+"-", testStart.Add(off), 1000)
		parts = append(parts, run)
		all = append(all, shiftRecords(run[1:], int64(off))...)
	}
	slices.SortStableFunc(all, func(a, b trace.Record) int { return cmp.Compare(recTime(&a), recTime(&b)) })
	single := append([]trace.Record{header("combined", testStart)}, all...)

	merged := build(t, testOptions(), parts...)
	one := build(t, testOptions(), single)

	if merged.Counts != one.Counts {
		t.Errorf("counts differ\nmerged %+v\n   one %+v", merged.Counts, one.Counts)
	}
	if !reflect.DeepEqual(merged.Metrics, one.Metrics) {
		t.Errorf("merged distributions differ from one trace holding every record")
	}
	if !reflect.DeepEqual(merged.Series, one.Series) {
		t.Errorf("merged series differ")
	}
	if len(merged.Runs) != 3 || merged.Runs[1].Offset != int64(700*time.Millisecond) {
		t.Errorf("runs %+v", merged.Runs)
	}
	// Exactness against an independent oracle: e2e_first computed straight
	// from the records, recorded into one hdrhistogram-go histogram.
	intended := map[string]int64{}
	firstAt := map[string]int64{}
	for _, rec := range all {
		switch rec.Kind {
		case trace.KindSent:
			intended[rec.Sent.EventID] = rec.Sent.IntendedNs
			if rec.Sent.IntendedNs == 0 { // unknown: the report uses SentNs
				intended[rec.Sent.EventID] = rec.Sent.SentNs
			}
		case trace.KindAttempt:
			k := rec.Attempt.EventID + "@" + rec.Attempt.Endpoint
			if _, ok := firstAt[k]; !ok {
				firstAt[k] = rec.Attempt.ArrivalNs
			}
		}
	}
	oracle := libHist()
	for k, at := range firstAt {
		id := k[:strings.IndexByte(k, '@')]
		if err := oracle.RecordValue(at - intended[id]); err != nil {
			t.Fatal(err)
		}
	}
	d := merged.Metric(MetricE2EFirst)
	if d.Count != oracle.TotalCount() {
		t.Fatalf("merged e2e_first count %d, oracle %d", d.Count, oracle.TotalCount())
	}
	for _, p := range d.Percentiles {
		if want := min(time.Duration(oracle.ValueAtPercentile(p.P)), d.Max); p.P < 100 && p.Value != want {
			t.Errorf("merged p%v = %v, oracle %v", p.P, p.Value, want)
		}
	}
}

func TestSentInOneTraceAttemptsInAnother(t *testing.T) {
	t.Parallel()
	run := genRun(9, 500, "x", testStart, 500)
	gen := []trace.Record{header("gen", testStart)}
	sink := []trace.Record{header("sink", testStart.Add(250*time.Millisecond))}
	for _, rec := range run[1:] {
		if rec.Kind == trace.KindSent {
			gen = append(gen, rec)
		} else {
			sink = append(sink, shiftRecords([]trace.Record{rec}, -int64(250*time.Millisecond))[0])
		}
	}
	split := build(t, testOptions(), gen, sink)
	whole := build(t, testOptions(), run)
	if !reflect.DeepEqual(split.Metrics, whole.Metrics) || split.Counts != whole.Counts {
		t.Errorf("gen+sink traces differ from one trace:\n split %+v\n whole %+v", split.Counts, whole.Counts)
	}
	if split.Counts.EventsUnknown != 0 {
		t.Errorf("%d events unmatched across traces", split.Counts.EventsUnknown)
	}
}

func TestMatchWindowIsBounded(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.MatchEntries = 1024
	run := genRun(3, 20000, "w", testStart, 2000)
	small := build(t, opts, run)
	big := build(t, testOptions(), run)
	if small.Match.Rotations == 0 || small.Match.Evicted == 0 {
		t.Fatalf("no rotation with 1024 entries and 20000 events: %+v", small.Match)
	}
	if big.Match.Rotations != 0 {
		t.Fatalf("default window rotated on 20000 events: %+v", big.Match)
	}
	// First deliveries come within ms of their Sent, so a small window
	// still matches each exactly; retries 0.5 s later (1000 events on)
	// outlive it and lose their gap.
	if !reflect.DeepEqual(small.Metrics[mE2EFirst], big.Metrics[mE2EFirst]) {
		t.Errorf("small window changed e2e_first")
	}
	if small.Metrics[mGap].Count >= big.Metrics[mGap].Count {
		t.Errorf("gaps %d with a small window, %d with the default: eviction not visible", small.Metrics[mGap].Count, big.Metrics[mGap].Count)
	}
	if len(small.Warnings) == 0 {
		t.Errorf("no warning about the exceeded window")
	}
}

func TestFeedErrors(t *testing.T) {
	t.Parallel()
	good := encodeTrace(t, sampleRun())
	tests := []struct {
		name    string
		data    []byte
		wantErr bool
		dropped int64
	}{
		{"not a trace", []byte("hello world, this is not msgpack"), true, 0},
		{"empty", nil, true, 0},
		{"truncated tail", good[:len(good)-3], false, -1},
		{"corrupt middle", append(append(slices.Clone(good[:60]), 0xc1, 0xc1, 0xc1), good[63:]...), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := New(testOptions())
			err := Feed(context.Background(), r, Source{Name: "x.hbt", R: bytes.NewReader(tt.data)})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			sum, _ := r.Close()
			if tt.dropped < 0 && sum.Runs[0].Dropped == 0 {
				t.Errorf("truncation not reported")
			}
		})
	}
}

func TestFeedCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, _ := New(testOptions())
	err := Feed(ctx, r, Source{Name: "x", R: bytes.NewReader(encodeTrace(t, genRun(1, 5000, "c", testStart, 1000)))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"defaults", func(*Options) {}, ""},
		{"match not power of two", func(o *Options) { o.MatchEntries = 3000 }, "MatchEntries"},
		{"match too small", func(o *Options) { o.MatchEntries = 512 }, "MatchEntries"},
		{"no groups", func(o *Options) { o.MaxGroups = 0 }, "MaxGroups"},
		{"step", func(o *Options) { o.Step = time.Microsecond }, "Step"},
		{"empty track id", func(o *Options) { o.Track = []string{""} }, "Track"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			tt.edit(&o)
			err := o.Validate()
			var oe *OptionError
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.As(err, &oe) || oe.Field != tt.field {
				t.Fatalf("err = %v, want OptionError on %s", err, tt.field)
			}
			if _, err := New(o); err == nil {
				t.Fatal("New accepted invalid options")
			}
		})
	}
}

func TestBadInputNeverPanics(t *testing.T) {
	t.Parallel()
	r, _ := New(testOptions())
	recs := []trace.Record{
		header("bad", testStart),
		sent("", "", -5, -10, -1, -3),
		sent("a", "t", 1<<62, 1<<62, 1<<62, 999),
		attempt("a", "", "", 0, -1<<62, -7),
		attempt("", "", "", 0, 1<<62, 1<<20),
		{Kind: trace.KindAttempt, Attempt: trace.Attempt{Sig: 200, Status: 200, ArrivalNs: 5}},
		mark(-1, "phase", "", ""),
		{Kind: 99},
	}
	for i := range recs {
		r.Add(&recs[i])
	}
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts.BadTimes == 0 {
		t.Error("bad times not counted")
	}
	var oor int64
	for _, d := range sum.Metrics {
		oor += d.OutOfRange
	}
	if oor == 0 {
		t.Error("out-of-range values not counted")
	}
	r.Add(&recs[1]) // after Close: ignored
	if again, _ := r.Close(); again != sum {
		t.Error("Close is not idempotent")
	}
}

func TestGroupOverflow(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.MaxGroups = 2
	recs := []trace.Record{header("g", testStart)}
	for i := range 5 {
		id := "e" + strconv.Itoa(i)
		recs = append(recs, sent(id, "t"+strconv.Itoa(i), int64(i)*ms, int64(i)*ms, ms, 202),
			attempt(id, "/ep"+strconv.Itoa(i), "", 1, int64(i)*ms+5*ms, 200))
	}
	sum := build(t, opts, recs)
	if n := len(sum.Endpoints); n != 3 || sum.Endpoints[2].Name != NameOther || sum.Endpoints[2].Counts.Attempts != 3 {
		t.Errorf("endpoints %+v", sum.Endpoints)
	}
}

func TestDeliveriesBeforeTheirSent(t *testing.T) {
	t.Parallel()
	recs := []trace.Record{
		header("early", testStart),
		attempt("e1", "/a", "t", 1, 110*ms, 503),
		attempt("e1", "/b", "t", 1, 120*ms, 200),
		attempt("e1", "/a", "t", 2, 400*ms, 200),
		attempt("e1", "/c", "t", 1, 130*ms, 200), // a third endpoint overflows the pending list
		sent("e1", "t", 100*ms, 100*ms, 350*ms, 202),
	}
	sum := build(t, testOptions(), recs)
	first, succ := sum.Metric(MetricE2EFirst), sum.Metric(MetricE2ESuccess)
	if first.Count != 3 || first.Min != 10*time.Millisecond || first.Max != 30*time.Millisecond {
		t.Errorf("e2e_first %+v", first)
	}
	if succ.Count != 3 || succ.Min != 20*time.Millisecond || succ.Max != 300*time.Millisecond {
		t.Errorf("e2e_success %+v", succ)
	}
	if sum.Counts.EventsDelivered != 1 || sum.Counts.EventsSucceeded != 1 || sum.Counts.EventsUnknown != 0 {
		t.Errorf("counts %+v", sum.Counts)
	}
}

func TestSeriesCoarsens(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.MaxPoints = 4
	sum := build(t, opts, sampleRun())
	if sum.Series.Step != 2*time.Second || len(sum.Series.Points) != 3 {
		t.Fatalf("step %v, %d points", sum.Series.Step, len(sum.Series.Points))
	}
	var attempts, sent int64
	for _, p := range sum.Series.Points {
		attempts += p.Attempts
		sent += p.Sent
	}
	if attempts != sum.Counts.Attempts || sent != sum.Counts.Sent {
		t.Errorf("coarse series holds %d attempts, %d sent", attempts, sent)
	}
	for m, d := range sum.Metrics {
		var n int64
		for _, p := range sum.Series.Points {
			n += p.Latency[m].N
		}
		if n != d.Count {
			t.Errorf("%s: coarse intervals hold %d values, histogram %d", d.Name, n, d.Count)
		}
	}
}

// FuzzReport feeds arbitrary record values through a report and every
// reporter: nothing may panic, whatever the times, statuses or ids.
func FuzzReport(f *testing.F) {
	f.Add("ev", "/a", "t", int64(1e9), int64(1e6), int64(2e9), 200, uint8(1), uint32(1), uint8(0))
	f.Add("", "", "", int64(-1), int64(-1<<62), int64(1<<62), -5, uint8(255), uint32(9), uint8(255))
	f.Add("x", "/b", "", int64(0), int64(0), int64(0), 999, uint8(3), uint32(0), uint8(3))
	f.Fuzz(func(t *testing.T, id, ep, typ string, intended, lat, arrival int64, status int, sig uint8, nth uint32, flags uint8) {
		opts := testOptions()
		opts.MaxPoints, opts.MaxHlogIntervals, opts.MaxGroups, opts.MatchEntries = 4, 2, 2, 1024
		r, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		recs := []trace.Record{
			header("fuzz", testStart),
			sent(id, typ, intended, intended+lat, lat, status),
			attempt(id, ep, typ, nth, arrival, status),
			attempt(id, ep+"2", typ, nth+1, arrival+lat, 200),
			mark(arrival, "phase", ep, typ),
			mark(intended, "behavior", ep, id),
		}
		recs[2].Attempt.Sig = trace.SigResult(sig)
		recs[2].Attempt.Flags = flags
		for i := range recs {
			r.Add(&recs[i])
		}
		r.AddBatch(recs[1:])
		sum, err := r.Close()
		if err != nil {
			t.Fatal(err)
		}
		sum.Checks = sampleChecks()
		outs, err := Outputs(sum, Formats(), OutputOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if err := o.Report(io.Discard); err != nil {
				t.Fatalf("%s: %v", o.Name, err)
			}
		}
	})
}

// A hung first attempt is written when it ends, after the retry that
// overtook it: the first arrival is still the Nth == 1 attempt.
func TestFirstAttemptWrittenAfterItsRetry(t *testing.T) {
	t.Parallel()
	recs := []trace.Record{
		header("hang", testStart),
		sent("h1", "t", 100*ms, 100*ms, ms, 202),
		attempt("h1", "/slow", "t", 2, 450*ms, 200), // retry, handled at once
		attempt("h1", "/slow", "t", 1, 110*ms, 0),   // first attempt, hung 400 ms
		attempt("h2", "/slow", "t", 2, 900*ms, 200), // first attempt never written
	}
	sum := build(t, testOptions(), recs)
	c := sum.Counts
	if c.Deliveries != 1 || c.DeliveriesRetried != 2 || c.DeliveriesSucceeded != 2 || c.DeliveriesNoFirst != 1 {
		t.Errorf("counts %+v", c)
	}
	first, succ, gap := sum.Metric(MetricE2EFirst), sum.Metric(MetricE2ESuccess), sum.Metric(MetricGap)
	if first.Count != 1 || first.Max != 10*time.Millisecond {
		t.Errorf("e2e_first %+v", first)
	}
	if succ.Count != 1 || succ.Max != 350*time.Millisecond {
		t.Errorf("e2e_success %+v", succ)
	}
	if gap.Count != 1 || gap.Max != 340*time.Millisecond {
		t.Errorf("gap %+v", gap)
	}
	if len(sum.Warnings) == 0 {
		t.Error("no warning about the delivery without a first attempt")
	}
}
