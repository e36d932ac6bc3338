package scenarios_test

import (
	"errors"
	"fmt"

	"github.com/hookbench/hookbench/scenarios"
)

func ExampleParse() {
	src := []byte(`name: smoke
provider:
  adapter: reference
  reference: {time_scale: 0.001}
policy: svix
sink:
  endpoints:
    - path: /orders
      secret: ${ORDERS_SECRET}
phases:
  - duration: 3s
    rate: 50
`)
	sc, err := scenarios.Parse("smoke.yaml", src, map[string]string{"ORDERS_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ep := sc.Sink.Endpoints[0]
	fmt.Println(sc.Name, sc.Provider.Adapter, sc.Policy.Profile, sc.Policy.MaxAttempts, ep.Scheme)
	fmt.Println(sc.Redactor.Redact("secret=" + ep.Secret))

	// A broken file: the error names the file, the line and the field.
	_, err = scenarios.Parse("broken.yaml", []byte("sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 3s\n    rate: fast\n"), nil)
	var le *scenarios.LoadError
	fmt.Println(errors.As(err, &le), le.Line, le.Field)
	fmt.Println(err)
	// Output:
	// smoke reference svix 8 svix
	// secret=[REDACTED]
	// true 6 phases[0].rate
	// broken.yaml:6: phases[0].rate: expected a number, found a string ("fast")
}
