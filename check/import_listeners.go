package check

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/route"
)

// sampleHost is the name traced for a host pattern: the name itself, the
// wildcard's suffix under "probe", or a name no rule holds for "*".
func sampleHost(pattern string) string {
	switch {
	case pattern == "*" || pattern == "":
		return "import.invalid"
	case strings.HasPrefix(pattern, "*."):
		return "probe" + pattern[1:]
	}
	return pattern
}

// addRoute adds r, or adds its hosts to a route that differs from it only
// by its hosts (and name).
func (x *importer) addRoute(r route.Route, nameHint string) {
	key := routeKey(r)
	for i := range x.cfg.Routes {
		o := &x.cfg.Routes[i]
		if o.Listener == r.Listener && routeKey(*o) == key {
			for _, h := range r.Hosts {
				if !slices.Contains(o.Hosts, h) {
					o.Hosts = append(o.Hosts, h)
				}
			}
			return
		}
	}
	r.Name = x.name("r", nameHint)
	x.cfg.Routes = append(x.cfg.Routes, r)
}

// routeKey is r without its name and hosts, as text.
func routeKey(r route.Route) string {
	r.Name, r.Hosts = "", nil
	b, _ := json.Marshal(r)
	return string(b)
}

// addListener adds a listener named after its protocol (and its port when
// the name is taken).
func (x *importer) addListener(l route.Listener) *route.Listener {
	hint := strings.ToLower(string(l.Protocol))
	if x.names["l/"+hint] {
		hint += "-" + strconv.Itoa(l.Port)
	}
	l.Name = x.name("l", hint)
	x.cfg.Listeners = append(x.cfg.Listeners, l)
	return &x.cfg.Listeners[len(x.cfg.Listeners)-1]
}

// routeHint names a route after the VirtualService route that takes it,
// or its first host.
func routeHint(hop *GatewayHop, host string) string {
	if hop != nil && hop.Route != "" && !strings.Contains(hop.Route, "[") {
		return hop.Route
	}
	if hop != nil && hop.VirtualService != "" {
		_, name, _ := strings.Cut(hop.VirtualService, "/")
		return name
	}
	if host == "*" || host == "" {
		return "default"
	}
	label, _, _ := strings.Cut(strings.TrimPrefix(host, "*."), ".")
	return label
}

// importGatewayListeners imports a gateway without an edge: each port of
// the Gateway servers that select the workload becomes a listener, each
// host (of the servers, and of the VirtualServices bound to a server
// taking every name) a route, as the gateway routes it.
func (x *importer) importGatewayListeners() {
	if x.gw == nil {
		return
	}
	byPort := map[int][]*gwServer{}
	var ports []int
	for _, p := range x.gw.ports {
		for _, s := range p.servers {
			if s.skipped != "" {
				continue
			}
			n := int(s.s.GetPort().GetNumber())
			if byPort[n] == nil {
				ports = append(ports, n)
			}
			byPort[n] = append(byPort[n], s)
		}
	}
	slices.Sort(ports)
	for _, port := range ports {
		x.importGatewayPort(port, byPort[port])
	}
}

func (x *importer) importGatewayPort(port int, servers []*gwServer) {
	proto := route.Protocol("")
	redirect := false
	for _, s := range servers {
		p := route.TCP
		switch s.kind {
		case kindHTTP:
			p = route.HTTP
		case kindHTTPS, kindTLSTerm, kindPassthrough:
			p = route.TLS
		}
		if s.s.GetTls().GetHttpsRedirect() {
			if s.kind == kindHTTP && slices.Equal(s.hosts, []string{"*"}) {
				redirect = true
				x.used["Gateway "+s.gw.key()] = true
			} else {
				x.note("Gateway "+s.gw.key(), "server %s redirects %s to https; the route model redirects every name of an HTTP listener: not imported", s.id(), strings.Join(s.hosts, ", "))
			}
		}
		if s.s.GetTls().GetMode() == networking.ServerTLSSettings_MUTUAL || s.s.GetTls().GetMode() == networking.ServerTLSSettings_OPTIONAL_MUTUAL {
			x.note("Gateway "+s.gw.key(), "server %s verifies client certificates (%s); the route model's clientCA is a file of the edge: imported as SIMPLE", s.id(), s.s.GetTls().GetMode())
		}
		if proto != "" && p != proto {
			x.note("Gateway "+s.gw.key(), "server %s is %s on port %d, where another server is %s; the route model has one protocol a port: not imported", s.id(), p, port, proto)
			continue
		}
		proto = p
	}
	if proto == "" {
		return
	}
	l := x.addListener(route.Listener{Port: port, Protocol: proto, RedirectHTTPS: redirect && proto == route.HTTP})
	lname := l.Name
	if proto == route.TCP {
		hop := x.gw.Route(GatewayRequest{Port: port})
		x.gatewayRoute(lname, port, proto, "", "", &hop)
		return
	}
	type pat struct{ host, path string }
	var pats []pat
	seen := map[pat]bool{}
	add := func(h, p string) {
		k := pat{h, p}
		if !seen[k] {
			seen[k] = true
			pats = append(pats, k)
		}
	}
	for _, s := range servers {
		if s.s.GetTls().GetHttpsRedirect() && s.kind == kindHTTP {
			continue
		}
		for _, h := range s.hosts {
			add(h, "")
		}
		for _, v := range x.gw.boundCandidates(s) {
			for _, h := range v.hosts {
				covered := false
				for _, sh := range s.hosts {
					covered = covered || hostSubsetOf(h, sh)
				}
				if !covered {
					continue
				}
				add(h, "")
				for _, r := range v.spec.GetHttp() {
					for _, m := range r.GetMatch() {
						if p := m.GetUri().GetPrefix(); p != "" && p != "/" {
							add(h, p)
						}
					}
				}
			}
		}
	}
	for _, p := range pats {
		host := sampleHost(p.host)
		req := GatewayRequest{Port: port, Host: host, Path: p.path + "x"}
		if p.path == "" {
			req.Path = "/x"
		}
		if proto == route.TLS {
			req.TLS, req.SNI = true, host
		}
		hop := x.gw.Route(req)
		x.gatewayRoute(lname, port, proto, p.host, p.path, &hop)
	}
}

// gatewayRoute adds the route of a gateway without an edge for one host
// pattern and path, from what the gateway does with it.
func (x *importer) gatewayRoute(listener string, port int, proto route.Protocol, host, path string, hop *GatewayHop) {
	where := "gateway port " + strconv.Itoa(port)
	if hop.Gateway == "" {
		if host != "" && host != "*" {
			x.note(where, "no Gateway server takes %s; not imported", host)
		}
		return
	}
	gwWhere := "Gateway " + hop.Gateway
	if hop.VirtualService == "" {
		if hop.HTTPSRedirect {
			return // the listener's redirectHTTPS
		}
		x.note(gwWhere, "server %s takes %s on port %d, but no VirtualService route does; not imported", hop.Server, cmpOrStr(host, "every name"), port)
		return
	}
	if hop.Redirect {
		x.note("VirtualService "+hop.VirtualService, "route %s answers with a redirect; the route model redirects from the edge only: not imported", hop.Route)
		return
	}
	r := route.Route{Listener: listener, PathPrefix: path}
	if host != "" {
		r.Hosts = []string{host}
	}
	if proto == route.TLS {
		if hop.TerminatesTLS {
			r.TerminateAt, r.Credential = route.TierGateway, hop.Credential
		} else {
			r.TerminateAt = route.TierBackend
		}
	}
	bs := x.destBackends("VirtualService "+hop.VirtualService, hop, port)
	if len(bs) == 0 {
		return
	}
	if len(bs) == 1 {
		r.Backend = bs[0].Backend
	} else {
		r.Split = bs
	}
	x.gatewayUse[hop.Gateway]++
	x.used["Gateway "+hop.Gateway] = true
	x.addRoute(r, routeHint(hop, host))
}

func cmpOrStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
