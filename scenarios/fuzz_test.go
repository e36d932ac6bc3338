package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the loader: it must return a scenario
// or a *LoadError, never panic or hang.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(validScenario))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("sink:\n  endpoints: [{path: /a}]\n  rules:\n    - status=503\n    - {endpoint: /a, status: 500, body: 'a,b', reset: }\n    - [x]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("phases:\n  - duration: ${D:-1s}\n    rate: ${R}\n"))
	f.Add([]byte("policy: {profile: svix, backoff: {kind: exponential}}\n"))
	f.Add([]byte("policy: {max_attempts: unlimited, retry_window: 24h, backoff: {kind: schedule, schedule: [1h], repeat: true}}\nsink: {endpoints: [{path: /a}]}\nphases: [{duration: 1s}]\n"))
	f.Add([]byte("policy: {max_attempts: 1, scheme: none}\nconform: {type_prefix: acme., max_endpoints: 5}\nsink: {endpoints: [{path: /a}]}\nphases: [{duration: 1s}]\n"))
	f.Add([]byte("provider:\n  adapter: http\n  http:\n    base_url: http://h\n    vars: {a: '{{run_id}}-{{b}}', b: x}\n" +
		"    trigger: {path: '/t/{{endpoint.name}}'}\n    settle: {wait: 1s, poll: {path: /s}, until: {$.s: ok}}\n" +
		"    rotate_secret: [{path: /r, body: '{\"s\":\"{{new_secret}}\"}'}]\n    restart: [{path: /x}]\n" +
		"sink: {endpoints: [{path: /a}]}\nphases: [{duration: 1s}]\n"))
	f.Add([]byte("policy: {scheme: generic, scheme_options: {header: X-S, template: \"{body}\"}}\nsink:\n  endpoints:\n    - path: /a\n      options: {template: \"a,b{body}\", types: [x, y], secret: [s1, s2]}\nphases:\n  - duration: 1s\n"))
	vars := map[string]string{"R": "10", "API_KEY": "k", "D": "2s"}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data, vars)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error is not a *LoadError: %T %v", err, err)
			}
			return
		}
		if sc == nil || len(sc.Phases) == 0 || len(sc.Sink.Endpoints) == 0 {
			t.Fatalf("accepted an incomplete scenario: %+v", sc)
		}
	})
}
