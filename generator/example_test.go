package generator_test

import (
	"context"
	"fmt"
	"net"

	"github.com/hookbench/hookbench/generator"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// A trigger API that accepts every event.
func exampleServer() *fasthttputil.InmemoryListener {
	ln := fasthttputil.NewInmemoryListener()
	go fasthttp.Serve(ln, func(ctx *fasthttp.RequestCtx) { //nolint:errcheck // ends when ln closes
		ctx.SetStatusCode(fasthttp.StatusAccepted)
		ctx.SetBodyString(`{"id":"evt_1"}`)
	})
	return ln
}

func Example() {
	ln := exampleServer()
	defer ln.Close()

	opts := generator.NewOptions()
	opts.URL = "http://provider.test/events"
	opts.Dial = func(string) (net.Conn, error) { return ln.Dial() } // a real run dials opts.URL
	opts.Rate = generator.Constant{Rate: 1000}                      // events per second
	opts.Count = 50
	opts.Body = `{"type":"{{type}}","order":{{rand_int 1 100}}}` // + "hookbench_id": the event id
	g, err := generator.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := g.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sent %d of %d intended, %d accepted, %d missed\n", s.Sent, s.Intended, s.Statuses[202], s.Missed)
	// Output: sent 50 of 50 intended, 50 accepted, 0 missed
}

func ExampleNewPacer() {
	p, err := generator.NewPacer(generator.PacerSpec{Rate: "100:5000", Ramp: 60e9}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	wait, _ := p.Pace(0, 0)
	fmt.Println(p, wait)
	// Output: 100/s→5000/s over 1m0s 0s
}
