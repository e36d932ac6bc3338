package trace

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// The JSON-lines form of records, as `hookbench trace dump` prints them.
// Field names are documented in the README and stable.

type jsonHeader struct {
	Kind      string   `json:"kind"`
	Version   int      `json:"version"`
	RunID     string   `json:"run_id"`
	Start     string   `json:"start"`
	Args      []string `json:"args"`
	Hookbench string   `json:"hookbench"`
}

type jsonSent struct {
	Kind        string  `json:"kind"`
	EventID     string  `json:"event_id"`
	Type        string  `json:"type,omitempty"`
	IntendedMs  float64 `json:"intended_ms"`
	SentMs      float64 `json:"sent_ms"`
	LatencyMs   float64 `json:"latency_ms"`
	Status      int     `json:"status"`
	Error       string  `json:"error,omitempty"`
	IdemKey     string  `json:"idempotency_key"`
	ProviderID  string  `json:"provider_id,omitempty"`
	DuplicateOf string  `json:"duplicate_of"`
}

type jsonAttempt struct {
	Kind         string   `json:"kind"`
	Endpoint     string   `json:"endpoint"`
	Method       string   `json:"method,omitempty"`
	MsgID        string   `json:"msg_id"`
	EventID      string   `json:"event_id"`
	Type         string   `json:"type,omitempty"`
	Nth          uint32   `json:"nth"`
	ProviderN    uint32   `json:"provider_attempt,omitempty"`
	TMs          float64  `json:"t_ms"`
	HandleMs     float64  `json:"handle_ms"`
	Status       int      `json:"status"`
	Sig          string   `json:"sig"`
	SigVariant   string   `json:"sig_variant,omitempty"`
	SkewMs       *int64   `json:"skew_ms"`
	Size         int      `json:"size"`
	BodyHash     string   `json:"body_hash"`
	Behavior     string   `json:"behavior"`
	RetryAfterMs int64    `json:"retry_after_ms,omitempty"`
	Flags        []string `json:"flags,omitempty"`
	Body         string   `json:"body,omitempty"`
	CE           []string `json:"ce,omitempty"`
	CEID         string   `json:"ce_id,omitempty"`
	CEType       string   `json:"ce_type,omitempty"`
}

type jsonMark struct {
	Kind   string  `json:"kind"`
	TMs    float64 `json:"t_ms"`
	Type   string  `json:"type"`
	Name   string  `json:"name"`
	Detail string  `json:"detail,omitempty"`
}

var flagNames = []struct {
	f    uint8
	name string
}{{FlagAuthFailed, "auth-failed"}, {FlagAborted, "aborted"}, {FlagProviderGaveUp, "provider-gave-up"},
	{FlagTooLarge, "too-large"}, {FlagNoEndpoint, "no-endpoint"}, {FlagTimestamp, "timestamp"}}

// FlagNames returns the names of the flags set in f, as dumps print them.
func FlagNames(f uint8) []string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// MarshalJSON returns the record's JSON-lines form (without the newline).
func (r *Record) MarshalJSON() ([]byte, error) {
	switch r.Kind {
	case KindHeader:
		h := &r.Header
		return json.Marshal(jsonHeader{"header", h.Version, h.RunID, h.StartWall.UTC().Format(time.RFC3339Nano), h.Args, h.Hookbench})
	case KindSent:
		s := &r.Sent
		return json.Marshal(jsonSent{"sent", s.EventID, s.Type, ms(s.IntendedNs), ms(s.SentNs), ms(s.LatencyNs), s.Status,
			s.Err.String(), s.IdemKey, s.ProviderID, s.DuplicateOf})
	case KindAttempt:
		a := &r.Attempt
		j := jsonAttempt{Kind: "attempt", Endpoint: a.Endpoint, Method: a.Method, MsgID: a.MsgID, EventID: a.EventID, Type: a.EventType,
			Nth: a.Nth, ProviderN: a.ProviderN, TMs: ms(a.ArrivalNs), HandleMs: ms(a.HandleNs), Status: a.Status,
			Sig: a.Sig.String(), SigVariant: a.SigVariant.String(), Size: a.Size, BodyHash: fmt.Sprintf("%016x", a.BodyHash), Behavior: a.Behavior,
			RetryAfterMs: a.RetryAfter, Flags: FlagNames(a.Flags), CE: a.CE.Names(), CEID: a.CEID, CEType: a.CEType}
		if a.Has(FlagTimestamp) {
			sk := a.SkewMs
			j.SkewMs = &sk
		}
		if a.Body != nil {
			j.Body = base64.StdEncoding.EncodeToString(a.Body)
		}
		return json.Marshal(j)
	case KindMark:
		m := &r.Mark
		return json.Marshal(jsonMark{"mark", ms(m.AtNs), m.Type, m.Name, m.Detail})
	}
	return nil, fmt.Errorf("trace: cannot marshal record kind %v", r.Kind)
}

// Dump writes every record of the trace read from r to w as JSON lines. A
// truncated tail is not an error: it is returned as *TruncatedError after
// every complete record was written, so callers can warn and carry on.
func Dump(w io.Writer, r io.Reader) error {
	bw := bufio.NewWriter(w)
	d := NewDecoder(r)
	var rec Record
	for {
		err := d.Decode(&rec)
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			if ferr := bw.Flush(); ferr != nil {
				return ferr
			}
			return err
		}
		b, err := rec.MarshalJSON()
		if err != nil {
			return err
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write dump: %w", err)
		}
	}
}

// Counts summarises a trace, as `hookbench trace stats` prints it.
type Counts struct {
	RunID     string           `json:"run_id"`
	Start     time.Time        `json:"start"`
	Sent      int              `json:"sent"`
	Dups      int              `json:"sent_duplicates"`
	SentErrs  int              `json:"sent_errors"`
	Attempts  int              `json:"attempts"`
	Marks     int              `json:"marks"`
	SpanMs    float64          `json:"span_ms"`
	Dropped   int64            `json:"dropped_bytes"`
	Endpoints []EndpointCounts `json:"endpoints"`
}

// EndpointCounts are one endpoint's attempt counts.
type EndpointCounts struct {
	Endpoint  string         `json:"endpoint"`
	Attempts  int            `json:"attempts"`
	UniqueIDs int            `json:"unique_ids"`
	Retries   int            `json:"retries"` // attempts with Nth > 1
	Status    map[string]int `json:"status"`
	Sig       map[string]int `json:"sig"`
	Bytes     int64          `json:"bytes"`
}

// Count streams the trace from r and counts its records.
func Count(r io.Reader) (*Counts, error) {
	d := NewDecoder(r)
	c := &Counts{}
	eps := map[string]*EndpointCounts{}
	var rec Record
	var last int64
	for {
		err := d.Decode(&rec)
		if err == io.EOF {
			break
		}
		var te *TruncatedError
		if errors.As(err, &te) && c.RunID != "" {
			c.Dropped = te.Dropped
			break
		}
		if err != nil {
			return nil, err
		}
		switch rec.Kind {
		case KindHeader:
			c.RunID, c.Start = rec.Header.RunID, rec.Header.StartWall
		case KindSent:
			c.Sent++
			if rec.Sent.DuplicateOf != "" {
				c.Dups++
			}
			if rec.Sent.Err != ErrNone || rec.Sent.Status >= 400 {
				c.SentErrs++
			}
			last = max(last, rec.Sent.SentNs)
		case KindAttempt:
			a := &rec.Attempt
			c.Attempts++
			e := eps[a.Endpoint]
			if e == nil {
				e = &EndpointCounts{Endpoint: a.Endpoint, Status: map[string]int{}, Sig: map[string]int{}}
				eps[a.Endpoint] = e
			}
			e.Attempts++
			if a.Nth <= 1 {
				e.UniqueIDs++
			} else {
				e.Retries++
			}
			st := strconv.Itoa(a.Status)
			if a.Status == 0 {
				st = "none"
			}
			e.Status[st]++
			e.Sig[a.Sig.String()]++
			e.Bytes += int64(a.Size)
			last = max(last, a.ArrivalNs)
		case KindMark:
			c.Marks++
		}
	}
	c.SpanMs = ms(last)
	for _, e := range eps {
		c.Endpoints = append(c.Endpoints, *e)
	}
	sort.Slice(c.Endpoints, func(i, j int) bool { return c.Endpoints[i].Endpoint < c.Endpoints[j].Endpoint })
	return c, nil
}
