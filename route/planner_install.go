package route

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// This file plans what installs the gateway tier in a cluster: the
// namespaces of its objects, its Service, and the IP policies both tiers
// enforce.

// Defaults of the gateway's installation.
const (
	DefaultServiceName = "istio-ingressgateway"
	// StatusPort is the port Istio's gateways serve /healthz/ready on.
	StatusPort = 15021
	// unprivilegedShift is what the target port of a port below 1024 adds
	// when the gateway pods cannot bind it (80 on 8080, 443 on 8443).
	unprivilegedShift = 8000
	// maxPolicyNetworks caps the networks of an allow or deny list: the
	// edge writes them on one line, and HAProxy reads at most 64 words a
	// line.
	maxPolicyNetworks = 48
)

// validateInstall checks the gateway's namespaces and Service.
func (c *Config) validateInstall(p *problems) {
	g := c.Gateway
	if g.RoutesNamespace != "" && !validName(g.RoutesNamespace) {
		p.add("gateway.routesNamespace", "%q is not a valid namespace", g.RoutesNamespace)
	}
	c.validateSplit(p)
	s := g.Service
	if s == nil {
		return
	}
	if s.Name != "" && (!validName(s.Name) || s.Name[0] < 'a' || s.Name[0] > 'z') {
		p.add("gateway.service.name", "%q is not a valid Service name: use lowercase letters, digits and '-', starting with a letter (at most 63)", s.Name)
	}
	switch s.Type {
	case "", ServiceLoadBalancer, ServiceNodePort:
	default:
		p.add("gateway.service.type", "unknown value %q (want LoadBalancer or NodePort)", s.Type)
	}
}

// validateIPPolicies checks the policies of listeners and routes.
func (c *Config) validateIPPolicies(p *problems) {
	for i := range c.Listeners {
		checkIPPolicy(p, elemOf("listeners", i), c.Listeners[i].IPPolicy)
	}
	for i := range c.Routes {
		checkIPPolicy(p, elemOf("routes", i), c.Routes[i].IPPolicy)
	}
}

func checkIPPolicy(p *problems, fp fieldPath, pol *IPPolicy) {
	if pol == nil {
		return
	}
	if len(pol.Allow) == 0 && len(pol.Deny) == 0 {
		p.add(fp.field(".ipPolicy"), "give the networks to allow or deny")
	}
	for _, l := range []struct {
		f    string
		nets []string
	}{{".ipPolicy.allow", pol.Allow}, {".ipPolicy.deny", pol.Deny}} {
		if len(l.nets) > maxPolicyNetworks {
			p.add(fp.field(l.f), "%d networks; at most %d: group them into wider networks", len(l.nets), maxPolicyNetworks)
		}
		for j, s := range l.nets {
			if _, err := parseNetwork(s); err != nil {
				p.add(fp.field(l.f+"["+strconv.Itoa(j)+"]"), "%v", err)
			}
		}
	}
}

// parseNetwork parses an address ("192.0.2.7", a network of one address)
// or a CIDR network ("10.0.0.0/8") without host bits.
func parseNetwork(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR network", s)
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	n, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR network", s)
	}
	if n.Masked() != n {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set: the network is %s", s, n.Masked())
	}
	return n, nil
}

// clientPolicy returns the parsed policy of a valid pol at path, or nil.
func clientPolicy(path string, pol *IPPolicy) *ClientPolicy {
	if pol == nil {
		return nil
	}
	cp := &ClientPolicy{Path: path}
	for _, s := range pol.Allow {
		n, _ := parseNetwork(s)
		cp.Allow = append(cp.Allow, n)
	}
	for _, s := range pol.Deny {
		n, _ := parseNetwork(s)
		cp.Deny = append(cp.Deny, n)
	}
	return cp
}

// listenerPlans plans what the first tier does with every connection of
// each listener, and refuses policies the edge cannot enforce.
func (pl *planner) listenerPlans() {
	c := pl.c
	pl.out.Listeners = make([]ListenerPlan, len(c.Listeners))
	for i := range c.Listeners {
		l := &c.Listeners[i]
		lp := &pl.out.Listeners[i]
		lp.Listener = l
		lp.IPPolicy = clientPolicy(elemOf("listeners", i).field(".ipPolicy"), l.IPPolicy)
		if lp.IPPolicy != nil {
			pl.edgeSeesClient(lp.IPPolicy.Path, l)
		}
	}
}

// edgeSeesClient refuses a policy at path on listener l when the edge
// would see another address than the client's.
func (pl *planner) edgeSeesClient(path string, l *Listener) {
	if e := pl.c.Edge; e != nil && e.UpstreamProxies > 0 && !l.AcceptProxy {
		pl.p.add(path, "the edge sees the address of the %d proxies in front of it (edge.upstreamProxies), not the client's: set acceptProxy on listener %q so that they send the client's in a PROXY header",
			e.UpstreamProxies, l.Name)
	}
}

// routePolicy returns the parsed policy of route i (its own, not its
// listener's), or nil.
func (pl *planner) routePolicy(i int) *ClientPolicy {
	if i >= len(pl.c.Routes) {
		return nil // an ACME route
	}
	return pl.ownPolicy[i]
}

// listenerPolicy returns the policy of the listener of rp, or nil.
func (pl *planner) listenerPolicy(rp *RoutePlan) *ClientPolicy {
	for i := range pl.out.Listeners {
		if pl.out.Listeners[i].Listener == rp.Listener {
			return pl.out.Listeners[i].IPPolicy
		}
	}
	return nil
}

// install plans the gateway's Service, the exportTo of the objects of the
// routes' namespace, and the IP policies the gateway enforces.
func (pl *planner) install() {
	pl.service()
	pl.exportTo()
	pl.gatewayPolicies()
}

// service plans the gateway's Service: the status port, then every gateway
// port a Gateway server listens on or the edge sends traffic to.
func (pl *planner) service() {
	c, g, gp := pl.c, pl.c.Gateway, pl.out.Gateway
	s := &ServicePlan{Name: DefaultServiceName, Namespace: gp.Namespace, Type: ServiceLoadBalancer, Selector: gp.Selector,
		ExternalTrafficPolicyLocal: c.Edge == nil}
	unprivileged := false
	if gs := g.Service; gs != nil {
		s.Name = cmp.Or(gs.Name, s.Name)
		s.Type = cmp.Or(gs.Type, s.Type)
		unprivileged = gs.UnprivilegedPorts
	}
	proto := map[int]string{}
	for _, sv := range gp.Servers {
		switch sv.Protocol {
		case HTTP:
			proto[sv.Port] = "http"
		case TCP:
			proto[sv.Port] = "tcp"
		default:
			proto[sv.Port] = "https"
		}
	}
	for i := range pl.out.Pools {
		p := &pl.out.Pools[i]
		if p.Kind != PoolGateway {
			continue
		}
		if _, ok := proto[p.GatewayPort]; ok {
			continue
		}
		switch {
		case p.Mode == EdgeHTTP && p.TLS == nil:
			proto[p.GatewayPort] = "http"
		case p.Mode == EdgeHTTP || p.GatewayPort == pl.httpsPort:
			proto[p.GatewayPort] = "https"
		default:
			proto[p.GatewayPort] = "tcp"
		}
	}
	s.Ports = []ServicePort{{Name: "status-port", Port: StatusPort, TargetPort: StatusPort}}
	targets := map[int]int{StatusPort: StatusPort} // target port -> port
	for _, port := range slices.Sorted(maps.Keys(proto)) {
		target := port
		if unprivileged && port < 1024 {
			target = port + unprivilegedShift
		}
		if other, ok := targets[target]; ok {
			what := "gateway port " + strconv.Itoa(port)
			if port == StatusPort {
				pl.p.add("gateway", "%s is Istio's status port on the gateway pods (/healthz/ready): choose another gateway port", what)
				continue
			}
			// Ports are unique, so one of the two was moved.
			pl.p.add("gateway.service.unprivilegedPorts", "%s would be served on target port %d, which gateway port %d is moved to too: choose another gateway port", what, target, other)
			continue
		}
		targets[target] = port
		s.Ports = append(s.Ports, ServicePort{Name: proto[port] + "-" + strconv.Itoa(port), Port: port, TargetPort: target})
	}
	gp.Service = s
	for i := range pl.out.Routes {
		if h := pl.out.Routes[i].Gateway; h != nil {
			h.TargetPort = s.targetPort(h.Port)
		}
	}
}

// targetPort returns the port the gateway pods serve Service port port on.
func (s *ServicePlan) targetPort(port int) int {
	for _, p := range s.Ports {
		if p.Port == port {
			return p.TargetPort
		}
	}
	return port
}

// exportTo plans the exportTo of the VirtualServices, ServiceEntries and
// DestinationRules that are not in the workload's namespace: their own
// namespace and the workload's (where the gateway reads them), or every
// namespace for the ones the mesh's sidecars use too (meshBackend).
func (pl *planner) exportTo() {
	gp := pl.out.Gateway
	export := func(ns string, everywhere bool) []string {
		switch {
		case everywhere && ns != gp.Namespace:
			return []string{"*"}
		case ns != gp.Namespace:
			return []string{".", gp.Namespace}
		}
		return nil
	}
	mesh := map[string]bool{}           // VirtualServices bound to the mesh
	meshBackends := map[*Backend]bool{} // backends of mesh destinations
	for i := range pl.out.Routes {
		if h := pl.out.Routes[i].Gateway; h != nil && h.Mesh != nil {
			mesh[h.VirtualService] = true
			meshBackends[h.Mesh.Backend] = true
		}
	}
	for i := range pl.out.Routes {
		if h := pl.out.Routes[i].Gateway; h != nil {
			h.ExportTo = export(h.Namespace, mesh[h.VirtualService])
			if mesh[h.VirtualService] {
				// Where the VirtualService is seen, its destinations must
				// be too (Istio's analyzer IST0101 looks them up in the
				// namespaces it is exported to).
				for _, d := range h.Destinations {
					meshBackends[d.Backend] = true
				}
			}
		}
	}
	for i := range gp.Backends {
		b := &gp.Backends[i]
		b.ExportTo = export(b.Namespace, meshBackends[b.Backend])
		b.RuleExportTo = export(b.RuleNamespace, meshBackends[b.Backend])
	}
}

// gatewayPolicies gives each gateway hop the policies the gateway enforces
// on it, with how the gateway knows the client address, and refuses
// policies on traffic whose client address the gateway does not know, or
// that the gateway cannot tell from traffic without the same policies.
func (pl *planner) gatewayPolicies() {
	c, gp := pl.c, pl.out.Gateway
	type portHost struct {
		port int
		host string
	}
	seen := map[portHost]int{} // -> route index
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil {
			continue
		}
		for _, pol := range []*ClientPolicy{pl.listenerPolicy(rp), pl.routePolicy(i)} {
			if pol != nil {
				h.IPPolicies = append(h.IPPolicies, pol)
			}
		}
		sig := policySignature(h.IPPolicies)
		for _, host := range h.Hosts {
			k := portHost{h.Port, host}
			j, ok := seen[k]
			if !ok {
				seen[k] = i
				continue
			}
			if other := pl.out.Routes[j].Gateway; policySignature(other.IPPolicies) != sig {
				at := pl.hostPath(rp, host)
				if len(h.IPPolicies) > 0 {
					at = h.IPPolicies[len(h.IPPolicies)-1].Path
				}
				pl.p.add(at, "host %q reaches gateway port %d from routes[%d] (listener %q) too, with other IP policies: the gateway cannot tell the two apart",
					host, h.Port, j, pl.out.Routes[j].Listener.Name)
			}
		}
		if len(h.IPPolicies) == 0 {
			continue
		}
		gp.AuthorizationPolicy = gp.Name + "-ip-policy"
		switch {
		case c.Edge == nil && gp.NumTrustedProxies > 0:
			h.Client = ClientForwardedFor
		case c.Edge == nil:
			h.Client = ClientPeer
		case gp.ProxyProtocol != GatewayProxyOff && gp.NumTrustedProxies == 0:
			h.Client = ClientProxy
		case h.Kind == HTTP && rp.Edge != nil && rp.Edge.ForwardFor && gp.NumTrustedProxies > 0 && gp.NumTrustedProxies == pl.appendedHops(rp):
			h.Client = ClientForwardedFor
		default:
			pol := h.IPPolicies[len(h.IPPolicies)-1]
			pl.p.add(pol.Path, "the gateway does not know the client address of routes[%d] (listener %q): %s; the edge alone could enforce this policy, the gateway would not",
				i, rp.Listener.Name, pl.whyNoClient(rp))
		}
	}
}

// whyNoClient says why the gateway does not know the client address of
// rp's traffic.
func (pl *planner) whyNoClient(rp *RoutePlan) string {
	gp, h := pl.out.Gateway, rp.Gateway
	var b strings.Builder
	if gp.ProxyProtocol == GatewayProxyOff {
		b.WriteString("the edge sends it no PROXY header (set gateway.proxyProtocol)")
	} else {
		fmt.Fprintf(&b, "gateway.numTrustedProxies %d makes it ignore the PROXY header", gp.NumTrustedProxies)
	}
	switch {
	case h.Kind != HTTP:
		b.WriteString(", and it does not read HTTP on this path, so no X-Forwarded-For")
	case rp.Edge == nil || !rp.Edge.ForwardFor:
		b.WriteString(", and the edge appends no X-Forwarded-For (edge.forwardFor)")
	default:
		fmt.Fprintf(&b, ", and numTrustedProxies is %d where %d proxies append X-Forwarded-For", gp.NumTrustedProxies, pl.appendedHops(rp))
	}
	return b.String()
}

// policySignature identifies a list of policies by their networks.
func policySignature(ps []*ClientPolicy) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "allow%v deny%v;", p.Allow, p.Deny)
	}
	return b.String()
}
