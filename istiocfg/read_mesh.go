package istiocfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// MeshSource is the form mesh settings were written in.
type MeshSource string

// The forms [ReadMeshSettings] reads.
const (
	// MeshFromIstioOperator: an install.istio.io/v1alpha1 IstioOperator
	// (the input of "istioctl install -f"): spec.meshConfig, and the
	// annotations and labels of its ingress gateway
	// (spec.components.ingressGateways).
	MeshFromIstioOperator MeshSource = "IstioOperator"
	// MeshFromIstiodValues: Helm values of the istio/istiod chart, whose
	// meshConfig key is the mesh configuration.
	MeshFromIstiodValues MeshSource = "istiod values"
	// MeshFromGatewayValues: Helm values of the istio/gateway chart:
	// podAnnotations (the proxy.istio.io/config annotation) and labels.
	MeshFromGatewayValues MeshSource = "gateway values"
	// MeshFromAnnotation: the value of a proxy.istio.io/config annotation
	// on its own.
	MeshFromAnnotation MeshSource = "annotation"
)

// MeshSettings are the proxy settings an Istio ingress gateway runs with,
// as one file gives them: the mesh configuration (meshConfig, whose
// defaultConfig reaches every proxy of the mesh, egress and east-west
// gateways included) and the gateway pods' own proxy.istio.io/config
// annotation, which replaces the top-level fields of defaultConfig it sets
// for those pods only.
//
// The zero value holds no setting: the gateway runs with Istio's defaults.
type MeshSettings struct {
	// Source is the form the settings were read in.
	Source MeshSource
	// Mesh is the mesh configuration; nil when the file has none (gateway
	// values, an annotation).
	Mesh *meshv1alpha1.MeshConfig
	// PodAnnotations and Labels are the gateway pods' (the istio/gateway
	// chart's podAnnotations and labels, an IstioOperator ingress gateway's
	// k8s.podAnnotations and label); nil when the file sets none.
	PodAnnotations map[string]string
	Labels         map[string]string
	// Proxy is the proxy.istio.io/config annotation decoded (for
	// MeshFromAnnotation, the whole input); nil when there is none.
	Proxy *meshv1alpha1.ProxyConfig
	// Ignored are the fields of the file that were read but do not change
	// the gateway's proxy settings, as field paths ("global",
	// "spec.profile", "spec.components.ingressGateways[1]"), sorted. Helm
	// values and IstioOperators carry many; they are listed rather than
	// refused, and never dropped without a word.
	Ignored []string
}

// DefaultConfig returns the mesh's default proxy configuration
// (meshConfig.defaultConfig), or nil.
func (s *MeshSettings) DefaultConfig() *meshv1alpha1.ProxyConfig {
	if s == nil {
		return nil
	}
	return s.Mesh.GetDefaultConfig()
}

// GatewayTopology returns the topology the gateway runs with: the
// annotation's gatewayTopology when it sets one (Istio replaces the
// top-level fields an annotation sets as a whole,
// pkg/config/mesh.MergeProxyConfig), else the mesh default's; nil when
// neither sets it.
func (s *MeshSettings) GatewayTopology() *meshv1alpha1.Topology {
	if s == nil {
		return nil
	}
	if t := s.Proxy.GetGatewayTopology(); t != nil {
		return t
	}
	return s.DefaultConfig().GetGatewayTopology()
}

// NumTrustedProxies returns gatewayTopology.numTrustedProxies, the
// X-Forwarded-For hops the gateway trusts (0: none).
func (s *MeshSettings) NumTrustedProxies() int {
	return int(s.GatewayTopology().GetNumTrustedProxies())
}

// ProxyProtocol reports whether the gateway's listeners expect a PROXY
// protocol header (gatewayTopology.proxyProtocol, Istio 1.23 and later).
func (s *MeshSettings) ProxyProtocol() bool {
	return s.GatewayTopology().GetProxyProtocol() != nil
}

// ReadMeshSettings reads the mesh settings of an ingress gateway from one
// YAML (or JSON) document in any of the forms of [MeshSource], told apart
// by their keys: apiVersion and kind (an IstioOperator; any other kind is
// [ErrUnknownKind]), podAnnotations or labels (gateway chart values),
// meshConfig (istiod chart values), or ProxyConfig fields (an annotation
// value). The mesh configuration and the annotation are decoded strictly
// (a field that is not in istio.io/api's message is an error); other keys
// of values files and IstioOperators are listed in [MeshSettings.Ignored].
//
// Errors are [*Error] values with Doc -1, the field path, and the line of
// the field in data when it can be told.
func ReadMeshSettings(data []byte) (*MeshSettings, error) {
	var doc []byte
	for _, d := range splitDocuments(data) {
		if len(bytes.TrimSpace(stripComments(d))) == 0 {
			continue
		}
		if doc != nil {
			return nil, &Error{Doc: -1, Err: errors.New("mesh settings: more than one YAML document")}
		}
		doc = d
	}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, &Error{Doc: -1, Err: err}
	}
	if js = bytes.TrimSpace(js); len(js) == 0 || string(js) == "null" {
		return &MeshSettings{}, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return nil, &Error{Doc: -1, Err: fmt.Errorf("mesh settings: not a mapping: %w", err)}
	}
	r := meshReader{src: doc, s: &MeshSettings{}}
	switch {
	case top["apiVersion"] != nil || top["kind"] != nil:
		err = r.istioOperator(js)
	case top["podAnnotations"] != nil || top["labels"] != nil:
		r.s.Source = MeshFromGatewayValues
		err = r.values(top)
	case top["meshConfig"] != nil:
		r.s.Source = MeshFromIstiodValues
		err = r.values(top)
	default:
		r.s.Source = MeshFromAnnotation
		r.s.Proxy, err = r.proxyConfig("", js)
		if ye := (*Error)(nil); errors.As(err, &ye) {
			ye.Err = fmt.Errorf("not an IstioOperator, Helm values (meshConfig, podAnnotations, labels) or a %s value: %w", ProxyConfigAnnotation, ye.Err)
		}
	}
	if err != nil {
		var ye *Error
		if errors.As(err, &ye) {
			return nil, ye
		}
		return nil, &Error{Doc: -1, Err: err}
	}
	slices.Sort(r.s.Ignored)
	return r.s, nil
}

// meshReader reads one document of mesh settings.
type meshReader struct {
	src []byte
	s   *MeshSettings
}

// fail returns an *Error at path, naming the line of key in the source
// when key occurs there once.
func (r *meshReader) fail(path, key string, err error) *Error {
	if line := keyLine(r.src, key); line > 0 {
		err = fmt.Errorf("line %d: %w", line, err)
	}
	return &Error{Doc: -1, Path: path, Err: err}
}

// values reads Helm values: meshConfig (istiod), podAnnotations and labels
// (gateway); every other key is ignored.
func (r *meshReader) values(top map[string]json.RawMessage) error {
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		var err error
		switch k {
		case "meshConfig":
			r.s.Mesh, err = r.meshConfig(k, v)
		case "podAnnotations":
			err = r.stringMap(k, k, v, &r.s.PodAnnotations)
		case "labels":
			err = r.stringMap(k, k, v, &r.s.Labels)
		default:
			r.s.Ignored = append(r.s.Ignored, k)
		}
		if err != nil {
			return err
		}
	}
	return r.annotation("podAnnotations")
}

// annotation decodes the proxy.istio.io/config pod annotation, if any.
func (r *meshReader) annotation(path string) error {
	a, ok := r.s.PodAnnotations[ProxyConfigAnnotation]
	if !ok {
		return nil
	}
	js, err := yaml.YAMLToJSONStrict([]byte(a))
	if err != nil {
		return r.fail(path+`["`+ProxyConfigAnnotation+`"]`, ProxyConfigAnnotation, err)
	}
	r.s.Proxy, err = r.proxyConfig(path+`["`+ProxyConfigAnnotation+`"]`, js)
	return err
}

func (r *meshReader) stringMap(path, key string, v json.RawMessage, dst *map[string]string) error {
	if string(v) == "null" {
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return r.fail(path, key, errors.New("want a mapping of strings to strings"))
	}
	return nil
}

func (r *meshReader) meshConfig(path string, v json.RawMessage) (*meshv1alpha1.MeshConfig, error) {
	if string(v) == "null" {
		return nil, nil
	}
	m := &meshv1alpha1.MeshConfig{}
	if err := protojson.Unmarshal(v, m); err != nil {
		return nil, r.protoError(path, "meshConfig", err)
	}
	return m, nil
}

func (r *meshReader) proxyConfig(path string, js []byte) (*meshv1alpha1.ProxyConfig, error) {
	if s := string(bytes.TrimSpace(js)); s == "null" || s == "" {
		return nil, nil
	}
	pc := &meshv1alpha1.ProxyConfig{}
	if err := protojson.Unmarshal(js, pc); err != nil {
		return nil, r.protoError(path, ProxyConfigAnnotation, err)
	}
	return pc, nil
}

// protoFieldRE finds the field protojson names in its errors.
var protoFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)

// protoPrefixRE is the prefix of protojson's messages: "proto:", a space
// that is randomly a no-break space, and a position in the JSON the YAML
// was turned into, which would only mislead.
var protoPrefixRE = regexp.MustCompile(`^proto:[\s\x{a0}]*(?:\(line \d+:\d+\):[\s\x{a0}]*)?`)

// protoError locates a protojson error: at the unknown field it names
// when that field occurs once in the source, else at key.
func (r *meshReader) protoError(path, key string, err error) *Error {
	msg := err.Error()
	if m := protoFieldRE.FindStringSubmatch(msg); m != nil && keyLine(r.src, m[1]) > 0 {
		key = m[1]
	}
	return r.fail(path, key, errors.New(protoPrefixRE.ReplaceAllString(msg, "")))
}

// istioOperator reads an IstioOperator: spec.meshConfig and the ingress
// gateway of spec.components.
func (r *meshReader) istioOperator(js []byte) error {
	r.s.Source = MeshFromIstioOperator
	var env struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   json.RawMessage `json:"metadata"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := decodeStrict(js, &env); err != nil {
		return r.fail("", "", err)
	}
	if env.APIVersion != InstallV1Alpha1 || env.Kind != KindIstioOperator {
		return &Error{Doc: -1, Kind: env.Kind, Err: fmt.Errorf("%w: %s %s: mesh settings come from an %s %s", ErrUnknownKind, env.APIVersion, env.Kind, InstallV1Alpha1, KindIstioOperator)}
	}
	var spec istioOperatorSpec
	if len(env.Spec) > 0 && string(env.Spec) != "null" {
		if err := decodeStrict(env.Spec, &spec); err != nil {
			return r.fail("spec", "spec", err)
		}
	}
	r.s.Ignored = append(r.s.Ignored, spec.ignoredFields()...)
	var err error
	if r.s.Mesh, err = r.meshConfig("spec.meshConfig", spec.MeshConfig); err != nil {
		return err
	}
	return r.components(spec.Components)
}

// ioGateway is an ingress gateway of an IstioOperator's components.
type ioGateway struct {
	Name    string            `json:"name"`
	Enabled *bool             `json:"enabled"`
	Label   map[string]string `json:"label"`
	K8s     struct {
		PodAnnotations map[string]string `json:"podAnnotations"`
	} `json:"k8s"`
}

// components reads the ingress gateway of an IstioOperator: the only
// enabled one, or the one named istio-ingressgateway; the rest are
// listed in Ignored.
func (r *meshReader) components(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var comps map[string]json.RawMessage
	if err := json.Unmarshal(raw, &comps); err != nil {
		return r.fail("spec.components", "components", err)
	}
	for _, k := range slices.Sorted(maps.Keys(comps)) {
		if k != "ingressGateways" {
			r.s.Ignored = append(r.s.Ignored, "spec.components."+k)
		}
	}
	var gws []json.RawMessage
	if v := comps["ingressGateways"]; len(v) > 0 && string(v) != "null" {
		if err := json.Unmarshal(v, &gws); err != nil {
			return r.fail("spec.components.ingressGateways", "ingressGateways", err)
		}
	}
	chosen := -1
	var parsed []ioGateway
	for i, g := range gws {
		var gw ioGateway
		// Only the fields read are decoded; the rest of a component (k8s
		// resources, service, hpa...) shapes the Deployment, not the proxy.
		if err := json.Unmarshal(g, &gw); err != nil {
			return r.fail(fmt.Sprintf("spec.components.ingressGateways[%d]", i), "ingressGateways", err)
		}
		parsed = append(parsed, gw)
		if gw.Enabled != nil && !*gw.Enabled {
			continue
		}
		if chosen < 0 || gw.Name == "istio-ingressgateway" {
			chosen = i
		}
	}
	for i := range parsed {
		if i != chosen {
			r.s.Ignored = append(r.s.Ignored, fmt.Sprintf("spec.components.ingressGateways[%d]", i))
		}
	}
	if chosen < 0 {
		return nil
	}
	gw := parsed[chosen]
	r.s.Labels = gw.Label
	r.s.PodAnnotations = gw.K8s.PodAnnotations
	return r.annotation(fmt.Sprintf("spec.components.ingressGateways[%d].k8s.podAnnotations", chosen))
}

// stripComments returns d without its comment lines, to tell an empty
// document.
func stripComments(d []byte) []byte {
	var out []byte
	for _, l := range bytes.Split(d, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			out = append(append(out, l...), '\n')
		}
	}
	return out
}

// keyLine returns the 1-based line where key occurs as a mapping key, in
// block style ("key:", "- key:") or flow style ("{a: 1, key: 2}", with or
// without quotes), when it occurs exactly once, else 0.
func keyLine(src []byte, key string) int {
	if key == "" {
		return 0
	}
	re := regexp.MustCompile(`(?:^\s*(?:-\s+)?|[{,]\s*)["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	line, found := 0, 0
	for i, l := range strings.Split(string(src), "\n") {
		if re.MatchString(l) {
			line = i + 1
			found++
		}
	}
	if found != 1 {
		return 0
	}
	return line
}
