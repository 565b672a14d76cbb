package istiocfg

import (
	"cmp"
	"slices"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"

	"google.golang.org/protobuf/proto"
)

// The apiVersions drawbridge writes. Gateway, VirtualService,
// DestinationRule and ServiceEntry are served as networking.istio.io/v1
// (v1 and v1beta1 are aliases of the v1alpha3 Go types); EnvoyFilter exists
// only as v1alpha3.
const (
	NetworkingV1       = "networking.istio.io/v1"
	NetworkingV1Alpha3 = "networking.istio.io/v1alpha3"
	TelemetryV1        = "telemetry.istio.io/v1"
	InstallV1Alpha1    = "install.istio.io/v1alpha1"
)

// The kinds drawbridge writes and reads.
const (
	KindGateway         = "Gateway"
	KindVirtualService  = "VirtualService"
	KindDestinationRule = "DestinationRule"
	KindServiceEntry    = "ServiceEntry"
	KindEnvoyFilter     = "EnvoyFilter"
	KindTelemetry       = "Telemetry"
	KindIstioOperator   = "IstioOperator"
)

// ObjectMeta is the part of Kubernetes object metadata a generator sets.
type ObjectMeta struct {
	Name        string
	Namespace   string            // empty: the namespace kubectl applies to
	Labels      map[string]string // written sorted by key
	Annotations map[string]string // written sorted by key
}

// Object is one Kubernetes object: an envelope around an istio.io/api
// message, without k8s.io/apimachinery.
//
// Spec is the object's spec message: *networking.Gateway for a Gateway,
// *telemetry.Telemetry for a Telemetry, and so on (the constructors below
// say which). An
// IstioOperator has no Go type in istio.io/api; drawbridge only writes its
// spec.meshConfig, so its Spec is a *meshv1alpha1.MeshConfig written under
// spec.meshConfig.
type Object struct {
	APIVersion string
	Kind       string
	Metadata   ObjectMeta
	Spec       proto.Message
}

// NewGateway returns a networking.istio.io/v1 Gateway.
func NewGateway(name, namespace string, spec *networking.Gateway) Object {
	return Object{APIVersion: NetworkingV1, Kind: KindGateway, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewVirtualService returns a networking.istio.io/v1 VirtualService.
func NewVirtualService(name, namespace string, spec *networking.VirtualService) Object {
	return Object{APIVersion: NetworkingV1, Kind: KindVirtualService, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewDestinationRule returns a networking.istio.io/v1 DestinationRule.
func NewDestinationRule(name, namespace string, spec *networking.DestinationRule) Object {
	return Object{APIVersion: NetworkingV1, Kind: KindDestinationRule, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewServiceEntry returns a networking.istio.io/v1 ServiceEntry.
func NewServiceEntry(name, namespace string, spec *networking.ServiceEntry) Object {
	return Object{APIVersion: NetworkingV1, Kind: KindServiceEntry, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewEnvoyFilter returns a networking.istio.io/v1alpha3 EnvoyFilter.
func NewEnvoyFilter(name, namespace string, spec *networking.EnvoyFilter) Object {
	return Object{APIVersion: NetworkingV1Alpha3, Kind: KindEnvoyFilter, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewTelemetry returns a telemetry.istio.io/v1 Telemetry.
func NewTelemetry(name, namespace string, spec *telemetry.Telemetry) Object {
	return Object{APIVersion: TelemetryV1, Kind: KindTelemetry, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewAuthorizationPolicy returns a security.istio.io/v1 AuthorizationPolicy
// (v1 is served from the v1beta1 Go types).
func NewAuthorizationPolicy(name, namespace string, spec *securityv1beta1.AuthorizationPolicy) Object {
	return Object{APIVersion: SecurityV1, Kind: KindAuthorizationPolicy, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
}

// NewIstioOperator returns an install.istio.io/v1alpha1 IstioOperator whose
// spec.meshConfig is mesh (the input of "istioctl install -f").
func NewIstioOperator(name, namespace string, mesh *meshv1alpha1.MeshConfig) Object {
	return Object{APIVersion: InstallV1Alpha1, Kind: KindIstioOperator, Metadata: ObjectMeta{Name: name, Namespace: namespace}, Spec: mesh}
}

// newSpec returns a new, empty spec message for the given apiVersion and
// kind, or false when drawbridge does not know the pair.
func newSpec(apiVersion, kind string) (proto.Message, bool) {
	switch apiVersion {
	case NetworkingV1, NetworkingV1Alpha3, "networking.istio.io/v1beta1":
		switch kind {
		case KindGateway:
			return &networking.Gateway{}, true
		case KindVirtualService:
			return &networking.VirtualService{}, true
		case KindDestinationRule:
			return &networking.DestinationRule{}, true
		case KindServiceEntry:
			return &networking.ServiceEntry{}, true
		case KindEnvoyFilter:
			if apiVersion == NetworkingV1Alpha3 {
				return &networking.EnvoyFilter{}, true
			}
		}
	case TelemetryV1, "telemetry.istio.io/v1alpha1":
		if kind == KindTelemetry {
			return &telemetry.Telemetry{}, true
		}
	case SecurityV1:
		if kind == KindAuthorizationPolicy {
			return &securityv1beta1.AuthorizationPolicy{}, true
		}
	case InstallV1Alpha1:
		if kind == KindIstioOperator {
			return &meshv1alpha1.MeshConfig{}, true
		}
	}
	return nil, false
}

// SortObjects sorts objs by kind, namespace and name, the order
// [WriteYAML] writes them in.
func SortObjects(objs []Object) {
	slices.SortStableFunc(objs, compareObjects)
}

func compareObjects(a, b Object) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Metadata.Namespace, b.Metadata.Namespace),
		cmp.Compare(a.Metadata.Name, b.Metadata.Name),
	)
}
