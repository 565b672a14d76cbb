package route

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file plans the Gateway objects that hold the gateway's servers: as
// many as it takes to keep each under the size kubectl apply can record.

// DefaultMaxObjectBytes is the size of a Gateway object as compact JSON
// past which its servers are split into several objects: client-side
// kubectl apply records the whole object in the
// kubectl.kubernetes.io/last-applied-configuration annotation, and the
// API server refuses annotations of more than 262,144 bytes in all
// (apimachinery's TotalAnnotationSizeLimitB). The rest is left for the
// other annotations and labels a cluster's tools add.
const DefaultMaxObjectBytes = 200_000

// minObjectBytes is the smallest gateway.maxObjectBytes: room for a
// server with a long host name.
const minObjectBytes = 1024

// maxAnnotationBytes is the API server's limit on an object's annotations.
const maxAnnotationBytes = 262_144

// validateSplit checks gateway.maxObjectBytes.
func (c *Config) validateSplit(p *problems) {
	if n := c.Gateway.MaxObjectBytes; n != 0 && (n < minObjectBytes || n > maxAnnotationBytes) {
		p.add("gateway.maxObjectBytes", "%d is out of range: give %d to %d bytes, or 0 for %d", n, minObjectBytes, maxAnnotationBytes, DefaultMaxObjectBytes)
	}
}

// Upper bounds of the compact JSON the gateway tier writes, in bytes.
const (
	// gatewayObjectBytes: apiVersion, kind, metadata and spec around the
	// servers, without the name, namespace and selector.
	gatewayObjectBytes = 160
	// serverBytes: a server's port, protocol and tls settings around its
	// hosts, its name and credential. A server is written twice at most
	// (HTTPS with "*" among other hosts).
	serverBytes = 200
)

// hostBytes is the JSON a host of a server's hosts (or a VirtualService's)
// takes: the quoted name and a comma.
func hostBytes(h string) int { return len(h) + 3 }

// serverOverhead is the JSON of a server of gp around its hosts.
func serverOverhead(s *GatewayServer) int {
	return 2 * (serverBytes + len(s.Name) + len(s.Credential))
}

// splitGateways packs the gateway's servers into Gateway objects of at
// most gateway.maxObjectBytes of JSON each: the first object has the
// Gateway's name, the next ones "<name>-2", "<name>-3", and so on; the
// https redirect servers have their own object (RedirectGateway).
//
// Istio merges the servers of every Gateway that selects a workload per
// port (pilot/pkg/model/gateway.go mergeGateways): plain HTTP servers of
// one port into one route configuration (http.<port>), TLS servers of one
// port into one listener with a filter chain per server (a route
// configuration of its own for each HTTPS server); two TCP servers on a
// port conflict, in one Gateway as in two. A server goes whole into the
// first object with room for it; only a server too large for an object of
// its own is divided, and then the hosts a VirtualService binds on it stay
// together (Istio builds a passed-through server's filter chains from the
// sniHosts of the VirtualServices bound to its Gateway: the same
// VirtualService bound to two objects holding the server would give
// duplicate chains, which Istio drops with a warning).
//
// Each VirtualService then names the objects holding a server host that
// intersects its hosts (Istio adds a VirtualService's routes to the
// virtual host of every server host its hosts intersect, in the Gateways
// it names), and its TLS and TCP routes match the object holding their
// own server's hosts.
func (pl *planner) splitGateways() {
	gp := pl.out.Gateway
	budget := pl.c.Gateway.MaxObjectBytes
	if budget == 0 {
		budget = DefaultMaxObjectBytes
	}
	base := gatewayObjectBytes + len(gp.Name) + 4 + len(gp.RoutesNamespace)
	for k, v := range gp.Selector {
		base += len(k) + len(v) + 6
	}
	type part struct {
		obj   GatewayObject
		bytes int
		piece map[int]int // server -> index in obj.Servers
	}
	var parts []*part
	var redirect *part
	newPart := func() *part {
		p := &part{bytes: base, piece: map[int]int{}}
		parts = append(parts, p)
		return p
	}
	add := func(p *part, server int, hosts []string, cost int) {
		i, ok := p.piece[server]
		if !ok {
			p.obj.Servers = append(p.obj.Servers, GatewayPiece{Server: server})
			i = len(p.obj.Servers) - 1
			p.piece[server] = i
			cost += serverOverhead(&gp.Servers[server])
		}
		p.obj.Servers[i].Hosts = append(p.obj.Servers[i].Hosts, hosts...)
		p.bytes += cost
	}
	// fit returns the first part with room for cost more bytes of server
	// (and its overhead, when the part has none of it yet), opening one.
	fit := func(server, cost int) *part {
		for _, p := range parts {
			need := cost
			if _, ok := p.piece[server]; !ok {
				need += serverOverhead(&gp.Servers[server])
			}
			if p.bytes+need <= budget {
				return p
			}
		}
		return newPart()
	}
	units := pl.serverUnits()
	for si := range gp.Servers {
		s := &gp.Servers[si]
		if s.HTTPSRedirect {
			if redirect == nil {
				redirect = &part{piece: map[int]int{}}
			}
			add(redirect, si, s.Hosts, 0)
			continue
		}
		whole := 0
		for _, h := range s.Hosts {
			whole += hostBytes(h)
		}
		if base+serverOverhead(s)+whole <= budget {
			add(fit(si, whole), si, s.Hosts, whole)
			continue
		}
		// Too large for an object of its own: a unit at a time.
		for _, u := range units[si] {
			cost := 0
			for _, h := range u {
				cost += hostBytes(h)
			}
			if base+serverOverhead(s)+cost <= budget {
				add(fit(si, cost), si, u, cost)
				continue
			}
			// A VirtualService's hosts alone exceed an object: divide
			// them (its own size is reported in vsSizes).
			for len(u) > 0 {
				p := fit(si, hostBytes(u[0]))
				room := budget - p.bytes
				if _, ok := p.piece[si]; !ok {
					room -= serverOverhead(s)
				}
				n, c := 0, 0
				for n < len(u) && c+hostBytes(u[n]) <= room {
					c += hostBytes(u[n])
					n++
				}
				if n == 0 {
					pl.p.add("gateway.maxObjectBytes", "%d bytes leave no room in a Gateway object for server %q with host %q",
						budget, s.Name, u[0])
					return
				}
				add(p, si, u[:n], c)
				u = u[n:]
			}
		}
	}
	for i, p := range parts {
		p.obj.Name = gp.Name
		if i > 0 {
			p.obj.Name += "-" + strconv.Itoa(i+1)
		}
		for j := range p.obj.Servers {
			slices.Sort(p.obj.Servers[j].Hosts)
			p.obj.Servers[j].Hosts = slices.Compact(p.obj.Servers[j].Hosts)
		}
		gp.Gateways = append(gp.Gateways, p.obj)
	}
	pl.warnSplitCredentials()
	if redirect != nil {
		redirect.obj.Name = gp.RedirectGateway
		gp.Gateways = append(gp.Gateways, redirect.obj)
	}
	pl.bindGateways()
}

// serverUnits returns, for each server, its hosts in the groups that must
// stay in one object: the hosts of one VirtualService on the server, and
// those of VirtualServices sharing a host, joined; every other host
// (the hosts of ACME challenges with no route of their own) alone.
func (pl *planner) serverUnits() [][][]string {
	gp := pl.out.Gateway
	out := make([][][]string, len(gp.Servers))
	// Union-find over (server, host).
	type sh struct {
		server int
		host   string
	}
	parent := map[sh]sh{}
	var find func(x sh) sh
	find = func(x sh) sh {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	for i := range pl.out.Routes {
		h := pl.out.Routes[i].Gateway
		if h == nil || len(h.Hosts) < 2 {
			continue
		}
		first := find(sh{h.Server, h.Hosts[0]})
		for _, host := range h.Hosts[1:] {
			if r := find(sh{h.Server, host}); r != first {
				parent[r] = first
			}
		}
	}
	for si := range gp.Servers {
		groups := map[sh]int{}
		for _, host := range gp.Servers[si].Hosts {
			r := find(sh{si, host})
			g, ok := groups[r]
			if !ok {
				g = len(out[si])
				groups[r] = g
				out[si] = append(out[si], nil)
			}
			out[si][g] = append(out[si][g], host)
		}
	}
	return out
}

// bindGateways gives each gateway hop the Gateway objects its
// VirtualService names and the one holding its own server's hosts.
func (pl *planner) bindGateways() {
	gp := pl.out.Gateway
	var objs []*GatewayObject
	for i := range gp.Gateways {
		if gp.Gateways[i].Name != gp.RedirectGateway {
			objs = append(objs, &gp.Gateways[i])
		}
	}
	// holder[server][host] is the object holding host on server.
	holder := make([]map[string]string, len(gp.Servers))
	for _, o := range objs {
		for _, pc := range o.Servers {
			if holder[pc.Server] == nil {
				holder[pc.Server] = map[string]string{}
			}
			for _, h := range pc.Hosts {
				holder[pc.Server][h] = o.Name
			}
		}
	}
	var idx []hostIndex
	if len(objs) > 1 {
		idx = make([]hostIndex, len(objs))
		for i, o := range objs {
			idx[i] = newHostIndex(o)
		}
	}
	bound := map[string][]string{} // VirtualService -> objects
	for i := range pl.out.Routes {
		h := pl.out.Routes[i].Gateway
		if h == nil {
			continue
		}
		if len(h.Hosts) > 0 {
			h.ServerGateway = holder[h.Server][h.Hosts[0]]
		}
		if h.ServerGateway == "" {
			h.ServerGateway = objs[0].Name // TCP: one server, whole
			for _, o := range objs {
				if slices.ContainsFunc(o.Servers, func(pc GatewayPiece) bool { return pc.Server == h.Server }) {
					h.ServerGateway = o.Name
					break
				}
			}
		}
		names, ok := bound[h.VirtualService]
		if !ok {
			for k, o := range objs {
				if len(objs) == 1 || idx[k].intersects(h.Hosts) {
					names = append(names, gatewayRef(o.Name, h.Namespace, gp.RoutesNamespace))
				}
			}
			bound[h.VirtualService] = names
		}
		h.Gateways = names
		h.ServerGateway = gatewayRef(h.ServerGateway, h.Namespace, gp.RoutesNamespace)
	}
}

// gatewayRef is how a VirtualService in namespace ns names the Gateway
// name in namespace gwNS: a bare name is looked up in the
// VirtualService's own namespace.
func gatewayRef(name, ns, gwNS string) string {
	if ns == gwNS {
		return name
	}
	return gwNS + "/" + name
}

// hostIndex finds whether a host intersects the server hosts of one
// Gateway object, as Istio's host.Names.Intersection does: one of the two
// patterns matches every name the other does.
type hostIndex struct {
	any bool            // "*" is a server host
	set map[string]bool // server hosts, and "."+suffix for each name under a suffix
}

func newHostIndex(o *GatewayObject) hostIndex {
	x := hostIndex{set: map[string]bool{}}
	for _, pc := range o.Servers {
		for _, h := range pc.Hosts {
			if h == "*" {
				x.any = true
				continue
			}
			x.set[h] = true
			for rest := h; ; {
				j := strings.IndexByte(rest, '.')
				if j < 0 {
					break
				}
				rest = rest[j+1:]
				x.set["."+rest] = true
			}
		}
	}
	return x
}

// intersects reports whether a host of hs intersects a server host.
func (x hostIndex) intersects(hs []string) bool {
	if x.any {
		return true
	}
	for _, h := range hs {
		if h == "*" {
			if len(x.set) > 0 {
				return true
			}
			continue
		}
		if x.set[h] {
			return true
		}
		if strings.HasPrefix(h, "*.") && x.set[h[1:]] {
			return true // a server host under the wildcard h
		}
		// A server wildcard over h.
		for rest := strings.TrimPrefix(h, "*."); ; {
			j := strings.IndexByte(rest, '.')
			if j < 0 {
				break
			}
			rest = rest[j+1:]
			if x.set["*."+rest] {
				return true
			}
		}
	}
	return false
}

// GatewayObject is one Gateway object of the gateway tier: a name and the
// servers it holds.
type GatewayObject struct {
	Name    string
	Servers []GatewayPiece
}

// GatewayPiece is a server of a [GatewayObject]: a server of
// [GatewayPlan.Servers] with every host, or the share of its hosts this
// object holds when the server is too large for one object.
type GatewayPiece struct {
	// Server is the index in GatewayPlan.Servers.
	Server int
	// Hosts are the hosts held, sorted.
	Hosts []string
}

// warnSplitCredentials warns about the HTTPS servers divided between
// Gateway objects: Istio gives each share of the server a filter chain
// and a route configuration of its own, so an HTTP/2 client that reuses a
// connection for another name of the same certificate (RFC 9113 section
// 9.1.1) reaches a route configuration without that name, and gets 404
// (Istio's analyzer IST0138).
func (pl *planner) warnSplitCredentials() {
	gp := pl.out.Gateway
	objs := map[int][]string{}
	for _, o := range gp.Gateways {
		for _, pc := range o.Servers {
			objs[pc.Server] = append(objs[pc.Server], o.Name)
		}
	}
	for si := range gp.Servers {
		if s, names := &gp.Servers[si], objs[si]; len(names) > 1 && s.Protocol == HTTPS {
			pl.out.Warnings = append(pl.out.Warnings, Warning{Path: "gateway.maxObjectBytes", Detail: fmt.Sprintf(
				"the %d hosts served with credential %q on gateway port %d do not fit in one Gateway object and are divided between %s: "+
					"Istio routes each share apart, so an HTTP/2 client reusing a connection for another name of the certificate gets 404; "+
					"give the hosts credentials of their own (routes[].credential) in smaller sets",
				len(s.Hosts), s.Credential, s.Port, strings.Join(names, ", "))})
		}
	}
}
