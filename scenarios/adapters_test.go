package scenarios

import (
	"encoding/json"
	"errors"
	"github.com/hookbench/hookbench/adapter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// endpointsAt points a scenario's endpoints at a receiver, as the runner
// points them at the sink.
func endpointsAt(sc *Scenario, base string) []EndpointSpec {
	eps := append([]EndpointSpec(nil), sc.Sink.Endpoints...)
	for i := range eps {
		eps[i].URL = base + eps[i].Path
	}
	return eps
}

func TestHTTPAdapterMinimal(t *testing.T) {
	t.Parallel()
	srv := newMinimalServer(t)
	rc := newReceiver(t)
	sc, err := Load("../examples/minimal-server.yaml", map[string]string{"PROVIDER_URL": srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a, err := adapter.New(sc.Provider, adapter.Options{Redactor: sc.Redactor, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Setup(ctx, endpointsAt(sc, rc.URL)); err != nil {
		t.Fatal(err)
	}
	if got := srv.webhooks; len(got) != 1 || got[0] != rc.URL+"/hook" {
		t.Fatalf("registered %v, want [%s/hook]", got, rc.URL)
	}
	for i := range 3 {
		res, err := a.Trigger(ctx, adapter.Event{ID: "ev" + strconv.Itoa(i), Type: "order.created", Payload: []byte(`{"hookbench_id":"x"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 200 || res.ProviderID != "" {
			t.Errorf("trigger result %+v", res)
		}
	}
	got := rc.at("/hook")
	if len(got) != 3 {
		t.Fatalf("received %d deliveries, want 3", len(got))
	}
	for _, d := range got {
		if string(d.body) != minimalPayload {
			t.Errorf("delivered %q", d.body)
		}
	}
	c := a.Capabilities()
	if c.EventIDs || c.SetSecret || c.ReadSecret || c.DeleteEndpoint || c.IdempotencyKey || c.ProviderIDs || len(c.Notes) == 0 {
		t.Errorf("capabilities %+v", c)
	}
	tg, ok := a.(adapter.Targeter).GeneratorTarget(DefaultPayload)
	if !ok || tg.URL != srv.URL+"/trigger" || tg.Method != "POST" || tg.Body != "" {
		t.Errorf("generator target %+v %v", tg, ok)
	}
	if err := a.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.(adapter.EndpointDeleter).DeleteEndpoint(ctx, "/hook"); !errors.Is(err, adapter.ErrUnsupported) {
		t.Errorf("DeleteEndpoint without steps: %v", err)
	}
}

func TestHTTPAdapterSvix(t *testing.T) {
	t.Parallel()
	const token = "testsk_0123456789"
	srv := newSvixServer(t, token)
	rc := newReceiver(t)
	sc, err := Load("../examples/svix.yaml", map[string]string{"SVIX_URL": srv.URL, "SVIX_TOKEN": token})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sc.Redactor.Redact("Bearer "+token+" and "+token), token) {
		t.Error("token from the environment is not redacted")
	}
	red := sc.Redactor.Clone()
	a, err := adapter.New(sc.Provider, adapter.Options{Redactor: red, RunID: "run42", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Setup(ctx, endpointsAt(sc, rc.URL)); err != nil {
		t.Fatal(err)
	}
	secrets := a.(adapter.SecretSource).EndpointSecrets()
	if len(secrets) != 2 || !strings.HasPrefix(secrets["invoices"], "whsec_") || secrets["invoices"] == secrets["all"] {
		t.Fatalf("secrets %v", secrets)
	}
	if red.Redact(secrets["all"]) != Redacted {
		t.Error("extracted secret is not redacted")
	}

	// An invoice.paid event reaches both endpoints; user.created only the
	// unfiltered one. A repeated idempotency key creates nothing new.
	r1, err := a.Trigger(ctx, adapter.Event{ID: "e1", Type: "invoice.paid", Payload: []byte(`{"hookbench_id":"e1"}`), IdemKey: "k1"})
	if err != nil || r1.Status != 202 || !strings.HasPrefix(r1.ProviderID, "msg_") {
		t.Fatalf("trigger 1: %+v %v", r1, err)
	}
	r2, err := a.Trigger(ctx, adapter.Event{ID: "e2", Type: "user.created", Payload: []byte(`{"hookbench_id":"e2"}`), IdemKey: "k2"})
	if err != nil || r2.Status != 202 {
		t.Fatalf("trigger 2: %+v %v", r2, err)
	}
	r3, err := a.Trigger(ctx, adapter.Event{ID: "e1", Type: "invoice.paid", Payload: []byte(`{"hookbench_id":"e1"}`), IdemKey: "k1"})
	if err != nil || r3.ProviderID != r1.ProviderID {
		t.Fatalf("idempotent retrigger: %+v %v (first %s)", r3, err, r1.ProviderID)
	}
	if srv.messages != 2 {
		t.Errorf("provider created %d messages, want 2", srv.messages)
	}
	inv, all := rc.at("/invoices"), rc.at("/all")
	if len(inv) != 1 || len(all) != 2 {
		t.Fatalf("deliveries: invoices %d, all %d; want 1 and 2", len(inv), len(all))
	}
	// The sink can verify with the secret the adapter read back.
	d := inv[0]
	ts, _ := strconv.ParseInt(d.header.Get("svix-timestamp"), 10, 64)
	if want := svixSign(secrets["invoices"], d.header.Get("svix-id"), ts, d.body); d.header.Get("svix-signature") != want {
		t.Errorf("signature %q does not verify with the extracted secret", d.header.Get("svix-signature"))
	}
	var payload map[string]string
	if err := json.Unmarshal(d.body, &payload); err != nil || payload["hookbench_id"] != "e1" {
		t.Errorf("payload %s", d.body)
	}

	c := a.Capabilities()
	if !c.ReadSecret || c.SetSecret || !c.DeleteEndpoint || !c.IdempotencyKey || !c.ProviderIDs || !c.EventTypes || !c.EventIDs {
		t.Errorf("capabilities %+v", c)
	}
	tg, ok := a.(adapter.Targeter).GeneratorTarget(DefaultPayload)
	if !ok || tg.URL != srv.URL+"/api/v1/app/app_1/msg/" || tg.IdempotencyHeader != "Idempotency-Key" || tg.ProviderIDPath != "$.id" {
		t.Errorf("generator target %+v", tg)
	}
	if want := `{"eventType":"{{type}}","eventId":"{{id}}","payload":` + DefaultPayload + `}`; tg.Body != want {
		t.Errorf("generator body %s, want %s", tg.Body, want)
	}
	if !slices.Contains(tg.Headers, [2]string{"Authorization", "Bearer " + token}) {
		t.Errorf("generator headers %v", tg.Headers)
	}

	if err := a.(adapter.EndpointDeleter).DeleteEndpoint(ctx, "all"); err != nil {
		t.Fatal(err)
	}
	if err := a.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	deleted := append([]string(nil), srv.deleted...)
	srv.mu.Unlock()
	if len(deleted) != 3 || deleted[2] != "app_1" {
		t.Errorf("deleted %v, want two endpoints then app_1", deleted)
	}
}

func TestHTTPAdapterErrors(t *testing.T) {
	t.Parallel()
	srv := newSvixServer(t, "right-token")
	rc := newReceiver(t)
	sc, err := Load("../examples/svix.yaml", map[string]string{"SVIX_URL": srv.URL, "SVIX_TOKEN": "wrong-token"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := adapter.New(sc.Provider, adapter.Options{Redactor: sc.Redactor})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Setup(t.Context(), endpointsAt(sc, rc.URL))
	if err == nil || !strings.Contains(err.Error(), `setup step "create application"`) || !strings.Contains(err.Error(), "status 401, want [200 201]") {
		t.Fatalf("setup with a wrong token: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("error leaks the token: %v", err)
	}

	// Extraction failure names the step and the path.
	sc2, err := Parse("x.yaml", []byte(`provider:
  adapter: http
  http:
    base_url: `+srv.URL+`
    headers: {Authorization: Bearer right-token}
    setup:
      - name: create application
        path: /api/v1/app/
        body: '{"name":"n"}'
        extract: {app_id: $.data.id}
    trigger:
      path: /t
sink:
  endpoints:
    - path: /a
phases:
  - duration: 1s
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := adapter.New(sc2.Provider, adapter.Options{})
	if err := a2.Setup(t.Context(), endpointsAt(sc2, rc.URL)); err == nil || !strings.Contains(err.Error(), `extract app_id: $.data.id: no key "data"`) {
		t.Errorf("extract failure: %v", err)
	}

	// An unreachable provider is an error, not a hang.
	srv.Close()
	if _, err := a2.Trigger(t.Context(), adapter.Event{ID: "x"}); err == nil {
		t.Error("trigger against a closed server succeeded")
	}
}

func writeScript(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommandAdapter(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	log := filepath.Join(t.TempDir(), "log")
	cli := writeScript(t, "cli", `
case "$1" in
  create) echo "{\"id\":\"ep-$2\",\"secret\":\"whsec_from_cli_$2\"}" ;;
  send) printf '%s %s %s\n' "$2" "$3" "$TOKEN" >> "$LOG"; echo "{\"id\":\"p-$2\"}" ;;
  delete) echo "deleted $2" >> "$LOG" ;;
  fail) echo "boom secret-token-123" >&2; exit 3 ;;
  sleep) sleep 10 ;;
esac
`)
	src := `provider:
  adapter: command
  command:
    timeout: 5s
    env:
      LOG: ` + log + `
      TOKEN: ${CLI_TOKEN}
    endpoint:
      - run: [` + cli + `, create, '{{name}}']
        extract: {endpoint_id: $.id, secret: $.secret}
    trigger:
      run: [` + cli + `, send, '{{id}}', '{{type}}']
      provider_id: $.id
    endpoint_teardown:
      - run: [` + cli + `, delete, '{{endpoint_id}}']
sink:
  endpoints:
    - {name: a, path: /a}
    - {name: b, path: /b}
phases:
  - duration: 1s
`
	sc, err := Parse("cmd.yaml", []byte(src), map[string]string{"CLI_TOKEN": "secret-token-123"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := adapter.New(sc.Provider, adapter.Options{Redactor: sc.Redactor})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Setup(ctx, endpointsAt(sc, "http://127.0.0.1:9")); err != nil {
		t.Fatal(err)
	}
	if s := a.(adapter.SecretSource).EndpointSecrets(); s["a"] != "whsec_from_cli_a" || s["b"] != "whsec_from_cli_b" {
		t.Errorf("secrets %v", s)
	}
	res, err := a.Trigger(ctx, adapter.Event{ID: "e1", Type: "t1"})
	if err != nil || res.Status != 200 || res.ProviderID != "p-e1" {
		t.Fatalf("trigger: %+v %v", res, err)
	}
	if err := a.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	if want := "e1 t1 secret-token-123\ndeleted ep-a\ndeleted ep-b\n"; string(b) != want {
		t.Errorf("log %q, want %q", b, want)
	}
	c := a.Capabilities()
	if !c.ReadSecret || !c.DeleteEndpoint || !c.ProviderIDs || !c.EventIDs || c.IdempotencyKey {
		t.Errorf("capabilities %+v", c)
	}

	// Failures: exit status with stderr (secrets redacted), and timeouts.
	run := func(timeout time.Duration, argv ...string) error {
		spec := *sc.Provider.Command
		spec.Endpoint, spec.EndpointTeardown, spec.Timeout = nil, nil, timeout
		spec.Trigger = CommandStep{Run: argv}
		ca, err := adapter.NewCommandAdapter(spec, adapter.Options{Redactor: sc.Redactor})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ca.Trigger(ctx, adapter.Event{ID: "e2", Type: "t1"})
		return err
	}
	err = run(5*time.Second, cli, "fail")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failing command: %v", err)
	}
	if strings.Contains(err.Error(), "secret-token-123") {
		t.Errorf("error leaks a secret: %v", err)
	}
	err = run(50*time.Millisecond, cli, "sleep")
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("slow command: %v", err)
	}
	if err := run(5*time.Second, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing program ran")
	}
}
