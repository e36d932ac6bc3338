package sink

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

func TestScanCloudEvent(t *testing.T) {
	t.Parallel()
	req := trace.CERequired
	for _, tc := range []struct {
		name    string
		body    string
		want    trace.CEAttrs
		id, typ string
	}{
		{"complete", `{"specversion":"1.0","id":"e1","source":"/s","type":"t.x","data":{"a":1}}`, req | trace.CEHasData, "e1", "t.x"},
		{"base64 data", `{"specversion":"1.0","id":"e1","source":"/s","type":"t","data_base64":"AAE="}`, req | trace.CEHasData, "e1", "t"},
		{"no data", ` { "type" : "t" , "source":"s", "id":"i", "specversion":"1.0" } `, req, "i", "t"},
		{"missing source", `{"specversion":"1.0","id":"e1","type":"t","data":null}`, trace.CEHasSpecVersion | trace.CEHasID | trace.CEHasType | trace.CEHasData, "e1", "t"},
		{"wrong version", `{"specversion":"0.3","id":"e1","source":"s","type":"t"}`, trace.CEHasID | trace.CEHasSource | trace.CEHasType, "e1", "t"},
		{"empty and non-string", `{"specversion":"1.0","id":"","source":7,"type":["t"]}`, trace.CEHasSpecVersion, "", ""},
		{"nested attrs do not count", `{"data":{"specversion":"1.0","id":"x","source":"s","type":"t"}}`, trace.CEHasData, "", ""},
		{"escaped key", `{"i\u0064":"e\"1","specversion":"1.0"}`, trace.CEHasID | trace.CEHasSpecVersion, `e\"1`, ""},
		{"plain payload", `{"hookbench_id":"x","type":"order"}`, trace.CEHasType, "", "order"},
		{"truncated keeps earlier", `{"id":"e1","source":"s","ty`, trace.CEHasID | trace.CEHasSource, "e1", ""},
		{"not an object", `["specversion"]`, 0, "", ""},
		{"empty", ``, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, id, typ := scanCloudEvent([]byte(tc.body))
			if got != tc.want || string(id) != tc.id || string(typ) != tc.typ {
				t.Errorf("scan = %v %q %q, want %v %q %q", got.Names(), id, typ, tc.want.Names(), tc.id, tc.typ)
			}
		})
	}
}

func TestIsStructured(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/cloudevents+json": true, "Application/CloudEvents+JSON; charset=utf-8": true,
		"application/cloudevents+jsonx": false, "application/json": false, "": false, "application/cloudevents-batch+json": false,
	} {
		if got := isStructured([]byte(ct)); got != want {
			t.Errorf("isStructured(%q) = %v, want %v", ct, got, want)
		}
	}
}

// An endpoint expecting CloudEvents records the attributes of binary and
// structured deliveries; a plain endpoint records nothing.
func TestSinkRecordsCloudEvents(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	ce, err := ParseEndpoint("path=/ce,cloudevents=true,type-header=X-Event-Type")
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := ParseEndpoint("path=/plain")
	opts := testOptions(ce, plain)
	opts.Trace = tw
	s := newTestServer(t, opts, false)
	send := func(path, ct string, hdr map[string]string, body string) {
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI(path)
		req.Header.SetContentType(ct)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		req.SetBodyString(body)
		if st, _ := do(t, s, &req); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	bin := map[string]string{"ce-specversion": "1.0", "ce-id": "id-1", "ce-source": "/src", "ce-type": "com.example.made"}
	send("/ce", "application/json", bin, `{"hookbench_id":"hb-1"}`)
	send("/ce", "application/json", map[string]string{"Ce-Id": "id-2", "ce-type": "t"}, `{}`)
	send("/ce", "application/cloudevents+json", nil, `{"specversion":"1.0","id":"id-3","source":"s","type":"t3","data":{"hookbench_id":"hb-3"}}`)
	send("/plain", "application/json", bin, `{}`)
	tr := read()
	if len(tr.Attempts) != 4 {
		t.Fatalf("%d attempts", len(tr.Attempts))
	}
	a := tr.Attempts
	if a[0].CE != trace.CEChecked|trace.CEBinary|trace.CERequired || a[0].CEID != "id-1" || a[0].CEType != "com.example.made" ||
		a[0].EventType != "com.example.made" || a[0].EventID != "hb-1" {
		t.Errorf("binary: %+v (%v)", a[0], a[0].CE.Names())
	}
	if a[1].CE != trace.CEChecked|trace.CEHasID|trace.CEHasType || a[1].CEID != "id-2" {
		t.Errorf("partial binary: %v %q", a[1].CE.Names(), a[1].CEID)
	}
	if a[2].CE != trace.CEChecked|trace.CEStructured|trace.CERequired|trace.CEHasData || a[2].CEID != "id-3" || a[2].EventID != "hb-3" || a[2].EventType != "t3" {
		t.Errorf("structured: %+v (%v)", a[2], a[2].CE.Names())
	}
	// A plain endpoint records no CloudEvents attributes; it still reads
	// the type from ce-type, one of the well-known type headers.
	if a[3].CE != 0 || a[3].CEID != "" || a[3].EventType != "com.example.made" {
		t.Errorf("plain endpoint recorded CloudEvents: %+v", a[3])
	}
}

// The sink grants a validation request by echoing the origin, unless a
// refuse-handshake rule matches; either way it records a handshake mark and
// no delivery attempt, and refuse-handshake rules never touch deliveries.
func TestSinkHandshake(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	ok, _ := ParseEndpoint("path=/ok")
	no, _ := ParseEndpoint("path=/no")
	opts := testOptions(ok, no)
	opts.Trace = tw
	r, err := ParseRule("endpoint=/no,refuse-handshake")
	if err != nil {
		t.Fatal(err)
	}
	r403, err := ParseRule("endpoint=/ok,after=1h,refuse-handshake,status=403")
	if err != nil {
		t.Fatal(err)
	}
	opts.Rules = []Rule{r, r403}
	s := newTestServer(t, opts, false)
	hs := func(path string) *fasthttp.Response {
		var req fasthttp.Request
		req.Header.SetMethod("OPTIONS")
		req.SetRequestURI(s.URL() + path)
		req.Header.Set(HeaderRequestOrigin, "sender.example")
		resp := &fasthttp.Response{}
		if err := client(s).Do(&req, resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := hs("/ok")
	if resp.StatusCode() != 200 || string(resp.Header.Peek(HeaderAllowedOrigin)) != "sender.example" || string(resp.Header.Peek(HeaderAllowedRate)) != "*" {
		t.Errorf("granted handshake: %d %q", resp.StatusCode(), resp.Header.Peek(HeaderAllowedOrigin))
	}
	resp = hs("/no")
	if resp.StatusCode() != 200 || len(resp.Header.Peek(HeaderAllowedOrigin)) != 0 {
		t.Errorf("refused handshake: %d %q", resp.StatusCode(), resp.Header.Peek(HeaderAllowedOrigin))
	}
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI("/no")
	req.SetBodyString(`{}`)
	if st, _ := do(t, s, &req); st != 200 {
		t.Errorf("delivery to /no answered %d: a handshake rule applied to it", st)
	}
	tr := read()
	var marks []string
	for _, m := range tr.Marks {
		if m.Type == trace.HandshakeMark {
			marks = append(marks, m.Name+" "+m.Detail)
		}
	}
	if strings.Join(marks, "; ") != "/ok allowed origin=sender.example; /no refused origin=sender.example" {
		t.Errorf("marks = %q", marks)
	}
	if len(tr.Attempts) != 1 || tr.Attempts[0].Endpoint != "/no" {
		t.Errorf("attempts = %+v", tr.Attempts)
	}
}

func TestRefuseHandshakeRule(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]string{
		"refuse-handshake":                    "refuse-handshake",
		"refuse-handshake,status=403,body=no": "refuse-handshake,status=403,body=no",
		"refuse-handshake,reset":              "error",
		"refuse-handshake,delay=1s":           "error",
		"refuse-handshake=maybe":              "error",
	} {
		r, err := ParseRule(spec)
		got := "error"
		if err == nil {
			got = behaviorName(r.Behavior)
		}
		if got != want {
			t.Errorf("ParseRule(%q) = %q (%v), want %q", spec, got, err, want)
		}
	}
}

func FuzzScanCloudEvent(f *testing.F) {
	for _, s := range []string{`{"specversion":"1.0","id":"e1","source":"/s","type":"t.x","data":{"a":1}}`, `{"i\u0064":"x"}`,
		`{"data_base64":"AA==","type":"t"}`, `{"id":1,"type":null}`, `{"id":"a\"b"`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, id, typ := scanCloudEvent([]byte(body)) // must not panic on any input
		if got.Has(trace.CEHasID) != (len(id) > 0) || got.Has(trace.CEHasType) != (len(typ) > 0) {
			t.Fatalf("body %q: attrs %v but id %q type %q", body, got.Names(), id, typ)
		}
		var m map[string]json.RawMessage
		// encoding/json turns invalid UTF-8 into U+FFFD; the scan keeps the
		// bytes as sent, so such bodies are compared only for not panicking.
		if json.Unmarshal([]byte(body), &m) != nil || strings.Contains(body, `\`) || !utf8.ValidString(body) {
			return
		}
		// On valid JSON without escapes (where duplicate keys would make the
		// first or last win), compare with encoding/json.
		str := func(k string) string {
			var s string
			if json.Unmarshal(m[k], &s) != nil {
				return ""
			}
			return s
		}
		if strings.Count(body, `"id"`) > 1 || strings.Count(body, `"type"`) > 1 || strings.Count(body, `"specversion"`) > 1 || strings.Count(body, `"source"`) > 1 {
			return
		}
		want := trace.CEAttrs(0)
		if str("specversion") == "1.0" {
			want |= trace.CEHasSpecVersion
		}
		if str("id") != "" {
			want |= trace.CEHasID
		}
		if str("source") != "" {
			want |= trace.CEHasSource
		}
		if str("type") != "" {
			want |= trace.CEHasType
		}
		if _, ok := m["data"]; ok {
			want |= trace.CEHasData
		} else if _, ok := m["data_base64"]; ok {
			want |= trace.CEHasData
		}
		if got != want || string(id) != str("id") || string(typ) != str("type") {
			t.Fatalf("body %q: scan = %v %q %q, encoding/json = %v", body, got.Names(), id, typ, want.Names())
		}
	})
}

func BenchmarkScanCloudEvent(b *testing.B) {
	body := []byte(`{"specversion":"1.0","id":"msg_2mZ8xKq","source":"/hookbench/reference","type":"order.paid","time":"2024-01-01T00:00:00Z","datacontenttype":"application/json","data":{"hookbench_id":"ev-1","amount":1.5,"items":[1,2,3]}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if a, _, _ := scanCloudEvent(body); !a.Has(trace.CERequired) {
			b.Fatal(a.Names())
		}
	}
}
