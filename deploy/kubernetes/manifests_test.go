// Package kubernetes holds the Kubernetes manifests of hookbench and the
// tests that check them without a cluster: every file decodes strictly
// into the Kubernetes API types, every kustomization renders, the pods
// keep to the security and resource rules, and every hookbench command
// line parses with hookbench's own flags.
package kubernetes

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomizations are the directories kubectl apply -k is meant for.
var kustomizations = []string{"base", "provider", "fetch", "overlays/rehearsal", "overlays/external"}

// applied are the overlays a user applies whole: each must render every
// object its pods refer to, except userObjects.
var applied = []string{"overlays/rehearsal", "overlays/external"}

// userObjects are created by the user with kubectl just before a run,
// not by an overlay: the start barrier must be computed at that moment.
var userObjects = map[string]bool{"ConfigMap/hookbench-start": true}

const image = "ghcr.io/hookbench/hookbench:v0.1.0"

// objects is a decoded set of manifests, keyed by kind/name.
type objects map[string]any

func key(kind, name string) string { return kind + "/" + name }

// decodeStrict decodes one YAML document into its API type, refusing
// unknown fields, and returns its kind/name key.
func decodeStrict(doc []byte) (string, any, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return "", nil, err
	}
	var obj any
	switch meta.APIVersion + " " + meta.Kind {
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	case "v1 Pod":
		obj = &corev1.Pod{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		obj = &types.Kustomization{}
	default:
		return "", nil, fmt.Errorf("unexpected apiVersion %q kind %q", meta.APIVersion, meta.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return "", nil, fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err)
	}
	return key(meta.Kind, meta.Metadata.Name), obj, nil
}

// splitDocs splits a multi-document YAML file.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// TestManifestsDecodeStrictly: every YAML file under this directory is
// made of known API objects with no unknown or misspelt field, and every
// kustomization lists files that exist.
func TestManifestsDecodeStrictly(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(kustomizations)+4 {
		t.Fatalf("found only %d manifests: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := splitDocs(b)
		if len(docs) == 0 {
			t.Errorf("%s: no document", f)
		}
		for _, doc := range docs {
			_, obj, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if k, ok := obj.(*types.Kustomization); ok {
				if filepath.Base(f) != "kustomization.yaml" {
					t.Errorf("%s: a Kustomization must be named kustomization.yaml", f)
				}
				for _, r := range k.Resources {
					if _, err := os.Stat(filepath.Join(filepath.Dir(f), r)); err != nil {
						t.Errorf("%s: resource %s: %v", f, r, err)
					}
				}
			}
		}
	}
}

// render builds one kustomization as kubectl apply -k would and decodes
// every object strictly.
func render(t *testing.T, dir string) objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objs := objects{}
	for _, r := range m.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		k, obj, err := decodeStrict(b)
		if err != nil {
			t.Fatalf("%s: rendered %v", dir, err)
		}
		objs[k] = obj
	}
	return objs
}

// TestKustomizationsRender: every kustomization renders, with the
// objects each one is for.
func TestKustomizationsRender(t *testing.T) {
	want := map[string][]string{
		"base":               {"PersistentVolumeClaim/hookbench-traces", "Deployment/hookbench-sink", "Service/hookbench-sink", "Job/hookbench-gen", "Job/hookbench-merge"},
		"provider":           {"Deployment/hookbench-provider", "Service/hookbench-provider"},
		"fetch":              {"Pod/hookbench-fetch"},
		"overlays/rehearsal": {"Job/hookbench-gen", "Job/hookbench-merge", "Deployment/hookbench-sink", "Deployment/hookbench-provider", "Service/hookbench-provider"},
		"overlays/external":  {"Job/hookbench-gen", "Job/hookbench-merge", "Deployment/hookbench-sink"},
	}
	for _, dir := range kustomizations {
		objs := render(t, dir)
		for _, k := range want[dir] {
			if objs[k] == nil {
				t.Errorf("%s renders no %s", dir, k)
			}
		}
	}
	ext := render(t, "overlays/external")
	if svc, _ := ext["Service/hookbench-sink"].(*corev1.Service); svc == nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("overlays/external: the sink Service must be reachable from outside the cluster (type LoadBalancer)")
	}
	if ext["Deployment/hookbench-provider"] != nil {
		t.Errorf("overlays/external: runs no reference provider")
	}
}

// container is one container of a rendered workload.
type container struct {
	owner     string // kind/name
	pod       corev1.PodSpec
	c         corev1.Container
	indexed   bool // in an Indexed Job: JOB_COMPLETION_INDEX is set
	instances int  // completions or replicas
}

func containers(objs objects) []container {
	var cs []container
	for k, o := range objs {
		var spec corev1.PodSpec
		var indexed bool
		n := 1
		switch o := o.(type) {
		case *batchv1.Job:
			spec = o.Spec.Template.Spec
			indexed = o.Spec.CompletionMode != nil && *o.Spec.CompletionMode == batchv1.IndexedCompletion
			if o.Spec.Completions != nil {
				n = int(*o.Spec.Completions)
			}
		case *appsv1.Deployment:
			spec = o.Spec.Template.Spec
			if o.Spec.Replicas != nil {
				n = int(*o.Spec.Replicas)
			}
		case *corev1.Pod:
			spec = o.Spec
		default:
			continue
		}
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			cs = append(cs, container{owner: k, pod: spec, c: c, indexed: indexed, instances: n})
		}
	}
	slices.SortFunc(cs, func(a, b container) int { return strings.Compare(a.owner+a.c.Name, b.owner+b.c.Name) })
	return cs
}

// TestPodRules: every container runs as non-root on a read-only root
// file system, without privilege escalation or capabilities, with CPU
// and memory requests and limits; everything a pod refers to (volumes,
// ConfigMaps, Secrets, Service selectors) is rendered with it.
func TestPodRules(t *testing.T) {
	for _, dir := range append(slices.Clone(applied), "fetch") {
		objs := render(t, dir)
		cs := containers(objs)
		if len(cs) == 0 {
			t.Fatalf("%s: no containers", dir)
		}
		own := maps.Clone(objs)
		if dir == "fetch" {
			// Applied beside an overlay: it reads the overlay's volume.
			maps.Copy(objs, render(t, "base"))
		}
		for _, c := range cs {
			where := fmt.Sprintf("%s: %s container %s", dir, c.owner, c.c.Name)
			nonRoot := c.pod.SecurityContext != nil && c.pod.SecurityContext.RunAsNonRoot != nil && *c.pod.SecurityContext.RunAsNonRoot
			sc := c.c.SecurityContext
			if sc != nil && sc.RunAsNonRoot != nil {
				nonRoot = *sc.RunAsNonRoot
			}
			if !nonRoot {
				t.Errorf("%s: runAsNonRoot is not true", where)
			}
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem is not true", where)
			}
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation is not false", where)
			}
			if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: capabilities must drop ALL and add none", where)
			}
			if sc != nil && sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: privileged", where)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, okReq := c.c.Resources.Requests[r]
				lim, okLim := c.c.Resources.Limits[r]
				if !okReq || !okLim {
					t.Errorf("%s: no %s request and limit", where, r)
				} else if req.Cmp(lim) > 0 {
					t.Errorf("%s: %s request %s above limit %s", where, r, req.String(), lim.String())
				}
			}
			if c.c.Image == "" || strings.HasSuffix(c.c.Image, ":latest") || !strings.Contains(c.c.Image, ":") {
				t.Errorf("%s: image %q has no pinned tag", where, c.c.Image)
			}
			for _, v := range c.pod.Volumes {
				if v.PersistentVolumeClaim != nil && objs[key("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName)] == nil {
					t.Errorf("%s: volume %s claims %s, which is not rendered", where, v.Name, v.PersistentVolumeClaim.ClaimName)
				}
			}
			for _, m := range c.c.VolumeMounts {
				if !slices.ContainsFunc(c.pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
					t.Errorf("%s: mount of unknown volume %s", where, m.Name)
				}
			}
			for _, e := range c.c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					checkRef(t, objs, where, e.Name, "ConfigMap", r.Name, r.Key)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					checkRef(t, objs, where, e.Name, "Secret", r.Name, r.Key)
				}
			}
		}
		for k, o := range own {
			svc, ok := o.(*corev1.Service)
			if !ok {
				continue
			}
			if !slices.ContainsFunc(cs, func(c container) bool { return selects(svc, objs, c) }) {
				t.Errorf("%s: %s selects no container with its target ports", dir, k)
			}
		}
	}
}

func checkRef(t *testing.T, objs objects, where, env, kind, name, k string) {
	t.Helper()
	if userObjects[key(kind, name)] {
		return
	}
	switch o := objs[key(kind, name)].(type) {
	case *corev1.ConfigMap:
		if _, ok := o.Data[k]; !ok {
			t.Errorf("%s: env %s: ConfigMap %s has no key %s", where, env, name, k)
		}
	case *corev1.Secret:
		_, inData := o.Data[k]
		_, inString := o.StringData[k]
		if !inData && !inString {
			t.Errorf("%s: env %s: Secret %s has no key %s", where, env, name, k)
		}
	default:
		t.Errorf("%s: env %s: %s %s is not rendered", where, env, kind, name)
	}
}

// selects reports whether svc's selector matches c's pod labels and c
// exposes every port the Service targets.
func selects(svc *corev1.Service, objs objects, c container) bool {
	var labels map[string]string
	switch o := objs[c.owner].(type) {
	case *appsv1.Deployment:
		labels = o.Spec.Template.Labels
	default:
		return false
	}
	for k, v := range svc.Spec.Selector {
		if labels[k] != v {
			return false
		}
	}
	for _, p := range svc.Spec.Ports {
		if !slices.ContainsFunc(c.c.Ports, func(cp corev1.ContainerPort) bool {
			return cp.Name == p.TargetPort.String() || strconv.Itoa(int(cp.ContainerPort)) == p.TargetPort.String()
		}) {
			return false
		}
	}
	return len(svc.Spec.Selector) > 0
}

// shardFlag finds --shard auto/N in a command line.
var shardFlag = regexp.MustCompile(`^--shard[= ]auto/(\d+)$`)

// TestShardCount: the generator Job runs one pod per shard, all at once,
// and as many sinks as shards.
func TestShardCount(t *testing.T) {
	for _, dir := range applied {
		objs := render(t, dir)
		job, _ := objs["Job/hookbench-gen"].(*batchv1.Job)
		if job == nil {
			t.Fatalf("%s: no generator Job", dir)
		}
		if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
			t.Errorf("%s: the generator Job is not Indexed", dir)
		}
		var n int
		for _, a := range job.Spec.Template.Spec.Containers[0].Args {
			if m := shardFlag.FindStringSubmatch(a); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
		}
		if n < 1 {
			t.Fatalf("%s: the generator has no --shard auto/N", dir)
		}
		if job.Spec.Completions == nil || int(*job.Spec.Completions) != n || job.Spec.Parallelism == nil || int(*job.Spec.Parallelism) != n {
			t.Errorf("%s: --shard auto/%d needs completions = parallelism = %d", dir, n, n)
		}
		if !slices.ContainsFunc(job.Spec.Template.Spec.Containers[0].Args, func(a string) bool { return strings.HasPrefix(a, "--start-at=") }) {
			t.Errorf("%s: the shards share no --start-at", dir)
		}
		sink, _ := objs["Deployment/hookbench-sink"].(*appsv1.Deployment)
		if sink == nil || sink.Spec.Replicas == nil || int(*sink.Spec.Replicas) != n {
			t.Errorf("%s: want %d sink replicas, one per shard", dir, n)
		}
		merge, _ := objs["Job/hookbench-merge"].(*batchv1.Job)
		if merge == nil || merge.Spec.Suspend == nil || !*merge.Spec.Suspend {
			t.Errorf("%s: the merge Job must start suspended: the traces are complete only after the run", dir)
		}
	}
}

// varRef is Kubernetes' $(NAME) reference in command and args.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// environment resolves a container's environment as the kubelet would:
// literal values, rendered ConfigMaps and Secrets, the downward API, and
// JOB_COMPLETION_INDEX in an Indexed Job.
func environment(t *testing.T, objs objects, c container, index int) map[string]string {
	t.Helper()
	env := map[string]string{}
	if c.indexed {
		env["JOB_COMPLETION_INDEX"] = strconv.Itoa(index)
	}
	for _, e := range c.c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = varRef.ReplaceAllStringFunc(e.Value, func(s string) string {
				if v, ok := env[s[2:len(s)-1]]; ok {
					return v
				}
				return s
			})
		case e.ValueFrom.ConfigMapKeyRef != nil:
			r := e.ValueFrom.ConfigMapKeyRef
			if key("ConfigMap", r.Name) == "ConfigMap/hookbench-start" && r.Key == "START_AT" {
				// What docs/scale-out.md has the user create: a minute ahead.
				env[e.Name] = time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
				continue
			}
			if cm, ok := objs[key("ConfigMap", r.Name)].(*corev1.ConfigMap); ok {
				env[e.Name] = cm.Data[r.Key]
			}
		case e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			if s, ok := objs[key("Secret", r.Name)].(*corev1.Secret); ok {
				env[e.Name] = string(s.Data[r.Key])
				if v, ok := s.StringData[r.Key]; ok {
					env[e.Name] = v
				}
			}
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = map[string]string{
				"metadata.name":      "hookbench-sink-5d8f7c9b4-x2k7q",
				"metadata.namespace": "default",
			}[e.ValueFrom.FieldRef.FieldPath]
		}
		if _, ok := env[e.Name]; !ok || env[e.Name] == "" {
			t.Errorf("%s container %s: env %s resolves to nothing", c.owner, c.c.Name, e.Name)
		}
	}
	return env
}

// expand replaces $(NAME) as the kubelet does: a reference to an unknown
// name stays as written.
func expand(s string, env map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		if v, ok := env[ref[2:len(ref)-1]]; ok {
			return v
		}
		return ref
	})
}

// argv is the command line a container runs, in hookbench's terms: the
// arguments after the hookbench binary. A /bin/sh -c script must be a
// single "exec hookbench ..." of plain words (globs allowed), so that it
// can be checked here.
func argv(c corev1.Container, env map[string]string) ([]string, error) {
	var line []string
	for _, s := range append(slices.Clone(c.Command), c.Args...) {
		line = append(line, expand(s, env))
	}
	if len(line) >= 3 && (line[0] == "/bin/sh" || line[0] == "sh") && line[1] == "-c" {
		script := line[2]
		if strings.ContainsAny(script, "'\"\\;&|<>`$\n") {
			return nil, fmt.Errorf("script %q: only plain words are checked here", script)
		}
		words := strings.Fields(script)
		if len(words) < 2 || words[0] != "exec" || words[1] != "hookbench" {
			return nil, fmt.Errorf("script %q: want exec hookbench ...", script)
		}
		return words[2:], nil
	}
	if len(c.Command) > 0 {
		if filepath.Base(line[0]) != "hookbench" {
			return nil, fmt.Errorf("command %q: want hookbench or the image's entrypoint", line[0])
		}
		line = line[1:]
	}
	return line, nil
}

// buildHookbench builds the hookbench binary of the enclosing module.
func buildHookbench(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hookbench")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hookbench")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/hookbench: %v\n%s", err, out)
	}
	return bin
}

// TestCommandLinesParse runs every hookbench command line of the
// rendered overlays, with its environment expanded, through the hookbench
// binary of this repository with HOOKBENCH_PARSE_ONLY=1: the command
// parses and validates its flags and exits before doing any work. An
// unknown or invalid flag fails with hookbench's own message.
func TestCommandLinesParse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hookbench")
	}
	bin := buildHookbench(t)
	checked := map[string]bool{}
	for _, dir := range append(slices.Clone(applied), "fetch") {
		objs := render(t, dir)
		for _, c := range containers(objs) {
			if c.c.Image != image {
				continue
			}
			runs := 1
			if c.indexed {
				runs = c.instances
			}
			for i := range runs {
				env := environment(t, objs, c, i)
				args, err := argv(c.c, env)
				where := fmt.Sprintf("%s: %s container %s", dir, c.owner, c.c.Name)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = []string{"HOOKBENCH_PARSE_ONLY=1", "PATH=" + os.Getenv("PATH")}
				for k, v := range env {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					t.Errorf("%s (index %d): hookbench %s: %v\n%s", where, i, strings.Join(args, " "), err, stderr.String())
					continue
				}
				if !strings.Contains(stderr.String(), "flags ok") {
					t.Errorf("%s: hookbench %s did not stop at its parse-only checkpoint: %s", where, args[0], stderr.String())
				}
				checked[args[0]] = true
			}
		}
	}
	for _, want := range []string{"gen", "sink", "provider", "report"} {
		if !checked[want] {
			t.Errorf("no %s command line checked", want)
		}
	}
}

// TestArgvRefusesScripts: the check only passes scripts it can read
// exactly.
func TestArgvRefusesScripts(t *testing.T) {
	tests := []struct {
		cmd  []string
		want []string // nil: refused
	}{
		{[]string{"/bin/sh", "-c", "exec hookbench report --merge /traces/*.hbt --out /r"}, []string{"report", "--merge", "/traces/*.hbt", "--out", "/r"}},
		{[]string{"/bin/sh", "-c", "hookbench report a.hbt; rm -rf /traces"}, nil},
		{[]string{"/bin/sh", "-c", "exec hookbench report 'a b.hbt'"}, nil},
		{[]string{"/bin/sh", "-c", "exec other report"}, nil},
		{[]string{"/usr/bin/hookbench", "gen", "--url=$(U)"}, []string{"gen", "--url=http://x/e"}},
		{[]string{"curl", "http://x"}, nil},
	}
	for _, tc := range tests {
		got, err := argv(corev1.Container{Command: tc.cmd}, map[string]string{"U": "http://x/e"})
		if tc.want == nil {
			if err == nil {
				t.Errorf("%q: accepted as %q", tc.cmd, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.cmd, got, err, tc.want)
		}
	}
}

// TestTraceNames: every trace a pod writes lands on the shared volume
// where the merge Job's pattern finds it, and pods of one workload never
// share a trace file.
func TestTraceNames(t *testing.T) {
	for _, dir := range applied {
		objs := render(t, dir)
		merge, _ := objs["Job/hookbench-merge"].(*batchv1.Job)
		if merge == nil {
			t.Fatalf("%s: no merge Job", dir)
		}
		margs, err := argv(merge.Spec.Template.Spec.Containers[0], nil)
		if err != nil {
			t.Fatalf("%s: merge Job: %v", dir, err)
		}
		// Trace arguments: files or globs (*.hbt), or directories, which
		// report reads every *.hbt and *.trace of.
		var patterns []string
		for i, a := range margs[1:] {
			prev := margs[i]
			switch {
			case strings.HasSuffix(a, ".hbt"):
				patterns = append(patterns, a)
			case strings.HasPrefix(a, "/") && (!strings.HasPrefix(prev, "--") || prev == "--merge"):
				patterns = append(patterns, a+"/*.hbt", a+"/*.trace")
			}
		}
		if len(patterns) == 0 {
			t.Fatalf("%s: the merge Job reads no trace: %q", dir, margs)
		}
		writers := 0
		for _, c := range containers(objs) {
			for _, a := range c.c.Args {
				path, ok := strings.CutPrefix(a, "--trace=")
				if !ok {
					continue
				}
				writers++
				where := fmt.Sprintf("%s: %s container %s", dir, c.owner, c.c.Name)
				perPod := strings.Contains(path, "$(JOB_COMPLETION_INDEX)") && c.indexed
				for _, e := range c.c.Env {
					if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" &&
						strings.Contains(path, "$("+e.Name+")") {
						perPod = true
					}
				}
				if c.instances > 1 && !perPod {
					t.Errorf("%s: %d pods would write the same trace %s", where, c.instances, path)
				}
				if !slices.ContainsFunc(patterns, func(p string) bool {
					ok, _ := filepath.Match(p, expand(path, map[string]string{"JOB_COMPLETION_INDEX": "0", "POD_NAME": "p"}))
					return ok
				}) {
					t.Errorf("%s: trace %s is not matched by the merge Job's %q", where, path, patterns)
				}
				if !slices.ContainsFunc(c.c.VolumeMounts, func(m corev1.VolumeMount) bool {
					return strings.HasPrefix(path, m.MountPath+"/") && slices.ContainsFunc(c.pod.Volumes, func(v corev1.Volume) bool {
						return v.Name == m.Name && v.PersistentVolumeClaim != nil
					})
				}) {
					t.Errorf("%s: trace %s is not on a persistent volume", where, path)
				}
			}
		}
		if writers < 2 {
			t.Errorf("%s: want traces from the generator and the sinks, found %d writers", dir, writers)
		}
	}
}
