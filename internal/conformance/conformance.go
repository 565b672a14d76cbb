// Package conformance checks Istio objects the way kube-apiserver does
// before it stores them: against the CustomResourceDefinitions that
// istio.io/api ships (kubernetes/customresourcedefinitions.gen.yaml), with
// k8s.io/apiextensions-apiserver's own code.
//
// It lives in a nested module so that the SDK's go.mod stays free of the
// Kubernetes dependencies.
//
// # What is checked
//
// For each object of a YAML stream, [Validator.ValidateYAML] finds the CRD
// version of its apiVersion and kind and runs, in the API server's order:
//
//   - pruning of fields the structural schema does not declare, reported
//     as errors (kubectl's --validate=strict, fieldValidation=Strict), then
//     the schema's defaults;
//   - the OpenAPI schema validation (types, enums, formats, required
//     fields, bounds) and object-metadata validation of the custom resource
//     strategy;
//   - x-kubernetes-list-type invariants and the x-kubernetes-validations
//     CEL rules, with the API server's cost limits.
//
// A namespaced object without metadata.namespace is checked as if kubectl
// had put it in "default". IstioOperator has no CRD in istio.io/api: its
// spec.meshConfig is decoded strictly into istio.io/api's MeshConfig
// instead, and any other spec field is reported as unknown.
//
// # Usage
//
//	v, err := conformance.Load()
//	...
//	if err := v.ValidateYAML(stream); err != nil { ... }
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// CRDPath is the path of the CRD file inside the istio.io/api module.
const CRDPath = "kubernetes/customresourcedefinitions.gen.yaml"

// ErrNoCRD is returned for objects whose apiVersion and kind no loaded CRD
// serves.
var ErrNoCRD = errors.New("conformance: no CRD serves this apiVersion and kind")

// Validator holds the compiled schemas of every served version of every
// CRD it loaded. It is safe for concurrent use.
type Validator struct {
	versions map[schema.GroupVersionKind]*crdVersion
}

type crdVersion struct {
	namespaced bool
	structural *structuralschema.Structural
	strategy   interface {
		Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	}
}

// Load loads the CRDs of the istio.io/api module this module builds with
// (found with "go list -m", or in GOMODCACHE by the version in the build
// information).
func Load() (*Validator, error) {
	path, err := crdFile()
	if err != nil {
		return nil, err
	}
	return LoadFile(path)
}

func crdFile() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/api").Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return filepath.Join(dir, CRDPath), nil
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", errors.New("conformance: cannot locate istio.io/api: no go command and no build information")
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if gp := os.Getenv("GOPATH"); gp != "" {
			cache = filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
		} else if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	for _, m := range bi.Deps {
		if m.Path == "istio.io/api" {
			return filepath.Join(cache, "istio.io", "api@"+m.Version, CRDPath), nil
		}
	}
	return "", errors.New("conformance: istio.io/api is not a dependency of this binary")
}

// LoadFile loads the CRDs of a YAML stream of CustomResourceDefinitions.
func LoadFile(path string) (*Validator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return LoadCRDs(data)
}

// LoadCRDs loads the CRDs of a YAML stream of CustomResourceDefinitions.
func LoadCRDs(data []byte) (*Validator, error) {
	v := &Validator{versions: map[schema.GroupVersionKind]*crdVersion{}}
	typer := crdserverscheme.NewUnstructuredObjectTyper()
	for _, doc := range splitYAML(data) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			return nil, fmt.Errorf("conformance: CRD: %w", err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
		for _, ver := range crd.Spec.Versions {
			if !ver.Served || ver.Schema == nil {
				continue
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}
			internal := &apiextensions.CustomResourceValidation{}
			if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(ver.Schema, internal, nil); err != nil {
				return nil, fmt.Errorf("conformance: %s: %w", gvk, err)
			}
			ss, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("conformance: %s: not a structural schema: %w", gvk, err)
			}
			if errs := structuralschema.ValidateStructural(nil, ss); len(errs) > 0 {
				return nil, fmt.Errorf("conformance: %s: not a structural schema: %w", gvk, errs.ToAggregate())
			}
			sv, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("conformance: %s: %w", gvk, err)
			}
			v.versions[gvk] = &crdVersion{
				namespaced: namespaced,
				structural: ss,
				strategy:   customresource.NewStrategy(typer, namespaced, gvk, sv, nil, ss, nil, nil, nil),
			}
		}
	}
	if len(v.versions) == 0 {
		return nil, errors.New("conformance: no CustomResourceDefinition with a schema found")
	}
	return v, nil
}

// Kinds returns how many group/version/kinds v can check.
func (v *Validator) Kinds() int { return len(v.versions) }

// ObjectError lists what the API server would refuse in one object.
type ObjectError struct {
	Doc    int    // index of the document in the stream
	Kind   string // the object's kind
	Name   string // the object's name
	Errors []error
}

// Error returns "conformance: document N (Kind name): problem; problem".
func (e *ObjectError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, err := range e.Errors {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("conformance: document %d (%s %s): %s", e.Doc, e.Kind, e.Name, strings.Join(msgs, "; "))
}

// Unwrap returns the individual problems.
func (e *ObjectError) Unwrap() []error { return e.Errors }

// ValidateYAML checks every object of a YAML stream and returns nil, or
// the [*ObjectError]s of the objects the API server would refuse, joined.
// Empty documents are skipped.
func (v *Validator) ValidateYAML(stream []byte) error {
	var errs []error
	for n, doc := range splitYAML(stream) {
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			errs = append(errs, &ObjectError{Doc: n, Errors: []error{err}})
			continue
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(js, &obj); err != nil {
			errs = append(errs, &ObjectError{Doc: n, Errors: []error{err}})
			continue
		}
		if err := v.ValidateObject(obj); err != nil {
			oe := err.(*ObjectError)
			oe.Doc = n
			errs = append(errs, oe)
		}
	}
	return errors.Join(errs...)
}

// ValidateObject checks one object, decoded from JSON (numbers as float64
// or int64). It may modify obj (pruning, default namespace).
func (v *Validator) ValidateObject(obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	oe := &ObjectError{Kind: u.GetKind(), Name: u.GetName()}
	gvk := u.GroupVersionKind()
	if gvk.Group == "install.istio.io" && gvk.Kind == "IstioOperator" {
		oe.Errors = istioOperator(obj)
		if len(oe.Errors) > 0 {
			return oe
		}
		return nil
	}
	cv, ok := v.versions[gvk]
	if !ok {
		oe.Errors = []error{fmt.Errorf("%w: %s", ErrNoCRD, gvk)}
		return oe
	}
	if cv.namespaced && u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	// The API server converts JSON numbers to int64 where they are
	// integers before validation.
	u.Object = runtime.DeepCopyJSON(normalizeNumbers(u.Object).(map[string]any))
	unknown := pruning.PruneWithOptions(u.Object, cv.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		oe.Errors = append(oe.Errors, fmt.Errorf("unknown field %q", p))
	}
	// The API server applies the schema's defaults when it decodes the
	// object, before validation: CEL rules read defaulted fields (a
	// Gateway API parentRef's group and kind, a rule's matches).
	structuraldefaulting.Default(u.Object, cv.structural)
	for _, fe := range cv.strategy.Validate(context.Background(), u) {
		oe.Errors = append(oe.Errors, fe)
	}
	if len(oe.Errors) > 0 {
		return oe
	}
	return nil
}

// normalizeNumbers turns float64 values that hold integers into int64, as
// the API server's JSON decoding does.
func normalizeNumbers(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[k] = normalizeNumbers(v)
		}
	case []any:
		for i, v := range t {
			t[i] = normalizeNumbers(v)
		}
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
	}
	return x
}

func istioOperator(obj map[string]any) []error {
	spec, _ := obj["spec"].(map[string]any)
	var errs []error
	for k, val := range spec {
		if k != "meshConfig" {
			errs = append(errs, fmt.Errorf("unknown field %q (only spec.meshConfig is checked)", "spec."+k))
			continue
		}
		js, err := json.Marshal(val)
		if err == nil {
			err = protojson.Unmarshal(js, &meshv1alpha1.MeshConfig{})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("spec.meshConfig: %w", err))
		}
	}
	return errs
}

// splitYAML splits a YAML stream at "---" lines.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if t := bytes.TrimRight(line, " \t\r\n"); bytes.Equal(t, []byte("---")) {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	return append(docs, cur)
}
