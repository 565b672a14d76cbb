package check

import (
	"slices"
	"strings"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// acmePrefix is the path of ACME HTTP-01 challenges (RFC 8555 section
// 8.3).
const acmePrefix = "/.well-known/acme-challenge/"

// pattern is a host pattern and path prefix a rule routes on.
type pattern struct {
	host, path string
}

// importEdge imports the edge: its global and defaults settings, then each
// port a client reaches, a listener each.
func (x *importer) importEdge() {
	cfg := x.im.Edge
	x.importEdgeTier(cfg)
	var gw func(GatewayRequest) GatewayHop
	switch {
	case x.gw != nil:
		gw = x.gw.Route
	case len(x.im.GatewayAddrs) > 0:
		// The gateway's objects are unknown: servers at its addresses
		// still reach it, where nothing is known to take the traffic.
		gw = func(GatewayRequest) GatewayHop { return GatewayHop{} }
	}
	reached := map[string]bool{}
	ports := map[int]bool{}
	for _, f := range x.edge.fronts {
		if f.p.Stats != nil {
			x.importStats(f)
			continue
		}
		for i := range f.binds {
			b := &f.binds[i]
			if b.socket != "" || b.loopback {
				continue
			}
			if b.lo != b.hi {
				x.note(x.at(f.p.Line), "bind %s listens on a port range; the route model has one port a listener: port %d is imported", b.addr, b.lo)
			}
			if ports[b.lo] {
				x.note(x.at(f.p.Line), "frontend %s binds port %d, which an earlier frontend binds; not imported", f.p.Name, b.lo)
				continue
			}
			ports[b.lo] = true
			x.importPort(f, b, gw, reached)
		}
	}
	for _, p := range cfg.Proxies {
		x.noteVerbatim(p.Verbatim)
		if p.Kind == haproxycfg.ProxyBackend && !reached[p.Name] {
			x.note(x.at(p.Line), "no imported route uses backend %s; not imported", p.Name)
		}
	}
}

// noteVerbatim notes the lines the haproxycfg model keeps verbatim.
func (x *importer) noteVerbatim(vs []haproxycfg.Verbatim) {
	for _, v := range vs {
		first, _, _ := strings.Cut(v.Text, "\n")
		x.note(x.at(v.Line), "%q is not in the route model; not imported", first)
	}
}

// importEdgeTier reads the edge tier's own settings.
func (x *importer) importEdgeTier(cfg *haproxycfg.Config) {
	e := &route.Edge{}
	x.cfg.Edge = e
	if g := cfg.Global; g != nil {
		for _, l := range g.Logs {
			e.Logs = append(e.Logs, route.LogTarget{Address: l.Address, Facility: l.Facility, Level: l.Level, Format: l.Format})
		}
		e.MaxConn = g.MaxConn
		p := route.Process{User: g.User, Group: g.Group, Chroot: g.Chroot, PIDFile: g.PIDFile, Daemon: g.Daemon}
		if g.StatsSocket != nil {
			p.StatsSocket = g.StatsSocket.Path
			if g.StatsSocket.Mode != "" || g.StatsSocket.Level != "" {
				x.note(x.at(g.Line), "stats socket mode and level: the route model has only the path; not imported")
			}
		}
		if p != (route.Process{}) {
			e.Process = &p
		}
		if g.TuneBufSize != 0 {
			x.note(x.at(g.Line), "tune.bufsize: the route model has no such setting; not imported")
		}
		x.noteVerbatim(g.Verbatim)
	}
	for _, r := range cfg.Resolvers {
		x.noteVerbatim(r.Verbatim)
	}
	for i, d := range cfg.Defaults {
		if i > 0 || d.Name != "" {
			x.note(x.at(d.Line), "a second or named defaults section: the route model has one set of edge settings; only the first unnamed section is imported")
			continue
		}
		e.Timeouts = route.Timeouts{Connect: route.Duration(d.Timeouts.Connect), Client: route.Duration(d.Timeouts.Client), Server: route.Duration(d.Timeouts.Server)}
		e.Retries = d.Retries
		if d.Timeouts.Check != 0 {
			x.note(x.at(d.Line), "timeout check: the route model has no such setting; not imported")
		}
		x.noteVerbatim(d.Verbatim)
	}
	for _, s := range cfg.Verbatim {
		x.note(x.at(s.Header.Line), "section %q is not in the route model; not imported", s.Header.Text)
	}
}

// importStats reads a frontend serving the statistics page.
func (x *importer) importStats(f *edgeFront) {
	for _, b := range f.binds {
		if b.socket != "" {
			continue
		}
		st := &route.Stats{Port: b.lo, URI: f.p.Stats.URI, Refresh: route.Duration(f.p.Stats.Refresh)}
		if !b.wildcard {
			st.Address = b.host
		}
		x.cfg.Edge.Stats = st
		return
	}
}

// bindOf returns the bind line of f holding address addr.
func bindOf(f *edgeFront, addr string) *haproxycfg.Bind {
	for i := range f.p.Binds {
		for _, a := range strings.Split(f.p.Binds[i].Address, ",") {
			if strings.TrimSpace(a) == addr {
				return &f.p.Binds[i]
			}
		}
	}
	return nil
}

// listenerTLS reads a TLS bind as a listener's TLS settings.
func (x *importer) listenerTLS(b *haproxycfg.Bind) *route.ListenerTLS {
	if b == nil {
		return nil
	}
	t := &route.ListenerTLS{Certificates: slices.Clone(b.Crt), StrictSNI: b.StrictSNI, ALPN: slices.Clone(b.ALPN)}
	if b.CrtList != "" {
		x.note(x.at(b.Line), "crt-list %s: the route model lists certificate files; not imported", b.CrtList)
	}
	if b.Verify == "required" {
		t.ClientCA = b.CAFile
	} else if b.CAFile != "" || b.Verify == "optional" {
		x.note(x.at(b.Line), "client certificates verified %s: the route model requires them or does not ask; not imported", b.Verify)
	}
	return t
}

// localFronts returns the local frontends the backends of f loop into,
// marking those backends reached.
func (x *importer) localFronts(f *edgeFront, reached map[string]bool) []*edgeFront {
	var out []*edgeFront
	names := []string{f.def}
	for _, u := range f.use {
		names = append(names, u.backend)
	}
	for _, n := range names {
		if b := x.edge.backs[n]; b != nil {
			if s := b.first(); s != nil && s.local != nil {
				reached[n] = true
				if !slices.Contains(out, s.local) {
					out = append(out, s.local)
				}
			}
		}
	}
	return out
}

// importPort imports the frontend f's port bound by b as a listener.
func (x *importer) importPort(f *edgeFront, b *edgeBind, gw func(GatewayRequest) GatewayHop, reached map[string]bool) {
	port := b.lo
	bind := bindOf(f, b.addr)
	l := route.Listener{Port: port, AcceptProxy: b.acceptProxy}
	if !b.wildcard {
		l.Address = b.host
	}
	locals := x.localFronts(f, reached)
	var localTLS *haproxycfg.Bind
	for _, lf := range locals {
		for i := range lf.binds {
			if lf.binds[i].ssl {
				localTLS = bindOf(lf, lf.binds[i].addr)
			}
		}
	}
	sni := f.waitsHello
	for _, u := range f.use {
		sni = sni || u.cond.usesSNI()
	}
	switch {
	case b.ssl:
		l.Protocol = route.HTTPS
		l.TLS = x.listenerTLS(bind)
	case f.mode == haproxycfg.ModeHTTP:
		l.Protocol = route.HTTP
	case sni || localTLS != nil:
		l.Protocol = route.TLS
		l.TLS = x.listenerTLS(localTLS)
	default:
		l.Protocol = route.TCP
	}
	if f.p.InspectDelay != 0 && x.cfg.Edge.InspectDelay == 0 {
		x.cfg.Edge.InspectDelay = route.Duration(f.p.InspectDelay)
	}
	lp := x.addListener(l)
	lname := lp.Name
	var pats []pattern
	if l.Protocol == route.TCP {
		pats = []pattern{{}}
	} else {
		pats = x.patterns(f)
		for _, lf := range locals {
			pats = append(pats, x.patterns(lf)...)
		}
		pats = append(pats, pattern{host: "*"})
		seen := map[pattern]bool{}
		pats = slices.DeleteFunc(pats, func(p pattern) bool {
			d := seen[p]
			seen[p] = true
			return d
		})
	}
	acme := &route.ACME{}
	acmeAt := 0
	for _, p := range pats {
		host := sampleHost(p.host)
		req := EdgeRequest{Port: port, Host: host, Path: p.path + "x"}
		if p.path == "" {
			req.Path = "/x"
		}
		if l.Protocol == route.TLS || l.Protocol == route.HTTPS {
			req.TLS, req.SNI = true, host
		}
		j := x.trace(req, f, b, gw)
		if j.Edge.Backend != "" {
			reached[j.Edge.Backend] = true
		}
		if p.path == acmePrefix && l.Protocol == route.HTTP && x.acmeRoute(lp, p, j, acme) {
			acmeAt = cmpOrInt(acmeAt, j.Edge.BackendLine)
			continue
		}
		x.edgeRoute(lp, lname, p, j)
	}
	if *acme != (route.ACME{}) {
		lp = x.listener(lname)
		lp.ACME = acme
		x.note(x.at(acmeAt), "the ACME HTTP-01 challenge rules are imported as the listener's acme setting: the challenges of the hosts the edge terminates go to %s, those the gateway terminates to the gateway (%v)", cmpOrStr(acme.Edge, "nowhere"), acme.Gateway)
	}
}

func cmpOrInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// listener returns the listener named name.
func (x *importer) listener(name string) *route.Listener {
	for i := range x.cfg.Listeners {
		if x.cfg.Listeners[i].Name == name {
			return &x.cfg.Listeners[i]
		}
	}
	return nil
}

// acmeRoute takes an ACME challenge rule into acme and reports whether it
// did: challenges to static servers are the edge's solver, challenges
// handed to the gateway unchanged are the gateway's.
func (x *importer) acmeRoute(l *route.Listener, p pattern, j *Journey, acme *route.ACME) bool {
	h := &j.Edge
	if h.Backend == "" || h.Redirect || h.Status != 0 {
		return false
	}
	if j.Gateway != nil {
		if h.OriginatesTLS || j.Gateway.VirtualService != "" {
			return false
		}
		acme.Gateway = true
		x.gatewayServerSettings(j)
		return true
	}
	name := x.staticBackend(h.Backend)
	if acme.Edge != "" && acme.Edge != name {
		x.note(x.at(h.BackendLine), "ACME challenges go to backends %s and %s; the route model has one solver at the edge: %s is taken", acme.Edge, name, acme.Edge)
		return true
	}
	acme.Edge = name
	return true
}

// patterns returns the host patterns and paths of f's use_backend rules.
func (x *importer) patterns(f *edgeFront) []pattern {
	var out []pattern
	for _, u := range f.use {
		if u.expr != nil {
			for _, c := range u.expr.convs {
				if c.kind == convMap && c.file != nil {
					out = append(out, mapPatterns(c.method, c.file)...)
				}
			}
		}
		out = append(out, x.condPatterns(u.cond)...)
	}
	return out
}

// mapPatterns returns the keys of a map file as host patterns.
func mapPatterns(method haproxycfg.MatchMethod, m *edgeMap) []pattern {
	var out []pattern
	for _, e := range m.entries {
		switch method {
		case haproxycfg.MatchStr:
			out = append(out, pattern{host: e.Key})
		case haproxycfg.MatchEnd:
			if strings.HasPrefix(e.Key, ".") {
				out = append(out, pattern{host: "*" + e.Key})
			}
		}
	}
	return out
}

// condPatterns returns the host patterns and paths a condition tests,
// for each of its "||" alternatives.
func (x *importer) condPatterns(c *edgeCond) []pattern {
	if c == nil || c.unless {
		return nil
	}
	var out []pattern
	var hosts, paths []string
	flush := func() {
		if len(hosts) == 0 && len(paths) == 0 {
			return
		}
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		if len(paths) == 0 {
			paths = []string{""}
		}
		for _, h := range hosts {
			for _, p := range paths {
				out = append(out, pattern{host: h, path: p})
			}
		}
		hosts, paths = nil, nil
	}
	for _, t := range c.terms {
		if t.or {
			flush()
		}
		if t.not {
			continue
		}
		for _, m := range t.acls {
			switch m.sample.fetch {
			case fetchSNI, fetchFcSNI, fetchHost:
				for _, conv := range m.sample.convs {
					if conv.kind == convMap && conv.file != nil {
						for _, p := range mapPatterns(conv.method, conv.file) {
							hosts = append(hosts, p.host)
						}
					}
				}
				for _, p := range m.pats {
					p = strings.ToLower(p)
					switch m.method {
					case haproxycfg.MatchStr, haproxycfg.MatchDefault:
						hosts = append(hosts, p)
					case haproxycfg.MatchEnd:
						if strings.HasPrefix(p, ".") {
							hosts = append(hosts, "*"+p)
						} else {
							hosts = append(hosts, p, "*."+p)
						}
					}
				}
			case fetchPath:
				if m.method == haproxycfg.MatchBeg {
					paths = append(paths, m.pats...)
				}
			}
		}
	}
	flush()
	return out
}

// edgeRoute adds the route of one pattern of a listener from its journey.
func (x *importer) edgeRoute(l *route.Listener, lname string, p pattern, j *Journey) {
	h := &j.Edge
	where := x.at(h.Line)
	if h.BackendLine != 0 {
		where = x.at(h.BackendLine)
	}
	proto := l.Protocol
	httpish := proto == route.HTTP || proto == route.HTTPS || h.TerminatesTLS
	r := route.Route{Listener: lname, PathPrefix: p.path}
	if proto != route.TCP {
		r.Hosts = []string{p.host}
	}
	switch {
	case h.Redirect:
		if strings.HasPrefix(h.Location, "https://") && httpish {
			if proto == route.HTTP && p.host == "*" && p.path == "" {
				x.listener(lname).RedirectHTTPS = true
				return
			}
			r.Redirect = &route.Redirect{Scheme: "https", Code: h.Status}
			if r.Redirect.Code == 301 {
				r.Redirect.Code = 0
			}
			x.addRoute(r, routeHint(nil, p.host))
			return
		}
		x.note(x.at(h.Line), "the redirect of %s to %q: the route model redirects to https only; not imported", cmpOrStr(p.host, "every name"), h.Location)
		return
	case h.Status != 0:
		x.note(x.at(h.Line), "the edge answers %s with status %d itself; the route model has no such answer: not imported", cmpOrStr(p.host, "every name"), h.Status)
		return
	case h.Backend == "":
		if p.host != "*" {
			x.note(x.at(h.Line), "no backend takes %s on port %d; not imported", p.host, l.Port)
		}
		return
	}
	if h.HTTP && h.ForwardFor {
		x.cfg.Edge.ForwardFor = true
	}
	if j.Gateway == nil {
		switch proto {
		case route.TLS:
			r.TerminateAt = route.TierBackend
			if h.TerminatesTLS {
				r.TerminateAt = route.TierEdge
			}
		}
		r.Backend = x.staticBackend(h.Backend)
		x.backendHeaders(&r, h.Backend, httpish)
		x.addRoute(r, routeHint(nil, p.host))
		return
	}
	// To the gateway.
	gh := j.Gateway
	x.gatewayServerSettings(j)
	switch proto {
	case route.TLS:
		switch {
		case h.TerminatesTLS:
			r.TerminateAt = route.TierEdge
		case gh.TerminatesTLS:
			r.TerminateAt = route.TierGateway
		default:
			r.TerminateAt = route.TierBackend
		}
	case route.HTTP:
		if h.OriginatesTLS {
			r.TerminateAt = route.TierGateway
		}
	}
	r.Reencrypt = h.TerminatesTLS && h.OriginatesTLS
	if h.HTTP && h.Host != "" && h.Host != j.Request.Host {
		r.GatewayHost = h.Host
	}
	if x.gw != nil && gh.VirtualService != "" && !gh.Redirect {
		if gh.TerminatesTLS {
			r.Credential = gh.Credential
		}
		bs := x.destBackends("VirtualService "+gh.VirtualService, gh, j.Sent.Port)
		if len(bs) > 0 {
			if len(bs) == 1 {
				r.Backend = bs[0].Backend
			} else {
				r.Split = bs
			}
			x.gatewayUse[gh.Gateway]++
			x.used["Gateway "+gh.Gateway] = true
			x.addRoute(r, routeHint(gh, p.host))
			return
		}
	}
	handoff := proto == route.TCP || proto == route.TLS && !h.TerminatesTLS
	if !handoff {
		why := "the Istio objects are not given"
		if x.gw != nil {
			why = "no VirtualService route of the gateway takes it"
			if gh.Gateway == "" {
				why = "no Gateway server takes it"
			}
		}
		x.note(where, "%s goes to the gateway (port %d) as HTTP, and %s: the route model needs the service behind the gateway; not imported", cmpOrStr(p.host, "every name"), j.Sent.Port, why)
		return
	}
	if x.gw != nil && proto != route.TCP {
		x.note(where, "%s is passed to the gateway (port %d), where no VirtualService route takes it: imported as a hand-off to the gateway (backend gateway: true)", p.host, j.Sent.Port)
	}
	r.GatewayHost, r.Credential, r.Reencrypt = "", "", false
	if proto == route.TLS && r.TerminateAt == route.TierGateway {
		r.TerminateAt = route.TierBackend
	}
	r.Backend = x.gatewayBackend(h.Backend)
	x.addRoute(r, routeHint(nil, p.host))
}

// backendHeaders adds the backend's http-request set-header rules to r,
// and notes the rules the model does not express.
func (x *importer) backendHeaders(r *route.Route, backend string, httpish bool) {
	eb := x.edge.backs[backend]
	if eb == nil {
		return
	}
	for _, hr := range eb.p.HTTPRequest {
		if hr.Action == haproxycfg.HTTPSetHeader && hr.Cond == nil && httpish && len(hr.Value) == 1 && hr.Value[0].Expr == nil && !strings.EqualFold(hr.Name, "host") {
			r.SetHeaders = append(r.SetHeaders, route.Header{Name: hr.Name, Value: hr.Value[0].Text})
			continue
		}
		x.note(x.at(hr.Line), "http-request %s in backend %s: the route model sets literal headers only; not imported", hr.Action, backend)
	}
}

// gatewayBackend returns the backend handing traffic to the gateway.
func (x *importer) gatewayBackend(hbackend string) string {
	if n, ok := x.backendKeys["gateway"]; ok {
		return n
	}
	b := route.Backend{Name: x.name("b", "gateway"), Gateway: true}
	x.backendKeys["gateway"] = b.Name
	x.cfg.Backends = append(x.cfg.Backends, b)
	return b.Name
}

// gatewayServerSettings reads what the edge sends the gateway into the
// gateway tier: PROXY header, TLS verification, health check, balance and
// maxconn, from the first backend that reaches it.
func (x *importer) gatewayServerSettings(j *Journey) {
	h := &j.Edge
	if x.cfg.Gateway == nil {
		x.cfg.Gateway = &route.Gateway{}
	}
	g := x.cfg.Gateway
	eb := x.edge.backs[h.Backend]
	if eb == nil {
		return
	}
	key := "gwset " + h.Backend
	if x.backendKeys[key] != "" {
		return
	}
	x.backendKeys[key] = "done"
	first := x.backendKeys["gwset"] == ""
	x.backendKeys["gwset"] = h.Backend
	if h.Proxy != "" {
		if h.Proxy != "v2" {
			x.note(x.at(h.ServerLine), "the edge sends the gateway a PROXY header %s; the route model sends v2: v2 is taken", h.Proxy)
		}
		if x.proxyToGateway == "" {
			x.proxyToGateway, x.proxyLine = h.Proxy, h.ServerLine
		}
	} else if x.proxyToGateway != "" {
		x.note(x.at(h.ServerLine), "this backend sends the gateway no PROXY header, where backend %s sends one; the route model sends the same to every gateway port", x.backendKeys["gwset"])
	}
	var tls *route.OriginateTLS
	if h.OriginatesTLS {
		tls = &route.OriginateTLS{}
		s := eb.first()
		if s != nil && s.opts.CAFile != "" {
			tls.CAFile = s.opts.CAFile
		} else {
			tls.InsecureSkipVerify = true
		}
	}
	hc := x.healthCheck(eb, h)
	s := eb.first()
	maxConn := 0
	if s != nil {
		maxConn = s.opts.MaxConn
	}
	if hc != nil && *hc == (route.HealthCheck{}) {
		hc = nil // the model's default: a TCP or TLS check
	}
	if first {
		g.Balance, g.MaxConn, g.HealthCheck = eb.p.Balance, maxConn, hc
		if g.Balance == "roundrobin" {
			g.Balance = ""
		}
		if !h.Check.Enabled {
			x.note(x.at(h.ServerLine), "the edge does not check the gateway; the route model always does (a TCP or TLS check)")
		}
	}
	if tls != nil && g.TLS == nil {
		g.TLS = tls
	}
}

// healthCheck reads a backend's health check.
func (x *importer) healthCheck(eb *edgeBack, h *EdgeHop) *route.HealthCheck {
	c := h.Check
	if !c.Enabled {
		return nil
	}
	s := eb.first()
	hc := &route.HealthCheck{Port: c.Port}
	if c.HTTP {
		hc.Path, hc.Method, hc.Host = c.Path, c.Method, c.Host
		if hc.Path == "" {
			hc.Path = "/"
		}
		if hc.Method == "GET" {
			hc.Method = ""
		}
	}
	if s != nil {
		hc.Interval, hc.Rise, hc.Fall = route.Duration(s.opts.Inter), s.opts.Rise, s.opts.Fall
	}
	if *hc == (route.HealthCheck{}) {
		return &route.HealthCheck{}
	}
	return hc
}

// staticBackend returns the name of the backend of the HAProxy backend
// hname, whose servers the edge reaches directly.
func (x *importer) staticBackend(hname string) string {
	key := "be " + hname
	if n, ok := x.backendKeys[key]; ok {
		return n
	}
	eb := x.edge.backs[hname]
	b := route.Backend{Name: x.name("b", strings.TrimPrefix(strings.TrimPrefix(hname, "be_"), "be-"))}
	x.backendKeys[key] = b.Name
	if eb == nil {
		x.cfg.Backends = append(x.cfg.Backends, b)
		return b.Name
	}
	for _, s := range eb.p.Servers {
		b.Servers = append(b.Servers, route.Server{Address: s.Address, Weight: s.Weight, Backup: s.Backup})
	}
	b.Balance = eb.p.Balance
	if b.Balance == "roundrobin" && len(b.Servers) < 2 {
		b.Balance = ""
	}
	if s := eb.first(); s != nil {
		o := s.opts
		b.MaxConn = o.MaxConn
		switch {
		case o.SendProxyV2SSLCN:
			b.ProxyProtocol = route.ProxyV2SSLCN
		case o.SendProxyV2SSL:
			b.ProxyProtocol = route.ProxyV2SSL
		case o.SendProxyV2:
			b.ProxyProtocol = route.ProxyV2
		case o.SendProxy:
			b.ProxyProtocol = route.ProxyV1
		}
		if o.SSL {
			t := &route.OriginateTLS{CAFile: o.CAFile, InsecureSkipVerify: o.CAFile == "" || o.Verify == "none"}
			if s.sni != nil {
				if s.sni.fetch == fetchStr {
					t.SNI = s.sni.arg
				} else if s.sni.fetch != fetchHost {
					x.note(x.at(s.line), "sni %s: the route model sends a fixed name or the route's host; the route's host is taken", s.sni.text)
				}
			}
			if t.InsecureSkipVerify {
				t.CAFile = ""
			}
			b.TLS = t
		}
		h := &EdgeHop{Check: eb.check}
		b.HealthCheck = x.healthCheck(eb, h)
		if len(eb.p.Servers) > 1 {
			for _, other := range eb.servers[1:] {
				if other.opts.SSL != o.SSL || other.proxy != s.proxy || other.opts.MaxConn != o.MaxConn {
					x.note(x.at(other.line), "server %s has other options than %s; the route model has one set of options a backend: %s's are taken", other.name, s.name, s.name)
					break
				}
			}
		}
	}
	x.cfg.Backends = append(x.cfg.Backends, b)
	return b.Name
}

// trace is [Trace] of one request arriving on bind b of frontend f, with
// the PROXY header of a load balancer when the bind expects one.
func (x *importer) trace(req EdgeRequest, f *edgeFront, b *edgeBind, gw func(GatewayRequest) GatewayHop) *Journey {
	if !b.acceptProxy {
		js := traceWith(x.edge, gw, x.im.GatewayAddrs, []EdgeRequest{req})
		return &js[0]
	}
	j := &Journey{Request: req, edgeFile: x.file}
	j.Edge.Frontend, j.Edge.Line = f.p.Name, f.p.Line
	x.edge.enter(&j.Edge, f, b, edgeFlow{proxy: "v2", tls: req.TLS, sni: req.SNI, host: req.Host, path: req.Path}, req.Port, 0)
	if gw == nil {
		return j
	}
	addrs := map[string]bool{}
	for _, a := range x.im.GatewayAddrs {
		addrs[traceNormHost(a)] = true
	}
	if port, ok := traceGatewayPort(j.Edge.Servers, addrs, req.Port); ok {
		j.Sent = traceSent(req, &j.Edge, port)
		hop := gw(j.Sent)
		j.Gateway = &hop
	}
	return j
}
