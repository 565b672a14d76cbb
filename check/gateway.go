package check

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	telemetry "istio.io/api/telemetry/v1alpha1"

	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// Workload is the gateway's pods: the Envoy proxies the gateway tier
// configures.
type Workload struct {
	// Namespace is the pods' namespace; empty means "istio-system".
	Namespace string
	// Labels are the pods' labels, which Gateway selectors, EnvoyFilter
	// workloadSelectors and Telemetry selectors must match. Nil matches
	// only objects without a selector.
	Labels map[string]string
	// Annotations are the pods' annotations; proxy.istio.io/config (YAML
	// or JSON of a ProxyConfig) overrides the mesh's defaultConfig.
	Annotations map[string]string
}

// defaultNamespace is the namespace of objects written without one: the
// namespace kubectl applies to by default.
const defaultNamespace = "default"

// defaultRootNamespace is Istio's root namespace unless meshConfig.rootNamespace says otherwise.
const defaultRootNamespace = "istio-system"

// Gateway is the gateway tier of an edge as Istio builds it for one
// workload from the objects as written: the Gateway servers that select
// the workload merged per port, the VirtualServices bound to them, the
// listener filters after EnvoyFilter patches, and the proxy configuration.
// Make one with [NewGateway]; a Gateway is read-only and safe for
// concurrent use.
type Gateway struct {
	w        Workload
	root     string
	gateways []*gwObj // selecting the workload, in Istio's order
	vss      []*vsObj
	// vsByGateway are the VirtualServices bound to each Gateway
	// ("ns/name") that the workload sees, in Istio's order, with their
	// hosts indexed.
	vsByGateway map[string]*vsHostIndex
	pc          *meshv1alpha1.ProxyConfig
	patches     []efPatch
	ports       map[int]*listenerPort
	problems    []string
	// unselected are the Gateways whose selector does not match the
	// workload.
	unselected []*gwObj
}

// gwObj is a Gateway object.
type gwObj struct {
	name, ns string
	spec     *networking.Gateway
}

func (o *gwObj) key() string { return o.ns + "/" + o.name }

// NewGateway returns the gateway tier that objs configure for the workload
// w. Objs are Istio objects as [istiocfg.ReadYAML] returns them; kinds other
// than Gateway, VirtualService, EnvoyFilter, Telemetry and IstioOperator
// (DestinationRule, ServiceEntry) do not change how the gateway routes and
// are accepted as they are. Objects without a namespace are in "default".
//
// Istio orders objects by creation time, then name, then namespace; objects
// of one file applied together usually share a creation second, so they are
// taken in name, then namespace order. Gateways select workloads of every
// namespace (istiod's default, PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false).
//
// NewGateway fails only on a proxy.istio.io/config annotation it cannot
// read; what Istio would ignore or reject is reported by [Gateway.Problems]
// and in the hops [Gateway.Route] returns.
func NewGateway(objs []istiocfg.Object, w Workload) (*Gateway, error) {
	if w.Namespace == "" {
		w.Namespace = defaultRootNamespace
	}
	g := &Gateway{w: w, root: defaultRootNamespace, ports: map[int]*listenerPort{}}
	var mesh *meshv1alpha1.MeshConfig
	var meshName string
	var efs []*efObj
	var tels []*telObj
	for _, o := range objs {
		ns := cmp.Or(o.Metadata.Namespace, defaultNamespace)
		switch spec := o.Spec.(type) {
		case *networking.Gateway:
			g.gateways = append(g.gateways, &gwObj{name: o.Metadata.Name, ns: ns, spec: spec})
		case *networking.VirtualService:
			g.vss = append(g.vss, newVS(o.Metadata.Name, ns, spec))
		case *networking.EnvoyFilter:
			efs = append(efs, &efObj{name: o.Metadata.Name, ns: ns, spec: spec})
		case *telemetry.Telemetry:
			tels = append(tels, &telObj{name: o.Metadata.Name, ns: ns, spec: spec})
		case *meshv1alpha1.MeshConfig:
			if mesh != nil {
				g.problems = append(g.problems, fmt.Sprintf("IstioOperator %s/%s: a second mesh configuration; %s is used", ns, o.Metadata.Name, meshName))
				continue
			}
			mesh, meshName = spec, ns+"/"+o.Metadata.Name
		}
	}
	if r := mesh.GetRootNamespace(); r != "" {
		g.root = r
	}
	pc, err := mergeProxyConfig(mesh.GetDefaultConfig(), w.Annotations[proxyConfigAnnotation])
	if err != nil {
		return nil, err
	}
	g.pc = pc

	byCreation := func(aName, aNS, bName, bNS string) int {
		return cmp.Or(cmp.Compare(aName, bName), cmp.Compare(aNS, bNS))
	}
	slices.SortStableFunc(g.gateways, func(a, b *gwObj) int { return byCreation(a.name, a.ns, b.name, b.ns) })
	slices.SortStableFunc(g.vss, func(a, b *vsObj) int { return byCreation(a.name, a.ns, b.name, b.ns) })
	g.indexVirtualServices()
	var selected []*gwObj
	for _, gw := range g.gateways {
		if labelsSubset(gw.spec.GetSelector(), w.Labels) {
			selected = append(selected, gw)
			continue
		}
		g.unselected = append(g.unselected, gw)
		g.problems = append(g.problems, fmt.Sprintf("Gateway %s: selector %s matches no label set of the gateway workload %s", gw.key(), formatLabels(gw.spec.GetSelector()), formatLabels(w.Labels)))
	}
	g.gateways = selected
	g.selectEnvoyFilters(efs)
	g.selectTelemetry(tels)
	g.merge()
	if pp, n := g.pc.GetGatewayTopology().GetProxyProtocol() != nil || g.anyProxyProtocolFilter(), g.TrustedHops(); pp && n > 0 {
		g.problems = append(g.problems, fmt.Sprintf("gatewayTopology.numTrustedProxies is %d together with the PROXY protocol: Envoy then takes the client address from X-Forwarded-For and ignores the PROXY header's", n))
	}
	g.checkBindings()
	return g, nil
}

// labelsSubset reports whether every label of sel is in labels (Istio's
// labels.Instance.SubsetOf); an empty selector matches everything.
func labelsSubset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

func formatLabels(l map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(l)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + ": " + l[k])
	}
	b.WriteByte('}')
	return b.String()
}

// efObj is an EnvoyFilter object.
type efObj struct {
	name, ns string
	spec     *networking.EnvoyFilter
}

// selectEnvoyFilters keeps the EnvoyFilters that apply to the workload,
// in the order Istio applies them (PushContext.EnvoyFilters in
// pilot/pkg/model/push_context.go): those of the root namespace select
// pods of every namespace, the others pods of their own namespace only; a
// workloadSelector must match the pod labels; targetRefs make a filter
// apply to Kubernetes Gateway API gateways only. Sorted by priority, root
// namespace first, then name.
func (g *Gateway) selectEnvoyFilters(efs []*efObj) {
	var sel []*efObj
	for _, ef := range efs {
		name := ef.ns + "/" + ef.name
		if len(ef.spec.GetTargetRefs()) > 0 {
			if _, ok := g.w.Labels["gateway.networking.k8s.io/gateway-name"]; !ok {
				g.problems = append(g.problems, fmt.Sprintf("EnvoyFilter %s: targetRefs apply to Gateway API gateways only; Istio ignores it for this workload", name))
				continue
			}
		}
		if ef.ns != g.root && ef.ns != g.w.Namespace {
			g.problems = append(g.problems, fmt.Sprintf("EnvoyFilter %s selects pods of namespace %s only (or of every namespace from the root namespace %s); the gateway runs in %s", name, ef.ns, g.root, g.w.Namespace))
			continue
		}
		if !labelsSubset(ef.spec.GetWorkloadSelector().GetLabels(), g.w.Labels) {
			g.problems = append(g.problems, fmt.Sprintf("EnvoyFilter %s: workloadSelector %s does not match the gateway workload %s", name, formatLabels(ef.spec.GetWorkloadSelector().GetLabels()), formatLabels(g.w.Labels)))
			continue
		}
		sel = append(sel, ef)
	}
	slices.SortStableFunc(sel, func(a, b *efObj) int {
		if c := cmp.Compare(a.spec.GetPriority(), b.spec.GetPriority()); c != 0 {
			return c
		}
		if a.ns != b.ns && (a.ns == g.root || b.ns == g.root) {
			if a.ns == g.root {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.name+"."+a.ns, b.name+"."+b.ns)
	})
	for _, ef := range sel {
		for i, p := range ef.spec.GetConfigPatches() {
			switch p.GetApplyTo() {
			case networking.EnvoyFilter_LISTENER, networking.EnvoyFilter_LISTENER_FILTER:
				g.patches = append(g.patches, efPatch{filter: ef.ns + "/" + ef.name, index: i, p: p})
			}
		}
	}
}

// anyProxyProtocolFilter reports whether an applied EnvoyFilter patch adds
// the proxy_protocol listener filter, to a listener of a port or not.
func (g *Gateway) anyProxyProtocolFilter() bool {
	for _, e := range g.patches {
		v := e.p.GetPatch().GetValue()
		switch e.p.GetApplyTo() {
		case networking.EnvoyFilter_LISTENER:
			for _, k := range []string{"listener_filters", "listenerFilters"} {
				for _, f := range v.GetFields()[k].GetListValue().GetValues() {
					if filterName(f) == proxyProtocolFilter {
						return true
					}
				}
			}
		case networking.EnvoyFilter_LISTENER_FILTER:
			if v.GetFields()["name"].GetStringValue() == proxyProtocolFilter && e.p.GetPatch().GetOperation() != networking.EnvoyFilter_Patch_REMOVE {
				return true
			}
		}
	}
	return false
}

// telObj is a Telemetry object.
type telObj struct {
	name, ns string
	spec     *telemetry.Telemetry
}

// selectTelemetry reports Telemetry objects with a selector that select
// nothing of the workload. Istio applies a Telemetry with a selector only
// to pods of its own namespace, the root namespace included
// (Telemetries.applicableTelemetries in pilot/pkg/model/telemetry.go); one
// without a selector applies to its namespace, or the mesh from the root
// namespace.
func (g *Gateway) selectTelemetry(tels []*telObj) {
	for _, t := range tels {
		name := t.ns + "/" + t.name
		sel := t.spec.GetSelector().GetMatchLabels()
		if len(sel) == 0 {
			if t.ns != g.root && t.ns != g.w.Namespace && len(t.spec.GetTargetRefs()) == 0 && t.spec.GetTargetRef() == nil {
				g.problems = append(g.problems, fmt.Sprintf("Telemetry %s applies to namespace %s; the gateway runs in %s", name, t.ns, g.w.Namespace))
			}
			continue
		}
		if t.ns != g.w.Namespace {
			g.problems = append(g.problems, fmt.Sprintf("Telemetry %s: a selector selects pods of the Telemetry's own namespace %s only; the gateway runs in %s", name, t.ns, g.w.Namespace))
			continue
		}
		if !labelsSubset(sel, g.w.Labels) {
			g.problems = append(g.problems, fmt.Sprintf("Telemetry %s: selector %s does not match the gateway workload %s", name, formatLabels(sel), formatLabels(g.w.Labels)))
		}
	}
}

// Problems returns what Istio ignores, rejects or builds differently than
// written, for the whole gateway: objects whose selectors miss the
// workload, servers dropped when Gateways merge, VirtualServices bound to
// no server, listener filters out of order, PROXY protocol together with
// numTrustedProxies.
func (g *Gateway) Problems() []string {
	out := slices.Clone(g.problems)
	for _, p := range slices.Sorted(maps.Keys(g.ports)) {
		out = append(out, g.ports[p].problems...)
	}
	return out
}

// ListenerFilters returns the names of the listener filters of the gateway
// listener on port, in order, after EnvoyFilter patches: Istio puts
// envoy.filters.listener.proxy_protocol first when gatewayTopology.proxyProtocol
// is set, and envoy.filters.listener.tls_inspector when a filter chain
// matches on server names or terminates TLS (buildGatewayListener in
// pilot/pkg/networking/core/listener.go). It returns nil when no server
// listens on port.
func (g *Gateway) ListenerFilters(port int) []string {
	if lp := g.ports[port]; lp != nil {
		return slices.Clone(lp.filters)
	}
	return nil
}

// TrustedHops returns gatewayTopology.numTrustedProxies of the workload's
// proxy configuration: the mesh's defaultConfig with the
// proxy.istio.io/config annotation over it. Istio sets it as
// xff_num_trusted_hops on every HTTP connection manager of the gateway.
func (g *Gateway) TrustedHops() int {
	return int(g.pc.GetGatewayTopology().GetNumTrustedProxies())
}

// ProxyProtocol reports whether gatewayTopology.proxyProtocol is set in
// the workload's proxy configuration, which makes Istio put the
// proxy_protocol listener filter on every gateway listener.
func (g *Gateway) ProxyProtocol() bool {
	return g.pc.GetGatewayTopology().GetProxyProtocol() != nil
}
