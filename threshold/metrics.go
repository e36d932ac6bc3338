package threshold

import (
	"strconv"
	"strings"
)

// Kind is what a metric measures; it fixes the units of a limit.
type Kind int

// Metric kinds.
const (
	Duration Kind = iota // a time: limits take a unit (500ms, 1.5s, 250us)
	Ratio                // a percentage: limits end in % (1%, 99.9%)
	Count                // a plain number (0, 12)
	Rate                 // per second: 1000/s, 60/m, or a plain number of /s
)

// Unit returns the unit values of the kind are kept in: "ns", "%", "" or
// "/s".
func (k Kind) Unit() string {
	switch k {
	case Duration:
		return "ns"
	case Ratio:
		return "%"
	case Rate:
		return "/s"
	}
	return ""
}

func (k Kind) String() string {
	switch k {
	case Duration:
		return "duration"
	case Ratio:
		return "percentage"
	case Count:
		return "count"
	case Rate:
		return "rate"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Metric is one name of the vocabulary.
type Metric struct {
	Name string
	Kind Kind
	// Dist and Stat split a distribution statistic: "e2e_first_p99.9" is
	// Dist "e2e_first", Stat "p99.9" with Percentile 99.9; Stat "min",
	// "max" or "mean" has Percentile 0. Both are empty for other metrics.
	Dist, Stat string
	Percentile float64
	// Alias is the name this one stands for ("" for a name of its own).
	Alias string
}

// Distribution names, as the JSON report names its metrics; lateness is
// the generator's (how late a request left after its intended time).
var dists = []string{"e2e_first", "e2e_success", "trigger", "trigger_uncorrected", "gap", "lateness"}

// distAliases are short names: e2e is the first arrival, latency the
// generator's corrected trigger latency.
var distAliases = [][2]string{{"e2e", "e2e_first"}, {"latency", "trigger"}}

// stats are the statistics of every distribution.
var stats = []string{"p50", "p90", "p99", "p99.9", "p99.99", "min", "max", "mean"}

type plain struct {
	name, desc string
	kind       Kind
}

// plains are the metrics that are not distribution statistics, in the
// order the documentation lists them.
var plains = []plain{
	{"errors", "trigger requests without a 2xx answer, of those sent", Ratio},
	{"delivered", "accepted events (2xx trigger, not a deliberate duplicate) that reached the sink at least once", Ratio},
	{"undelivered", "accepted events that never reached the sink (100% - delivered)", Ratio},
	{"retried", "deliveries (event x endpoint) that needed more than one attempt, of all deliveries", Ratio},
	{"rate_error", "generator: achieved rate against the intended one, signed", Ratio},
	{"duration", "length of the run (report: last record; generator: to the last response)", Duration},
	{"worst_late", "generator: largest delay between a request's intended and actual send", Duration},
	{"sent_rate", "trigger requests per second (report: over the run; generator: achieved)", Rate},
	{"intended_rate", "generator: requests per second the schedule called for", Rate},
	{"attempt_rate", "delivery attempts per second over the run", Rate},
	{"sent", "trigger requests sent", Count},
	{"sent_failed", "trigger requests without a 2xx answer (errors included)", Count},
	{"sent_errors", "trigger requests without any answer (timeout, connection)", Count},
	{"sent_duplicates", "trigger requests sent on purpose as duplicates", Count},
	{"sent_no_id", "trigger requests without a harness event id", Count},
	{"sent_repeated_id", "trigger requests whose event id was seen before", Count},
	{"attempts", "delivery attempts the sink recorded", Count},
	{"attempts_no_event", "attempts without a harness event id", Count},
	{"attempts_no_key", "attempts with neither an event id nor a message id", Count},
	{"deliveries", "distinct (event, endpoint) pairs that saw an attempt", Count},
	{"deliveries_no_first", "deliveries whose first attempt never appeared", Count},
	{"deliveries_succeeded", "deliveries that got a 2xx answer", Count},
	{"deliveries_retried", "deliveries with more than one attempt", Count},
	{"events_expected", "accepted events: a delivery was expected", Count},
	{"events_delivered", "sent events with an attempt at some endpoint", Count},
	{"events_succeeded", "sent events with a 2xx at some endpoint", Count},
	{"events_undelivered", "accepted events no attempt arrived for", Count},
	{"events_unknown", "event ids that reached the sink but were never sent", Count},
	{"evicted_open", "matching states dropped while still waiting (inexact matching)", Count},
	{"bad_times", "records with a time outside the first 30 days", Count},
	{"intended", "generator: requests the schedule called for", Count},
	{"missed", "generator: requests due but never sent (every worker busy)", Count},
	{"late", "generator: requests that left late", Count},
	{"aborted", "generator: requests still in flight when the drain ended", Count},
}

// vocabulary is every known name, built once; it is never modified.
var vocabulary = buildVocabulary()

type vocab struct {
	list   []Metric
	byName map[string]int
	desc   map[string]string
}

func buildVocabulary() vocab {
	v := vocab{byName: map[string]int{}, desc: map[string]string{}}
	add := func(m Metric) {
		v.byName[m.Name] = len(v.list)
		v.list = append(v.list, m)
	}
	stat := func(name, dist, st, alias string) Metric {
		m := Metric{Name: name, Kind: Duration, Dist: dist, Stat: st, Alias: alias}
		if p, ok := strings.CutPrefix(st, "p"); ok {
			m.Percentile, _ = strconv.ParseFloat(p, 64)
		}
		return m
	}
	for _, d := range dists {
		for _, st := range stats {
			add(stat(d+"_"+st, d, st, ""))
		}
	}
	for _, a := range distAliases {
		for _, st := range stats {
			add(stat(a[0]+"_"+st, a[1], st, a[1]+"_"+st))
		}
	}
	for _, p := range plains {
		add(Metric{Name: p.name, Kind: p.kind})
		v.desc[p.name] = p.desc
	}
	return v
}

// Metrics returns every known metric name, distribution statistics first.
func Metrics() []Metric { return append([]Metric(nil), vocabulary.list...) }

// Lookup returns the metric of a name.
func Lookup(name string) (Metric, bool) {
	i, ok := vocabulary.byName[name]
	if !ok {
		return Metric{}, false
	}
	return vocabulary.list[i], true
}

// Canonical returns the name an alias stands for, else the name itself.
func (m Metric) Canonical() string {
	if m.Alias != "" {
		return m.Alias
	}
	return m.Name
}

// Describe returns a one-line description of a metric that is not a
// distribution statistic ("" for those).
func Describe(name string) string { return vocabulary.desc[name] }

// Known describes the vocabulary compactly, for error messages.
func Known() string {
	var b strings.Builder
	b.WriteString("DIST_STAT with DIST one of ")
	b.WriteString(strings.Join(dists, ", "))
	for _, a := range distAliases {
		b.WriteString(", " + a[0] + " (= " + a[1] + ")")
	}
	b.WriteString(" and STAT one of " + strings.Join(stats, ", "))
	for _, k := range []Kind{Ratio, Duration, Rate, Count} {
		b.WriteString("; " + k.String() + "s: ")
		first := true
		for _, p := range plains {
			if p.kind == k {
				if !first {
					b.WriteString(", ")
				}
				b.WriteString(p.name)
				first = false
			}
		}
	}
	return b.String()
}
