package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/spf13/pflag"
)

// ghStep is a step of a GitHub workflow or composite action.
type ghStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	With  map[string]any    `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

type ghAction struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Steps []ghStep `yaml:"steps"`
	} `yaml:"runs"`
}

type ghWorkflow struct {
	Name string `yaml:"name"`
	On   any    `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string   `yaml:"runs-on"`
		Steps  []ghStep `yaml:"steps"`
	} `yaml:"jobs"`
}

type gitlabJob struct {
	Image       string            `yaml:"image"`
	Variables   map[string]string `yaml:"variables"`
	Script      []string          `yaml:"script"`
	AfterScript []string          `yaml:"after_script"`
	Artifacts   struct {
		When    string   `yaml:"when"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// hookbenchLine is one hookbench invocation found in a shell script.
type hookbenchLine struct {
	cmd  string
	args []string
	text string
}

// hookbenchLines finds the hookbench commands in shell text: a word whose
// last path element is hookbench, then a subcommand, then the words up to
// the end of the command (a redirect, a pipe, ;, && or &).
func hookbenchLines(script string) []hookbenchLine {
	script = strings.ReplaceAll(script, "\\\n", " ")
	cmds := commands()
	var out []hookbenchLine
	for _, line := range strings.Split(script, "\n") {
		words := strings.Fields(line)
		for i := 0; i+1 < len(words); i++ {
			w := strings.Trim(words[i], `"'`)
			if w != "hookbench" && !strings.HasSuffix(w, "/hookbench") {
				continue
			}
			if _, ok := cmds[words[i+1]]; !ok {
				continue
			}
			hl := hookbenchLine{cmd: words[i+1], text: strings.TrimSpace(line)}
			for _, a := range words[i+2:] {
				if slices.Contains([]string{";", "&&", "||", "|", "&", ">", "2>&1"}, a) || strings.HasPrefix(a, ">") {
					break
				}
				hl.args = append(hl.args, a)
			}
			out = append(out, hl)
			i++
		}
	}
	return out
}

// parseHookbenchLine parses a command line with the command's real flag
// set: flag names and value types (durations, numbers) must be right.
// Shell expansions stand for strings; a flag taking a number is given one.
func parseHookbenchLine(t *testing.T, where string, hl hookbenchLine) {
	t.Helper()
	if err := parseLine(hl); err != nil {
		t.Errorf("%s: %q: %v", where, hl.text, err)
	}
}

func parseLine(hl hookbenchLine) error {
	var fs *pflag.FlagSet
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, onFlagSet: func(f *pflag.FlagSet) { fs = f }}
	if err := commands()[hl.cmd].run(context.Background(), e, []string{"--help"}); !errors.Is(err, pflag.ErrHelp) || fs == nil {
		return fmt.Errorf("%s --help: %v", hl.cmd, err)
	}
	args := make([]string, len(hl.args))
	for i, a := range hl.args {
		args[i] = strings.Trim(a, `"'`)
		if strings.Contains(a, "$") && i > 0 && strings.HasPrefix(hl.args[i-1], "--") {
			if f := fs.Lookup(strings.TrimPrefix(hl.args[i-1], "--")); f != nil && f.Value.Type() != "string" && f.Value.Type() != "stringArray" {
				args[i] = "1" // a number or duration from a variable
			}
		}
	}
	fs.SetOutput(io.Discard)
	return fs.Parse(args)
}

var inputRef = regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`)
var envRef = regexp.MustCompile(`\$\{?(HB_[A-Z_]+)`)

func TestActionYAML(t *testing.T) {
	var a ghAction
	readYAML(t, "action.yml", &a)
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" {
		t.Fatalf("action.yml: want name, description and runs.using composite; got %q, %q, %q", a.Name, a.Description, a.Runs.Using)
	}
	doc, err := os.ReadFile("../../docs/install.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range a.Inputs {
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %s: want a description and a default", name)
		}
		if !strings.Contains(string(doc), "\n| `"+name+"` |") {
			t.Errorf("input %s is missing from the inputs table of docs/install.md", name)
		}
	}
	used := map[string]bool{}
	var conform, report, upload, wait int = -1, -1, -1, -1
	for i, s := range a.Runs.Steps {
		b, _ := yaml.Marshal(s)
		for _, m := range inputRef.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
			if _, ok := a.Inputs[m[1]]; !ok {
				t.Errorf("step %d (%s): inputs.%s is not declared", i, s.Name, m[1])
			}
		}
		if s.Uses != "" && !regexp.MustCompile(`^[\w-]+/[\w-]+@v\d+$`).MatchString(s.Uses) {
			t.Errorf("step %d: uses %q: want an action pinned to a major tag", i, s.Uses)
		}
		if s.Run != "" {
			if s.Shell == "" {
				t.Errorf("step %d (%s): a composite action's run step needs a shell", i, s.Name)
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %d (%s): expressions belong in env, not in the script (injection)", i, s.Name)
			}
			for _, m := range envRef.FindAllStringSubmatch(s.Run, -1) {
				if _, ok := s.Env[m[1]]; !ok {
					t.Errorf("step %d (%s): $%s is not set in its env", i, s.Name, m[1])
				}
			}
			for _, hl := range hookbenchLines(s.Run) {
				parseHookbenchLine(t, "action.yml", hl)
				switch hl.cmd {
				case "conform":
					conform = i
				case "report":
					report = i
				}
			}
			if strings.Contains(s.Run, "curl") && strings.Contains(s.Run, "deadline") {
				wait = i
			}
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			upload = i
		}
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}
	if wait < 0 || conform < 0 || report < 0 || upload < 0 || !(wait < conform && conform < report && report < upload) {
		t.Fatalf("want steps in order: wait for readiness, conform, report, upload; got %d, %d, %d, %d", wait, conform, report, upload)
	}
	st := a.Runs.Steps
	if !strings.Contains(st[wait].If, "inputs.ready-url") {
		t.Errorf("the readiness wait should run only with a ready-url, if: %q", st[wait].If)
	}
	if st[conform].ID == "" || strings.Contains(st[conform].Run, "|| true") || strings.Contains(st[conform].Run, "set +e") {
		t.Errorf("the conform step needs an id and must let its exit code fail the job")
	}
	for _, i := range []int{report, upload} {
		if !strings.Contains(st[i].If, "always()") {
			t.Errorf("step %d (%s) must run after a FAIL too: if: %q", i, st[i].Name, st[i].If)
		}
	}
	paths, _ := st[upload].With["path"].(string)
	for _, in := range []string{"junit", "json", "trace", "html"} {
		if !strings.Contains(st[conform].Run+st[report].Run, "$HB_"+strings.ToUpper(in)) {
			t.Errorf("input %s is not passed to hookbench", in)
		}
		if !strings.Contains(paths, "inputs."+in) {
			t.Errorf("input %s is not uploaded", in)
		}
	}
}

func TestActionExampleWorkflow(t *testing.T) {
	var a ghAction
	readYAML(t, "action.yml", &a)
	var w ghWorkflow
	readYAML(t, "deploy/github/conformance.yml", &w)
	if w.Name == "" || w.On == nil || len(w.Jobs) == 0 {
		t.Fatal("conformance.yml: want name, on and jobs")
	}
	found := false
	for job, j := range w.Jobs {
		started := ""
		for i, s := range j.Steps {
			for _, hl := range hookbenchLines(s.Run) {
				parseHookbenchLine(t, "conformance.yml", hl)
				if hl.cmd == "provider" && strings.HasSuffix(strings.TrimSpace(s.Run), "&") {
					started = strings.Join(hl.args, " ")
				}
			}
			if s.Uses != "./" {
				continue
			}
			found = true
			for k := range s.With {
				if _, ok := a.Inputs[k]; !ok {
					t.Errorf("%s step %d: with.%s is not an input of action.yml (%v)", job, i, k, slices.Sorted(maps.Keys(a.Inputs)))
				}
			}
			ready, _ := s.With["ready-url"].(string)
			m := regexp.MustCompile(`^http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(ready)
			if m == nil {
				t.Fatalf("%s: ready-url %q: want the provider's local health check", job, ready)
			}
			if started == "" || !strings.Contains(started, "--listen "+m[1]) {
				t.Errorf("%s: no earlier step starts a provider in the background on %s", job, m[1])
			}
			args, _ := s.With["args"].(string)
			parseHookbenchLine(t, "conformance.yml args", hookbenchLine{cmd: "conform", args: strings.Fields(args), text: args})
			if sc, _ := s.With["scenario"].(string); sc != "" {
				if _, err := os.Stat("../../" + sc); err != nil {
					t.Errorf("scenario: %v", err)
				}
			}
		}
	}
	if !found {
		t.Error("conformance.yml: no step uses the action (uses: ./)")
	}
}

func TestActionGitLab(t *testing.T) {
	var jobs map[string]gitlabJob
	readYAML(t, "deploy/gitlab/conformance.gitlab-ci.yml", &jobs)
	j, ok := jobs["conformance"]
	if !ok {
		t.Fatal("no conformance job")
	}
	if j.Artifacts.When != "always" || j.Artifacts.Reports.JUnit == "" {
		t.Errorf("artifacts: want when: always and a reports.junit file; got %+v", j.Artifacts)
	}
	var lines []hookbenchLine
	for _, s := range append(j.Script, j.AfterScript...) {
		lines = append(lines, hookbenchLines(s)...)
	}
	junit := ""
	for _, hl := range lines {
		parseHookbenchLine(t, "gitlab", hl)
		if i := slices.Index(hl.args, "--junit"); hl.cmd == "conform" && i >= 0 && i+1 < len(hl.args) {
			junit = hl.args[i+1]
		}
	}
	if junit == "" || junit != j.Artifacts.Reports.JUnit {
		t.Errorf("conform writes JUnit to %q, the job reports %q", junit, j.Artifacts.Reports.JUnit)
	}
	if !slices.Contains(j.Artifacts.Paths, junit) {
		t.Errorf("artifacts.paths %v lack %s", j.Artifacts.Paths, junit)
	}
}

// TestActionLinesParse proves the line parser rejects what it should, so
// the checks above can fail.
func TestActionLinesParse(t *testing.T) {
	tests := []struct {
		script string
		ok     bool
	}{
		{`hookbench conform x.yaml --junit "$J" --json j.json`, true},
		{`"$RUNNER_TEMP/hookbench" provider --listen 127.0.0.1:1 --timeout 10s \` + "\n  --max-attempts \"$N\" > log 2>&1 &", true},
		{`hookbench conform --junitt x.xml`, false},
		{`hookbench provider --timeout ten`, false},
		{`hookbench sink --listen 0.0.0.0:8080 --public | tee log`, true},
	}
	for _, tt := range tests {
		lines := hookbenchLines(tt.script)
		if len(lines) != 1 {
			t.Fatalf("%q: %d hookbench lines, want 1", tt.script, len(lines))
		}
		if err := parseLine(lines[0]); (err == nil) != tt.ok {
			t.Errorf("%q: parse error %v, want ok = %v", tt.script, err, tt.ok)
		}
	}
}

// TestDocsInstallCommands parses every hookbench command of docs/install.md
// with the command's flags, the container's docker run lines included.
func TestDocsInstallCommands(t *testing.T) {
	b, err := os.ReadFile("../../docs/install.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := hookbenchLines(string(b))
	seen := map[string]bool{}
	for _, hl := range lines {
		parseHookbenchLine(t, "docs/install.md", hl)
		seen[strings.TrimSpace(hl.cmd+" "+strings.Join(hl.args, " "))] = true
	}
	for _, want := range []string{"sink --listen 0.0.0.0:8080 --public", "version", "completion bash"} {
		if !seen[want] {
			t.Errorf("docs/install.md lacks hookbench %s", want)
		}
	}
}

// TestProductDockerfile: the image builds with the script CI runs, from
// the Go release go.mod names, and runs hookbench as a non-root user.
func TestProductDockerfile(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile("../../" + p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	df, ci, mod := read("Dockerfile"), read(".ci/run"), read("go.mod")
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod: no go directive")
	}
	for _, want := range []string{
		"FROM docker.io/library/golang:" + m[1] + " AS build",
		"scripts/build-static.sh /out/hookbench",
		`ENTRYPOINT ["hookbench"]`,
		"USER nonroot",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^FROM (gcr\.io/distroless/static\S*:nonroot|scratch)$`).MatchString(df) {
		t.Error("Dockerfile: the final stage should be distroless/static:nonroot or scratch")
	}
	if !regexp.MustCompile(`(?m)^[^#\n]*scripts/build-static\.sh`).MatchString(ci) {
		t.Error(".ci/run does not run scripts/build-static.sh")
	}
	script := read("scripts/build-static.sh")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "-X main.commit=", "-X main.date="} {
		if !strings.Contains(script, want) {
			t.Errorf("scripts/build-static.sh lacks %s", want)
		}
	}
}

// The Conformance step passes the args input to conform as the user wrote
// it: split on whitespace on one line, one argument per line (spaces kept)
// in a block. The step's script runs in bash with a stub hookbench that
// prints its arguments.
func TestActionArgsSplitting(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	var a ghAction
	readYAML(t, "action.yml", &a)
	var script string
	for _, s := range a.Runs.Steps {
		if s.ID == "conform" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("action.yml: no step with id conform")
	}
	stub := "hookbench() { printf '<%s>' \"$@\"; }\n"
	for _, tc := range []struct{ name, args, want string }{
		{"one line", "--only 2,4  --var API_KEY=k", "<--only><2,4><--var><API_KEY=k>"},
		{"one per line", "--var\nGREETING=hello world\n\n  --only  \n2,4\n", "<--var><GREETING=hello world><--only><2,4>"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bash, "-c", stub+script)
			cmd.Env = append(os.Environ(), "HB_SCENARIO=p.yaml", "HB_ARGS="+tc.args, "HB_JUNIT=j.xml", "HB_JSON=r.json", "HB_TRACE=t.hbt")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			want := "<conform><p.yaml><--junit><j.xml><--json><r.json><--trace><t.hbt><--force>" + tc.want
			if string(out) != want {
				t.Fatalf("hookbench got\n  %s\nwant\n  %s", out, want)
			}
		})
	}
}
