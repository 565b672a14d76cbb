package gatewayapi

import (
	"slices"

	networking "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"google.golang.org/protobuf/proto"

	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// meshOnly returns the part of VirtualService o that binds the sidecars of
// the mesh (a route's meshBackend): its gateways reduced to "mesh" and its
// routes to those matching the mesh only. The Gateway API's own mesh form
// (GAMMA) attaches routes to a Service, not to a host such as an external
// one, so this part stays an Istio object. The Spec of the result is nil
// when o has no such part.
func meshOnly(o istiocfg.Object) istiocfg.Object {
	vs, ok := o.Spec.(*networking.VirtualService)
	if !ok || !slices.Contains(vs.Gateways, istiocfg.Mesh) {
		o.Spec = nil
		return o
	}
	vs = proto.Clone(vs).(*networking.VirtualService)
	vs.Gateways = []string{istiocfg.Mesh}
	vs.Http = slices.DeleteFunc(vs.Http, func(r *networking.HTTPRoute) bool {
		return len(r.Match) == 0 || slices.ContainsFunc(r.Match, func(m *networking.HTTPMatchRequest) bool { return !onlyMesh(m.Gateways) })
	})
	vs.Tls = slices.DeleteFunc(vs.Tls, func(r *networking.TLSRoute) bool {
		return len(r.Match) == 0 || slices.ContainsFunc(r.Match, func(m *networking.TLSMatchAttributes) bool { return !onlyMesh(m.Gateways) })
	})
	vs.Tcp = slices.DeleteFunc(vs.Tcp, func(r *networking.TCPRoute) bool {
		return len(r.Match) == 0 || slices.ContainsFunc(r.Match, func(m *networking.L4MatchAttributes) bool { return !onlyMesh(m.Gateways) })
	})
	if len(vs.Http)+len(vs.Tls)+len(vs.Tcp) == 0 {
		o.Spec = nil
		return o
	}
	o.Spec = vs
	return o
}

func onlyMesh(gws []string) bool { return len(gws) == 1 && gws[0] == istiocfg.Mesh }

// targetGateway makes the policy o (AuthorizationPolicy, Telemetry,
// EnvoyFilter) apply to the pods of Gateway gw by a targetRef instead of a
// selector: Istio applies selector-based policies to a Gateway API
// Gateway's pods only while ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is on
// (its analyzers warn, IST0166), and always the ones that name the
// Gateway. It reports whether o is such a policy.
func targetGateway(o istiocfg.Object, gw string) (istiocfg.Object, bool) {
	ref := []*typev1beta1.PolicyTargetReference{{Group: Group, Kind: KindGateway, Name: gw}}
	switch spec := o.Spec.(type) {
	case *securityv1beta1.AuthorizationPolicy:
		spec = proto.Clone(spec).(*securityv1beta1.AuthorizationPolicy)
		spec.Selector, spec.TargetRefs = nil, ref
		o.Spec = spec
	case *telemetry.Telemetry:
		spec = proto.Clone(spec).(*telemetry.Telemetry)
		spec.Selector, spec.TargetRefs = nil, ref
		o.Spec = spec
	case *networking.EnvoyFilter:
		spec = proto.Clone(spec).(*networking.EnvoyFilter)
		spec.WorkloadSelector, spec.TargetRefs = nil, ref
		o.Spec = spec
	default:
		return o, false
	}
	return o, true
}
