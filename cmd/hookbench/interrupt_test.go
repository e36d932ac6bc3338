package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/trace"
)

// cliProc is the hookbench command running in a process of its own (the
// test binary, see TestMain), so that it can be sent signals.
type cliProc struct {
	cmd            *exec.Cmd
	stdout, stderr *strings.Builder
	outw, errw     *lockedWriter
	done           chan struct{}
}

func startCLI(t *testing.T, args ...string) *cliProc {
	t.Helper()
	p := &cliProc{cmd: exec.Command(os.Args[0], args...), stdout: &strings.Builder{}, stderr: &strings.Builder{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), testMainEnv+"=1")
	p.cmd.Dir = t.TempDir()
	p.outw, p.errw = &lockedWriter{w: p.stdout}, &lockedWriter{w: p.stderr}
	p.cmd.Stdout, p.cmd.Stderr = p.outw, p.errw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { defer close(p.done); _ = p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// output returns what the command printed so far.
func (p *cliProc) output() (stdout, stderr string) {
	p.outw.mu.Lock()
	stdout = p.stdout.String()
	p.outw.mu.Unlock()
	p.errw.mu.Lock()
	stderr = p.stderr.String()
	p.errw.mu.Unlock()
	return stdout, stderr
}

// await polls cond until it holds; the command exiting first, or a
// minute passing, fails the test.
func (p *cliProc) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		select {
		case <-p.done:
			out, errs := p.output()
			t.Fatalf("exited before %s:\nstdout:\n%s\nstderr:\n%s", what, out, errs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	out, errs := p.output()
	t.Fatalf("no %s within a minute:\nstdout:\n%s\nstderr:\n%s", what, out, errs)
}

// signal sends sig and returns the exit code once the command ends.
func (p *cliProc) signal(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatal("the command did not stop within 2 minutes of the signal")
	}
	return p.cmd.ProcessState.ExitCode()
}

// checkTrace fails the test unless the trace file is complete: readable
// to its end, with no truncated record.
func checkTrace(t *testing.T, path string) *trace.Trace {
	t.Helper()
	tr, err := trace.ReadFile(path)
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	if tr.Dropped > 0 {
		t.Errorf("trace %s is truncated: %d bytes dropped", path, tr.Dropped)
	}
	if code, out, errs := runCLI(t, "trace", "stats", path); code != exitOK || strings.Contains(out+errs, "truncated") {
		t.Errorf("trace stats: exit %d\n%s%s", code, out, errs)
	}
	return tr
}

// TestInterruptExitCode stops each long-running command with SIGINT or
// SIGTERM once it is at work: it stops cleanly, its trace is complete, and
// it exits 130.
func TestInterruptExitCode(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(target.Close)
	scenario := filepath.Join(t.TempDir(), "long.yaml")
	if err := os.WriteFile(scenario, []byte(`name: long
provider: {adapter: reference, reference: {time_scale: 0.001}}
policy: standard-webhooks
sink: {endpoints: [{name: orders, path: /orders}]}
phases: [{name: steady, duration: 5m, rate: 20}]
drain: 5s
`), 0o600); err != nil {
		t.Fatal(err)
	}
	listening := func(what string) func(*cliProc) bool {
		return func(p *cliProc) bool { out, _ := p.output(); return strings.Contains(out, what) }
	}
	grown := func(p *cliProc) bool {
		st, err := os.Stat(filepath.Join(p.cmd.Dir, "out.trace"))
		return err == nil && st.Size() > 4096
	}
	for _, tc := range []struct {
		name  string
		args  []string
		sig   os.Signal
		ready func(*cliProc) bool
		trace bool
	}{
		{name: "sink", args: []string{"sink", "--listen", "127.0.0.1:0", "--trace", "out.trace"}, sig: syscall.SIGINT, ready: listening("listening on"), trace: true},
		{name: "sink, SIGTERM", args: []string{"sink", "--listen", "127.0.0.1:0", "--trace", "out.trace"}, sig: syscall.SIGTERM, ready: listening("listening on"), trace: true},
		{name: "provider", args: []string{"provider", "--listen", "127.0.0.1:0"}, sig: syscall.SIGINT, ready: listening("listening on")},
		{name: "gen", args: []string{"gen", "--url", target.URL + "/events", "--rate", "200", "--duration", "5m", "--trace", "out.trace"}, sig: syscall.SIGINT,
			ready: func(*cliProc) bool { return hits.Load() > 0 }, trace: true},
		{name: "run", args: []string{"run", scenario, "--trace", "out.trace"}, sig: syscall.SIGINT, ready: grown, trace: true},
		{name: "conform", args: []string{"conform", "--trace", "out.trace"}, sig: syscall.SIGINT, ready: grown, trace: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startCLI(t, tc.args...)
			p.await(t, "work under way", func() bool { return tc.ready(p) })
			code := p.signal(t, tc.sig)
			out, errs := p.output()
			if code != exitInterrupted {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, out, errs)
			}
			if !strings.Contains(errs, "interrupted") {
				t.Errorf("stderr does not say the command was interrupted:\n%s", errs)
			}
			if tc.trace {
				checkTrace(t, filepath.Join(p.cmd.Dir, "out.trace"))
			}
		})
	}
}

// TestConformInterrupted: Ctrl-C during conform grades the fragments that
// finished, SKIPs the checks of the others as interrupted, writes every
// file asked for and the summary, and exits 130.
func TestConformInterrupted(t *testing.T) {
	t.Parallel()
	p := startCLI(t, "conform", "--trace", "out.trace", "--junit", "out.xml", "--json", "out.json")
	p.await(t, "the plan", func() bool { _, errs := p.output(); return strings.Contains(errs, "longest waits:") })
	// The deliver fragment finishes within a second; backoff takes 12 s.
	p.await(t, "the deliver fragment to finish", func() bool {
		f, err := os.Open(filepath.Join(p.cmd.Dir, "out.trace"))
		if err != nil {
			return false
		}
		defer f.Close()
		tr, err := trace.Read(f)
		return err == nil && slices.ContainsFunc(tr.Marks, func(m trace.Mark) bool {
			return m.Type == conformance.FragmentEndMark && m.Name == conformance.FragDeliver
		})
	})
	code := p.signal(t, syscall.SIGINT)
	out, errs := p.output()
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, out, errs)
	}
	for _, want := range []string{"[PASS] ", "[SKIP] 3.1", "-> interrupted: the run stopped before fragment backoff finished", "checks: "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "fragments finished and were graded") {
		t.Errorf("stderr does not say what was graded:\n%s", errs)
	}
	var junit struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testsuite>testcase"`
	}
	b, err := os.ReadFile(filepath.Join(p.cmd.Dir, "out.xml"))
	if err == nil {
		err = xml.Unmarshal(b, &junit)
	}
	if err != nil || len(junit.Cases) == 0 {
		t.Errorf("junit: %v, %d cases\n%s", err, len(junit.Cases), b)
	}
	var report struct {
		Checks []struct {
			ID, Verdict, Summary string
		} `json:"checks"`
	}
	b, err = os.ReadFile(filepath.Join(p.cmd.Dir, "out.json"))
	if err == nil {
		err = json.Unmarshal(b, &report)
	}
	if err != nil || len(report.Checks) != len(junit.Cases) {
		t.Errorf("json: %v, %d checks, junit %d\n%s", err, len(report.Checks), len(junit.Cases), b)
	}
	checkTrace(t, filepath.Join(p.cmd.Dir, "out.trace"))
	// The saved trace grades the same way offline.
	if code, out, errs := runCLI(t, "check", filepath.Join(p.cmd.Dir, "out.trace"), "--only", "3.1"); code == exitUsage || !strings.Contains(out, "interrupted") {
		t.Errorf("check of the interrupted trace: exit %d\n%s%s", code, out, errs)
	}
}

// TestSecondInterrupt: a second signal while the first stop still waits
// (here the sink, for a request its endpoint holds) exits at once.
func TestSecondInterrupt(t *testing.T) {
	t.Parallel()
	p := startCLI(t, "sink", "--listen", "127.0.0.1:0", "--rule", "hang", "--max-hang", "10m", "--grace", "10m")
	var url string
	p.await(t, "the sink to listen", func() bool {
		out, _ := p.output()
		line, ok := strings.CutPrefix(out, "hookbench sink listening on ")
		url, _, _ = strings.Cut(line, "\n")
		return ok && strings.Contains(line, "\n")
	})
	go func() {
		c := &http.Client{Timeout: 10 * time.Minute}
		if resp, err := c.Post(url+"/webhook", "application/json", strings.NewReader("{}")); err == nil {
			resp.Body.Close()
		}
	}()
	p.await(t, "the request to hang", func() bool {
		resp, err := http.Get(url + "/_hookbench/stats")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct {
			InFlight int64 `json:"in_flight"`
		}
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.InFlight > 0
	})
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	p.await(t, "the sink to begin stopping", func() bool { out, _ := p.output(); return strings.Contains(out, "stopping:") })
	// Past signalEcho, the next signal is a second Ctrl-C, not an echo
	// of the first.
	time.Sleep(signalEcho + 100*time.Millisecond)
	code := p.signal(t, syscall.SIGINT)
	_, errs := p.output()
	if code != exitInterrupted || !strings.Contains(errs, "interrupted again: stopping at once") {
		t.Errorf("exit %d, want %d, stderr:\n%s", code, exitInterrupted, errs)
	}
	var ee *exec.ExitError
	if err := p.cmd.Wait(); err != nil && !errors.As(err, &ee) && !strings.Contains(err.Error(), "already") {
		t.Log(err)
	}
}
