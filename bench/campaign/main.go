// Command campaign is the client of bench/campaign.sh: it opens many
// connections to a server on 127.0.0.1, sends raw HTTP/1.1 requests (good,
// oversized, malformed, slow) and prints what came back, one line of
// key=value counts per probe. It talks to loopback only.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9700", "server host:port (loopback only)")
	probe := flag.String("probe", "conns", "conns, oversize, malformed, slowloris or one")
	n := flag.Int("n", 100, "connections")
	path := flag.String("path", "/webhook", "request path")
	method := flag.String("method", "POST", "request method")
	wait := flag.Duration("wait", 5*time.Second, "how long each connection waits for an answer")
	hold := flag.Duration("hold", 0, "conns: keep every connection open this long after all answered")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !(host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback()) {
		fmt.Fprintf(os.Stderr, "campaign: -addr %q: want a loopback host:port\n", *addr)
		os.Exit(2)
	}
	if *n < 1 || *n > 20000 {
		fmt.Fprintf(os.Stderr, "campaign: -n %d: want 1..20000\n", *n)
		os.Exit(2)
	}
	good := *method + " " + *path + " HTTP/1.1\r\nHost: campaign\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	switch *probe {
	case "one":
		fmt.Println(summary(run(*addr, 1, *wait, 0, func(int) string { return good })))
	case "conns":
		fmt.Println(summary(run(*addr, *n, *wait, *hold, func(int) string { return good })))
	case "oversize":
		big := strings.Repeat("x", 1000)
		var chunks strings.Builder
		for range 5000 { // 5 MB in 1000-byte chunks
			chunks.WriteString("3e8\r\n" + big + "\r\n")
		}
		chunks.WriteString("0\r\n\r\n")
		reqs := []string{
			"POST " + *path + " HTTP/1.1\r\nHost: campaign\r\nContent-Length: 50000000\r\n\r\n",
			"POST " + *path + " HTTP/1.1\r\nHost: campaign\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks.String(),
			"POST " + *path + " HTTP/1.1\r\nHost: campaign\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\nContent-Length: 2\r\n\r\n{}",
		}
		fmt.Println(summary(run(*addr, len(reqs), *wait, 0, func(i int) string { return reqs[i] })))
	case "malformed":
		bad := []string{"GARBAGE\r\n\r\n", "\x00\x01\x02\xff\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
			"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}
		fmt.Println(summary(run(*addr, *n, *wait, 0, func(i int) string { return bad[i%len(bad)] })))
	case "slowloris":
		fmt.Println(slowloris(*addr, *n, *wait))
	default:
		fmt.Fprintf(os.Stderr, "campaign: unknown -probe %q\n", *probe)
		os.Exit(2)
	}
}

// run opens n connections at once, writes req(i) on the i-th and reads
// the status line; with hold > 0 every connection stays open until all
// have answered (or waited) and hold has passed. It counts outcomes by
// status code, "timeout", "refused", "closed" (no answer) or "error".
func run(addr string, n int, wait, hold time.Duration, req func(int) string) map[string]int {
	var mu sync.Mutex // guards counts
	counts := map[string]int{}
	var wg sync.WaitGroup
	release := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			out, c := exchange(addr, req(i), wait)
			mu.Lock()
			counts[out]++
			mu.Unlock()
			wg.Done()
			if c != nil {
				if hold > 0 {
					<-release
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	if hold > 0 {
		time.Sleep(hold)
	}
	close(release)
	return counts
}

func exchange(addr, req string, wait time.Duration) (string, net.Conn) {
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return classify(err), nil
	}
	c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, req); err != nil {
		// The server may answer (413, 431) before reading everything.
		if line, rerr := bufio.NewReader(c).ReadString('\n'); rerr == nil {
			return status(line), c
		}
		return classify(err), c
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return classify(err), c
	}
	return status(line), c
}

func status(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "garbled"
	}
	return f[1]
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "refused"):
		return "refused"
	case errors.Is(err, io.EOF), strings.Contains(err.Error(), "reset"):
		return "closed"
	}
	return "error"
}

// slowloris opens n connections that send a request header one byte every
// 100 ms, then checks that a normal request is still answered at once.
func slowloris(addr string, n int, wait time.Duration) string {
	var conns []net.Conn
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			hdr := "POST /webhook HTTP/1.1\r\nHost: campaign\r\nX-Slow: " + strings.Repeat("s", 1000)
			for i := 0; i < len(hdr); i++ {
				if _, err := c.Write([]byte{hdr[i]}); err != nil {
					return
				}
				select {
				case <-t.C:
				case <-stop:
					return
				}
			}
		}()
	}
	time.Sleep(time.Second)
	start := time.Now()
	out, c := exchange(addr, "POST /webhook HTTP/1.1\r\nHost: campaign\r\nContent-Length: 2\r\n\r\n{}", wait)
	took := time.Since(start)
	if c != nil {
		c.Close()
	}
	close(stop)
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	return fmt.Sprintf("slow=%d good_request=%s good_latency_ms=%d", len(conns), out, took.Milliseconds())
}

func summary(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.Itoa(counts[k]))
	}
	return strings.Join(parts, " ")
}
