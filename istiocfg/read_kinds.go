package istiocfg

import (
	"encoding/json"

	"google.golang.org/protobuf/proto"
	securityv1beta1 "istio.io/api/security/v1beta1"
)

// The security.istio.io apiVersions [ReadYAML] reads; v1 is served from
// the v1beta1 Go types.
const (
	SecurityV1      = "security.istio.io/v1"
	SecurityV1Beta1 = "security.istio.io/v1beta1"
)

// KindAuthorizationPolicy is the kind of an Istio AuthorizationPolicy,
// read by [ReadYAML] into a *securityv1beta1.AuthorizationPolicy.
const KindAuthorizationPolicy = "AuthorizationPolicy"

// readSpec is [newSpec] with the kinds drawbridge reads but never writes.
func readSpec(apiVersion, kind string) (proto.Message, bool) {
	if m, ok := newSpec(apiVersion, kind); ok {
		return m, true
	}
	if (apiVersion == SecurityV1 || apiVersion == SecurityV1Beta1) && kind == KindAuthorizationPolicy {
		return &securityv1beta1.AuthorizationPolicy{}, true
	}
	return nil, false
}

// istioOperatorSpec is the spec of an install.istio.io/v1alpha1
// IstioOperator (istio/istio operator/pkg/apis IstioOperatorSpec): only
// meshConfig is decoded; the fields that choose what istioctl installs are
// named so that a strict decode accepts them and refuses the rest.
type istioOperatorSpec struct {
	MeshConfig           json.RawMessage `json:"meshConfig"`
	Components           json.RawMessage `json:"components"`
	Profile              json.RawMessage `json:"profile"`
	InstallPackagePath   json.RawMessage `json:"installPackagePath"`
	Hub                  json.RawMessage `json:"hub"`
	Tag                  json.RawMessage `json:"tag"`
	ResourceSuffix       json.RawMessage `json:"resourceSuffix"`
	Namespace            json.RawMessage `json:"namespace"`
	Revision             json.RawMessage `json:"revision"`
	CompatibilityVersion json.RawMessage `json:"compatibilityVersion"`
	Values               json.RawMessage `json:"values"`
	UnvalidatedValues    json.RawMessage `json:"unvalidatedValues"`
}

// ignoredFields returns the spec fields of s that are set and not read
// (everything but meshConfig and components), as "spec.<field>".
func (s *istioOperatorSpec) ignoredFields() []string {
	var out []string
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{
		{"compatibilityVersion", s.CompatibilityVersion},
		{"hub", s.Hub},
		{"installPackagePath", s.InstallPackagePath},
		{"namespace", s.Namespace},
		{"profile", s.Profile},
		{"resourceSuffix", s.ResourceSuffix},
		{"revision", s.Revision},
		{"tag", s.Tag},
		{"unvalidatedValues", s.UnvalidatedValues},
		{"values", s.Values},
	} {
		if len(f.v) > 0 && string(f.v) != "null" {
			out = append(out, "spec."+f.name)
		}
	}
	return out
}
