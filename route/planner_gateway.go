package route

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// gateway finishes the gateway tier once every route is planned: redirect
// servers, conflicts between routes that reach one gateway port, server
// names and order, the trusted proxies and the backends the gateway
// reaches.
func (pl *planner) gateway() {
	c := pl.c
	gp := &GatewayPlan{Name: c.GatewayName(), Namespace: c.GatewayNamespace(), Selector: c.GatewaySelector()}
	gp.RoutesNamespace = cmp.Or(c.Gateway.RoutesNamespace, gp.Namespace)
	if c.Edge != nil {
		gp.ProxyProtocol = c.Gateway.ProxyProtocol
	}
	pl.out.Gateway = gp
	st := pl.gw()
	if c.Edge == nil {
		for i := range c.Listeners {
			l := &c.Listeners[i]
			if l.Protocol != HTTP || !l.RedirectHTTPS || pl.routesAll(l) {
				continue
			}
			key := serverKey{port: l.Port, protocol: HTTP, redirect: true}
			if _, ok := st.byKey[key]; !ok {
				st.pending = append(st.pending, &pendingServer{key: key, first: "redirect"})
				st.byKey[key] = len(st.pending) - 1
			}
			st.pending[st.byKey[key]].hosts = []string{"*"}
		}
	}
	pl.acmeServers()
	pl.conflicts()
	pl.crossListener()
	// Order and name the servers.
	order := make([]int, len(st.pending))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := st.pending[a], st.pending[b]
		return cmp.Or(cmp.Compare(x.key.port, y.key.port), boolCompare(x.key.redirect, y.key.redirect), cmp.Compare(x.first, y.first))
	})
	perProtocol := map[Protocol]int{}
	for _, s := range st.pending {
		perProtocol[s.key.protocol]++
	}
	newIndex := make([]int, len(st.pending))
	names := map[string]bool{}
	for n, i := range order {
		s := st.pending[i]
		newIndex[i] = n
		name := strings.ToLower(string(s.key.protocol))
		if perProtocol[s.key.protocol] > 1 {
			name += "-" + s.first
		}
		for k, base := 2, name; names[name]; k++ {
			name = base + "-" + strconv.Itoa(k)
		}
		names[name] = true
		hosts := slices.Clone(s.hosts)
		slices.Sort(hosts)
		gp.Servers = append(gp.Servers, GatewayServer{
			Name: name, Port: s.key.port, Protocol: s.key.protocol, Mode: s.key.mode,
			Credential: s.key.credential, Hosts: slices.Compact(hosts), HTTPSRedirect: s.key.redirect,
		})
	}
	for i := range pl.out.Routes {
		if h := pl.out.Routes[i].Gateway; h != nil {
			h.Server = newIndex[h.Server]
		}
	}
	pl.nameTCPPools(newIndex)
	pl.trustedProxies()
	pl.gatewayBackends()
	pl.names()
	pl.namespaces()
	pl.splitGateways()
	pl.install()
}

// names names the gateway tier's objects: one VirtualService per set of
// gateway hosts, after its first route; the redirect Gateway, the
// EnvoyFilter and the Telemetry after the Gateway.
func (pl *planner) names() {
	c, gp := pl.c, pl.out.Gateway
	vs := map[string]string{}
	for i := range pl.out.Routes {
		h := pl.out.Routes[i].Gateway
		if h == nil || h.Same >= 0 {
			continue
		}
		key := strings.Join(h.Hosts, "\x00")
		if _, ok := vs[key]; !ok {
			vs[key] = pl.out.Routes[i].Route.Name
		}
		h.VirtualService = vs[key]
	}
	for i := range pl.out.Routes {
		if h := pl.out.Routes[i].Gateway; h != nil && h.Same >= 0 {
			h.VirtualService = pl.out.Routes[h.Same].Gateway.VirtualService
		}
	}
	for _, s := range gp.Servers {
		if s.HTTPSRedirect {
			gp.RedirectGateway = gp.Name + "-redirect"
		}
	}
	if c.Edge != nil && c.Gateway.ProxyProtocol == GatewayProxyEnvoyFilter {
		gp.ProxyProtocolFilter = gp.Name + "-proxy-protocol"
	}
	if c.Gateway.AccessLog {
		gp.AccessLog = gp.Name + "-access-log"
	}
}

// nameTCPPools names the edge's TCP pools toward the gateway: gw_tcp_<port>
// when one gateway server takes a port's traffic, gw_tcp_<port>_<server>
// when several do.
func (pl *planner) nameTCPPools(newIndex []int) {
	perPort := map[int]int{}
	for i := range pl.out.Pools {
		p := &pl.out.Pools[i]
		if p.Kind == PoolGateway && p.Mode == EdgeTCP && strings.Contains(p.Name, "\x00") {
			perPort[p.GatewayPort]++
		}
	}
	for i := range pl.out.Pools {
		p := &pl.out.Pools[i]
		base, _, ok := strings.Cut(p.Name, "\x00")
		if !ok {
			continue
		}
		if p.server >= 0 {
			p.server = newIndex[p.server]
		}
		if perPort[p.GatewayPort] > 1 {
			if p.server >= 0 {
				base += "_" + strings.ReplaceAll(pl.out.Gateway.Servers[p.server].Name, "-", "_")
			} else {
				base += "_" + p.Backend.Name // handed over to a gateway configured elsewhere
			}
		}
		p.Name = base
	}
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// routesAll reports whether a route of l that the gateway serves has the
// host "*": the https redirect of the rest of l is then a route of that
// VirtualService, not a server of its own (two servers for "*" on one port
// conflict).
func (pl *planner) routesAll(l *Listener) bool {
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		if rp.Listener == l && rp.Gateway != nil && slices.Contains(rp.Gateway.Hosts, "*") {
			return true
		}
	}
	return false
}

// describe says what a gateway server does, for messages.
func (k serverKey) describe() string {
	switch {
	case k.protocol == TCP:
		return "TCP"
	case k.mode == TLSPassthrough:
		return "TLS passed through to the backend"
	case k.mode == TLSSimple || k.mode == TLSMutual:
		return fmt.Sprintf("HTTPS terminated with credential %q", k.credential)
	}
	return "plain HTTP"
}

// family is what a gateway port carries: Istio builds one listener a port,
// either TCP proxying, plain HTTP, or TLS (terminated or passed through)
// chosen by SNI.
func (k serverKey) family() string {
	switch {
	case k.protocol == TCP:
		return "TCP"
	case k.protocol == HTTP:
		return "plain HTTP"
	}
	return "TLS"
}

// conflicts refuses routes that reach one gateway port in ways the gateway
// cannot tell apart, and marks routes the gateway sees exactly like an
// earlier one.
func (pl *planner) conflicts() {
	st := pl.gw()
	type portHost struct {
		port int
		host string
	}
	type portPath struct {
		port int
		kind Protocol
		host string
		path string
	}
	hostServer := map[portHost]int{} // -> route index
	family := map[int]int{}          // port -> route index
	paths := map[portPath]int{}      // -> route index
	whole := map[string]int{}        // whole signature -> route index
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil {
			continue
		}
		rpath := elemOf("routes", i)
		key := st.pending[h.Server].key
		if j, ok := family[h.Port]; ok {
			other := st.pending[pl.out.Routes[j].Gateway.Server].key
			if other.family() != key.family() {
				pl.p.add(rpath.field(""), "reaches gateway port %d as %s, and routes[%d] (listener %q) reaches it as %s: a gateway port carries one of TCP, plain HTTP or TLS",
					h.Port, key.family(), j, pl.out.Routes[j].Listener.Name, other.family())
				continue
			}
		} else {
			family[h.Port] = i
		}
		if key.protocol == TCP {
			continue
		}
		for _, host := range h.Hosts {
			ph := portHost{h.Port, host}
			j, ok := hostServer[ph]
			if !ok {
				hostServer[ph] = i
				continue
			}
			other := st.pending[pl.out.Routes[j].Gateway.Server].key
			if other != key {
				pl.p.add(pl.hostPath(rp, host), "host %q reaches gateway port %d as %s here and as %s from routes[%d] (listener %q): the gateway serves a host on a port one way",
					host, h.Port, key.describe(), other.describe(), j, pl.out.Routes[j].Listener.Name)
			}
		}
		sig := gatewaySignature(rp)
		for _, host := range h.Hosts {
			pp := portPath{h.Port, h.Kind, host, rp.Route.PathPrefix}
			j, ok := paths[pp]
			if !ok {
				paths[pp] = i
				continue
			}
			if j != i && gatewaySignature(&pl.out.Routes[j]) != sig {
				what := "host " + strconv.Quote(host) + " reaches"
				if rp.Route.PathPrefix != "" {
					what = "host " + strconv.Quote(host) + " and path " + strconv.Quote(rp.Route.PathPrefix) + " reach"
				}
				pl.p.add(pl.hostPath(rp, host), "%s gateway port %d from routes[%d] (listener %q) too, with another destination: the gateway cannot tell the two apart, and one of them would never match",
					what, h.Port, j, pl.out.Routes[j].Listener.Name)
			} else if j != i && h.Kind == TLS && !slices.Equal(pl.out.Routes[j].Gateway.Hosts, h.Hosts) {
				// Each route routed by SNI is a TLS match of its own, and
				// Istio keeps one filter chain per SNI host and port: it
				// drops the second route's match of the host.
				pl.p.add(pl.hostPath(rp, host), "host %q is routed by SNI on gateway port %d by routes[%d] (listener %q) too, with other hosts: Istio keeps one TLS match a host and port; give both routes the same hosts, or this host to one of them",
					host, h.Port, j, pl.out.Routes[j].Listener.Name)
			}
		}
		wk := strconv.Itoa(h.Port) + "\x00" + strings.Join(h.Hosts, ",") + "\x00" + rp.Route.PathPrefix + "\x00" + sig
		if j, ok := whole[wk]; ok {
			h.Same = j
		} else {
			whole[wk] = i
		}
	}
}

// acmeServers opens the gateway's HTTP port for the hosts whose ACME
// challenges a listener's acme setting sends to the gateway: cert-manager's
// solver adds its routes only while it answers a challenge, and the edge's
// checks of the gateway's HTTP port need a listener there all the time. The
// server has no route of its own; a port that carries TCP or TLS from other
// routes is refused.
func (pl *planner) acmeServers() {
	st := pl.gw()
	for i := range pl.out.ACME {
		r := &pl.out.ACME[i]
		if r.Backend != acmeGatewayBackend.Name {
			continue
		}
		key := serverKey{port: pl.httpPort, protocol: HTTP}
		for j := range pl.out.Routes {
			h := pl.out.Routes[j].Gateway
			if h != nil && h.Port == pl.httpPort && st.pending[h.Server].key.family() != key.family() {
				li := slices.IndexFunc(pl.c.Listeners, func(l Listener) bool { return l.Name == r.Listener })
				pl.p.add(elemOf("listeners", li).field(".acme.gateway"), "the challenges go to gateway port %d as plain HTTP, and routes[%d] reaches that port as %s: a gateway port carries one of TCP, plain HTTP or TLS",
					pl.httpPort, j, st.pending[h.Server].key.family())
				return
			}
		}
		i, ok := st.byKey[key]
		if !ok {
			st.pending = append(st.pending, &pendingServer{key: key, first: r.Name})
			i = len(st.pending) - 1
			st.byKey[key] = i
		}
		st.pending[i].hosts = append(st.pending[i].hosts, r.Hosts...)
	}
}

// crossListener refuses a route whose hosts lie under a broader host of a
// route of another edge listener reaching the same gateway port, when the
// two are handled differently there: the gateway tells traffic apart by
// host and path only, so the broader route's requests for those names
// would reach the narrower route's backend (or TLS handling).
func (pl *planner) crossListener() {
	st := pl.gw()
	byPort := map[int]map[string][]int{} // port -> host pattern -> routes
	for i := range pl.out.Routes {
		h := pl.out.Routes[i].Gateway
		if h == nil || h.Kind == TCP || pl.c.Edge == nil {
			continue
		}
		m := byPort[h.Port]
		if m == nil {
			m = map[string][]int{}
			byPort[h.Port] = m
		}
		for _, host := range h.Hosts {
			m[host] = append(m[host], i)
		}
	}
	pathsOverlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil || h.Kind == TCP || pl.c.Edge == nil {
			continue
		}
		m := byPort[h.Port]
		key := st.pending[h.Server].key
		sig := gatewaySignature(rp)
		for _, host := range h.Hosts {
			// The broader patterns that take host's names: its parent
			// wildcards and "*".
			var broader []string
			rest := strings.TrimPrefix(host, "*.")
			if host == "*" {
				rest = ""
			}
			for rest != "" {
				j := strings.IndexByte(rest, '.')
				if j < 0 {
					break
				}
				rest = rest[j+1:]
				broader = append(broader, "*."+rest)
			}
			if host != "*" {
				broader = append(broader, "*")
			}
			// The same host from another listener with another, overlapping
			// path prefix counts too (the same path is conflicts').
			broader = append(broader, host)
			for _, b := range broader {
				for _, j := range m[b] {
					o := &pl.out.Routes[j]
					if j == i || o.Listener == rp.Listener || !pathsOverlap(o.Route.PathPrefix, rp.Route.PathPrefix) ||
						b == host && o.Route.PathPrefix == rp.Route.PathPrefix {
						continue
					}
					if st.pending[o.Gateway.Server].key == key && gatewaySignature(o) == sig {
						continue
					}
					if b == host && j > i {
						continue // reported once, at the later route
					}
					pl.p.add(pl.hostPath(rp, host), "host %q lies under %q of routes[%d] (listener %q), which reaches gateway port %d too, handled otherwise (paths %q and %q): the gateway tells them apart by host and path only, so one listener's requests would reach the other's backend; route the names the same way, or give one of them a gateway port of its own",
						host, b, j, o.Listener.Name, h.Port, o.Route.PathPrefix, rp.Route.PathPrefix)
				}
			}
		}
	}
}

// hostPath is the field path of host (in routing form) in rp's route.
func (pl *planner) hostPath(rp *RoutePlan, host string) string {
	fp := elemOf("routes", rp.Index)
	if rp.Route.GatewayHost != "" {
		return fp.field(".gatewayHost")
	}
	for j, h := range rp.Hosts {
		if h == host {
			return fp.elem(".hosts", j).field("")
		}
	}
	return fp.field(".hosts")
}

// gatewaySignature is what the gateway does with rp's traffic once it has
// matched it: its kind, destinations, redirect, headers and mesh binding.
func gatewaySignature(rp *RoutePlan) string {
	h := rp.Gateway
	var b strings.Builder
	b.WriteString(string(h.Kind))
	for _, d := range h.Destinations {
		fmt.Fprintf(&b, "|%s:%d:%d", d.Host, d.Port, d.Weight)
	}
	if rd := rp.Route.Redirect; rd != nil {
		fmt.Fprintf(&b, "|redirect %s %s %d %d", rd.Scheme, rd.Host, rd.Port, rd.Code)
	}
	for _, s := range h.SetHeaders {
		fmt.Fprintf(&b, "|%q=%q", s.Name, s.Value)
	}
	if h.Mesh != nil {
		fmt.Fprintf(&b, "|mesh %s:%d", h.Mesh.Host, h.Mesh.Port)
	}
	return b.String()
}

// appendedHops is how many proxies append to X-Forwarded-For on rp's way
// into the gateway: the edge (when it sees HTTP and forwards for) and the
// proxies in front of it. TLS passed through carries whatever
// X-Forwarded-For the client wrote.
func (pl *planner) appendedHops(rp *RoutePlan) int {
	e := pl.c.Edge
	if e == nil || rp.Edge == nil || rp.Edge.Mode != EdgeHTTP {
		return 0
	}
	n := e.UpstreamProxies
	if e.ForwardFor {
		n++
	}
	return n
}

// trustedProxies derives the gateway's numTrustedProxies from what the edge
// does on every path into a gateway port where the gateway handles HTTP.
// The gateway trusts one number on every port, so the number must never
// exceed what is appended on any path: a larger one would take an address
// the client wrote. With the PROXY protocol the client address is in the
// header, and the derived number is zero.
func (pl *planner) trustedProxies() {
	c, g, gp := pl.c, pl.c.Gateway, pl.out.Gateway
	// Every path into the gateway where it parses HTTP, with its hops.
	type path struct {
		route, hops int
	}
	var paths []path
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		switch {
		case rp.Gateway != nil:
			if rp.Gateway.Kind != HTTP {
				continue
			}
			paths = append(paths, path{i, pl.appendedHops(rp)})
		case rp.Edge != nil && rp.Edge.Pool >= 0 && pl.out.Pools[rp.Edge.Pool].Kind == PoolGateway:
			// A backend with gateway: true: what the gateway does is
			// configured elsewhere, and may be HTTP.
			paths = append(paths, path{i, pl.appendedHops(rp)})
		}
	}
	minPath := -1
	for k, p := range paths {
		if minPath < 0 || p.hops < paths[minPath].hops {
			minPath = k
		}
	}
	proxy := c.Edge != nil && g.ProxyProtocol != GatewayProxyOff
	if n := g.NumTrustedProxies; n != nil {
		gp.NumTrustedProxies = *n
		if *n > 0 && c.Edge != nil && minPath >= 0 && paths[minPath].hops < *n {
			p := paths[minPath]
			pl.p.add("gateway.numTrustedProxies", "%d trusts X-Forwarded-For entries that routes[%d] (listener %q) reaches the gateway without: %s, so the gateway would take an address the client wrote itself; at most %d is safe",
				*n, p.route, pl.out.Routes[p.route].Listener.Name, pl.hopsText(&pl.out.Routes[p.route]), p.hops)
		}
		if *n > 0 && proxy {
			pl.out.Warnings = append(pl.out.Warnings, Warning{Path: "gateway.numTrustedProxies", Detail: "numTrustedProxies is " + strconv.Itoa(*n) +
				" while the gateway accepts the PROXY protocol: Istio then takes the client address from X-Forwarded-For" +
				" and ignores the one in the PROXY header; leave it unset to keep the PROXY protocol's"})
		}
		return
	}
	if proxy || len(paths) == 0 {
		return
	}
	hi := slices.MaxFunc(paths, func(a, b path) int { return cmp.Compare(a.hops, b.hops) })
	lo := paths[minPath]
	if lo.hops == hi.hops {
		gp.NumTrustedProxies = lo.hops
		return
	}
	at := "edge.forwardFor"
	if !c.Edge.ForwardFor {
		at = "edge.upstreamProxies"
	}
	pl.p.add(at, "routes[%d] (listener %q) reaches the gateway with %d X-Forwarded-For entries appended, routes[%d] (listener %q) with %d (%s); the gateway trusts one number on every port, and no number is right for both: set gateway.proxyProtocol so the gateway takes the client address from the PROXY header, or gateway.numTrustedProxies: %d to keep the edge's address",
		hi.route, pl.out.Routes[hi.route].Listener.Name, hi.hops, lo.route, pl.out.Routes[lo.route].Listener.Name, lo.hops, pl.hopsText(&pl.out.Routes[lo.route]), lo.hops)
}

// hopsText says why rp's traffic reaches the gateway with the
// X-Forwarded-For it has.
func (pl *planner) hopsText(rp *RoutePlan) string {
	switch {
	case rp.Edge != nil && rp.Edge.Mode == EdgePassthrough:
		return "its TLS is passed through, so the gateway reads what the client wrote"
	case rp.Edge != nil && rp.Edge.Mode == EdgeTCP:
		return "its TCP is passed through, so the gateway reads what the client wrote"
	case rp.Edge != nil && !rp.Edge.ForwardFor:
		return "the edge does not append X-Forwarded-For (edge.forwardFor)"
	}
	return "X-Forwarded-For is appended by the edge and the proxies in front of it"
}

// gatewayBackends lists the backends the gateway reaches, with their
// registry host, the SNI it sends them and the ports of static servers.
func (pl *planner) gatewayBackends() {
	type use struct {
		first *Route // the first route sending traffic (not mesh traffic)
		ports map[int]Protocol
	}
	uses := map[*Backend]*use{}
	get := func(b *Backend) *use {
		u := uses[b]
		if u == nil {
			u = &use{ports: map[int]Protocol{}}
			uses[b] = u
		}
		return u
	}
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil {
			continue
		}
		for _, d := range h.Destinations {
			u := get(d.Backend)
			if u.first == nil {
				u.first = rp.Route
			}
			if _, ok := u.ports[d.Port]; !ok {
				u.ports[d.Port] = h.Kind
			}
		}
		if d := h.Mesh; d != nil {
			u := get(d.Backend)
			if _, ok := u.ports[d.Port]; !ok {
				u.ports[d.Port] = h.Kind
			}
		}
	}
	for i := range pl.c.Backends {
		b := &pl.c.Backends[i]
		u := uses[b]
		if u == nil {
			continue
		}
		gb := GatewayBackend{Backend: b, Name: b.Name}
		switch {
		case b.Service != nil:
			gb.Host = b.Service.Host
		case b.External != nil:
			gb.Host = b.External.Host
		default:
			gb.Host = staticHost(b)
			for _, s := range b.Servers {
				_, p, _ := net.SplitHostPort(s.Address)
				n, _ := strconv.Atoi(p)
				if _, ok := u.ports[n]; !ok {
					u.ports[n] = TCP
				}
			}
			for _, p := range slices.Sorted(maps.Keys(u.ports)) {
				gb.Ports = append(gb.Ports, GatewayPort{Port: p, Protocol: u.ports[p]})
			}
		}
		if t := b.TLS; t != nil && !t.Disable {
			gb.SNI = hostname.Normalize(t.SNI)
			if gb.SNI == "" && u.first != nil {
				gb.SNI = serverName(u.first)
			}
			gb.SNI = cmp.Or(gb.SNI, gb.Host)
		}
		pl.out.Gateway.Backends = append(pl.out.Gateway.Backends, gb)
	}
}
