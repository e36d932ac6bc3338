package suite_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/suite"
)

// Running the suite against the embedded reference provider with one fault
// switched on, and printing the verdicts. (Not run as a test: it takes the
// suite's full ~15 s; TestSuiteFaults does this for every fault.)
func ExampleRun() {
	o := suite.NewOptions()
	o.Provider.Reference.Faults = []string{"no-jitter"}
	o.Eval.Only = []string{"3"}
	rep, err := suite.Run(context.Background(), o)
	if err != nil {
		fmt.Println(err)
		return
	}
	conformance.WriteText(os.Stdout, rep.Results, conformance.TextOptions{Title: rep.Policy.Summary()})
	if conformance.Failed(rep.Results) {
		fmt.Println("3.3 and 3.4 fail: the retries come in lock-step")
	}
}
