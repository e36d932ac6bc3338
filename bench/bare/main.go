// Command bare is the baseline of bench/sink.sh: a fasthttp server that
// answers every request with 200 and an empty body, nothing else.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	readTimeout := flag.Duration("read-timeout", 0, "fasthttp's ReadTimeout (0 = none), to compare with the sink's deadlines")
	idleTimeout := flag.Duration("idle-timeout", 0, "fasthttp's IdleTimeout (0 = none)")
	flag.Parse()
	if err := run(*listen, *readTimeout, *idleTimeout); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(2)
	}
}

func run(listen string, readTimeout, idleTimeout time.Duration) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Printf("bare listening on http://%s\n", ln.Addr())
	srv := &fasthttp.Server{Handler: func(*fasthttp.RequestCtx) {}, ReadTimeout: readTimeout, IdleTimeout: idleTimeout}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return srv.Shutdown()
	}
}
