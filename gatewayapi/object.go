package gatewayapi

import (
	"cmp"
	"slices"
)

// The apiVersions and kinds the package writes. Every Gateway API kind is
// written in its standard-channel version of Gateway API v1.6: TLSRoute
// and TCPRoute are served as v1 there.
const (
	GatewayV1 = "gateway.networking.k8s.io/v1"
	CoreV1    = "v1"

	KindGateway        = "Gateway"
	KindListenerSet    = "ListenerSet"
	KindHTTPRoute      = "HTTPRoute"
	KindTLSRoute       = "TLSRoute"
	KindTCPRoute       = "TCPRoute"
	KindReferenceGrant = "ReferenceGrant"
	KindConfigMap      = "ConfigMap"
)

// Group is the API group of the Gateway API kinds.
const Group = "gateway.networking.k8s.io"

// ClassName is the GatewayClass of Istio's Gateway API controller.
const ClassName = "istio"

// GatewayNameLabel is the label Istio puts on the pods it deploys for a
// Gateway, with the Gateway's name as value: the objects that select the
// gateway's pods (AuthorizationPolicy, Telemetry, EnvoyFilter) select them
// by it.
const GatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// Object is one Kubernetes object written by this package: a Gateway API
// object (Spec set) or a ConfigMap (Data set).
type Object struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   Metadata          `json:"metadata"`
	Spec       any               `json:"spec,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
}

// Metadata is the part of Kubernetes object metadata the package sets.
type Metadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// GatewaySpec is the spec of a Gateway.
type GatewaySpec struct {
	GatewayClassName string            `json:"gatewayClassName"`
	Listeners        []Listener        `json:"listeners"`
	AllowedListeners *AllowedListeners `json:"allowedListeners,omitempty"`
	Infrastructure   *Infrastructure   `json:"infrastructure,omitempty"`
	// Addresses name the existing Service of an [ExistingDeployment].
	Addresses []GatewayAddress `json:"addresses,omitempty"`
}

// GatewayAddress is an address of a Gateway: with type Hostname, the
// host of the Service whose workload serves it.
type GatewayAddress struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// MaxListeners is the most listeners a Gateway or a ListenerSet holds.
const MaxListeners = 64

// AllowedListeners says which namespaces' ListenerSets may add listeners
// to a Gateway.
type AllowedListeners struct {
	Namespaces *RouteNamespaces `json:"namespaces"`
}

// ListenerSetSpec is the spec of a ListenerSet: listeners added to the
// Gateway of ParentRef.
type ListenerSetSpec struct {
	ParentRef ListenerSetParent `json:"parentRef"`
	Listeners []Listener        `json:"listeners"`
}

// ListenerSetParent names the Gateway of a ListenerSet, in its namespace.
type ListenerSetParent struct {
	Name string `json:"name"`
}

// Infrastructure is what Istio copies to the resources it deploys for a
// Gateway (annotations on the pods and the Service) and the ConfigMap of
// overlays it applies to them.
type Infrastructure struct {
	Annotations   map[string]string `json:"annotations,omitempty"`
	ParametersRef *ParametersRef    `json:"parametersRef,omitempty"`
}

// ParametersRef names a ConfigMap in the Gateway's namespace.
type ParametersRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// Listener is one listener of a Gateway. Hostname empty means every host.
type Listener struct {
	Name          string         `json:"name"`
	Hostname      string         `json:"hostname,omitempty"`
	Port          int            `json:"port"`
	Protocol      string         `json:"protocol"`
	TLS           *ListenerTLS   `json:"tls,omitempty"`
	AllowedRoutes *AllowedRoutes `json:"allowedRoutes,omitempty"`
}

// The listener protocols and TLS modes.
const (
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
	ProtocolTLS   = "TLS"
	ProtocolTCP   = "TCP"

	TLSTerminate   = "Terminate"
	TLSPassthrough = "Passthrough"
)

// ListenerTLS is the TLS of a listener: Terminate with the certificates of
// Secrets, or Passthrough.
type ListenerTLS struct {
	Mode            string      `json:"mode"`
	CertificateRefs []SecretRef `json:"certificateRefs,omitempty"`
}

// SecretRef names a Secret in the Gateway's namespace.
type SecretRef struct {
	Name string `json:"name"`
}

// AllowedRoutes says which namespaces' routes may attach to a listener.
type AllowedRoutes struct {
	Namespaces *RouteNamespaces `json:"namespaces,omitempty"`
}

// RouteNamespaces selects namespaces: From "Same", "All" or "Selector".
type RouteNamespaces struct {
	From     string         `json:"from"`
	Selector *LabelSelector `json:"selector,omitempty"`
}

// LabelSelector matches labels.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement matches a label's value: Operator In, NotIn,
// Exists or DoesNotExist.
type LabelSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// ParentRef attaches a route to a listener (SectionName) of a Gateway, or
// of a ListenerSet (Group and Kind set).
type ParentRef struct {
	Group       string `json:"group,omitempty"`
	Kind        string `json:"kind,omitempty"`
	Name        string `json:"name"`
	Namespace   string `json:"namespace,omitempty"`
	SectionName string `json:"sectionName,omitempty"`
}

// HTTPRouteSpec is the spec of an HTTPRoute.
type HTTPRouteSpec struct {
	ParentRefs []ParentRef     `json:"parentRefs"`
	Hostnames  []string        `json:"hostnames,omitempty"`
	Rules      []HTTPRouteRule `json:"rules"`
}

// HTTPRouteRule is one rule of an HTTPRoute.
type HTTPRouteRule struct {
	Name        string            `json:"name,omitempty"`
	Matches     []HTTPRouteMatch  `json:"matches,omitempty"`
	Filters     []HTTPRouteFilter `json:"filters,omitempty"`
	BackendRefs []BackendRef      `json:"backendRefs,omitempty"`
}

// HTTPRouteMatch matches requests by path.
type HTTPRouteMatch struct {
	Path *PathMatch `json:"path,omitempty"`
}

// PathMatch is a path match: Type PathPrefix, Exact or RegularExpression.
type PathMatch struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// The path match types.
const (
	PathPrefix        = "PathPrefix"
	RegularExpression = "RegularExpression"
)

// HTTPRouteFilter is a filter of an HTTPRoute rule.
type HTTPRouteFilter struct {
	Type                  string           `json:"type"`
	RequestHeaderModifier *HeaderModifier  `json:"requestHeaderModifier,omitempty"`
	RequestRedirect       *RequestRedirect `json:"requestRedirect,omitempty"`
}

// The filter types.
const (
	FilterRequestHeaderModifier = "RequestHeaderModifier"
	FilterRequestRedirect       = "RequestRedirect"
)

// HeaderModifier sets request headers.
type HeaderModifier struct {
	Set []Header `json:"set"`
}

// Header is an HTTP header and its value.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// RequestRedirect answers with a redirect. StatusCode is always written:
// the Gateway API's default (302) is not the model's (301).
type RequestRedirect struct {
	Scheme     string `json:"scheme,omitempty"`
	Hostname   string `json:"hostname,omitempty"`
	Port       int    `json:"port,omitempty"`
	StatusCode int    `json:"statusCode"`
}

// BackendRef is where a rule sends traffic: a Service (Group and Kind
// empty) or, with Group networking.istio.io and Kind Hostname, a host of
// Istio's registry (a ServiceEntry's). Weight is set for splits.
type BackendRef struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Port      int    `json:"port"`
	Weight    *int   `json:"weight,omitempty"`
}

// IstioGroup and KindHostname are Istio's backend kind for a host of its
// registry.
const (
	IstioGroup   = "networking.istio.io"
	KindHostname = "Hostname"
)

// TLSRouteSpec is the spec of a TLSRoute: TLS passed through by server
// name.
type TLSRouteSpec struct {
	ParentRefs []ParentRef `json:"parentRefs"`
	Hostnames  []string    `json:"hostnames"`
	Rules      []L4Rule    `json:"rules"`
}

// TCPRouteSpec is the spec of a TCPRoute.
type TCPRouteSpec struct {
	ParentRefs []ParentRef `json:"parentRefs"`
	Rules      []L4Rule    `json:"rules"`
}

// L4Rule is the rule of a TLSRoute or TCPRoute.
type L4Rule struct {
	BackendRefs []BackendRef `json:"backendRefs"`
}

// ReferenceGrantSpec lets routes of other namespaces refer to Services of
// the grant's namespace.
type ReferenceGrantSpec struct {
	From []GrantFrom `json:"from"`
	To   []GrantTo   `json:"to"`
}

// GrantFrom is a kind of route in a namespace.
type GrantFrom struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
}

// GrantTo is a kind of object referred to ("" and Service).
type GrantTo struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

// kindOrder is the order objects are written in: the Gateway and what it
// reads first, then the routes, then the grants.
var kindOrder = []string{KindConfigMap, KindGateway, KindListenerSet, KindHTTPRoute, KindTLSRoute, KindTCPRoute, KindReferenceGrant}

// SortObjects sorts objs by kind (in the order above), namespace and name.
func SortObjects(objs []Object) {
	slices.SortStableFunc(objs, func(a, b Object) int {
		return cmp.Or(
			cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)),
			cmp.Compare(a.Metadata.Namespace, b.Metadata.Namespace),
			cmp.Compare(a.Metadata.Name, b.Metadata.Name),
		)
	})
}
