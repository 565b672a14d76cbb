package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// vsObj is a VirtualService with its names resolved as Istio resolves them
// (ResolveVirtualServiceShortnames in pilot/pkg/model/virtualservice.go).
type vsObj struct {
	name, ns string
	spec     *networking.VirtualService
	hosts    []string // short names as FQDNs
	gateways []string // "ns/name", or "mesh"
}

func (v *vsObj) key() string { return v.ns + "/" + v.name }

func newVS(name, ns string, spec *networking.VirtualService) *vsObj {
	v := &vsObj{name: name, ns: ns, spec: spec}
	for _, h := range spec.GetHosts() {
		v.hosts = append(v.hosts, resolveShortName(h, ns))
	}
	gws := spec.GetGateways()
	if len(gws) == 0 {
		gws = []string{meshGateway}
	}
	for _, gw := range gws {
		v.gateways = append(v.gateways, resolveGatewayName(gw, ns))
	}
	return v
}

// meshGateway is the reserved gateway name of the sidecars.
const meshGateway = "mesh"

// resolveGatewayName turns a gateway reference of an object of namespace
// ns into "namespace/name" (resolveGatewayName in
// pilot/pkg/model/config.go): "name" is in ns, "./name" too, "ns/name" as
// written, and the legacy "name.ns.svc.cluster.local" is "ns/name".
func resolveGatewayName(gw, ns string) string {
	if gw == meshGateway {
		return gw
	}
	if before, after, ok := strings.Cut(gw, "/"); ok {
		if before == "." {
			return ns + "/" + after
		}
		return gw
	}
	if name, rest, ok := strings.Cut(gw, "."); ok {
		gns, _, _ := strings.Cut(rest, ".")
		return gns + "/" + name
	}
	return ns + "/" + gw
}

// visibleFrom returns the group Istio lists a VirtualService in for a
// proxy of namespace ns (VirtualServicesForGateway: exported to its own
// namespace first, then exported to ns, then public), or -1 when exportTo
// hides it.
func (v *vsObj) visibleFrom(ns string) int {
	exp := v.spec.GetExportTo()
	switch {
	case len(exp) == 0 || slices.Contains(exp, "*"):
		return 2
	case slices.Contains(exp, "~"):
		return -1
	case v.ns == ns && (slices.Contains(exp, ".") || slices.Contains(exp, ns)):
		return 0
	case slices.Contains(exp, ns):
		return 1
	}
	return -1
}

// indexVirtualServices lists the VirtualServices bound to each Gateway
// ("ns/name") that the workload sees, in Istio's order
// (VirtualServicesForGateway): exported to their own namespace first, then
// to the workload's, then public; in creation order within each.
func (g *Gateway) indexVirtualServices() {
	groups := map[string]*[3][]*vsObj{}
	for _, v := range g.vss {
		grp := v.visibleFrom(g.w.Namespace)
		if grp < 0 {
			continue
		}
		for i, gw := range v.gateways {
			if slices.Contains(v.gateways[:i], gw) {
				continue
			}
			gs := groups[gw]
			if gs == nil {
				gs = &[3][]*vsObj{}
				groups[gw] = gs
			}
			gs[grp] = append(gs[grp], v)
		}
	}
	g.vsByGateway = make(map[string]*vsHostIndex, len(groups))
	for gw, gs := range groups {
		g.vsByGateway[gw] = newVSHostIndex(slices.Concat(gs[0], gs[1], gs[2]))
	}
}

// boundCandidates returns the VirtualServices bound to the Gateway of s
// that may bind to s: those with a host matching one of its hosts, in
// Istio's order.
func (g *Gateway) boundCandidates(s *gwServer) []*vsObj {
	return g.vsByGateway[s.gw.key()].candidates(s)
}

// serverKind is what a gateway server becomes in Envoy.
type serverKind int

const (
	kindHTTP        serverKind = iota // plain HTTP: one route configuration per port
	kindHTTPS                         // HTTPS terminated: its own route configuration
	kindTLSTerm                       // TLS (not HTTP) terminated, then tcp routes
	kindPassthrough                   // TLS passed through by SNI, tls routes
	kindTCP                           // opaque TCP, tcp routes
)

// gwServer is one server of a selected Gateway.
type gwServer struct {
	gw      *gwObj
	index   int
	s       *networking.Server
	hosts   []string // sanitized
	proto   string   // upper-case protocol
	kind    serverKind
	skipped string // why Istio drops it; empty when kept
	hix     *hostIndex
}

// id names the server as "namespace/name/portName".
func (s *gwServer) id() string {
	name := s.s.GetPort().GetName()
	if name == "" {
		name = fmt.Sprintf("servers[%d]", s.index)
	}
	return s.gw.key() + "/" + name
}

func (s *gwServer) port() int { return int(s.s.GetPort().GetNumber()) }

// isHTTPProtocol reports whether Istio's protocol.Parse gives an HTTP
// protocol (Instance.IsHTTP).
func isHTTPProtocol(p string) bool {
	switch p {
	case "HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB":
		return true
	}
	return false
}

// isTLSServer, isHTTPServer and isPassthrough are Istio's
// pkg/config/gateway IsTLSServer, IsHTTPServer and IsPassThroughServer.
// A server with tls settings but no tls.mode is PASSTHROUGH, the enum's
// zero value.
func (s *gwServer) isTLSServer() bool { return s.s.GetTls() != nil && !isHTTPProtocol(s.proto) }

func (s *gwServer) isHTTPServer() bool {
	return isHTTPProtocol(s.proto) || s.proto == "HTTPS" && !s.isPassthrough()
}

func (s *gwServer) isPassthrough() bool {
	if s.s.GetTls() == nil {
		return false
	}
	m := s.s.GetTls().GetMode()
	return m == networking.ServerTLSSettings_PASSTHROUGH || m == networking.ServerTLSSettings_AUTO_PASSTHROUGH
}

// terminates reports whether the server ends TLS.
func (s *gwServer) terminates() bool {
	return s.kind == kindHTTPS || s.kind == kindTLSTerm
}

// sniHosts returns the server names of a terminating server's filter
// chain (GetSNIHostsForServer): hosts without namespace, deduplicated,
// sorted; nil (match every connection) when one is "*".
func (s *gwServer) sniHosts() []string {
	var out []string
	for _, h := range s.hosts {
		h = stripNamespace(h)
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if slices.Contains(out, "*") {
		return nil
	}
	slices.Sort(out)
	return out
}

// rdsName is gatewayRDSRouteName of pilot/pkg/model/gateway.go.
func (s *gwServer) rdsName() string {
	if isHTTPProtocol(s.proto) {
		return "http." + strconv.Itoa(s.port())
	}
	if s.proto == "HTTPS" && !s.isPassthrough() {
		return fmt.Sprintf("https.%d.%s.%s.%s", s.port(), s.s.GetPort().GetName(), s.gw.name, s.gw.ns)
	}
	return ""
}

// listenerPort is the gateway listener on one port.
type listenerPort struct {
	number   int
	servers  []*gwServer // every server of the port, kept and skipped, in merge order
	groups   [][]*gwServer
	chains   []*chain
	filters  []string
	removed  bool
	problems []string
	// byServer and portWide are the problems again, by server and for the
	// whole port, for the hops of Route.
	byServer map[*gwServer][]string
	portWide []string
	// names indexes the hosts of servers by their index; sni picks a
	// filter chain by server name.
	names nameIndex
	sni   serverNameIndex
}

// serverProblem records a problem of server s.
func (l *listenerPort) serverProblem(s *gwServer, msg string) {
	l.problems = append(l.problems, msg)
	if l.byServer == nil {
		l.byServer = map[*gwServer][]string{}
	}
	l.byServer[s] = append(l.byServer[s], msg)
}

// portProblem records a problem of the whole listener.
func (l *listenerPort) portProblem(msg string) {
	l.problems = append(l.problems, msg)
	l.portWide = append(l.portWide, msg)
}

// chain is one filter chain of a listener.
type chain struct {
	sni     []string    // server names; nil matches every connection
	servers []*gwServer // kindHTTP: every HTTP server of the port
	server  *gwServer
	vs      *vsObj // tcp or tls route
	route   string
	dests   []string
	// For HTTP and HTTPS chains: the route configuration's virtual hosts,
	// picked by domains; for HTTP chains, the hosts of servers as the
	// entries of hosts.
	vhosts  []*vhost
	domains domainIndex
	hosts   nameIndex
	entries []hostEntry
}

// hostEntry is one host of a kept server of an HTTP chain, with its
// [specificity].
type hostEntry struct {
	s    *gwServer
	spec int
}

// index builds the indexes of the listener and its chains.
func (g *Gateway) index(l *listenerPort) {
	for i, s := range l.servers {
		for _, h := range s.hosts {
			l.names.add(h, i)
		}
	}
	l.sni = newServerNameIndex(l.chains)
	for _, c := range l.chains {
		switch {
		case c.servers != nil:
			for _, s := range c.servers {
				if s.skipped != "" {
					continue
				}
				for _, h := range s.hosts {
					c.hosts.add(h, len(c.entries))
					c.entries = append(c.entries, hostEntry{s: s, spec: specificity(h)})
				}
			}
			c.vhosts = g.routeConfig(c.servers)
		case c.server.kind == kindHTTPS:
			c.vhosts = g.routeConfig([]*gwServer{c.server})
		default:
			continue
		}
		domains := make([]string, len(c.vhosts))
		for i, vh := range c.vhosts {
			domains[i] = vh.domain
		}
		c.domains = newDomainIndex(domains)
	}
}

// merge merges the servers of the selected Gateways per port as Istio's
// mergeGateways (pilot/pkg/model/gateway.go) does, then builds each port's
// filter chains and listener filters (buildGatewayListeners and
// buildGatewayListener in pilot/pkg/networking/core).
//
// Per port: the first server decides. Plain-text HTTP servers merge into
// one route configuration; any other server after a plain-text one is
// dropped. Servers with TLS (HTTPS, TLS; and HTTP servers with
// tls.httpsRedirect) on one port become filter chains matched by SNI, and
// a server repeating a host of an earlier such server on the port is
// dropped whole. Two HTTPS servers need distinct port names.
func (g *Gateway) merge() {
	type key struct {
		port  int
		proto string
	}
	var order []key
	groups := map[key][]*gwServer{}
	plain := map[int]key{}
	tlsHosts := map[int]map[string]*gwServer{}
	routeNames := map[string]*gwServer{}
	gatewayPorts := map[int]bool{}
	lp := func(port int) *listenerPort {
		p := g.ports[port]
		if p == nil {
			p = &listenerPort{number: port}
			g.ports[port] = p
		}
		return p
	}
	add := func(k key, s *gwServer) {
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], s)
	}
	for _, gw := range g.gateways {
		for i, srv := range gw.spec.GetServers() {
			if srv.GetPort() == nil {
				continue
			}
			s := &gwServer{gw: gw, index: i, s: srv, hosts: sanitizeHosts(srv.GetHosts(), gw.ns), proto: strings.ToUpper(srv.GetPort().GetProtocol())}
			s.hix = newHostIndex(s.hosts)
			s.kind = classify(s)
			port := s.port()
			l := lp(port)
			l.servers = append(l.servers, s)
			if srv.GetTls() != nil {
				known := tlsHosts[port]
				if known == nil {
					known = map[string]*gwServer{}
					tlsHosts[port] = known
				}
				var dup []string
				var first *gwServer
				for _, h := range s.hosts {
					if o, ok := known[h]; ok {
						dup = append(dup, h)
						first = o
					}
				}
				if len(dup) > 0 {
					s.skipped = fmt.Sprintf("repeats host %s of server %s on port %d (Istio drops the later server)", strings.Join(dup, ", "), first.id(), port)
					continue
				}
				for _, h := range s.hosts {
					known[h] = s
				}
			}
			k := key{port, s.proto}
			if !gatewayPorts[port] {
				gatewayPorts[port] = true
				if !s.isTLSServer() {
					plain[port] = k
				}
				if s.isHTTPServer() {
					routeNames[s.rdsName()] = s
				}
				add(k, s)
				continue
			}
			if cur, ok := plain[port]; ok {
				if !isHTTPProtocol(s.proto) || !(isHTTPProtocol(cur.proto) || cur.proto == s.proto) {
					s.skipped = fmt.Sprintf("protocol %s conflicts with the %s server %s already on port %d (Istio drops the later server)", s.proto, cur.proto, groups[cur][0].id(), port)
					continue
				}
				add(cur, s)
				continue
			}
			if !s.isTLSServer() {
				plain[port] = k
				add(k, s)
				continue
			}
			if s.isHTTPServer() {
				if o, ok := routeNames[s.rdsName()]; ok {
					s.skipped = fmt.Sprintf("has the same port name as HTTPS server %s (Istio drops the later server)", o.id())
					continue
				}
				routeNames[s.rdsName()] = s
			}
			add(k, s)
		}
	}
	for _, k := range order {
		l := g.ports[k.port]
		l.groups = append(l.groups, groups[k])
	}
	for _, l := range g.ports {
		g.buildListener(l)
	}
}

// classify returns what Envoy makes of a server.
func classify(s *gwServer) serverKind {
	switch {
	case isHTTPProtocol(s.proto):
		return kindHTTP
	case s.s.GetTls() == nil:
		return kindTCP
	case s.isPassthrough():
		return kindPassthrough
	case s.proto == "HTTPS":
		return kindHTTPS
	}
	return kindTLSTerm
}

// buildListener builds the filter chains and listener filters of a port.
func (g *Gateway) buildListener(l *listenerPort) {
	for _, s := range l.servers {
		if s.skipped != "" {
			l.serverProblem(s, fmt.Sprintf("server %s %s", s.id(), s.skipped))
		}
		g.serverProblems(l, s)
	}
	sniSeen := map[string]*gwServer{}
	for _, grp := range l.groups {
		if isHTTPProtocol(grp[0].proto) {
			l.chains = append(l.chains, &chain{servers: grp, server: grp[0]})
			continue
		}
		for _, s := range grp {
			switch s.kind {
			case kindHTTPS:
				l.chains = append(l.chains, &chain{sni: s.sniHosts(), server: s})
			case kindTCP, kindTLSTerm:
				vs, route, dests := g.tcpRoute(s)
				if vs == nil {
					l.serverProblem(s, fmt.Sprintf("server %s: no VirtualService bound to Gateway %s has a tcp route for it; Istio builds no filter chain for the server", s.id(), s.gw.key()))
					continue
				}
				c := &chain{server: s, vs: vs, route: route, dests: dests}
				if s.kind == kindTLSTerm {
					c.sni = s.sniHosts()
				}
				l.chains = append(l.chains, c)
			case kindPassthrough:
				if s.s.GetTls().GetMode() == networking.ServerTLSSettings_AUTO_PASSTHROUGH {
					l.chains = append(l.chains, &chain{sni: s.sniHosts(), server: s})
					continue
				}
				cs := g.tlsRoutes(s, l, sniSeen)
				if len(cs) == 0 {
					l.serverProblem(s, fmt.Sprintf("server %s: no VirtualService bound to Gateway %s has a tls route for it; Istio builds no filter chain for the server", s.id(), s.gw.key()))
				}
				l.chains = append(l.chains, cs...)
			}
		}
	}
	g.index(l)
	// Envoy refuses a listener whose filter chains repeat a match.
	names := map[string]*chain{}
	var all *chain
	for _, c := range l.chains {
		if c.sni == nil {
			if all != nil {
				l.portProblem(fmt.Sprintf("port %d: servers %s and %s both make a filter chain matching every connection; Envoy rejects the listener", l.number, all.server.id(), c.server.id()))
			}
			all = c
			continue
		}
		for _, n := range c.sni {
			if o, ok := names[n]; ok && o != c {
				l.portProblem(fmt.Sprintf("port %d: server name %s is in the filter chains of %s and %s; Envoy rejects the listener", l.number, n, o.server.id(), c.server.id()))
			}
			names[n] = c
		}
	}
	// Listener filters (buildGatewayListener).
	if g.pc.GetGatewayTopology().GetProxyProtocol() != nil {
		l.filters = append(l.filters, proxyProtocolFilter)
	}
	for _, c := range l.chains {
		if len(c.sni) > 0 || c.server.kind == kindHTTPS {
			l.filters = append(l.filters, tlsInspectorFilter)
			break
		}
	}
	var notes []string
	l.filters, l.removed, notes = patchListenerFilters(l.filters, l.number, g.patches)
	if l.removed {
		l.portProblem(fmt.Sprintf("port %d: %s", l.number, strings.Join(notes, "; ")))
		return
	}
	for _, p := range listenerFilterProblems(l.number, l.filters, notes) {
		l.portProblem(p)
	}
}

// serverProblems reports server settings Istio takes differently than a
// reader expects.
func (g *Gateway) serverProblems(l *listenerPort, s *gwServer) {
	tls := s.s.GetTls()
	switch {
	case s.proto == "HTTPS" && tls == nil:
		l.serverProblem(s, fmt.Sprintf("server %s: protocol HTTPS without tls settings (the API server refuses it)", s.id()))
	case s.kind == kindPassthrough && tls.GetMode() == networking.ServerTLSSettings_PASSTHROUGH && (tls.GetCredentialName() != "" || len(tls.GetCredentialNames()) > 0):
		l.serverProblem(s, fmt.Sprintf("server %s: credentialName %q with tls.mode PASSTHROUGH (the mode's zero value): the gateway does not terminate TLS; set mode SIMPLE", s.id(), credential(s)))
	case s.terminates() && tls.GetMode() != networking.ServerTLSSettings_ISTIO_MUTUAL && credential(s) == "" && tls.GetServerCertificate() == "" && len(tls.GetTlsCertificates()) == 0:
		l.serverProblem(s, fmt.Sprintf("server %s: terminates TLS (mode %s) without credentialName: the gateway has no certificate to serve", s.id(), tls.GetMode()))
	}
}

// credential returns the credentialName a server serves.
func credential(s *gwServer) string {
	t := s.s.GetTls()
	if n := t.GetCredentialName(); n != "" {
		return n
	}
	if ns := t.GetCredentialNames(); len(ns) > 0 {
		return ns[0]
	}
	return ""
}

// pickMatchingHosts reports whether a VirtualService's hosts match a
// server's hosts (pickMatchingGatewayHosts in
// pilot/pkg/networking/core/gateway.go): a "ns/host" server host only
// for VirtualServices of that namespace.
func pickMatchingHosts(serverHosts []string, v *vsObj) bool {
	for _, vh := range v.hosts {
		for _, sh := range serverHosts {
			if n, name, ok := strings.Cut(sh, "/"); ok {
				if n != v.ns {
					continue
				}
				sh = name
			}
			if hostMatches(sh, vh) {
				return true
			}
		}
	}
	return false
}

// l4Match is l4SingleMatch: the match's port and gateways, when set, must
// be the server's.
func l4Match(port uint32, gateways []string, v *vsObj, s *gwServer) bool {
	if port != 0 && int(port) != s.port() {
		return false
	}
	if len(gateways) == 0 {
		return true
	}
	for _, gw := range gateways {
		if resolveGatewayName(gw, v.ns) == s.gw.key() {
			return true
		}
	}
	return false
}

// tcpRoute returns the first tcp route of the first VirtualService bound to
// the server's Gateway whose hosts match the server's and whose match
// takes the server (buildGatewayNetworkFiltersFromTCPRoutes).
func (g *Gateway) tcpRoute(s *gwServer) (*vsObj, string, []string) {
	for _, v := range g.boundCandidates(s) {
		if !s.hix.binds(v, false) {
			continue
		}
		for i, r := range v.spec.GetTcp() {
			ok := len(r.GetMatch()) == 0
			for _, m := range r.GetMatch() {
				ok = ok || l4Match(m.GetPort(), m.GetGateways(), v, s)
			}
			if !ok || len(r.GetRoute()) == 0 {
				continue
			}
			var dests []string
			for _, d := range r.GetRoute() {
				dests = append(dests, destination(d.GetDestination()))
			}
			return v, fmt.Sprintf("tcp[%d]", i), dests
		}
	}
	return nil, "", nil
}

// tlsRoutes returns the filter chains of a PASSTHROUGH server: one per
// tls route match of the VirtualServices bound to its Gateway whose hosts
// match the server's, matched by the route's sniHosts
// (buildGatewayNetworkFiltersFromTLSRoutes). A match repeating an SNI host
// of an earlier chain on the port is dropped.
func (g *Gateway) tlsRoutes(s *gwServer, l *listenerPort, seen map[string]*gwServer) []*chain {
	var out []*chain
	for _, v := range g.boundCandidates(s) {
		if !s.hix.binds(v, false) {
			continue
		}
		for i, r := range v.spec.GetTls() {
			if len(r.GetRoute()) == 0 {
				continue
			}
			for j, m := range r.GetMatch() {
				if !l4Match(m.GetPort(), m.GetGateways(), v, s) {
					continue
				}
				var dup []string
				for _, h := range m.GetSniHosts() {
					if _, ok := seen[h]; ok {
						dup = append(dup, h)
					}
				}
				if len(dup) > 0 {
					l.serverProblem(s, fmt.Sprintf("VirtualService %s tls[%d].match[%d] on server %s: SNI host %s already has a filter chain on port %d; Istio drops the match", v.key(), i, j, s.id(), strings.Join(dup, ", "), l.number))
					continue
				}
				for _, h := range m.GetSniHosts() {
					seen[h] = s
				}
				var dests []string
				for _, d := range r.GetRoute() {
					dests = append(dests, destination(d.GetDestination()))
				}
				sni := slices.Clone(m.GetSniHosts())
				if slices.Contains(sni, "*") {
					// A full wildcard writes no server names: the chain
					// takes every connection (toFilterChainMatch in
					// pilot/pkg/networking/core/listener.go).
					sni = nil
				}
				out = append(out, &chain{sni: sni, server: s, vs: v, route: fmt.Sprintf("tls[%d]", i), dests: dests})
			}
		}
	}
	return out
}

// destination formats a route destination as "host:port", or "host" when
// the port is left to Istio.
func destination(d *networking.Destination) string {
	if p := d.GetPort().GetNumber(); p != 0 {
		return d.GetHost() + ":" + strconv.Itoa(int(p))
	}
	return d.GetHost()
}
