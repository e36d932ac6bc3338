package sink

import (
	"io"

	"github.com/hookbench/hookbench/internal/doctable"
)

// KeyInfo documents one key of the --rule or --endpoint form. Example is a
// whole spec using the key; a test parses every example and checks that
// the documented keys are exactly the keys the parser accepts.
type KeyInfo struct {
	Key     string
	Kind    string // rules: "match" or "action"; endpoints: "endpoint" or "generic scheme"
	Meaning string
	Example string
}

// RuleKeyInfos documents the keys of ParseRule, LoadRules and a
// scenario's sink rules, in the parser's order.
func RuleKeyInfos() []KeyInfo {
	m, a := "match", "action"
	return []KeyInfo{
		{"endpoint", m, "only requests to this endpoint path; an endpoint's own rules are tried before the global ones", "endpoint=/orders,status=503"},
		{"type", m, "event types, `a|b`", "type=order.created|order.paid,status=500"},
		{"attempt", m, "the n-th arrival of the message id at the endpoint: `N`, `A-B` or `A-`", "attempt=1-2,status=503"},
		{"after", m, "only after this long since the sink started", "after=10s,status=503"},
		{"before", m, "only before this long since the sink started", "before=20s,status=503"},
		{"every", m, "every n-th request that reached this condition", "every=10,reset"},
		{"p", m, "with this probability (seeded by --seed, the message id and its arrival number)", "p=0.1,reset"},
		{"flap", m, "`UP/DOWN` periods; matches in the down periods (default answer 503)", "flap=10s/5s"},
		{"rate", m, "token bucket `N/s`, `N/m` or `N/h`; matches when empty (default answer 429 with Retry-After = time to the next token)", "rate=100/s,burst=20"},
		{"burst", m, "the token bucket's size (default 1)", "rate=100/s,burst=20"},
		{"status", a, "answer this status", "status=500"},
		{"body", a, "answer this body", "status=400,body=bad request"},
		{"delay", a, "wait first: `2s`, `uniform:1s-3s`, `normal:2s,500ms`, `exp:1s`, `lognormal:200ms,0.5`, `pareto:100ms,1.5`", "delay=uniform:1s-3s"},
		{"retry-after", a, "send Retry-After: `30`, `30s` or `date:30s` (an HTTP-date); default status 503", "retry-after=date:30s"},
		{"gone", a, "answer 410 Gone", "gone"},
		{"redirect", a, "answer 307 (or `status=301/302/303/308`) with this Location; a 3xx `status=` without it answers with no Location", "redirect=/elsewhere,status=302"},
		{"reset", a, "close the connection with a TCP RST, no answer", "reset"},
		{"hang", a, "hold the request until the provider gives up or the cap (`hang=30s`; default --max-hang), then close", "hang=30s"},
		{"trickle", a, "send the answer at this many bytes per second", "trickle=10/s"},
		{"ack-lost", a, "count the request as processed with `status=`, then close without an answer (the provider retries, the consumer sees a duplicate)", "ack-lost,status=200"},
		{"refuse-handshake", a, "webhook validation requests only (`OPTIONS` with `WebHook-Request-Origin`, otherwise granted): answer `status=` (default 200) without `WebHook-Allowed-Origin`", "refuse-handshake"},
	}
}

// EndpointKeyInfos documents the keys of ParseEndpoint (and a scenario
// endpoint's options), in the parser's order.
func EndpointKeyInfos() []KeyInfo {
	e, g := "endpoint", "generic scheme"
	return []KeyInfo{
		{"path", e, "exact request path (required)", "path=/orders"},
		{"scheme", e, "signature scheme (`hookbench sink --list-schemes`); none by default", "path=/o,scheme=stripe,secret=whsec_x"},
		{"secret", e, "signing secret; repeat for rotation (any one valid signature is enough)", "path=/o,scheme=github,secret=a,secret=b"},
		{"tolerance", e, "timestamp tolerance, both directions (default: the scheme's)", "path=/o,scheme=stripe,secret=k,tolerance=60s"},
		{"bad-sig", e, "answer this status to a request whose signature is not valid (default: record the verdict, answer per rules)", "path=/o,scheme=github,secret=k,bad-sig=401"},
		{"auth", e, "`bearer:TOKEN` or `header:NAME:VALUE`; wrong or missing: 401, recorded as auth-failed", "path=/o,auth=bearer:t0ken"},
		{"type-header", e, "header carrying the event type (default: the first of X-Event-Type, ce-type, X-GitHub-Event, X-Gitlab-Event, X-Shopify-Topic the request has, else the body)", "path=/o,type-header=x-event-type"},
		{"type-path", e, "JSON path of the event type in the body when no type header came (default `type`; `-` off)", "path=/o,type-path=data.kind"},
		{"types", e, "route by event type, `a|b`: any other type gets 400 Invalid event type", "path=/o,types=new_order|payment_success"},
		{"max-body", e, "body limit (default 1MiB): 413, recorded as too-large with the size", "path=/o,max-body=64KiB"},
		{"id-header", e, "header carrying the provider's message id (default: the scheme's)", "path=/o,id-header=X-Request-Id"},
		{"event-id", e, "JSON path of the harness event id: `a.b` exact, `..key` any depth (default `..hookbench_id`; `-` off)", "path=/o,event-id=data.id"},
		{"event-id-header", e, "header carrying the harness event id instead", "path=/o,event-id-header=X-Event-Id"},
		{"attempt-header", e, "header where the provider reports its attempt number", "path=/o,attempt-header=X-Slack-Retry-Num"},
		{"cloudevents", e, "record each attempt's CloudEvents attributes (binary `ce-` headers or structured JSON)", "path=/o,cloudevents=true"},
		{"sig-header", g, "header carrying the signature(s); required", "path=/o,scheme=generic,secret=k,sig-header=X-Sig"},
		{"algorithm", g, "`sha256` (default), `sha512`, `sha1` (valid signatures are valid-weak)", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,algorithm=sha512"},
		{"encoding", g, "`hex` (default, either case) or `base64` (padded or not)", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,encoding=base64"},
		{"prefix", g, "plain form: text before each signature (`sha256=`); several signatures are space-separated", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,prefix=sha256="},
		{"template", g, "signed content: literal text with `{id}`, `{timestamp}`, `{body}` (required); default `{body}`, or `{timestamp}.{body}` with timestamp-param", `path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-header=X-Ts,template="{timestamp},{body}"`},
		{"timestamp-header", g, "header carrying the timestamp (checked against the tolerance)", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-header=X-Ts"},
		{"timestamp-format", g, "`unix` (seconds, default), `unix-ms` or `rfc3339`", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-header=X-Ts,timestamp-format=unix-ms"},
		{"timestamp-param", g, "parameter form: the signature header is a parameter list and this parameter is the timestamp", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-param=t"},
		{"signature-param", g, "parameter form: the parameter carrying a signature (default `v1`); it may repeat", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-param=t,signature-param=h1"},
		{"param-separator", g, "parameter form: one character between parameters (default `,`)", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-param=ts,param-separator=;"},
		{"key-separator", g, "parameter form: one character between name and value (default `=`)", "path=/o,scheme=generic,secret=k,sig-header=X-Sig,timestamp-param=ts,key-separator=:"},
	}
}

// WriteRuleKeyList writes the rule keys as a table: aligned text ("text"
// or empty) or Markdown ("markdown", the table of docs/sink.md).
func WriteRuleKeyList(w io.Writer, format string) error { return writeKeys(w, format, RuleKeyInfos()) }

// WriteEndpointKeyList writes the endpoint keys the same way.
func WriteEndpointKeyList(w io.Writer, format string) error {
	return writeKeys(w, format, EndpointKeyInfos())
}

func writeKeys(w io.Writer, format string, keys []KeyInfo) error {
	t := doctable.Table{Header: []string{"key", "kind", "meaning", "example"}}
	for _, k := range keys {
		t.Rows = append(t.Rows, []string{doctable.Code(k.Key), k.Kind, k.Meaning, doctable.Code(k.Example)})
	}
	return t.Write(w, format)
}
