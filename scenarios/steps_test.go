package scenarios

import (
	"errors"
	"github.com/hookbench/hookbench/adapter"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/generator"
)

// api is a loopback provider API for adapter tests: handlers by
// "METHOD /path", and a log of the requests it served.
type api struct {
	*httptest.Server
	mu  sync.Mutex // guards log
	log []apiRequest
}

type apiRequest struct {
	method, path, body string
	header             http.Header
}

func newAPI(tb testing.TB, routes map[string]func(w http.ResponseWriter, body string)) *api {
	tb.Helper()
	a := &api{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.log = append(a.log, apiRequest{r.Method, r.URL.Path, string(b), r.Header.Clone()})
		a.mu.Unlock()
		key := r.Method + " " + r.URL.Path
		for pattern, h := range routes {
			if pattern == key || strings.HasSuffix(pattern, "*") && strings.HasPrefix(key, strings.TrimSuffix(pattern, "*")) {
				h(w, string(b))
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	tb.Cleanup(a.Close)
	return a
}

func (a *api) requests(prefix string) []apiRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []apiRequest
	for _, r := range a.log {
		if strings.HasPrefix(r.method+" "+r.path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func answer(status int, body string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// httpScenario parses a scenario with the given http block (indented
// under provider.http) and two endpoints a and b.
func httpScenario(tb testing.TB, block string) *Scenario {
	tb.Helper()
	sc, err := Parse("steps.yaml", []byte("provider:\n  adapter: http\n  http:\n"+block+`
sink:
  endpoints:
    - {name: a, path: /a}
    - {name: b, path: /b}
phases:
  - duration: 1s
`), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

func setupHTTP(t *testing.T, sc *Scenario) *adapter.HTTPAdapter {
	t.Helper()
	a, err := adapter.NewHTTPAdapter(*sc.Provider.HTTP, adapter.Options{Redactor: sc.Redactor, RunID: "run1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Setup(t.Context(), endpointsAt(sc, "http://127.0.0.1:9")); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestHTTPAdapterIdempotencyKeyAndVars(t *testing.T) {
	t.Parallel()
	srv := newAPI(t, map[string]func(http.ResponseWriter, string){"POST /events": answer(202, `{"id":"p1"}`)})
	sc := httpScenario(t, `    base_url: `+srv.URL+`
    vars:
      app: hb-{{run_id}}
      tag: '{{app}}-x'
    trigger:
      path: /events
      headers: {Idempotency-Key: '{{idempotency_key}}'}
      body: '{"app":"{{tag}}","key":"{{idempotency_key}}","id":"{{id}}"}'
      provider_id: $.id`)
	a := setupHTTP(t, sc)
	for _, ev := range []adapter.Event{{ID: "e1"}, {ID: "e2", IdemKey: "k2"}, {ID: "e2", IdemKey: "k2"}} {
		if res, err := a.Trigger(t.Context(), ev); err != nil || res.Status != 202 || res.ProviderID != "p1" {
			t.Fatalf("trigger %+v: %+v %v", ev, res, err)
		}
	}
	tg, ok := a.GeneratorTarget(DefaultPayload)
	if !ok || tg.Body != `{"app":"hb-run1-x","key":"{{id}}","id":"{{id}}"}` || tg.IdempotencyHeader != "Idempotency-Key" {
		t.Errorf("generator target %+v", tg)
	}
	got := srv.requests("POST /events")
	want := []string{
		`{"app":"hb-run1-x","key":"e1","id":"e1"}`,
		`{"app":"hb-run1-x","key":"k2","id":"e2"}`,
		`{"app":"hb-run1-x","key":"k2","id":"e2"}`,
	}
	for i, r := range got {
		if r.body != want[i] || r.header.Get("Idempotency-Key") != strings.Split(strings.Split(want[i], `"key":"`)[1], `"`)[0] {
			t.Errorf("request %d: %s %s, want %s", i, r.header.Get("Idempotency-Key"), r.body, want[i])
		}
	}
}

func TestHTTPAdapterProviderIDNote(t *testing.T) {
	t.Parallel()
	srv := newAPI(t, map[string]func(http.ResponseWriter, string){"POST /events": answer(201, `{"ok":true}`)})
	sc := httpScenario(t, `    base_url: `+srv.URL+`
    trigger:
      path: /events
      body: '{"id":"{{id}}"}'
      provider_id: $.id`)
	a := setupHTTP(t, sc)
	res, err := a.Trigger(t.Context(), adapter.Event{ID: "e1"})
	if err != nil || res.Status != 201 || res.ProviderID != "" {
		t.Fatalf("trigger: %+v %v", res, err)
	}
	if !strings.Contains(res.Note, "answered 201 but no provider id could be extracted") {
		t.Errorf("note %q", res.Note)
	}
}

func TestHTTPAdapterEndpointTrigger(t *testing.T) {
	t.Parallel()
	srv := newAPI(t, map[string]func(http.ResponseWriter, string){
		"POST /apps":   func(w http.ResponseWriter, body string) { answer(201, `{"id":"app-`+body+`"}`)(w, body) },
		"POST /apps/*": answer(202, `{"id":"m"}`),
	})
	sc := httpScenario(t, `    base_url: `+srv.URL+`
    endpoint:
      - path: /apps
        body: '{{name}}'
        extract: {app_id: $.id}
    trigger:
      path: /apps/{{endpoint.app_id}}/msg
      body: '{"key":"{{idempotency_key}}","owner":"{{endpoint.name}}"}'`)
	a := setupHTTP(t, sc)
	if c := a.Capabilities(); !c.TargetEndpoints {
		t.Errorf("capabilities %+v", c)
	}
	tests := []struct {
		ev   adapter.Event
		want []string // path body
	}{
		{adapter.Event{ID: "e1", Endpoints: []string{"b"}}, []string{`/apps/app-b/msg {"key":"e1","owner":"b"}`}},
		{adapter.Event{ID: "e2"}, []string{`/apps/app-a/msg {"key":"e2-1","owner":"a"}`, `/apps/app-b/msg {"key":"e2-2","owner":"b"}`}},
		{adapter.Event{ID: "e3", IdemKey: "k", Endpoints: []string{"a", "b"}}, []string{`/apps/app-a/msg {"key":"k-1","owner":"a"}`, `/apps/app-b/msg {"key":"k-2","owner":"b"}`}},
	}
	for _, tt := range tests {
		before := len(srv.requests("POST /apps/"))
		res, err := a.Trigger(t.Context(), tt.ev)
		if err != nil || res.Status != 202 {
			t.Fatalf("trigger %+v: %+v %v", tt.ev, res, err)
		}
		got := srv.requests("POST /apps/")[before:]
		if len(got) != len(tt.want) {
			t.Fatalf("event %s: %d requests, want %d", tt.ev.ID, len(got), len(tt.want))
		}
		for i, r := range got {
			if s := r.path + " " + r.body; s != tt.want[i] {
				t.Errorf("event %s request %d: %s, want %s", tt.ev.ID, i, s, tt.want[i])
			}
		}
	}
	if _, err := a.Trigger(t.Context(), adapter.Event{ID: "e4", Endpoints: []string{"zz"}}); err == nil || !strings.Contains(err.Error(), `unknown endpoint "zz"`) {
		t.Errorf("unknown endpoint: %v", err)
	}
	if _, ok := a.GeneratorTarget(DefaultPayload); ok {
		t.Error("the generator cannot aim one request at two endpoints")
	}

	// An event that names no endpoint goes to those subscribed to its type.
	a, err := adapter.NewHTTPAdapter(*sc.Provider.HTTP, adapter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eps := endpointsAt(sc, "http://127.0.0.1:9")
	eps[0].EventTypes, eps[1].EventTypes = []string{"t.a"}, []string{"t.b", "t.c"}
	if err := a.Setup(t.Context(), eps); err != nil {
		t.Fatal(err)
	}
	before := len(srv.requests("POST /apps/"))
	if _, err := a.Trigger(t.Context(), adapter.Event{ID: "e5", Type: "t.c"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests("POST /apps/")[before:]; len(got) != 1 || got[0].path != "/apps/app-b/msg" {
		t.Errorf("type-routed requests %v", got)
	}
	if _, err := a.Trigger(t.Context(), adapter.Event{ID: "e6", Type: "t.z"}); err == nil || !strings.Contains(err.Error(), `no endpoint subscribes to event type "t.z"`) {
		t.Errorf("unsubscribed type: %v", err)
	}
	if c := a.Capabilities(); !c.PerEndpointTrigger || !c.TargetEndpoints {
		t.Errorf("capabilities %+v", c)
	}
}

func TestHTTPAdapterSettle(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	polls := map[string]int{}
	srv := newAPI(t, map[string]func(http.ResponseWriter, string){
		"POST /endpoints": func(w http.ResponseWriter, body string) { answer(201, `{"id":"`+body+`"}`)(w, body) },
		"GET /endpoints/*": func(w http.ResponseWriter, body string) {
			mu.Lock()
			polls["n"]++
			n := polls["n"]
			mu.Unlock()
			switch {
			case n == 1:
				answer(503, `{}`)(w, body)
			case n < 4:
				answer(200, `{"status":"pending"}`)(w, body)
			default:
				answer(200, `{"status":"active"}`)(w, body)
			}
		},
		"GET /never": answer(200, `{"status":"pending"}`),
	})
	base := `    base_url: ` + srv.URL + `
    endpoint:
      - path: /endpoints
        body: '{{name}}'
        extract: {endpoint_id: $.id}
    trigger: {path: /t}
`
	sc := httpScenario(t, base+`    settle:
      poll: {method: GET, path: '/endpoints/{{endpoint_id}}'}
      until: {$.status: active}
      each_endpoint: true
      interval: 1ms
      timeout: 10s`)
	setupHTTP(t, sc)
	if got := srv.requests("GET /endpoints/"); len(got) != 5 || got[3].path != "/endpoints/a" || got[4].path != "/endpoints/b" {
		t.Errorf("polls %v", got)
	}

	sc = httpScenario(t, base+`    settle:
      poll: {method: GET, path: /never}
      until: {$.status: active}
      interval: 1ms
      timeout: 20ms`)
	a, err := adapter.NewHTTPAdapter(*sc.Provider.HTTP, adapter.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Setup(t.Context(), endpointsAt(sc, "http://127.0.0.1:9"))
	if err == nil || !strings.Contains(err.Error(), `settle: not settled after 20ms: $.status is "pending", want "active"`) {
		t.Errorf("settle that never matches: %v", err)
	}

	// A restart settles again.
	sc = httpScenario(t, base+`    restart:
      - {path: /restart}
    settle: {wait: 1ms, poll: {method: GET, path: /never}, until: {$.status: pending}}`)
	srv2 := newAPI(t, map[string]func(http.ResponseWriter, string){"POST /restart": answer(204, ``), "GET /never": answer(200, `{"status":"pending"}`),
		"POST /endpoints": answer(201, `{"id":"x"}`)})
	sc.Provider.HTTP.BaseURL = srv2.URL
	a = setupHTTP(t, sc)
	if !a.Capabilities().Restart {
		t.Error("restart steps but no Restart capability")
	}
	if err := a.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, m := len(srv2.requests("POST /restart")), len(srv2.requests("GET /never")); n != 1 || m != 2 {
		t.Errorf("restart requests %d, settle polls %d (want 1 and 2)", n, m)
	}
}

func TestHTTPAdapterRotateSecret(t *testing.T) {
	t.Parallel()
	srv := newAPI(t, map[string]func(http.ResponseWriter, string){
		"POST /endpoints":    func(w http.ResponseWriter, body string) { answer(201, `{"id":"ep"}`)(w, body) },
		"POST /gen/*":        answer(200, `{"secret":"whsec_cHJvdmlkZXItY2hvc2Vu"}`),
		"POST /set/*":        answer(204, ``),
		"POST /endpoints/ep": answer(200, `{}`),
	})
	base := `    base_url: ` + srv.URL + `
    endpoint:
      - {path: /endpoints, body: '{"secret":"{{secret}}"}', extract: {endpoint_id: $.id}}
    trigger: {path: /t}
`
	eps := func(sc *Scenario) []EndpointSpec {
		e := endpointsAt(sc, "http://127.0.0.1:9")
		for i := range e {
			e[i].Scheme, e[i].Secret = "standard", "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0"
		}
		return e
	}
	tests := []struct {
		name, steps string
		check       func(t *testing.T, secret string, sent apiRequest)
	}{
		{"provider generates", `    rotate_secret:
      - {path: '/gen/{{endpoint_id}}', extract: {secret: $.secret}}`,
			func(t *testing.T, secret string, sent apiRequest) {
				if secret != "whsec_cHJvdmlkZXItY2hvc2Vu" || sent.path != "/gen/ep" {
					t.Errorf("secret %q after %s", secret, sent.path)
				}
			}},
		{"hookbench chooses", `    rotate_secret:
      - {path: '/set/{{endpoint_id}}', body: '{"secret":"{{new_secret}}"}'}`,
			func(t *testing.T, secret string, sent apiRequest) {
				if !strings.HasPrefix(secret, "whsec_") || sent.body != `{"secret":"`+secret+`"}` {
					t.Errorf("secret %q, sent %s", secret, sent.body)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := httpScenario(t, base+tt.steps)
			a, err := adapter.NewHTTPAdapter(*sc.Provider.HTTP, adapter.Options{Redactor: sc.Redactor})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Setup(t.Context(), eps(sc)); err != nil {
				t.Fatal(err)
			}
			if !a.Capabilities().RotateSecret {
				t.Error("no RotateSecret capability")
			}
			secret, err := a.RotateSecret(t.Context(), "a")
			if err != nil {
				t.Fatal(err)
			}
			log := srv.requests("POST /")
			tt.check(t, secret, log[len(log)-1])
			if got := a.EndpointSecrets()["a"]; got != secret {
				t.Errorf("endpoint secret %q, want %q", got, secret)
			}
			if _, err := a.RotateSecret(t.Context(), "zz"); err == nil {
				t.Error("rotated an unknown endpoint")
			}
		})
	}
	a := setupHTTP(t, httpScenario(t, base))
	if _, err := a.RotateSecret(t.Context(), "a"); !errors.Is(err, adapter.ErrUnsupported) {
		t.Errorf("rotate without steps: %v", err)
	}
	if err := a.Restart(t.Context()); !errors.Is(err, adapter.ErrUnsupported) {
		t.Errorf("restart without steps: %v", err)
	}
	if c := a.Capabilities(); c.RotateSecret || c.Restart || c.TargetEndpoints {
		t.Errorf("capabilities %+v", c)
	}
}

// TestHTTPAdapterReferenceRotate rotates a secret through the reference
// provider's own API, as examples/reference-http.yaml declares it.
func TestHTTPAdapterReferenceRotate(t *testing.T) {
	t.Parallel()
	p := startReference(t)
	sc, err := Load("../examples/reference-http.yaml", map[string]string{"PROVIDER_URL": p.URL()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := adapter.New(sc.Provider, adapter.Options{Redactor: sc.Redactor})
	if err != nil {
		t.Fatal(err)
	}
	eps := endpointsAt(sc, "http://127.0.0.1:9")
	for i := range eps {
		eps[i].Secret = "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0"
	}
	if err := a.Setup(t.Context(), eps); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Teardown(t.Context()) })
	if !a.Capabilities().RotateSecret {
		t.Fatal("reference-http.yaml declares no rotate_secret")
	}
	secret, err := a.(adapter.SecretRotator).RotateSecret(t.Context(), eps[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") || secret == eps[0].Secret {
		t.Errorf("new secret %q", secret)
	}
}

func TestCommandAdapterSteps(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	log := filepath.Join(t.TempDir(), "log")
	state := filepath.Join(t.TempDir(), "state")
	cli := writeScript(t, "cli", `
echo "$*" >> "$LOG"
case "$1" in
  create) echo "{\"id\":\"ep-$2\"}" ;;
  send) echo "{\"id\":\"p-$2\"}" ;;
  rotate) echo "{\"secret\":\"whsec_cm90YXRlZC1ieS1jbGk=\"}" ;;
  restart) rm -f "$STATE" ;;
  status) n=$(cat "$STATE" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$STATE"; [ $n -ge 2 ] && echo '{"up":"yes"}' || echo '{"up":"no"}' ;;
esac
`)
	sc, err := Parse("cmd.yaml", []byte(`provider:
  adapter: command
  command:
    env: {LOG: `+log+`, STATE: `+state+`}
    vars: {tag: 'x-{{run_id}}'}
    endpoint:
      - run: [`+cli+`, create, '{{name}}']
        extract: {endpoint_id: $.id}
    trigger:
      run: [`+cli+`, send, '{{id}}', '{{endpoint.endpoint_id}}', '{{idempotency_key}}', '{{tag}}']
      provider_id: $.id
    settle:
      poll: {run: [`+cli+`, status]}
      until: {$.up: "yes"}
      interval: 1ms
    rotate_secret:
      - run: [`+cli+`, rotate, '{{endpoint_id}}']
        extract: {secret: $.secret}
    restart:
      - run: [`+cli+`, restart]
sink:
  endpoints:
    - {name: a, path: /a}
    - {name: b, path: /b}
phases:
  - duration: 1s
    chaos: [{at: 0s, action: provider-restart}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := adapter.NewCommandAdapter(*sc.Provider.Command, adapter.Options{Redactor: sc.Redactor, RunID: "r9"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Setup(ctx, endpointsAt(sc, "http://127.0.0.1:9")); err != nil {
		t.Fatal(err)
	}
	if res, err := a.Trigger(ctx, adapter.Event{ID: "e1", Endpoints: []string{"b"}}); err != nil || res.ProviderID != "p-e1" {
		t.Fatalf("trigger: %+v %v", res, err)
	}
	if s, err := a.RotateSecret(ctx, "a"); err != nil || s != "whsec_cm90YXRlZC1ieS1jbGk=" {
		t.Fatalf("rotate: %q %v", s, err)
	}
	if err := a.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	c := a.Capabilities()
	if !c.TargetEndpoints || !c.RotateSecret || !c.Restart || !c.IdempotencyKey {
		t.Errorf("capabilities %+v", c)
	}
	b, _ := os.ReadFile(log)
	want := "create a\ncreate b\nstatus\nstatus\nsend e1 ep-b e1 x-r9\nrotate ep-a\nrestart\nstatus\nstatus\n"
	if string(b) != want {
		t.Errorf("commands:\n%s\nwant:\n%s", b, want)
	}
}

func TestParseStepErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, http, phase, want string
	}{
		{"var with unknown name", "    vars: {app: '{{nope}}'}\n    trigger: {path: /t}\n", "",
			"steps.yaml:5: provider.http.vars.app: var app: template value {{nope}} is not known here"},
		{"var cycle", "    vars: {a: '{{b}}', b: '{{a}}'}\n    trigger: {path: /t}\n", "", "provider.http.vars.a: var a refers to itself"},
		{"unknown endpoint value", "    trigger: {path: '/t/{{endpoint.app_id}}'}\n", "",
			"steps.yaml:5: provider.http.trigger.path: unknown template value {{endpoint.app_id}}"},
		{"endpoint value outside the trigger", "    setup: [{path: '/s/{{endpoint.name}}'}]\n    trigger: {path: /t}\n", "",
			"provider.http.setup[0].path: unknown template value {{endpoint.name}}"},
		{"empty settle", "    trigger: {path: /t}\n    settle: {interval: 1s}\n", "", "steps.yaml:6: provider.http.settle: needs a wait, a poll step or both"},
		{"until without poll", "    trigger: {path: /t}\n    settle: {wait: 1s, until: {$.a: b}}\n", "", "provider.http.settle: until and each_endpoint need a poll step"},
		{"until not a path", "    trigger: {path: /t}\n    settle: {poll: {path: /s}, until: {status: ok}}\n", "", `provider.http.settle.until: keys are JSON paths ($.status), got "status"`},
		{"poll outside endpoint values", "    trigger: {path: /t}\n    settle: {poll: {path: '/s/{{name}}'}}\n", "", "provider.http.settle.poll.path: unknown template value {{name}}"},
		{"new_secret outside rotate", "    trigger: {path: /t}\n    endpoint: [{path: '/e/{{new_secret}}'}]\n", "", "unknown template value {{new_secret}}"},
		{"restart chaos without steps", "    trigger: {path: /t}\n", "    chaos: [{at: 0s, action: provider-restart}]\n",
			"phases[0].chaos[0].action: provider-restart needs the reference adapter or restart steps in the http block"},
		{"stop chaos", "    trigger: {path: /t}\n    restart: [{path: /r}]\n", "    chaos: [{at: 0s, action: provider-stop}]\n", "provider-stop needs the reference adapter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "provider:\n  adapter: http\n  http:\n    base_url: http://127.0.0.1:9\n" + tt.http + "sink:\n  endpoints: [{path: /a}]\nphases:\n  - duration: 1s\n" + tt.phase
			_, err := Parse("steps.yaml", []byte(src), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant %q", err, tt.want)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("not ErrInvalid: %v", err)
			}
		})
	}
	ok := "provider:\n  adapter: http\n  http:\n    base_url: http://127.0.0.1:9\n    trigger: {path: '/t/{{endpoint.name}}'}\n    restart: [{path: /r}]\n" +
		"    rotate_secret: [{path: '/r/{{name}}', body: '{\"s\":\"{{new_secret}}\"}'}]\n    settle: {wait: 1s, poll: {path: '/s/{{url}}'}, each_endpoint: true}\n" +
		"sink:\n  endpoints: [{path: /a}]\nphases:\n  - duration: 1s\n    chaos: [{at: 0s, action: provider-restart}]\n"
	if _, err := Parse("ok.yaml", []byte(ok), nil); err != nil {
		t.Errorf("valid steps rejected: %v", err)
	}
}

func TestPhaseNothingSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    PhaseResult
		want string
	}{
		{"quiet", PhaseResult{Name: "q"}, ""},
		{"some accepted", PhaseResult{Name: "p", Sent: 3, Failed: 2}, ""},
		{"none accepted", PhaseResult{Name: "p", Sent: 3, Failed: 3, FirstFailure: "trigger: body: template value {{x}} is not known here\nmore"},
			"phase p: none of its 3 triggers was accepted (first: trigger: body: template value {{x}} is not known here)"},
		{"generator", PhaseResult{Name: "g", Sent: 40, Failed: 40, Summary: &generator.Summary{Statuses: map[int]uint64{404: 30}, Errors: map[string]uint64{"timeout": 10}}},
			"phase g: none of its 40 triggers was accepted (30 answered 404, 10 failed with timeout errors)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.NothingSent()
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("NothingSent = %q %v, want %q", got, ok, tt.want)
			}
		})
	}
}
