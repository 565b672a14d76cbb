package istiocfg

import (
	"cmp"
	"net"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/route"
)

// Result is the gateway tier compiled from a route.Config.
type Result struct {
	// Objects are the Istio objects, sorted by kind, namespace and name.
	Objects []Object
	// Warnings are configurations that work but are probably not what was
	// meant; they never stop compilation.
	Warnings []route.Warning
	// GatewayPodAnnotations carries the same gateway topology as the
	// IstioOperator object, as the proxy.istio.io/config pod annotation of
	// the gateway deployment, for gateways installed without istioctl (Helm
	// podAnnotations). Nil when there is no topology to set.
	GatewayPodAnnotations map[string]string
}

// Compile returns the gateway tier of c: the objects Istio's ingress
// gateway needs to carry c's routes, consistent with what the edge tier is
// compiled to from the same c. It validates c first and returns
// [route.Config.Validate]'s error unchanged.
//
// Without a gateway tier (c.Gateway nil) the result is empty. See the
// package documentation for what each part of the model becomes.
func Compile(c *route.Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	res := &Result{}
	if c.Gateway == nil {
		return res, nil
	}
	k := &compiler{c: c, res: res, ns: c.GatewayNamespace(), gw: c.GatewayName(), static: map[string]map[uint32]string{}}
	k.classify()
	k.gateway()
	k.virtualServices()
	k.backends()
	k.telemetry()
	if err := k.topology(); err != nil {
		return nil, err
	}
	SortObjects(res.Objects)
	return res, nil
}

type routeKind int

const (
	kindHTTP routeKind = iota
	kindTLS
	kindTCP
)

type serverKey struct {
	port       uint32
	protocol   string // HTTP, HTTPS, TLS or TCP
	mode       networking.ServerTLSSettings_TLSmode
	credential string
	redirect   bool
}

// gwRoute is a route as the gateway sees it.
type gwRoute struct {
	r          *route.Route
	idx        int
	l          *route.Listener
	port       uint32
	hosts      []string
	kind       routeKind
	server     serverKey
	setHeaders bool // the gateway applies r.SetHeaders (the edge cannot)
}

type compiler struct {
	c      *route.Config
	res    *Result
	ns, gw string
	routes []gwRoute
	// static holds, per static backend reached by the gateway, the ports
	// routes use with their protocol.
	static map[string]map[uint32]string
	used   map[string]bool // backends the gateway reaches
	// firstRoute is, per backend, the first route sending it traffic.
	firstRoute map[string]*route.Route
	// httpPorts counts the gateway ports carrying HTTP; with more than one,
	// http routes match their port, since a VirtualService (for "*" or a
	// wildcard) also binds to the servers of the other ports.
	httpPorts int
}

func (k *compiler) classify() {
	c := k.c
	k.used = map[string]bool{}
	k.firstRoute = map[string]*route.Route{}
	for i := range c.Routes {
		r := &c.Routes[i]
		l, ok := c.ListenerByName(r.Listener)
		if !ok {
			continue
		}
		include := false
		switch {
		case r.Redirect != nil:
			include = c.Edge == nil
		default:
			for _, b := range k.backendsOf(r) {
				if c.BehindGateway(b) && !b.Gateway {
					include = true
				}
			}
		}
		if !include {
			continue
		}
		g := gwRoute{r: r, idx: i, l: l, port: uint32(c.GatewayPort(r)), hosts: route.GatewayHosts(r)}
		g.hosts = sortedUnique(g.hosts)
		term := c.TerminationOf(r)
		terminate := func() serverKey {
			mode := networking.ServerTLSSettings_SIMPLE
			cred := r.Credential
			if l.TLS != nil {
				if l.TLS.ClientCA != "" {
					mode = networking.ServerTLSSettings_MUTUAL
				}
				if cred == "" {
					cred = l.TLS.CredentialName
				}
			}
			return serverKey{port: g.port, protocol: "HTTPS", mode: mode, credential: cred}
		}
		plain := serverKey{port: g.port, protocol: "HTTP"}
		switch l.Protocol {
		case route.TCP:
			g.kind, g.hosts = kindTCP, []string{"*"}
			g.server = serverKey{port: g.port, protocol: "TCP"}
		case route.TLS:
			switch term {
			case route.TierEdge:
				g.server = plain
			case route.TierGateway:
				g.server = terminate()
			default:
				g.kind = kindTLS
				g.server = serverKey{port: g.port, protocol: "TLS", mode: networking.ServerTLSSettings_PASSTHROUGH}
			}
		case route.HTTPS:
			if c.Edge != nil {
				g.server = plain
			} else {
				g.server = terminate()
			}
		case route.HTTP:
			if term == route.TierGateway {
				g.server = terminate()
			} else {
				g.server = plain
			}
		}
		g.setHeaders = c.Edge == nil || (l.Protocol == route.TLS && term != route.TierEdge)
		for _, b := range k.backendsOf(r) {
			k.use(b, g, false)
		}
		if r.MeshBackend != "" {
			if b, ok := c.BackendByName(r.MeshBackend); ok {
				k.use(b, g, true)
			}
		}
		k.routes = append(k.routes, g)
	}
}

func (k *compiler) backendsOf(r *route.Route) []*route.Backend {
	var bs []*route.Backend
	for _, name := range route.BackendNames(r) {
		if b, ok := k.c.BackendByName(name); ok {
			bs = append(bs, b)
		}
	}
	return bs
}

func protocolOf(kind routeKind) string {
	switch kind {
	case kindTLS:
		return "TLS"
	case kindTCP:
		return "TCP"
	}
	return "HTTP"
}

// use records that the gateway reaches b for route g (as its mesh backend
// with mesh set).
func (k *compiler) use(b *route.Backend, g gwRoute, mesh bool) {
	k.used[b.Name] = true
	if k.firstRoute[b.Name] == nil && !mesh {
		k.firstRoute[b.Name] = g.r
	}
	if len(b.Servers) == 0 {
		return
	}
	ports := k.static[b.Name]
	if ports == nil {
		ports = map[uint32]string{}
		k.static[b.Name] = ports
	}
	_, port := k.dest(b, g.port, mesh)
	if _, ok := ports[port]; !ok {
		ports[port] = protocolOf(g.kind)
	}
}

// dest returns the destination host and port of backend b for a route
// arriving on routePort; mesh traffic sent to static servers keeps its port.
func (k *compiler) dest(b *route.Backend, routePort uint32, mesh bool) (string, uint32) {
	switch {
	case b.Service != nil:
		return b.Service.Host, uint32(b.Service.Port)
	case b.External != nil:
		return b.External.Host, uint32(b.External.Port)
	case len(b.Servers) > 0:
		if mesh {
			return staticHost(b), routePort
		}
		return staticHost(b), serverPort(b.Servers[0].Address)
	}
	return "", 0
}

func staticHost(b *route.Backend) string {
	if b.StaticHost != "" {
		return b.StaticHost
	}
	return b.Name
}

func serverPort(addr string) uint32 {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(p, 10, 16)
	return uint32(n)
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

type gwServer struct {
	key   serverKey
	hosts []string
	first string // name of the first route, for the port name
}

func (k *compiler) gateway() {
	servers := map[serverKey]*gwServer{}
	var order []serverKey
	add := func(key serverKey, hosts []string, first string) {
		s := servers[key]
		if s == nil {
			s = &gwServer{key: key, first: first}
			servers[key] = s
			order = append(order, key)
		}
		s.hosts = sortedUnique(append(s.hosts, hosts...))
	}
	for _, g := range k.routes {
		add(g.server, g.hosts, g.r.Name)
	}
	if k.c.Edge == nil {
		for i := range k.c.Listeners {
			l := &k.c.Listeners[i]
			if !l.RedirectHTTPS || k.routesAll(l.Name) {
				continue
			}
			add(serverKey{port: uint32(l.Port), protocol: "HTTP", redirect: true}, []string{"*"}, "redirect")
		}
	}
	if len(order) == 0 {
		return
	}
	perProtocol := map[string]int{}
	for _, key := range order {
		perProtocol[key.protocol]++
	}
	slices.SortFunc(order, func(a, b serverKey) int {
		return cmp.Or(cmp.Compare(a.port, b.port), cmpBool(a.redirect, b.redirect), cmp.Compare(servers[a].first, servers[b].first))
	})
	httpPorts := map[uint32]bool{}
	for _, key := range order {
		if key.protocol == "HTTP" || key.protocol == "HTTPS" {
			httpPorts[key.port] = true
		}
	}
	k.httpPorts = len(httpPorts)
	names := map[string]bool{}
	spec := GatewaySpec(k.c.GatewaySelector())
	for _, key := range order {
		s := servers[key]
		name := strings.ToLower(key.protocol)
		if perProtocol[key.protocol] > 1 {
			name += "-" + s.first
		}
		for n, base := 2, name; names[name]; n++ {
			name = base + "-" + strconv.Itoa(n)
		}
		names[name] = true
		var srv *networking.Server
		switch {
		case key.redirect:
			srv = HTTPSRedirectServer(name, key.port, s.hosts...)
		case key.protocol == "HTTPS":
			srv = HTTPSServer(name, key.port, key.mode, []string{key.credential}, s.hosts...)
		case key.protocol == "TLS":
			srv = PassthroughServer(name, key.port, s.hosts...)
		case key.protocol == "TCP":
			srv = TCPServer(name, key.port, s.hosts...)
		default:
			srv = HTTPServer(name, key.port, s.hosts...)
		}
		spec.Servers = append(spec.Servers, srv)
	}
	k.res.Objects = append(k.res.Objects, NewGateway(k.gw, k.ns, spec))
}

// routesAll reports whether a route of listener has the host "*": then
// the https redirect of what is left is a route of that VirtualService,
// not a server of its own (two servers for "*" on one port conflict).
func (k *compiler) routesAll(listener string) bool {
	for _, g := range k.routes {
		if g.l.Name == listener && slices.Contains(g.hosts, "*") {
			return true
		}
	}
	return false
}

func (k *compiler) virtualServices() {
	groups := map[string][]gwRoute{}
	var keys []string
	for _, g := range k.routes {
		key := strings.Join(g.hosts, "\x00")
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], g)
	}
	for _, key := range keys {
		k.virtualService(groups[key])
	}
}

func (k *compiler) virtualService(rs []gwRoute) {
	mesh := false
	httpPorts := map[uint32]bool{}
	for _, g := range rs {
		if g.r.MeshBackend != "" {
			mesh = true
		}
		if g.kind == kindHTTP {
			httpPorts[g.port] = true
		}
	}
	gateways := []string{k.gw}
	var gwMatch []string
	if mesh {
		gateways = append(gateways, Mesh)
		gwMatch = []string{k.gw}
	}
	needPort := len(httpPorts) > 1 || mesh || k.httpPorts > 1
	spec := VirtualServiceSpec(rs[0].hosts, gateways)

	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b gwRoute) int {
		return cmp.Or(cmp.Compare(a.port, b.port), -cmp.Compare(len(a.r.PathPrefix), len(b.r.PathPrefix)), cmp.Compare(a.idx, b.idx))
	})
	type meshKey struct {
		kind routeKind
		port uint32
	}
	meshDone := map[meshKey]bool{}
	var meshHTTP []*networking.HTTPRoute
	var meshTLS []*networking.TLSRoute
	var meshTCP []*networking.TCPRoute
	redirected := map[uint32]bool{}
	var redirects []*networking.HTTPRoute
	for _, g := range sorted {
		r := g.r
		switch g.kind {
		case kindHTTP:
			m := HTTPMatch(gwMatch, 0)
			if needPort {
				m.Port = g.port
			}
			if r.PathPrefix != "" {
				m.Uri = URIPrefix(r.PathPrefix)
			}
			var match []*networking.HTTPMatchRequest
			if m.Port != 0 || m.Uri != nil || len(m.Gateways) > 0 {
				match = []*networking.HTTPMatchRequest{m}
			}
			hr := HTTPRouteTo(r.Name, match)
			if rd := r.Redirect; rd != nil {
				hr.Redirect = Redirect(rd.Scheme, rd.Host, uint32(rd.Port), uint32(rd.Code))
			} else {
				hr.Route = k.httpDests(r, g.port)
			}
			if g.setHeaders && len(r.SetHeaders) > 0 && r.Redirect == nil {
				set := map[string]string{}
				for _, h := range r.SetHeaders {
					set[h.Name] = h.Value
				}
				hr.Headers = SetRequestHeaders(set)
			}
			spec.Http = append(spec.Http, hr)
		case kindTLS:
			spec.Tls = append(spec.Tls, TLSRouteTo(g.hosts, g.port, gwMatch, k.l4Dests(r, g.port)...))
		case kindTCP:
			tr := TCPRouteTo(g.port, k.l4Dests(r, g.port)...)
			tr.Match[0].Gateways = gwMatch
			spec.Tcp = append(spec.Tcp, tr)
		}
		if k.c.Edge == nil && g.kind == kindHTTP && g.l.RedirectHTTPS && r.PathPrefix != "" && !redirected[g.port] && !k.servesAllPaths(rs, g.l.Name) {
			// Requests for these hosts on other paths are redirected to
			// https, as the edge would.
			redirected[g.port] = true
			m := HTTPMatch(gwMatch, 0)
			if needPort {
				m.Port = g.port
			}
			hr := &networking.HTTPRoute{Name: "redirect-https-" + strconv.Itoa(int(g.port)), Redirect: Redirect("https", "", 0, 0)}
			if m.Port != 0 || len(m.Gateways) > 0 {
				hr.Match = []*networking.HTTPMatchRequest{m}
			}
			redirects = append(redirects, hr)
		}
		if r.MeshBackend == "" {
			continue
		}
		mk := meshKey{g.kind, g.port}
		if meshDone[mk] {
			continue
		}
		meshDone[mk] = true
		b, _ := k.c.BackendByName(r.MeshBackend)
		host, port := k.dest(b, g.port, true)
		switch g.kind {
		case kindHTTP:
			meshHTTP = append(meshHTTP, HTTPRouteTo(r.Name+"-mesh", []*networking.HTTPMatchRequest{HTTPMatch([]string{Mesh}, g.port)}, HTTPDestination(host, port, 0)))
		case kindTLS:
			meshTLS = append(meshTLS, TLSRouteTo(g.hosts, g.port, []string{Mesh}, RouteDestination(host, port, 0)))
		case kindTCP:
			tr := TCPRouteTo(g.port, RouteDestination(host, port, 0))
			tr.Match[0].Gateways = []string{Mesh}
			meshTCP = append(meshTCP, tr)
		}
	}
	spec.Http = append(spec.Http, redirects...)
	spec.Http = append(spec.Http, meshHTTP...)
	spec.Tls = append(spec.Tls, meshTLS...)
	spec.Tcp = append(spec.Tcp, meshTCP...)
	k.res.Objects = append(k.res.Objects, NewVirtualService(rs[0].r.Name, k.ns, spec))
}

// servesAllPaths reports whether one of rs on listener has no path prefix.
func (k *compiler) servesAllPaths(rs []gwRoute, listener string) bool {
	for _, g := range rs {
		if g.l.Name == listener && g.kind == kindHTTP && g.r.PathPrefix == "" {
			return true
		}
	}
	return false
}

func (k *compiler) httpDests(r *route.Route, port uint32) []*networking.HTTPRouteDestination {
	if b, ok := k.c.BackendByName(r.Backend); ok {
		host, p := k.dest(b, port, false)
		return []*networking.HTTPRouteDestination{HTTPDestination(host, p, 0)}
	}
	var ds []*networking.HTTPRouteDestination
	for _, w := range r.Split {
		if b, ok := k.c.BackendByName(w.Backend); ok {
			host, p := k.dest(b, port, false)
			ds = append(ds, HTTPDestination(host, p, int32(w.Weight)))
		}
	}
	return ds
}

func (k *compiler) l4Dests(r *route.Route, port uint32) []*networking.RouteDestination {
	var ds []*networking.RouteDestination
	for _, h := range k.httpDests(r, port) {
		ds = append(ds, &networking.RouteDestination{Destination: h.Destination, Weight: h.Weight})
	}
	return ds
}

func (k *compiler) backends() {
	for i := range k.c.Backends {
		b := &k.c.Backends[i]
		if !k.used[b.Name] {
			continue
		}
		path := "backends[" + strconv.Itoa(i) + "]"
		var host string
		switch {
		case b.Service != nil:
			host = b.Service.Host
		case b.External != nil:
			host = b.External.Host
			proto := string(b.External.Protocol)
			if proto == "" {
				proto = "TLS"
				if b.External.Port == 80 {
					proto = "HTTP"
				}
			}
			se := ExternalServiceEntry([]string{host}, ServicePort(uint32(b.External.Port), proto, ""))
			k.res.Objects = append(k.res.Objects, NewServiceEntry(b.Name, k.ns, se))
		case len(b.Servers) > 0:
			host = staticHost(b)
			k.res.Objects = append(k.res.Objects, NewServiceEntry(b.Name, k.ns, k.staticEntry(b)))
		}
		if t := b.TLS; t != nil {
			var tls *networking.ClientTLSSettings
			if t.Disable {
				tls = DisableTLS()
			} else {
				// The model's default SNI is the route's host: the
				// gateway host of the first route to this backend.
				sni := t.SNI
				if r := k.firstRoute[b.Name]; sni == "" && r != nil {
					sni = route.ServerName(r)
				}
				if sni == "" {
					sni = host
				}
				tls = OriginateTLS(sni, t.CAFile, t.InsecureSkipVerify)
				if t.InsecureSkipVerify {
					k.res.Warnings = append(k.res.Warnings, route.Warning{Path: path + ".tls.insecureSkipVerify",
						Detail: "the gateway does not verify " + host + "'s certificate (DestinationRule insecureSkipVerify); set caFile"})
				}
			}
			k.res.Objects = append(k.res.Objects, NewDestinationRule(b.Name, k.ns, DestinationRuleSpec(host, tls)))
		}
	}
}

// staticEntry is the ServiceEntry of static servers the gateway reaches:
// their addresses as endpoints, the ports routes use (and the servers'
// own) with the protocol of the traffic.
func (k *compiler) staticEntry(b *route.Backend) *networking.ServiceEntry {
	ports := map[uint32]string{}
	for p, proto := range k.static[b.Name] {
		ports[p] = proto
	}
	var addrs []string
	for _, s := range b.Servers {
		h, _, _ := net.SplitHostPort(s.Address)
		addrs = append(addrs, h)
		if p := serverPort(s.Address); ports[p] == "" {
			ports[p] = "TCP"
		}
	}
	nums := make([]uint32, 0, len(ports))
	for p := range ports {
		nums = append(nums, p)
	}
	slices.Sort(nums)
	perProto := map[string]int{}
	for _, p := range nums {
		perProto[ports[p]]++
	}
	var sps []*networking.ServicePort
	for _, p := range nums {
		name := strings.ToLower(ports[p])
		if perProto[ports[p]] > 1 {
			name += "-" + strconv.Itoa(int(p))
		}
		sps = append(sps, ServicePort(p, ports[p], name))
	}
	return StaticServiceEntry(staticHost(b), networking.ServiceEntry_MESH_EXTERNAL, sortedUnique(addrs), sps...)
}

func (k *compiler) telemetry() {
	if !k.c.Gateway.AccessLog {
		return
	}
	k.res.Objects = append(k.res.Objects, NewTelemetry(k.gw+"-access-log", k.ns, AccessLogTelemetry(k.c.GatewaySelector())))
}

func (k *compiler) topology() error {
	c, g := k.c, k.c.Gateway
	n, hasN := c.NumTrustedProxies()
	native := g.ProxyProtocol == route.GatewayProxyNative
	if native || (hasN && n > 0) {
		t := GatewayTopology(uint32(max(n, 0)), native)
		k.res.Objects = append(k.res.Objects, NewIstioOperator(k.gw+"-topology", k.ns, MeshConfigTopology(t)))
		v, err := ProxyConfigAnnotationValue(t)
		if err != nil {
			return err
		}
		k.res.GatewayPodAnnotations = map[string]string{ProxyConfigAnnotation: v}
	}
	if g.ProxyProtocol == route.GatewayProxyEnvoyFilter {
		k.res.Objects = append(k.res.Objects, NewEnvoyFilter(k.gw+"-proxy-protocol", k.ns, ProxyProtocolEnvoyFilter(c.GatewaySelector())))
	}
	if !c.EdgeSendsProxy() {
		return nil
	}
	if hasN && n > 0 {
		path := "gateway.numTrustedProxies"
		if g.NumTrustedProxies == nil {
			path = "edge.forwardFor"
			if !c.Edge.ForwardFor {
				path = "edge.upstreamProxies"
			}
		}
		k.res.Warnings = append(k.res.Warnings, route.Warning{Path: path, Detail: "numTrustedProxies is " + strconv.Itoa(n) +
			" while the gateway accepts the PROXY protocol: Istio then takes the client address from X-Forwarded-For" +
			" and ignores the one in the PROXY header; set gateway.numTrustedProxies: 0 to keep the PROXY protocol's"})
	}
	if h := g.HealthCheck; h != nil && h.Path != "" {
		k.res.Warnings = append(k.res.Warnings, route.Warning{Path: "gateway.healthCheck.path", Detail: "the gateway expects a PROXY header" +
			" on every connection and Istio's PROXY protocol is TCP-only: HTTP health checks must send the header too, and a load" +
			" balancer's checks of the gateway's status port (15021) need ENVOY_STATUS_PORT_ENABLE_PROXY_PROTOCOL=true on the gateway"})
	}
	return nil
}
