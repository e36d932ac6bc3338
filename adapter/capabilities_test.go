package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/signature"
)

// TestCapabilitiesMatchInterfaces checks, for every adapter, that each
// capability flag is true exactly when the adapter implements the matching
// interface and the operation works: the scenario runner and the
// conformance suite trust either. An operation answering ErrUnsupported
// counts as not implemented (the declarative adapters have the methods
// whether or not their spec declares the steps).
func TestCapabilitiesMatchInterfaces(t *testing.T) {
	t.Parallel()
	given, err := signature.GenerateSecret(signature.SchemeStandard, nil)
	if err != nil {
		t.Fatal(err)
	}
	generated, err := signature.GenerateSecret(signature.SchemeStandard, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":"x1","secret":%q}`, generated)
	}))
	t.Cleanup(srv.Close)
	answer := fmt.Sprintf(`{"id":"x1","secret":%q}`, generated)
	sh := func(script string) []string { return []string{"/bin/sh", "-c", script} }
	_, shErr := os.Stat("/bin/sh")

	ref := func(ro adapter.ReferenceOptions) func() (adapter.Adapter, error) {
		return func() (adapter.Adapter, error) {
			return adapter.NewReferenceAdapter(adapter.ReferenceSpec{TimeScale: 0.001, Ephemeral: true}, adapter.Options{}, ro)
		}
	}
	group := func(name string) string {
		if name == "b" {
			return "g"
		}
		return ""
	}
	tests := []struct {
		name    string
		command bool
		build   func() (adapter.Adapter, error)
	}{
		{"reference", false, ref(adapter.ReferenceOptions{})},
		{"reference in-process, grouped", false, ref(adapter.ReferenceOptions{InProcess: true, Group: group})},
		{"http, every step", false, func() (adapter.Adapter, error) {
			return adapter.New(adapter.ProviderSpec{Adapter: adapter.HTTP, HTTP: &adapter.HTTPSpec{
				BaseURL:          srv.URL,
				Endpoint:         []adapter.HTTPStep{{Path: "/endpoints", Body: `{"url":"{{url}}"}`, Extract: map[string]string{"endpoint_id": "$.id", "secret": "$.secret"}}},
				Trigger:          adapter.HTTPStep{Path: "/events", Body: `{"id":"{{id}}"}`},
				EndpointTeardown: []adapter.HTTPStep{{Method: http.MethodDelete, Path: "/endpoints/{{endpoint_id}}"}},
				RotateSecret:     []adapter.HTTPStep{{Path: "/endpoints/{{endpoint_id}}/secret", Body: `{"secret":"{{new_secret}}"}`}},
				Restart:          []adapter.HTTPStep{{Path: "/restart"}},
			}}, adapter.Options{})
		}},
		{"http, least steps", false, func() (adapter.Adapter, error) {
			return adapter.New(adapter.ProviderSpec{Adapter: adapter.HTTP, HTTP: &adapter.HTTPSpec{
				BaseURL:  srv.URL,
				Endpoint: []adapter.HTTPStep{{Path: "/endpoints", Body: `{"url":"{{url}}","secret":"{{secret}}"}`}},
				Trigger:  adapter.HTTPStep{Path: "/events"},
			}}, adapter.Options{})
		}},
		{"command, every step", true, func() (adapter.Adapter, error) {
			return adapter.New(adapter.ProviderSpec{Adapter: adapter.Command, Command: &adapter.CommandSpec{
				Endpoint:         []adapter.CommandStep{{Run: sh("echo '" + answer + "'"), Extract: map[string]string{"secret": "$.secret"}}},
				Trigger:          adapter.CommandStep{Run: sh("echo '{{id}}' >/dev/null")},
				EndpointTeardown: []adapter.CommandStep{{Run: sh("true")}},
				RotateSecret:     []adapter.CommandStep{{Run: sh("true {{new_secret}}")}},
				Restart:          []adapter.CommandStep{{Run: sh("true")}},
			}}, adapter.Options{})
		}},
		{"command, least steps", true, func() (adapter.Adapter, error) {
			return adapter.New(adapter.ProviderSpec{Adapter: adapter.Command, Command: &adapter.CommandSpec{
				Trigger: adapter.CommandStep{Run: sh("true")},
			}}, adapter.Options{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.command && shErr != nil {
				t.Skip("no /bin/sh")
			}
			a, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			eps := []adapter.EndpointSpec{
				{Name: "a", Path: "/a", URL: "http://127.0.0.1:9/a", Scheme: signature.SchemeStandard, Secret: given},
				{Name: "b", Path: "/b", URL: "http://127.0.0.1:9/b", Scheme: signature.SchemeStandard, Secret: given},
			}
			if err := a.Setup(ctx, eps); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = a.Teardown(context.WithoutCancel(ctx)) })
			caps := a.Capabilities()
			works := func(what string, ok bool, op func() error) bool {
				if !ok {
					return false
				}
				err := op()
				if errors.Is(err, adapter.ErrUnsupported) {
					return false
				}
				if err != nil {
					t.Errorf("%s: %v", what, err)
				}
				return true
			}
			src, ok := a.(adapter.SecretSource)
			read := ok && src.EndpointSecrets()["a"] != given && src.EndpointSecrets()["a"] != ""
			rot, ok := a.(adapter.SecretRotator)
			rotate := works("rotate secret", ok, func() error { _, err := rot.RotateSecret(ctx, "a"); return err })
			rs, ok := a.(adapter.Restarter)
			restart := works("restart", ok, func() error { return rs.Restart(ctx) })
			st, ok := a.(adapter.Stopper)
			stop := works("stop", ok, func() error {
				if err := st.Stop(ctx); err != nil {
					return err
				}
				return st.Start(ctx)
			})
			del, ok := a.(adapter.EndpointDeleter)
			deleted := works("delete endpoint", ok, func() error { return del.DeleteEndpoint(ctx, "b") })
			for _, c := range []struct {
				name       string
				flag, impl bool
			}{
				{"ReadSecret/SecretSource", caps.ReadSecret, read},
				{"RotateSecret/SecretRotator", caps.RotateSecret, rotate},
				{"Restart/Restarter", caps.Restart, restart},
				{"Stop/Stopper", caps.Stop, stop},
				{"DeleteEndpoint/EndpointDeleter", caps.DeleteEndpoint, deleted},
			} {
				if c.flag != c.impl {
					t.Errorf("%s: capability %v, implemented %v", c.name, c.flag, c.impl)
				}
			}
		})
	}
}
