// Command helmrender renders a Helm chart the way `helm template` does, for tests on machines where the
// helm binary cannot be installed. It uses the same template engine (text/template), the same function
// library (Masterminds/sprig) and Helm's own additions (include, tpl, toYaml, fromYaml, required, fail,
// lookup, ...), with values coalesced like Helm's (chart values.yaml, then each -f file; a null deletes).
//
// Built in GOPATH mode from Debian's packages (no module download):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o helmrender ./tests/deploy/helmrender
//
// Usage:
//
//	helmrender -chart helm/ecs-why [-f override.yaml ...] [-name R] [-namespace N]
//	           [-kube-version 1.30.0] [-api-versions monitoring.coreos.com/v1,...]
//	           [-notes | -show-values]
//
// Output: the manifests as `helm template` prints them ("---" and a "# Source:" line per template),
// or with -notes the rendered NOTES.txt, or with -show-values the coalesced values as JSON (what Helm
// validates against values.schema.json). Errors go to stderr with exit status 1.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

const recursionMaxNums = 1000

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// ---- values -------------------------------------------------------------------------------------------

// jsonNormalize turns a decoded YAML document into what Helm holds after sigs.k8s.io/yaml: JSON types
// (numbers are float64, maps are map[string]interface{}).
func jsonNormalize(v interface{}) (interface{}, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out interface{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func readYAMLMap(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc interface{}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc == nil {
		return map[string]interface{}{}, nil
	}
	norm, err := jsonNormalize(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m, ok := norm.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: top level is not a map", file)
	}
	return m, nil
}

// coalesce merges src over dst like Helm: maps merge key by key, anything else is replaced, and a null
// in src removes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(dst))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if v == nil {
			delete(out, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = coalesce(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// ---- YAML/JSON helpers as Helm defines them ------------------------------------------------------------

// integralFloats turns float64 values without a fraction back into int64, so that YAML output shows
// 3000 and not 3e+03 (sigs.k8s.io/yaml goes through JSON and prints integers).
func integralFloats(v interface{}) interface{} {
	switch t := v.(type) {
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
		return t
	case map[string]interface{}:
		out := make(map[string]interface{}, len(t))
		for k, x := range t {
			out[k] = integralFloats(x)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = integralFloats(x)
		}
		return out
	default:
		return v
	}
}

func toYAML(v interface{}) string {
	norm, err := jsonNormalize(v)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(integralFloats(norm)); err != nil {
		return ""
	}
	_ = enc.Close()
	return strings.TrimSuffix(buf.String(), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	var doc interface{}
	if err := yaml.Unmarshal([]byte(str), &doc); err != nil {
		m["Error"] = err.Error()
		return m
	}
	norm, err := jsonNormalize(doc)
	if err != nil {
		m["Error"] = err.Error()
		return m
	}
	if mm, ok := norm.(map[string]interface{}); ok {
		return mm
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	var doc interface{}
	if err := yaml.Unmarshal([]byte(str), &doc); err != nil {
		return []interface{}{err.Error()}
	}
	norm, err := jsonNormalize(doc)
	if err != nil {
		return []interface{}{err.Error()}
	}
	if a, ok := norm.([]interface{}); ok {
		return a
	}
	return []interface{}{}
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

// ---- .Files and .Capabilities --------------------------------------------------------------------------

// Files is the chart's non-template files, with the accessors charts use most.
type Files map[string][]byte

func (f Files) GetBytes(name string) []byte { return f[name] }
func (f Files) Get(name string) string      { return string(f[name]) }

func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

func (f Files) Lines(name string) []string {
	s := string(f[name])
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func (f Files) AsConfig() string {
	m := map[string]string{}
	for name, data := range f {
		m[path.Base(name)] = string(data)
	}
	return toYAML(m)
}

func (f Files) AsSecrets() string {
	m := map[string][]byte{}
	for name, data := range f {
		m[path.Base(name)] = data
	}
	return toYAML(m) // []byte marshals to base64 through JSON, as in Helm
}

// VersionSet is .Capabilities.APIVersions.
type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

func (k KubeVersion) String() string { return k.Version }

var defaultAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
	"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1",
	"admissionregistration.k8s.io/v1", "storage.k8s.io/v1", "coordination.k8s.io/v1",
	"discovery.k8s.io/v1", "scheduling.k8s.io/v1", "node.k8s.io/v1", "certificates.k8s.io/v1",
}

// Helm lists every kind too ("apps/v1/Deployment"); charts rarely ask for it, so the common ones are here.
var defaultKinds = []string{
	"v1/Service", "v1/Secret", "v1/ConfigMap", "v1/ServiceAccount", "apps/v1/Deployment",
	"policy/v1/PodDisruptionBudget", "autoscaling/v2/HorizontalPodAutoscaler", "networking.k8s.io/v1/Ingress",
}

// ---- chart -----------------------------------------------------------------------------------------------

var chartKeys = map[string]string{
	"apiVersion": "APIVersion", "name": "Name", "version": "Version", "appVersion": "AppVersion",
	"description": "Description", "type": "Type", "kubeVersion": "KubeVersion", "home": "Home",
	"icon": "Icon", "keywords": "Keywords", "sources": "Sources", "maintainers": "Maintainers",
	"annotations": "Annotations", "deprecated": "Deprecated", "dependencies": "Dependencies",
}

func readChart(dir string) (map[string]interface{}, error) {
	raw, err := readYAMLMap(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	meta := map[string]interface{}{}
	for k, v := range raw {
		if name, ok := chartKeys[k]; ok {
			meta[name] = v
		}
	}
	for _, k := range []string{"Name", "Version"} {
		if s, _ := meta[k].(string); s == "" {
			return nil, fmt.Errorf("Chart.yaml: %s is required", strings.ToLower(k))
		}
	}
	return meta, nil
}

func readFiles(dir string) (Files, error) {
	files := Files{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "templates" || rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "Chart.yaml" || rel == "values.yaml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = data
		return nil
	})
	return files, err
}

type templateFile struct {
	name string // e.g. ecs-why/templates/deployment.yaml
	text string
}

func readTemplates(dir, chartName string) ([]templateFile, error) {
	var out []templateFile
	root := filepath.Join(dir, "templates")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, templateFile{name: chartName + "/templates/" + filepath.ToSlash(rel), text: string(data)})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, err
}

// ---- engine ----------------------------------------------------------------------------------------------

type engine struct {
	tmpl *template.Template
}

func (e *engine) funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env") // Helm removes these two: a chart must not read the renderer's environment
	delete(f, "expandenv")
	includedNames := map[string]int{}
	extra := template.FuncMap{
		"toYaml":        toYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"toToml": func(interface{}) (string, error) {
			return "", errors.New("toToml is not supported by this renderer")
		},
		"include": func(name string, data interface{}) (string, error) {
			if includedNames[name] > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
			}
			includedNames[name]++
			defer func() { includedNames[name]-- }()
			var buf strings.Builder
			if err := e.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
				return "", err
			}
			return buf.String(), nil
		},
		"tpl": func(text string, data interface{}) (string, error) {
			clone, err := e.tmpl.Clone()
			if err != nil {
				return "", err
			}
			name := "tpl"
			if m, ok := data.(map[string]interface{}); ok {
				if t, ok := m["Template"].(map[string]interface{}); ok {
					if n, ok := t["Name"].(string); ok && n != "" {
						name = n + "#tpl"
					}
				}
			}
			t, err := clone.New(name).Option("missingkey=zero").Parse(text)
			if err != nil {
				return "", fmt.Errorf("cannot parse template %q: %w", text, err)
			}
			var buf strings.Builder
			if err := t.Execute(&buf, data); err != nil {
				return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
			}
			return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
		},
		"required": func(warn string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, errors.New(warn)
			}
			if s, ok := val.(string); ok && s == "" {
				return val, errors.New(warn)
			}
			return val, nil
		},
		"fail": func(msg string) (string, error) { return "", errors.New(msg) },
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil // as `helm template`: no cluster to ask
		},
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// cleanError shortens Go's template errors to Helm's "execution error at (file:line:col): message".
func cleanError(err error) error {
	msg := err.Error()
	const marker = "error calling "
	if i := strings.LastIndex(msg, marker); i >= 0 {
		rest := msg[i+len(marker):]
		if j := strings.Index(rest, ": "); j >= 0 {
			loc := msg
			if k := strings.Index(msg, ": executing"); k >= 0 {
				loc = strings.TrimPrefix(msg[:k], "template: ")
			}
			return fmt.Errorf("execution error at (%s): %s", loc, rest[j+2:])
		}
	}
	return err
}

type options struct {
	chartDir    string
	valueFiles  []string
	name        string
	namespace   string
	kubeVersion string
	apiVersions []string
	notes       bool
	showValues  bool
}

func run(opts options) (string, error) {
	chart, err := readChart(opts.chartDir)
	if err != nil {
		return "", err
	}
	chartName := chart["Name"].(string)
	values, err := readYAMLMap(filepath.Join(opts.chartDir, "values.yaml"))
	if err != nil {
		return "", err
	}
	for _, f := range opts.valueFiles {
		override, err := readYAMLMap(f)
		if err != nil {
			return "", err
		}
		values = coalesce(values, override)
	}
	if opts.showValues {
		data, err := json.MarshalIndent(values, "", "  ")
		return string(data) + "\n", err
	}
	files, err := readFiles(opts.chartDir)
	if err != nil {
		return "", err
	}
	templates, err := readTemplates(opts.chartDir, chartName)
	if err != nil {
		return "", err
	}

	kv := strings.TrimPrefix(opts.kubeVersion, "v")
	parts := strings.SplitN(kv, ".", 3)
	if len(parts) < 2 {
		return "", fmt.Errorf("-kube-version %q: want MAJOR.MINOR[.PATCH]", opts.kubeVersion)
	}
	apiVersions := append(append(append(VersionSet{}, defaultAPIVersions...), defaultKinds...), opts.apiVersions...)
	capabilities := map[string]interface{}{
		"KubeVersion": KubeVersion{Version: "v" + kv, Major: parts[0], Minor: parts[1], GitVersion: "v" + kv},
		"APIVersions": apiVersions,
		"HelmVersion": map[string]interface{}{"Version": "v3.15.0", "GoVersion": "go1.22"},
	}
	release := map[string]interface{}{
		"Name": opts.name, "Namespace": opts.namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}

	e := &engine{}
	e.tmpl = template.New("gotpl").Option("missingkey=zero")
	e.tmpl.Funcs(e.funcMap())
	for _, t := range templates {
		if _, err := e.tmpl.New(t.name).Parse(t.text); err != nil {
			return "", fmt.Errorf("parse error in %s", strings.TrimPrefix(err.Error(), "template: "))
		}
	}

	render := func(name string) (string, error) {
		data := map[string]interface{}{
			"Values": values, "Release": release, "Chart": chart, "Capabilities": capabilities,
			"Files":    files,
			"Template": map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"},
		}
		var buf strings.Builder
		if err := e.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return "", cleanError(err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}

	var out strings.Builder
	notesName := chartName + "/templates/NOTES.txt"
	for _, t := range templates {
		base := path.Base(t.name)
		if opts.notes {
			if t.name == notesName {
				s, err := render(t.name)
				if err != nil {
					return "", err
				}
				out.WriteString(s)
			}
			continue
		}
		if strings.HasPrefix(base, "_") || t.name == notesName {
			continue
		}
		s, err := render(t.name)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", t.name, strings.TrimRight(s, "\n"))
	}
	return out.String(), nil
}

func main() {
	var opts options
	var valueFiles multiFlag
	var apiVersions string
	flag.StringVar(&opts.chartDir, "chart", "", "chart directory (with Chart.yaml)")
	flag.Var(&valueFiles, "f", "values file merged over the chart's values.yaml (repeatable)")
	flag.StringVar(&opts.name, "name", "release-name", "release name")
	flag.StringVar(&opts.namespace, "namespace", "default", "release namespace")
	flag.StringVar(&opts.kubeVersion, "kube-version", "1.30.0", "Kubernetes version for .Capabilities")
	flag.StringVar(&apiVersions, "api-versions", "", "extra API versions for .Capabilities (comma-separated)")
	flag.BoolVar(&opts.notes, "notes", false, "print the rendered NOTES.txt instead of the manifests")
	flag.BoolVar(&opts.showValues, "show-values", false, "print the coalesced values as JSON")
	flag.Parse()
	if opts.chartDir == "" {
		fmt.Fprintln(os.Stderr, "helmrender: -chart is required")
		os.Exit(2)
	}
	opts.valueFiles = valueFiles
	if apiVersions != "" {
		opts.apiVersions = strings.Split(apiVersions, ",")
	}
	out, err := run(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}
