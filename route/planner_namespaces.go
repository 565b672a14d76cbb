package route

import (
	"cmp"
	"strings"
)

// This file plans the namespaces of the routes' VirtualServices and of the
// backends' ServiceEntries and DestinationRules, and the names they use
// across namespaces as Istio resolves them.

// clusterDomain is the DNS suffix of Kubernetes Services Istio assumes
// (meshConfig's default domain suffix).
const clusterDomain = "svc.cluster.local"

// validateNamespaces checks the namespaces of routes and backends.
func (c *Config) validateNamespaces(p *problems) {
	for i := range c.Routes {
		if ns := c.Routes[i].Namespace; ns != "" && !validName(ns) {
			p.add(elemOf("routes", i).field(".namespace"), "%q is not a valid namespace", ns)
		}
	}
	for i := range c.Backends {
		b := &c.Backends[i]
		switch {
		case b.Namespace == "":
		case !validName(b.Namespace):
			p.add(elemOf("backends", i).field(".namespace"), "%q is not a valid namespace", b.Namespace)
		case c.Gateway == nil || b.Gateway || len(b.Servers) > 0 && c.Edge != nil:
			p.add(elemOf("backends", i).field(".namespace"), "the gateway does not reach this backend, so it has no object in a namespace: remove namespace")
		}
	}
	if c.Gateway == nil {
		for i := range c.Routes {
			if c.Routes[i].Namespace != "" {
				p.add(elemOf("routes", i).field(".namespace"), "there is no gateway tier, so no VirtualService: remove namespace")
			}
		}
	}
}

// namespaces gives each gateway hop the namespace of its VirtualService
// and each backend the namespaces of its ServiceEntry and DestinationRule,
// then qualifies the short hosts (no dot) of destinations in another
// namespace than the one they are meant in: Istio resolves a short host
// in the namespace of the object that names it.
func (pl *planner) namespaces() {
	gp := pl.out.Gateway
	vsNS := map[string]int{} // VirtualService -> the route naming its namespace
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil {
			if rp.Route.Namespace != "" {
				pl.p.add(elemOf("routes", rp.Index).field(".namespace"), "the gateway does not carry this route's traffic, so it has no VirtualService: remove namespace")
			}
			continue
		}
		if rp.Route.Namespace == "" {
			continue
		}
		if j, ok := vsNS[h.VirtualService]; ok && pl.out.Routes[j].Route.Namespace != rp.Route.Namespace {
			pl.p.add(elemOf("routes", rp.Index).field(".namespace"), "%q, and routes[%d] has the same gateway hosts in namespace %q: one VirtualService holds them, in one namespace",
				rp.Route.Namespace, pl.out.Routes[j].Index, pl.out.Routes[j].Route.Namespace)
			continue
		}
		vsNS[h.VirtualService] = i
	}
	for i := range pl.out.Routes {
		h := pl.out.Routes[i].Gateway
		if h == nil {
			continue
		}
		h.Namespace = gp.RoutesNamespace
		if j, ok := vsNS[h.VirtualService]; ok {
			h.Namespace = pl.out.Routes[j].Route.Namespace
		}
	}
	// Backends: the ServiceEntry in the backend's namespace; the
	// DestinationRule beside it, or for a Kubernetes Service where Istio
	// applies it from (pilot/pkg/model/push_context.go destinationRule):
	// the gateway workload's namespace, or the service's when sidecars use
	// the rule too.
	mesh := map[*Backend]bool{}
	for i := range pl.out.Routes {
		if h := pl.out.Routes[i].Gateway; h != nil && h.Mesh != nil {
			mesh[h.Mesh.Backend] = true
		}
	}
	home := map[*Backend]string{} // the namespace a short host resolves in
	qualified := map[*Backend]bool{}
	for i := range gp.Backends {
		gb := &gp.Backends[i]
		b := gb.Backend
		gb.Namespace = cmp.Or(b.Namespace, gp.RoutesNamespace)
		home[b] = gb.Namespace
		gb.RuleNamespace = gb.Namespace
		if b.Service != nil {
			gb.RuleNamespace = gp.Namespace
			if svcNS := serviceNamespace(gb.Host, gb.Namespace); mesh[b] && svcNS != "" {
				gb.RuleNamespace = svcNS
			}
		}
	}
	for i := range gp.Backends {
		gb := &gp.Backends[i]
		if !strings.Contains(gb.Host, ".") && (gb.Backend.Namespace != "" || gb.RuleNamespace != gb.Namespace || len(gb.Backend.Servers) > 0) {
			// A namespace said, a rule elsewhere than the name resolves,
			// or the host of a ServiceEntry, which Istio takes as it is
			// while it resolves the same short name in a VirtualService
			// or DestinationRule in their namespace
			// (pilot/pkg/serviceregistry/serviceentry/conversion.go, and
			// ResolveShortnameToFQDN in pilot/pkg/model/config.go): the
			// full name, everywhere.
			gb.Host = qualify(gb.Host, gb.Namespace)
			qualified[gb.Backend] = true
		}
	}
	for i := range pl.out.Routes {
		h := pl.out.Routes[i].Gateway
		if h == nil {
			continue
		}
		for j := range h.Destinations {
			d := &h.Destinations[j]
			if ns := home[d.Backend]; (ns != h.Namespace || qualified[d.Backend]) && !strings.Contains(d.Host, ".") {
				d.Host = qualify(d.Host, ns)
			}
		}
		if d := h.Mesh; d != nil {
			if ns := home[d.Backend]; (ns != h.Namespace || qualified[d.Backend]) && !strings.Contains(d.Host, ".") {
				d.Host = qualify(d.Host, ns)
			}
		}
	}
}

// qualify returns the name Istio gives short host h in namespace ns.
func qualify(h, ns string) string { return h + "." + ns + "." + clusterDomain }

// serviceNamespace returns the namespace of the Kubernetes Service host h
// ("name.ns.svc.cluster.local", or a short name resolved in ns), or "".
func serviceNamespace(h, ns string) string {
	if !strings.Contains(h, ".") {
		return ns
	}
	name, rest, _ := strings.Cut(h, ".")
	svcNS, rest, _ := strings.Cut(rest, ".")
	if name == "" || rest != clusterDomain {
		return ""
	}
	return svcNS
}
