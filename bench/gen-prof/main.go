// Command gen-prof runs the generator in capacity mode against a URL with a
// CPU profile, for optimising the send path (used by hand, not by CI).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/hookbench/hookbench/generator"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18202/", "target")
	rate := flag.Float64("rate", 0, "rate")
	dur := flag.Duration("d", 5*time.Second, "duration")
	conns := flag.Int("c", 64, "connections")
	out := flag.String("cpuprofile", "/tmp/gen.prof", "profile file")
	flag.Parse()
	o := generator.NewOptions()
	o.URL, o.Rate, o.Duration, o.Connections = *url, generator.Constant{Rate: *rate}, *dur, *conns
	g, err := generator.New(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s, _ := g.Run(context.Background())
	pprof.StopCPUProfile()
	f.Close()
	_ = s.WriteText(os.Stdout)
}
