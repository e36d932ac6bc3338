package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// helpFlags reads a command's flags from its --help text, the user's view
// of them, independent of how the completion scripts collect them.
func helpFlags(t *testing.T, name string) (long, short []string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{name, "--help"}, nil, &out, &errb); code != exitOK {
		t.Fatalf("%s --help: exit %d: %s", name, code, errb.String())
	}
	re := regexp.MustCompile(`(?m)^\s+(?:-([a-zA-Z0-9]), )?--([a-z0-9-]+)`)
	for _, m := range re.FindAllStringSubmatch(out.String(), -1) {
		long = append(long, m[2])
		if m[1] != "" {
			short = append(short, m[1])
		}
	}
	if len(long) == 0 && name != "version" && name != "completion" {
		t.Fatalf("%s --help lists no flags:\n%s", name, out.String())
	}
	return long, short
}

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"completion", shell}, nil, &out, &errb); code != exitOK {
		t.Fatalf("completion %s: exit %d: %s", shell, code, errb.String())
	}
	return out.String()
}

func TestCompletionListsEveryCommandAndFlag(t *testing.T) {
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			for name := range commands() {
				if !regexp.MustCompile(`(?m)(^|[\s'"])` + name + `[\s:)]`).MatchString(script) {
					t.Errorf("command %s missing", name)
				}
				// The part of the script about this command.
				part := commandPart(t, shell, script, name)
				long, short := helpFlags(t, name)
				var all []string
				for _, f := range long {
					all = append(all, "--"+f)
				}
				for _, f := range short {
					all = append(all, "-"+f)
				}
				for _, f := range all {
					if !offers(shell, part, f) {
						t.Errorf("%s: flag %s missing", name, f)
					}
				}
			}
		})
	}
}

// offers reports whether a shell's script part for one command offers
// flag (--name or -x) as a completion.
func offers(shell, part, flag string) bool {
	switch shell {
	case "bash":
		m := regexp.MustCompile(`(?m)^\s*flags="([^"]*)"`).FindStringSubmatch(part)
		return m != nil && slices.Contains(strings.Fields(m[1]), flag)
	case "zsh":
		return regexp.MustCompile(`[')*]` + regexp.QuoteMeta(flag) + `[\[=]`).MatchString(part)
	default:
		name, short := strings.TrimPrefix(flag, "--"), ""
		if !strings.HasPrefix(flag, "--") {
			name, short = "", strings.TrimPrefix(flag, "-")
		}
		if short != "" {
			return strings.Contains(part, " -s "+short+" ")
		}
		return strings.Contains(part, " -l "+name+" ")
	}
}

// commandPart cuts out the lines of script that complete one command.
func commandPart(t *testing.T, shell, script, name string) string {
	t.Helper()
	switch shell {
	case "fish":
		var b strings.Builder
		for _, l := range strings.Split(script, "\n") {
			if strings.Contains(l, "'__fish_seen_subcommand_from "+name+"'") {
				b.WriteString(l + "\n")
			}
		}
		return b.String()
	default:
		i := strings.Index(script, "\n    "+name+")\n")
		if i < 0 {
			t.Fatalf("%s: no case for %s", shell, name)
		}
		rest := script[i+1:]
		j := strings.Index(rest, ";;")
		if j < 0 {
			t.Fatalf("%s: case %s not closed", shell, name)
		}
		return rest[:j]
	}
}

func TestCompletionUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"completion"}, "want one shell"},
		{[]string{"completion", "tcsh"}, `unknown shell "tcsh"`},
		{[]string{"completion", "bash", "zsh"}, "want one shell"},
		{[]string{"completion", "--bogus"}, "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tt.args, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

// TestCompletionShells parses each script with its shell, when installed,
// and asks bash and fish for completions as they would while typing.
func TestCompletionShells(t *testing.T) {
	dir := t.TempDir()
	syntax := map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}}
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			bin, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("%s not installed", shell)
			}
			f := filepath.Join(dir, "hookbench."+shell)
			if err := os.WriteFile(f, []byte(completionScript(t, shell)), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, append(syntax[shell], f)...).CombinedOutput(); err != nil {
				t.Fatalf("%s %v: %v\n%s", shell, syntax[shell], err, out)
			}
			if shell == "zsh" {
				return // zsh completes only inside its line editor
			}
			tests := []struct {
				line string // the words typed; the last one is completed
				want []string
				not  []string
			}{
				{"hookbench co", []string{"conform", "completion"}, []string{"check"}},
				{"hookbench conform --ju", []string{"--junit"}, []string{"--json"}},
				{"hookbench -q sink --list-", []string{"--list-schemes", "--list-rule-keys"}, nil},
				{"hookbench trace s", []string{"stats"}, []string{"dump"}},
				{"hookbench completion f", []string{"fish"}, nil},
				{"hookbench conform --junit ", nil, []string{"--junit", "--json"}},
			}
			for _, tt := range tests {
				words := strings.Split(tt.line, " ")
				script := "source " + f + "\nCOMP_WORDS=(" + quoteWords(words) + ")\nCOMP_CWORD=" +
					strconv.Itoa(len(words)-1) + "\n_hookbench\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
				if shell == "fish" {
					script = "source " + f + "; complete -C '" + tt.line + "'"
				}
				out, err := exec.Command(bin, "-c", script).CombinedOutput()
				if err != nil {
					t.Fatalf("%q: %v\n%s", tt.line, err, out)
				}
				var got []string
				for _, l := range strings.Split(string(out), "\n") {
					if w, _, _ := strings.Cut(l, "\t"); w != "" {
						got = append(got, w) // fish: word TAB description
					}
				}
				for _, w := range tt.want {
					if !slices.Contains(got, w) {
						t.Errorf("%q completes to %v, want %s among them", tt.line, got, w)
					}
				}
				for _, w := range tt.not {
					if slices.Contains(got, w) {
						t.Errorf("%q completes to %v, want no %s", tt.line, got, w)
					}
				}
			}
		})
	}
}

func quoteWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = "'" + w + "'"
	}
	return strings.Join(q, " ")
}
