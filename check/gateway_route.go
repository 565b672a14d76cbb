package check

import (
	"fmt"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// Route returns what the gateway does with req, resolved as Istio and
// Envoy resolve it:
//
//   - the listener of req.Port, built from every server of the selected
//     Gateways on that port (see [NewGateway]); its listener filters decide
//     whether a PROXY header is read and whether the ClientHello's SNI is
//     seen;
//   - the filter chain Envoy picks: the exact server name, then the most
//     specific "*." wildcard, then a chain matching every connection. HTTPS
//     servers match their hosts; PASSTHROUGH servers match the sniHosts of
//     the tls routes bound to them; plain HTTP and TCP servers match every
//     connection;
//   - for HTTP, the virtual host for the Host header (exact, then the
//     longest wildcard, then "*"), its require_tls, and the first route
//     whose match takes the request: uri exact, prefix or regex, authority,
//     headers, query parameters, with match port and gateways applied when
//     the routes are built; the request is taken as a GET;
//   - for TCP and TLS, the route the filter chain was built from.
//
// When a fault stops the connection (a PROXY header nobody reads, TLS at a
// plain server, no route), Route says so in Problems; where the rest is
// still known it continues, so one hop shows every fault of the way.
func (g *Gateway) Route(req GatewayRequest) GatewayHop {
	var hop GatewayHop
	l := g.ports[req.Port]
	if l == nil {
		hop.Problems = append(hop.Problems, fmt.Sprintf("no server of a Gateway selecting the workload listens on port %d", req.Port))
		for _, gw := range g.unselected {
			for _, s := range gw.spec.GetServers() {
				if int(s.GetPort().GetNumber()) == req.Port {
					hop.Problems = append(hop.Problems, fmt.Sprintf("Gateway %s has a server on port %d, but its selector %s does not match the workload %s", gw.key(), req.Port, formatLabels(gw.spec.GetSelector()), formatLabels(g.w.Labels)))
					break
				}
			}
		}
		return hop
	}
	sni := strings.ToLower(strings.TrimSuffix(req.SNI, "."))
	name := hostOnly(req.Host)
	if req.TLS && sni != "" {
		name = sni
	}
	var matching []*gwServer
	if name == "" {
		matching = l.servers
	} else {
		for _, i := range l.names.matchSorted(nil, name) {
			matching = append(matching, l.servers[i])
		}
	}
	for _, s := range matching {
		hop.Servers = append(hop.Servers, s.id())
	}
	hop.Problems = append(hop.Problems, l.portWide...)
	if l.removed {
		return hop
	}
	hop.ProxyAccepted = slices.Contains(l.filters, proxyProtocolFilter)
	switch {
	case req.Proxy && !hop.ProxyAccepted:
		hop.Problems = append(hop.Problems, fmt.Sprintf("a PROXY header is sent, but the listener on port %d has no %s filter: Envoy reads the header as the connection's first bytes and the connection fails", req.Port, proxyProtocolFilter))
	case !req.Proxy && hop.ProxyAccepted:
		hop.Problems = append(hop.Problems, fmt.Sprintf("the listener on port %d expects a PROXY header (%s) and none is sent: Envoy closes the connection", req.Port, proxyProtocolFilter))
	}
	sniSeen := req.TLS && sni != "" && tlsInspectorSeesHello(l.filters, req.Proxy && hop.ProxyAccepted)

	// Filter chain selection.
	ci := l.sni.pick(sni, sniSeen)
	if ci < 0 {
		hop.Problems = append(hop.Problems, g.noChain(l, req, sni, sniSeen, matching)...)
		return hop
	}
	best := l.chains[ci]
	s := best.server
	if best.servers != nil {
		s = best.mostSpecific(name)
		if s == nil {
			hop.Problems = append(hop.Problems, fmt.Sprintf("no server on port %d has host %q (hosts: %s); Envoy answers 404", req.Port, name, strings.Join(hostsOf(best.servers), ", ")))
			return hop
		}
	}
	hop.Gateway = s.gw.key()
	hop.Server = s.s.GetPort().GetName()
	hop.Protocol = s.s.GetPort().GetProtocol()
	if !isHTTPProtocol(s.proto) && s.s.GetTls() != nil {
		hop.Mode = s.s.GetTls().GetMode().String()
	}
	hop.TerminatesTLS = s.terminates()
	if hop.TerminatesTLS {
		hop.Credential = credential(s)
	}
	hop.Problems = append(hop.Problems, l.byServer[s]...)
	hop.Problems = append(hop.Problems, g.multiServer(req.Port, name, matching, s)...)

	switch s.kind {
	case kindHTTP:
		hop.TrustedHops = g.TrustedHops()
		if req.TLS {
			hop.Problems = append(hop.Problems, fmt.Sprintf("a TLS ClientHello arrives at plain HTTP server %s: Envoy reads it as HTTP and answers 400", s.id()))
			return hop
		}
		g.routeHTTP(&hop, best, best.servers, s, name, req.Path, false)
	case kindHTTPS:
		hop.TrustedHops = g.TrustedHops()
		if !req.TLS {
			hop.Problems = append(hop.Problems, fmt.Sprintf("plain bytes arrive at HTTPS server %s: the TLS handshake fails", s.id()))
			return hop
		}
		host := hostOnly(req.Host)
		if host == "" {
			host = sni
		}
		g.routeHTTP(&hop, best, []*gwServer{s}, s, host, req.Path, true)
	case kindTLSTerm, kindPassthrough:
		if !req.TLS {
			hop.Problems = append(hop.Problems, fmt.Sprintf("plain bytes arrive at %s server %s (mode %s), which expects TLS", s.proto, s.id(), hop.Mode))
		}
		fallthrough
	case kindTCP:
		if best.vs != nil {
			hop.VirtualService = best.vs.key()
			hop.Route = best.route
			hop.Destinations = slices.Clone(best.dests)
		} else if s.s.GetTls().GetMode() == networking.ServerTLSSettings_AUTO_PASSTHROUGH {
			hop.Problems = append(hop.Problems, fmt.Sprintf("server %s is AUTO_PASSTHROUGH: the destination is the mesh service the SNI names, which is not traced", s.id()))
		}
	}
	return hop
}

// tlsInspectorSeesHello reports whether a tls_inspector of the listener
// reads the ClientHello: one must run, and when a PROXY header precedes
// the hello it must run after proxy_protocol has removed the header.
func tlsInspectorSeesHello(filters []string, proxy bool) bool {
	pp := slices.Index(filters, proxyProtocolFilter)
	for i, f := range filters {
		if f == tlsInspectorFilter && (!proxy || i > pp) {
			return true
		}
	}
	return false
}

// noChain explains why no filter chain of the listener takes a connection.
func (g *Gateway) noChain(l *listenerPort, req GatewayRequest, sni string, sniSeen bool, matching []*gwServer) []string {
	var out []string
	for _, s := range matching {
		out = append(out, l.byServer[s]...)
	}
	var names []string
	for _, c := range l.chains {
		names = append(names, c.sni...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	switch {
	case len(l.chains) == 0:
		out = append(out, fmt.Sprintf("Istio builds no filter chain on port %d: Envoy closes every connection", req.Port))
	case !req.TLS:
		out = append(out, fmt.Sprintf("plain bytes arrive on port %d, where every filter chain is a TLS one matched by server name (%s): Envoy closes the connection", req.Port, strings.Join(names, ", ")))
	case sni == "":
		out = append(out, fmt.Sprintf("the ClientHello has no SNI and no filter chain on port %d matches every connection (server names: %s): Envoy closes the connection", req.Port, strings.Join(names, ", ")))
	case !sniSeen:
		out = append(out, fmt.Sprintf("no tls_inspector reads the ClientHello on port %d (listener filters: %s), so no filter chain matched by server name is chosen", req.Port, strings.Join(l.filters, ", ")))
	case len(matching) == 0:
		out = append(out, fmt.Sprintf("no server on port %d has host %q (server names: %s): Envoy closes the connection", req.Port, sni, strings.Join(names, ", ")))
	default:
		out = append(out, fmt.Sprintf("no filter chain on port %d matches SNI %q (server names: %s): Envoy closes the connection", req.Port, sni, strings.Join(names, ", ")))
	}
	return out
}

// mostSpecific is [mostSpecific] over the chain's servers, by its index.
func (c *chain) mostSpecific(name string) *gwServer {
	if name == "" {
		return mostSpecific(c.servers, name)
	}
	best, bestRank := -1, -1
	for _, i := range c.hosts.match(nil, name) {
		if r := c.entries[i].spec; r > bestRank || r == bestRank && i < best {
			best, bestRank = i, r
		}
	}
	if best < 0 {
		return nil
	}
	return c.entries[best].s
}

// mostSpecific returns the kept server whose hosts match name most
// specifically, the first of equals; nil when none does.
func mostSpecific(servers []*gwServer, name string) *gwServer {
	var best *gwServer
	bestRank := -1
	for _, s := range servers {
		if s.skipped != "" {
			continue
		}
		for _, h := range s.hosts {
			if (name == "" && h == "*") || name != "" && nameMatchesHost(name, h) {
				if r := specificity(h); r > bestRank {
					best, bestRank = s, r
				}
			}
		}
	}
	if best == nil && name == "" {
		for _, s := range servers {
			if s.skipped == "" {
				return s
			}
		}
	}
	return best
}

func hostsOf(servers []*gwServer) []string {
	var out []string
	for _, s := range servers {
		out = append(out, s.hosts...)
	}
	return out
}

// multiServer reports the servers of the port that match the request's
// name but that Istio dropped when it merged the port's servers: the
// conflict Envoy never sees.
func (g *Gateway) multiServer(port int, name string, matching []*gwServer, chosen *gwServer) []string {
	var ids []string
	var dropped []*gwServer
	for _, s := range matching {
		ids = append(ids, s.id())
		if s.skipped != "" && s != chosen {
			dropped = append(dropped, s)
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	what := fmt.Sprintf("match %q", name)
	if name == "" {
		what = "take a connection without a name"
	}
	out := []string{fmt.Sprintf("%d servers on port %d %s (%s): Envoy takes %s", len(matching), port, what, strings.Join(ids, ", "), chosen.id())}
	for _, s := range dropped {
		out = append(out, fmt.Sprintf("server %s %s", s.id(), s.skipped))
	}
	return out
}

// routeHTTP routes an HTTP request through the route configuration of
// servers: the virtual host, its require_tls, then the first matching
// route.
func (g *Gateway) routeHTTP(hop *GatewayHop, c *chain, servers []*gwServer, s *gwServer, host, path string, tls bool) {
	vhs := c.vhosts
	i := c.domains.pick(host)
	if i < 0 {
		gws := map[string]bool{}
		var names []string
		for _, sv := range servers {
			if !gws[sv.gw.key()] {
				gws[sv.gw.key()] = true
				names = append(names, sv.gw.key())
			}
		}
		hop.Problems = append(hop.Problems, fmt.Sprintf("no VirtualService bound to Gateway %s serves host %q on port %d: Envoy answers 404", strings.Join(names, ", "), host, s.port()))
		return
	}
	vh := vhs[i]
	if vh.requireTLS != nil && !tls {
		hop.HTTPSRedirect = true
		if r := vh.requireTLS; r != s && !s.s.GetTls().GetHttpsRedirect() && len(vh.routes) > 0 {
			var vsNames []string
			for _, rt := range vh.routes {
				if !slices.Contains(vsNames, rt.vs.key()) {
					vsNames = append(vsNames, rt.vs.key())
				}
			}
			hop.Problems = append(hop.Problems, fmt.Sprintf("server %s (hosts %s) has tls.httpsRedirect and VirtualService %s also binds to it, so Istio sets require_tls: ALL on the virtual host %q: every plain-HTTP request for %q gets a 301 to https although server %s does not redirect; put the redirect server in a Gateway of its own", r.id(), strings.Join(r.hosts, ", "), strings.Join(vsNames, ", "), vh.domain, host, s.id()))
		}
		return
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	for _, r := range vh.routes {
		if !r.matches(httpRequest{host: host, path: path, scheme: scheme}) {
			continue
		}
		hop.VirtualService = r.vs.key()
		hop.Route = r.name()
		if r.r.GetRedirect() != nil {
			hop.Redirect = true
		}
		if r.r.GetDelegate() != nil {
			hop.Problems = append(hop.Problems, fmt.Sprintf("VirtualService %s %s delegates to %s/%s, which is not traced", r.vs.key(), r.name(), r.r.GetDelegate().GetNamespace(), r.r.GetDelegate().GetName()))
		}
		for _, d := range r.r.GetRoute() {
			hop.Destinations = append(hop.Destinations, destination(d.GetDestination()))
		}
		return
	}
	if len(vh.routes) == 0 {
		hop.Problems = append(hop.Problems, fmt.Sprintf("no VirtualService bound to Gateway %s serves host %q on port %d: Envoy answers 404", s.gw.key(), host, s.port()))
		return
	}
	var vsNames []string
	for _, rt := range vh.routes {
		if !slices.Contains(vsNames, rt.vs.key()) {
			vsNames = append(vsNames, rt.vs.key())
		}
	}
	p := path
	if p == "" {
		p = "/"
	}
	hop.Problems = append(hop.Problems, fmt.Sprintf("VirtualService %s is bound to host %q on port %d, but no route matches %s: Envoy answers 404", strings.Join(vsNames, ", "), host, s.port(), p))
}
