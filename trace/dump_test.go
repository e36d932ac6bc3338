package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDumpJSONLines(t *testing.T) {
	t.Parallel()
	data := writeAll(t, sampleRecords())
	var out bytes.Buffer
	if err := Dump(&out, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+len(sampleRecords()) {
		t.Fatalf("%d lines, want %d", len(lines), 1+len(sampleRecords()))
	}
	kinds := []string{"header", "sent", "sent", "attempt", "mark", "attempt", "attempt"}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		if m["kind"] != kinds[i] {
			t.Errorf("line %d kind %v, want %s", i, m["kind"], kinds[i])
		}
		if kinds[i] == "attempt" {
			for _, k := range []string{"endpoint", "msg_id", "event_id", "nth", "t_ms", "status", "sig", "skew_ms", "size", "body_hash", "behavior"} {
				if _, ok := m[k]; !ok {
					t.Errorf("attempt line %d lacks %q: %s", i, k, l)
				}
			}
		}
		if kinds[i] == "sent" {
			for _, k := range []string{"event_id", "intended_ms", "sent_ms", "status", "idempotency_key", "duplicate_of"} {
				if _, ok := m[k]; !ok {
					t.Errorf("sent line %d lacks %q: %s", i, k, l)
				}
			}
		}
	}
	if !strings.Contains(lines[3], `"method":"POST"`) || !strings.Contains(lines[6], `"method":"GET"`) {
		t.Errorf("attempt lines lack the method: %s / %s", lines[3], lines[6])
	}
	if !strings.Contains(lines[3], `"sig":"valid"`) || !strings.Contains(lines[3], `"skew_ms":-3`) || !strings.Contains(lines[3], `"body_hash":"deadbeefcafef00d"`) {
		t.Errorf("attempt line: %s", lines[3])
	}
	if !strings.Contains(lines[5], `"sig":"mismatch"`) || !strings.Contains(lines[5], `"body":"eyJhIjoxfQ=="`) || !strings.Contains(lines[5], `"skew_ms":null`) {
		t.Errorf("attempt line: %s", lines[5])
	}
	// A truncated file dumps every complete record, then says so.
	out.Reset()
	err := Dump(&out, bytes.NewReader(data[:len(data)-2]))
	var te *TruncatedError
	if !errors.As(err, &te) || strings.Count(out.String(), "\n") != len(lines)-1 {
		t.Errorf("truncated dump: err %v, %d lines", err, strings.Count(out.String(), "\n"))
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	c, err := Count(bytes.NewReader(writeAll(t, sampleRecords())))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sent != 2 || c.Dups != 1 || c.SentErrs != 1 || c.Attempts != 3 || c.Marks != 1 || len(c.Endpoints) != 2 {
		t.Fatalf("counts = %+v", c)
	}
	o := c.Endpoints[1]
	if o.Endpoint != "/orders" || o.Attempts != 2 || o.Retries != 1 || o.Status["503"] != 1 || o.Status["none"] != 1 || o.Sig["mismatch"] != 1 {
		t.Errorf("orders = %+v", o)
	}
}
