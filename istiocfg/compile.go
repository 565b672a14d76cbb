package istiocfg

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"google.golang.org/protobuf/proto"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
	"github.com/drawbridge-go/drawbridge/route"
)

// Result is the gateway tier compiled from a route.Config.
type Result struct {
	// Objects are the Istio objects, sorted by kind, namespace and name.
	Objects []Object
	// Warnings are configurations that work but are probably not what was
	// meant; they never stop compilation.
	Warnings []route.Warning
	// GatewayPodAnnotations is the gateway topology (numTrustedProxies, the
	// PROXY protocol) as the proxy.istio.io/config pod annotation of the
	// gateway workload: Istio reads it per gateway deployment (Helm values
	// podAnnotations of the istio/gateway chart, or the Deployment's pod
	// template). Nil when there is no topology to set. It is not an object
	// of Objects: an annotation on pods Istio's installer owns.
	GatewayPodAnnotations map[string]string
	// Service is the gateway's Kubernetes Service, in the workload's
	// namespace: the ports the edge reaches and their target ports. Nil
	// without a gateway tier. Write it with [Service.AppendYAML] as a
	// manifest, or with [AppendChartValues] as values of the istio/gateway
	// Helm chart.
	Service *Service
	// Certificates are the cert-manager Certificates the plan asks for
	// (gateway.certificates), one per credential the gateway serves, in
	// the workload's namespace. Write them with [AppendCertificates], apart
	// from Objects: they need cert-manager's CRDs.
	Certificates []Certificate
}

// Compile returns the gateway tier of c: the objects Istio's ingress
// gateway needs to carry c's routes, consistent with what the edge tier is
// compiled to from the same c. It plans c first ([route.Config.Plan]) and
// returns its error unchanged.
//
// Without a gateway tier (c.Gateway nil) the result is empty. See the
// package documentation for what each part of the model becomes.
func Compile(c *route.Config) (*Result, error) {
	p, err := c.Plan()
	if err != nil {
		return nil, err
	}
	return CompilePlan(p)
}

// CompilePlan returns the gateway tier of a plan made by
// [route.Config.Plan].
func CompilePlan(p *route.Plan) (*Result, error) {
	res := &Result{Warnings: slices.Clone(p.Warnings)}
	if p.Gateway == nil {
		return res, nil
	}
	k := &compiler{plan: p, gp: p.Gateway, res: res, ns: p.Gateway.Namespace, rns: p.Gateway.RoutesNamespace, gw: p.Gateway.Name}
	k.gateway()
	k.virtualServices()
	k.backends()
	k.telemetry()
	k.authorizationPolicy()
	res.Service = newService(p.Gateway.Service)
	res.Certificates = newCertificates(p.Gateway)
	if err := k.topology(); err != nil {
		return nil, err
	}
	SortObjects(res.Objects)
	if err := warnLarge(res); err != nil {
		return nil, err
	}
	return res, nil
}

type compiler struct {
	plan *route.Plan
	gp   *route.GatewayPlan
	res  *Result
	// ns is the gateway workload's namespace, rns the routes' one.
	ns, rns, gw string
	// httpPorts counts the gateway ports carrying HTTP; with more than one,
	// http routes match their port, since a VirtualService (for "*" or a
	// wildcard) also binds to the servers of the other ports.
	httpPorts int
}

func tlsMode(m route.TLSMode) networking.ServerTLSSettings_TLSmode {
	switch m {
	case route.TLSMutual:
		return networking.ServerTLSSettings_MUTUAL
	case route.TLSPassthrough:
		return networking.ServerTLSSettings_PASSTHROUGH
	}
	return networking.ServerTLSSettings_SIMPLE
}

func (k *compiler) gateway() {
	httpPorts := map[int]bool{}
	for _, s := range k.gp.Servers {
		if !s.HTTPSRedirect && (s.Protocol == route.HTTP || s.Protocol == route.HTTPS) {
			httpPorts[s.Port] = true
		}
	}
	k.httpPorts = len(httpPorts)
	for _, o := range k.gp.Gateways {
		spec := gatewaySpec(k.gp.Selector)
		for _, pc := range o.Servers {
			spec.Servers = append(spec.Servers, gatewayServers(&k.gp.Servers[pc.Server], pc.Hosts)...)
		}
		k.res.Objects = append(k.res.Objects, NewGateway(o.Name, k.rns, spec))
	}
}

// gatewayServers returns the Gateway servers of s for hosts (all of its
// hosts, or the share one Gateway object holds).
func gatewayServers(s *route.GatewayServer, hosts []string) []*networking.Server {
	port := uint32(s.Port)
	switch {
	case s.HTTPSRedirect:
		return []*networking.Server{httpsRedirectServer(s.Name, port, hosts...)}
	case s.Protocol == route.HTTPS && len(hosts) > 1 && slices.Contains(hosts, "*"):
		// Istio writes no server names for a filter chain with "*"
		// among its hosts: the other hosts would lose their SNI to any
		// more specific chain of the port. "*" gets a server of its own.
		rest := slices.DeleteFunc(slices.Clone(hosts), func(h string) bool { return h == "*" })
		return []*networking.Server{
			httpsServer(s.Name, port, tlsMode(s.Mode), []string{s.Credential}, rest...),
			httpsServer(s.Name+"-any", port, tlsMode(s.Mode), []string{s.Credential}, "*"),
		}
	case s.Protocol == route.HTTPS:
		return []*networking.Server{httpsServer(s.Name, port, tlsMode(s.Mode), []string{s.Credential}, hosts...)}
	case s.Protocol == route.TLS:
		return []*networking.Server{passthroughServer(s.Name, port, hosts...)}
	case s.Protocol == route.TCP:
		return []*networking.Server{tcpServer(s.Name, port, hosts...)}
	}
	return []*networking.Server{httpServer(s.Name, port, hosts...)}
}

// virtualServices writes one VirtualService per set of gateway hosts, named
// after its first route.
func (k *compiler) virtualServices() {
	groups := map[string][]*route.RoutePlan{}
	var keys []string
	for i := range k.plan.Routes {
		rp := &k.plan.Routes[i]
		if rp.Gateway == nil || rp.Gateway.Same >= 0 {
			continue
		}
		key := rp.Gateway.VirtualService
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], rp)
	}
	for _, key := range keys {
		k.virtualService(groups[key], k.precedence(groups[key], keys, groups))
	}
}

// precedence returns the HTTP routes of other VirtualServices whose hosts
// the hosts of rs strictly cover on a gateway port rs uses (a.example.com
// under *.example.com, or anything under "*"), most specific first, as
// copies matching the Host of the hosts covered. Istio merges the routes of
// every VirtualService whose hosts intersect a server host into that host's
// virtual host, in the order of the VirtualServices (creation time, then
// name): without the copies, a broader VirtualService that comes first
// would take the requests of the more specific one, where the edge (and
// the model) give the most specific host precedence.
func (k *compiler) precedence(rs []*route.RoutePlan, keys []string, groups map[string][]*route.RoutePlan) []*route.RoutePlan {
	ports := map[int]bool{}
	for _, rp := range rs {
		if rp.Gateway.Kind == route.HTTP {
			ports[rp.Gateway.Port] = true
		}
	}
	own := rs[0].Gateway.Hosts
	if len(ports) == 0 || !slices.ContainsFunc(own, func(h string) bool { return strings.HasPrefix(h, "*") }) {
		// No HTTP route to put first, or only exact hosts, which cover
		// no other host strictly.
		return nil
	}
	ownKey := strings.Join(own, "\x00")
	var out []*route.RoutePlan
	for _, key := range keys {
		other := groups[key]
		if strings.Join(other[0].Gateway.Hosts, "\x00") == ownKey {
			continue
		}
		for _, rp := range other {
			if rp.Gateway.Kind == route.HTTP && ports[rp.Gateway.Port] && len(coveredHosts(own, rp.Gateway.Hosts)) > 0 {
				out = append(out, rp)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *route.RoutePlan) int {
		return cmp.Or(-cmp.Compare(hostname.Rank(a.Gateway.Hosts), hostname.Rank(b.Gateway.Hosts)),
			-cmp.Compare(len(a.Route.PathPrefix), len(b.Route.PathPrefix)), cmp.Compare(a.Index, b.Index))
	})
	return out
}

// copyMatch is what a precedence copy matches: a host, a path prefix and a
// port.
type copyMatch struct {
	host   string
	prefix string
	port   uint32
}

// within reports whether o takes every request c does.
func (c copyMatch) within(o copyMatch) bool {
	return o.host == c.host && o.port == c.port && strings.HasPrefix(c.prefix, o.prefix)
}

// coveredHosts returns the hosts of hs that a host of broad strictly
// covers.
func coveredHosts(broad, hs []string) []string {
	var out []string
	for _, h := range hs {
		for _, b := range broad {
			if b != h && hostname.Covers(b, h) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// authorityMatch is a regular expression matching the Host header (with
// an optional port, in any case) of the names host pattern h matches.
func authorityMatch(h string) *networking.StringMatch {
	re := regexp.QuoteMeta(h)
	if strings.HasPrefix(h, "*.") {
		re = "[^:]+" + regexp.QuoteMeta(h[1:])
	}
	return &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: "(?i)" + re + "(:[0-9]+)?"}}
}

func (k *compiler) virtualService(rs, first []*route.RoutePlan) {
	mesh := false
	httpPorts := map[int]bool{}
	for _, rp := range rs {
		if rp.Gateway.Mesh != nil {
			mesh = true
		}
		if rp.Gateway.Kind == route.HTTP {
			httpPorts[rp.Gateway.Port] = true
		}
	}
	gateways := slices.Clone(rs[0].Gateway.Gateways)
	var gwMatch []string
	if mesh {
		gwMatch = slices.Clone(gateways)
		gateways = append(gateways, Mesh)
	}
	// l4Match are the gateways a TLS or TCP route of rp matches: with
	// several Gateway objects bound, the one holding rp's server hosts
	// (Istio builds a passed-through server's filter chains from every
	// match of every VirtualService its Gateway binds, whatever the
	// server's hosts are).
	l4Match := func(rp *route.RoutePlan) []string {
		if mesh || len(rp.Gateway.Gateways) > 1 {
			return []string{rp.Gateway.ServerGateway}
		}
		return nil
	}
	needPort := len(httpPorts) > 1 || mesh || k.httpPorts > 1
	spec := virtualServiceSpec(rs[0].Gateway.Hosts, gateways)
	spec.ExportTo = rs[0].Gateway.ExportTo

	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b *route.RoutePlan) int {
		return cmp.Or(cmp.Compare(a.Gateway.Port, b.Gateway.Port), -cmp.Compare(len(a.Route.PathPrefix), len(b.Route.PathPrefix)), cmp.Compare(a.Index, b.Index))
	})
	type meshKey struct {
		kind route.Protocol
		port int
	}
	meshDone := map[meshKey]bool{}
	var meshHTTP []*networking.HTTPRoute
	var meshTLS []*networking.TLSRoute
	var meshTCP []*networking.TCPRoute
	redirected := map[int]bool{}
	var redirects []*networking.HTTPRoute
	noEdge := k.plan.Config.Edge == nil
	var taken []copyMatch
	for _, rp := range first {
		hr := k.httpRoute(rp, gwMatch, needPort)
		hr.Name = rp.Route.Name + "-before-" + rs[0].Route.Name
		base := hr.Match
		if len(base) == 0 {
			base = []*networking.HTTPMatchRequest{{}}
		}
		hr.Match = nil
		for _, h := range coveredHosts(rs[0].Gateway.Hosts, rp.Gateway.Hosts) {
			for _, m := range base {
				// A match an earlier copy already takes (same host, a
				// prefix of this path, same port) would never be used.
				seen := copyMatch{h, m.GetUri().GetPrefix(), m.GetPort()}
				if slices.ContainsFunc(taken, seen.within) {
					continue
				}
				taken = append(taken, seen)
				m = proto.Clone(m).(*networking.HTTPMatchRequest)
				m.Authority = authorityMatch(h)
				hr.Match = append(hr.Match, m)
			}
		}
		if len(hr.Match) > 0 {
			spec.Http = append(spec.Http, hr)
		}
	}
	for _, rp := range sorted {
		r, h := rp.Route, rp.Gateway
		port := uint32(h.Port)
		switch h.Kind {
		case route.HTTP:
			spec.Http = append(spec.Http, k.httpRoute(rp, gwMatch, needPort))
		case route.TLS:
			tr := tlsRouteTo(h.Hosts, port, l4Match(rp), l4Dests(h.Destinations)...)
			if len(h.Hosts) > 1 && slices.Contains(h.Hosts, "*") {
				// As for servers: "*" in a match's sniHosts makes its
				// filter chain take every name; the other names keep
				// their own match.
				rest := slices.DeleteFunc(slices.Clone(h.Hosts), func(x string) bool { return x == "*" })
				tr.Match = []*networking.TLSMatchAttributes{
					{SniHosts: rest, Port: port, Gateways: l4Match(rp)},
					{SniHosts: []string{"*"}, Port: port, Gateways: l4Match(rp)},
				}
			}
			spec.Tls = append(spec.Tls, tr)
		case route.TCP:
			tr := tcpRouteTo(port, l4Dests(h.Destinations)...)
			tr.Match[0].Gateways = l4Match(rp)
			spec.Tcp = append(spec.Tcp, tr)
		}
		if noEdge && h.Kind == route.HTTP && rp.Listener.RedirectHTTPS && r.PathPrefix != "" && !redirected[h.Port] && !servesAllPaths(rs, rp.Listener) {
			// Requests for these hosts on other paths are redirected to
			// https, as the edge would, unless a route for a broader host
			// without a path takes them (Istio merges its routes into
			// these hosts' virtual hosts, in VirtualService order: the
			// redirect must not come first).
			redirected[h.Port] = true
			m := httpMatch(gwMatch, 0)
			if needPort {
				m.Port = port
			}
			hr := &networking.HTTPRoute{Name: "redirect-https-" + strconv.Itoa(h.Port), Redirect: redirect("https", "", 0, 0)}
			uncovered := k.uncoveredHosts(rs[0].Gateway.Hosts, rp.Listener, h.Port)
			switch {
			case len(uncovered) == 0:
				hr = nil
			case len(uncovered) < len(rs[0].Gateway.Hosts):
				for _, host := range uncovered {
					mm := proto.Clone(m).(*networking.HTTPMatchRequest)
					mm.Authority = authorityMatch(host)
					hr.Match = append(hr.Match, mm)
				}
			case m.Port != 0 || len(m.Gateways) > 0:
				hr.Match = []*networking.HTTPMatchRequest{m}
			}
			if hr != nil {
				redirects = append(redirects, hr)
			}
		}
		d := h.Mesh
		if d == nil {
			continue
		}
		mk := meshKey{h.Kind, h.Port}
		if meshDone[mk] {
			continue
		}
		meshDone[mk] = true
		switch h.Kind {
		case route.HTTP:
			meshHTTP = append(meshHTTP, httpRouteTo(r.Name+"-mesh", []*networking.HTTPMatchRequest{httpMatch([]string{Mesh}, port)}, httpDestination(d.Host, uint32(d.Port), 0)))
		case route.TLS:
			meshTLS = append(meshTLS, tlsRouteTo(h.Hosts, port, []string{Mesh}, routeDestination(d.Host, uint32(d.Port), 0)))
		case route.TCP:
			tr := tcpRouteTo(port, routeDestination(d.Host, uint32(d.Port), 0))
			tr.Match[0].Gateways = []string{Mesh}
			meshTCP = append(meshTCP, tr)
		}
	}
	spec.Http = append(spec.Http, redirects...)
	spec.Http = append(spec.Http, meshHTTP...)
	spec.Tls = append(spec.Tls, meshTLS...)
	spec.Tcp = append(spec.Tcp, meshTCP...)
	k.res.Objects = append(k.res.Objects, NewVirtualService(rs[0].Gateway.VirtualService, rs[0].Gateway.Namespace, spec))
}

// httpRoute is the http route of rp in a VirtualService: its port (when
// needPort), path prefix and gateways, then its destinations or redirect
// and headers.
func (k *compiler) httpRoute(rp *route.RoutePlan, gwMatch []string, needPort bool) *networking.HTTPRoute {
	r, h := rp.Route, rp.Gateway
	m := httpMatch(gwMatch, 0)
	if needPort {
		m.Port = uint32(h.Port)
	}
	if r.PathPrefix != "" {
		m.Uri = uriPrefix(r.PathPrefix)
	}
	var match []*networking.HTTPMatchRequest
	if m.Port != 0 || m.Uri != nil || len(m.Gateways) > 0 {
		match = []*networking.HTTPMatchRequest{m}
	}
	hr := httpRouteTo(r.Name, match)
	if rd := r.Redirect; rd != nil {
		hr.Redirect = redirect(rd.Scheme, rd.Host, uint32(rd.Port), uint32(rd.Code))
	} else {
		hr.Route = httpDests(h.Destinations)
	}
	if len(h.SetHeaders) > 0 && r.Redirect == nil {
		set := map[string]string{}
		for _, x := range h.SetHeaders {
			// Envoy reads %...% as a variable: the model's values are
			// literal.
			set[x.Name] = strings.ReplaceAll(x.Value, "%", "%%")
		}
		hr.Headers = setRequestHeaders(set)
	}
	return hr
}

// uncoveredHosts returns the hosts no broader route of listener l without
// a path prefix takes on gateway port.
func (k *compiler) uncoveredHosts(hosts []string, l *route.Listener, port int) []string {
	var out []string
	for _, host := range hosts {
		covered := false
		for i := range k.plan.Routes {
			o := &k.plan.Routes[i]
			if o.Listener != l || o.Gateway == nil || o.Gateway.Port != port || o.Gateway.Kind != route.HTTP || o.Route.PathPrefix != "" {
				continue
			}
			for _, b := range o.Gateway.Hosts {
				if b != host && hostname.Covers(b, host) {
					covered = true
				}
			}
		}
		if !covered {
			out = append(out, host)
		}
	}
	return out
}

// servesAllPaths reports whether one of rs on listener l has no path
// prefix.
func servesAllPaths(rs []*route.RoutePlan, l *route.Listener) bool {
	for _, rp := range rs {
		if rp.Listener == l && rp.Gateway.Kind == route.HTTP && rp.Route.PathPrefix == "" {
			return true
		}
	}
	return false
}

func httpDests(ds []route.Destination) []*networking.HTTPRouteDestination {
	out := make([]*networking.HTTPRouteDestination, len(ds))
	for i, d := range ds {
		out[i] = httpDestination(d.Host, uint32(d.Port), int32(d.Weight))
	}
	return out
}

func l4Dests(ds []route.Destination) []*networking.RouteDestination {
	out := make([]*networking.RouteDestination, len(ds))
	for i, d := range ds {
		out[i] = routeDestination(d.Host, uint32(d.Port), int32(d.Weight))
	}
	return out
}

func (k *compiler) backends() {
	for _, gb := range k.gp.Backends {
		b := gb.Backend
		switch {
		case b.External != nil:
			proto := string(b.External.Protocol)
			if proto == "" {
				proto = "TLS"
				if b.External.Port == 80 {
					proto = "HTTP"
				}
			}
			se := externalServiceEntry([]string{gb.Host}, servicePort(uint32(b.External.Port), proto, ""))
			se.ExportTo = gb.ExportTo
			k.res.Objects = append(k.res.Objects, NewServiceEntry(gb.Name, gb.Namespace, se))
		case len(b.Servers) > 0:
			se := staticEntry(gb)
			se.ExportTo = gb.ExportTo
			k.res.Objects = append(k.res.Objects, NewServiceEntry(gb.Name, gb.Namespace, se))
		}
		if t := b.TLS; t != nil {
			tls := disableTLS()
			if !t.Disable {
				tls = originateTLS(gb.SNI, t.CAFile, t.InsecureSkipVerify)
			}
			dr := destinationRuleSpec(gb.Host, tls)
			dr.ExportTo = gb.RuleExportTo
			k.res.Objects = append(k.res.Objects, NewDestinationRule(gb.Name, gb.RuleNamespace, dr))
		}
	}
}

// staticEntry is the ServiceEntry of static servers the gateway reaches:
// their addresses as endpoints, the ports the plan lists with the protocol
// of their traffic.
func staticEntry(gb route.GatewayBackend) *networking.ServiceEntry {
	var addrs []string
	for _, s := range gb.Backend.Servers {
		h := s.Address[:strings.LastIndexByte(s.Address, ':')]
		addrs = append(addrs, strings.Trim(h, "[]"))
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	perProto := map[route.Protocol]int{}
	for _, p := range gb.Ports {
		perProto[p.Protocol]++
	}
	var sps []*networking.ServicePort
	for _, p := range gb.Ports {
		name := strings.ToLower(string(p.Protocol))
		if perProto[p.Protocol] > 1 {
			name += "-" + strconv.Itoa(p.Port)
		}
		sps = append(sps, servicePort(uint32(p.Port), string(p.Protocol), name))
	}
	return staticServiceEntry(gb.Host, networking.ServiceEntry_MESH_EXTERNAL, addrs, sps...)
}

func (k *compiler) telemetry() {
	if k.gp.AccessLog == "" {
		return
	}
	k.res.Objects = append(k.res.Objects, NewTelemetry(k.gp.AccessLog, k.ns, accessLogTelemetry(k.gp.Selector)))
}

func (k *compiler) topology() error {
	n := k.gp.NumTrustedProxies
	native := k.gp.ProxyProtocol == route.GatewayProxyNative
	if native || n > 0 {
		v, err := ProxyConfigAnnotationValue(gatewayTopology(uint32(n), native))
		if err != nil {
			return err
		}
		k.res.GatewayPodAnnotations = map[string]string{ProxyConfigAnnotation: v}
	}
	if k.gp.ProxyProtocolFilter != "" {
		k.res.Objects = append(k.res.Objects, NewEnvoyFilter(k.gp.ProxyProtocolFilter, k.ns, proxyProtocolEnvoyFilter(k.gp.Selector)))
	}
	return nil
}
