package main

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// probeName is the name no rule names: it shows where the default
// backend sends the rest (RFC 6761 reserves .invalid).
const probeName = "edgecheck.invalid"

// acmePath is the path of an ACME HTTP-01 challenge (RFC 8555 8.3).
const acmePath = "/.well-known/acme-challenge/edgecheck"

// request is a request to trace and where its name came from.
type request struct {
	check.EdgeRequest
	// pattern is the host pattern the name stands for ("*.example.com").
	pattern string
	// source is "edge", "map", "acme", "probe" or "gateway".
	source string
}

// hostPattern is a host an edge rule matches.
type hostPattern struct {
	name    string // the name to trace
	pattern string // as a host pattern: "app.example.com" or "*.example.com"
	source  string // "edge" or "map"
}

// patternName returns the name to trace for a suffix or exact match.
func suffixPattern(suffix, source string) hostPattern {
	s := strings.TrimPrefix(suffix, ".")
	return hostPattern{name: "probe." + s, pattern: "*." + s, source: source}
}

// hostFetch reports whether a sample fetch reads the client's host name,
// and whether it is the ClientHello's SNI; method is the match method the
// fetch name implies ("hdr_end": end).
func hostFetch(s haproxycfg.Sample) (host, sni bool, method haproxycfg.MatchMethod) {
	name := s.Fetch
	for _, m := range []string{"str", "end", "dom"} {
		if base, ok := strings.CutSuffix(name, "_"+m); ok {
			name, method = base, haproxycfg.MatchMethod(m)
			break
		}
	}
	switch name {
	case "req.ssl_sni", "req_ssl_sni", "ssl_fc_sni":
		return true, true, method
	case "hdr", "req.hdr", "req.fhdr":
		return len(s.Args) > 0 && strings.EqualFold(s.Args[0], "host"), false, method
	}
	return false, false, method
}

// mapConv returns the map file a converter looks up and its match method.
func mapConv(c haproxycfg.Converter) (string, string, bool) {
	rest, ok := strings.CutPrefix(c.Name, "map")
	if !ok || len(c.Args) == 0 {
		return "", "", false
	}
	kind, _, _ := strings.Cut(strings.TrimPrefix(rest, "_"), "_")
	if kind == "" {
		kind = "str"
	}
	return c.Args[0], kind, true
}

// mapRefs returns the map files cfg's samples look up, in order.
func mapRefs(cfg *haproxycfg.Config) []string {
	var out []string
	add := func(s *haproxycfg.Sample) {
		if s == nil {
			return
		}
		for _, c := range s.Conv {
			if f, _, ok := mapConv(c); ok && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	addCond := func(c *haproxycfg.Cond) {
		if c == nil {
			return
		}
		for _, t := range c.Terms {
			if t.Anon != nil {
				add(&t.Anon.Sample)
			}
		}
	}
	for _, p := range cfg.Proxies {
		if p == nil {
			continue
		}
		for i := range p.ACLs {
			add(&p.ACLs[i].Sample)
		}
		for _, u := range p.UseBackends {
			add(u.Expr)
			addCond(u.Cond)
		}
		for _, r := range p.HTTPRequest {
			addCond(r.Cond)
			for _, part := range r.Value {
				add(part.Expr)
			}
		}
		for _, r := range p.TCPRequestContent {
			addCond(r.Cond)
		}
		for _, s := range p.Servers {
			add(s.SNI)
		}
	}
	return out
}

// frontRules is what the use_backend rules of a frontend route on.
type frontRules struct {
	hosts    []hostPattern
	backends []string // every backend a rule or the default names
	sni      bool     // a rule reads the ClientHello
	acme     bool     // a rule matches ACME challenge paths
}

// rules reads the use_backend rules of p.
func (d *deriver) rules(p *haproxycfg.Proxy) frontRules {
	var fr frontRules
	addHost := func(h hostPattern) {
		if !slices.ContainsFunc(fr.hosts, func(o hostPattern) bool { return o.name == h.name }) {
			fr.hosts = append(fr.hosts, h)
		}
	}
	sample := func(s haproxycfg.Sample) (bool, bool) {
		host, sni, _ := hostFetch(s)
		if !host {
			return false, false
		}
		fr.sni = fr.sni || sni
		mapped := false
		for _, c := range s.Conv {
			file, kind, ok := mapConv(c)
			if !ok {
				continue
			}
			mapped = true
			for _, en := range d.maps[baseName(file)] {
				switch kind {
				case "str", "dom":
					addHost(hostPattern{name: en.Key, pattern: en.Key, source: "map"})
				case "end":
					addHost(suffixPattern(en.Key, "map"))
				}
				if !slices.Contains(fr.backends, en.Value) {
					fr.backends = append(fr.backends, en.Value)
				}
			}
		}
		return true, mapped
	}
	match := func(m *haproxycfg.Match) {
		if strings.HasPrefix(m.Sample.Fetch, "path") && slices.ContainsFunc(m.Patterns, func(p string) bool {
			return strings.HasPrefix(p, "/.well-known/acme-challenge")
		}) {
			fr.acme = true
		}
		host, mapped := sample(m.Sample)
		if !host || mapped {
			return
		}
		_, _, method := hostFetch(m.Sample)
		if m.Method != haproxycfg.MatchDefault {
			method = m.Method
		}
		for _, pat := range m.Patterns {
			switch method {
			case haproxycfg.MatchDefault, haproxycfg.MatchStr, haproxycfg.MatchDom:
				addHost(hostPattern{name: pat, pattern: pat, source: "edge"})
			case haproxycfg.MatchEnd:
				addHost(suffixPattern(pat, "edge"))
			}
		}
	}
	acls := map[string][]*haproxycfg.Match{}
	for i := range p.ACLs {
		acls[p.ACLs[i].Name] = append(acls[p.ACLs[i].Name], &p.ACLs[i].Match)
	}
	cond := func(c *haproxycfg.Cond) {
		if c == nil {
			return
		}
		for _, t := range c.Terms {
			if t.Anon != nil {
				match(t.Anon)
			}
			for _, m := range acls[t.ACL] {
				match(m)
			}
		}
	}
	for _, u := range p.UseBackends {
		cond(u.Cond)
		if u.Expr != nil {
			sample(*u.Expr)
		}
		if u.Backend != "" && !slices.Contains(fr.backends, u.Backend) {
			fr.backends = append(fr.backends, u.Backend)
		}
	}
	for _, r := range p.TCPRequestContent {
		if r.Cond == nil {
			continue
		}
		for _, t := range r.Cond.Terms {
			if t.Anon != nil && strings.Contains(t.Anon.Sample.Fetch, "ssl_hello_type") {
				fr.sni = true
			}
		}
	}
	for _, r := range p.HTTPRequest {
		if r.Cond == nil {
			continue
		}
		for _, t := range r.Cond.Terms {
			if t.Anon != nil {
				if strings.HasPrefix(t.Anon.Sample.Fetch, "path") && slices.ContainsFunc(t.Anon.Patterns, func(p string) bool {
					return strings.HasPrefix(p, "/.well-known/acme-challenge")
				}) {
					fr.acme = true
				}
			}
		}
	}
	if p.DefaultBackend != "" && !slices.Contains(fr.backends, p.DefaultBackend) {
		fr.backends = append(fr.backends, p.DefaultBackend)
	}
	return fr
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// deriver works out the requests to trace from the files.
type deriver struct {
	cfg  *haproxycfg.Config
	maps map[string][]haproxycfg.MapEntry
	gw   *gatewayView
}

// bindAddr is one address of a bind line.
type bindAddr struct {
	host   string
	port   int
	socket string // "abns@x", "unix@/p"
	ssl    bool
}

func parseBind(b haproxycfg.Bind) []bindAddr {
	var out []bindAddr
	for _, a := range strings.Split(b.Address, ",") {
		a = strings.TrimSpace(a)
		for _, p := range []string{"ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"} {
			a = strings.TrimPrefix(a, p)
		}
		switch {
		case strings.HasPrefix(a, "abns@"), strings.HasPrefix(a, "unix@"):
			out = append(out, bindAddr{socket: a, ssl: b.SSL})
			continue
		case strings.HasPrefix(a, "/"):
			out = append(out, bindAddr{socket: "unix@" + a, ssl: b.SSL})
			continue
		}
		i := strings.LastIndexByte(a, ':')
		if i < 0 {
			continue
		}
		lo, _, _ := strings.Cut(a[i+1:], "-")
		port, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		out = append(out, bindAddr{host: strings.Trim(a[:i], "[]"), port: port, ssl: b.SSL})
	}
	return out
}

// isLoopback reports whether host is a loopback address or "localhost".
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func isWildcard(host string) bool {
	return host == "" || host == "*" || host == "0.0.0.0" || host == "::"
}

// serverHostPort splits a server address; ok is false for sockets.
func serverHostPort(addr string) (string, int, bool) {
	if strings.HasPrefix(addr, "abns@") || strings.HasPrefix(addr, "unix@") || strings.HasPrefix(addr, "/") {
		return "", 0, false
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0, true
	}
	p, _ := strconv.Atoi(port)
	return host, p, true
}

// localFront returns the frontend a server address loops into, or nil.
func (d *deriver) localFront(addr string) *haproxycfg.Proxy {
	key := addr
	if strings.HasPrefix(addr, "/") {
		key = "unix@" + addr
	}
	host, port, inet := serverHostPort(addr)
	if inet && !isLoopback(host) && !isWildcard(host) {
		return nil
	}
	// The bind on that very address first, then one on every address.
	var wild *haproxycfg.Proxy
	for _, p := range d.cfg.Proxies {
		if p == nil || p.Kind == haproxycfg.ProxyBackend {
			continue
		}
		for _, b := range p.Binds {
			for _, ba := range parseBind(b) {
				switch {
				case !inet:
					if ba.socket == key {
						return p
					}
				case ba.socket != "" || ba.port != port:
				case ba.host == host:
					return p
				case isWildcard(ba.host) && wild == nil:
					wild = p
				}
			}
		}
	}
	return wild
}

// reached returns the rules of p and of the local frontends its backends
// loop into, merged: the hosts a client reaches through p.
func (d *deriver) reached(p *haproxycfg.Proxy) frontRules {
	fr := d.rules(p)
	seen := []*haproxycfg.Proxy{p}
	queue := slices.Clone(fr.backends)
	for n := 0; len(queue) > 0 && n < 64; n++ {
		b := d.cfg.Proxy(queue[0])
		queue = queue[1:]
		if b == nil {
			continue
		}
		for _, s := range b.Servers {
			lf := d.localFront(s.Address)
			if lf == nil || slices.Contains(seen, lf) {
				continue
			}
			seen = append(seen, lf)
			more := d.rules(lf)
			for _, h := range more.hosts {
				if !slices.ContainsFunc(fr.hosts, func(o hostPattern) bool { return o.name == h.name }) {
					fr.hosts = append(fr.hosts, h)
				}
			}
			queue = append(queue, more.backends...)
		}
	}
	return fr
}

// entry is a client-facing port of the edge and what routes there.
type entry struct {
	port  int
	front *haproxycfg.Proxy
	rules frontRules
	tls   bool
}

// entries returns the client-facing ports of the edge, ascending: the
// ports of binds on an address that is not a loopback one or a socket.
func (d *deriver) entries() []entry {
	var out []entry
	for _, p := range d.cfg.Proxies {
		if p == nil || p.Kind == haproxycfg.ProxyBackend {
			continue
		}
		var fr *frontRules
		for _, b := range p.Binds {
			for _, ba := range parseBind(b) {
				if ba.socket != "" || isLoopback(ba.host) || slices.ContainsFunc(out, func(e entry) bool { return e.port == ba.port }) {
					continue
				}
				if fr == nil {
					r := d.reached(p)
					fr = &r
				}
				out = append(out, entry{port: ba.port, front: p, rules: *fr, tls: d.clientTLS(p, *fr, ba)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b entry) int { return a.port - b.port })
	return out
}

// tlsPorts are the ports clients reach with TLS by convention.
var tlsPorts = []int{443, 8443}

// clientTLS reports whether clients speak TLS to a bind of p: p routes on
// the ClientHello or ends TLS, or it passes bytes through (mode tcp) on a
// TLS port, or to a server on a TLS port or on a port where a Gateway
// server expects TLS.
func (d *deriver) clientTLS(p *haproxycfg.Proxy, fr frontRules, ba bindAddr) bool {
	if fr.sni || ba.ssl {
		return true
	}
	if d.mode(p) == haproxycfg.ModeHTTP {
		return false
	}
	if slices.Contains(tlsPorts, ba.port) {
		return true
	}
	if b := d.cfg.Proxy(p.DefaultBackend); b != nil && len(b.Servers) > 0 {
		_, port, _ := serverHostPort(b.Servers[0].Address)
		return slices.Contains(tlsPorts, port) || d.gw != nil && d.gw.tlsPorts[port]
	}
	return false
}

// mode returns p's mode with its defaults.
func (d *deriver) mode(p *haproxycfg.Proxy) haproxycfg.Mode {
	if p.Mode != "" {
		return p.Mode
	}
	idx := slices.Index(d.cfg.Proxies, p)
	var mode haproxycfg.Mode
	for _, x := range d.cfg.Defaults {
		if x != nil && (p.From != "" && x.Name == p.From || p.From == "" && x.BeforeProxy <= idx) {
			mode = x.Mode
		}
	}
	return mode
}

// edgeRequests returns the requests to trace through the edge.
func (d *deriver) edgeRequests() []request {
	es := d.entries()
	// Every host the edge routes on, for ACME challenges.
	var all []hostPattern
	for _, e := range es {
		for _, h := range e.rules.hosts {
			if !slices.ContainsFunc(all, func(o hostPattern) bool { return o.name == h.name }) {
				all = append(all, h)
			}
		}
	}
	var out []request
	for _, e := range es {
		for _, h := range e.rules.hosts {
			out = append(out, e.request(h.name, h.pattern, h.source, "/"))
		}
		if e.rules.acme && !e.tls {
			for _, h := range all {
				out = append(out, e.request(h.name, h.pattern, "acme", acmePath))
			}
		}
		out = append(out, e.request(probeName, "", "probe", "/"))
	}
	return out
}

func (e entry) request(name, pattern, source, path string) request {
	r := request{EdgeRequest: check.EdgeRequest{Port: e.port, TLS: e.tls, Host: name, Path: path}, pattern: pattern, source: source}
	if e.tls {
		r.SNI = name
	}
	return r
}

// gatewayView is what edgecheck reads of the Gateway objects itself: the
// servers that select the workload, and the VirtualServices bound to
// them.
type gatewayView struct {
	servers  []gwServer
	tlsPorts map[int]bool
	ports    []int
}

// gwServer is one server of a Gateway that selects the workload.
type gwServer struct {
	gateway string // ns/name
	port    int
	tls     bool // the client speaks TLS to it
	tcp     bool // opaque TCP: names do not matter
	hosts   []string
}

// newGatewayView reads the Gateway and VirtualService objects.
func newGatewayView(in *input) *gatewayView {
	v := &gatewayView{tlsPorts: map[int]bool{}}
	vsHosts := map[string][]string{} // gateway ns/name -> VirtualService hosts
	for _, o := range in.objs {
		spec, ok := o.Spec.(*networking.VirtualService)
		if !ok {
			continue
		}
		ns := nsOf(o.Metadata.Namespace)
		for _, g := range spec.GetGateways() {
			if g == "mesh" {
				continue
			}
			key := g
			if !strings.Contains(g, "/") {
				key = ns + "/" + g
			}
			vsHosts[key] = append(vsHosts[key], spec.GetHosts()...)
		}
	}
	for _, o := range in.objs {
		spec, ok := o.Spec.(*networking.Gateway)
		if !ok || !subset(spec.GetSelector(), in.workload.Labels) {
			continue
		}
		key := nsOf(o.Metadata.Namespace) + "/" + o.Metadata.Name
		for _, s := range spec.GetServers() {
			port := int(s.GetPort().GetNumber())
			proto := strings.ToUpper(s.GetPort().GetProtocol())
			tls := proto == "HTTPS" || proto == "TLS"
			var hosts []string
			for _, h := range s.GetHosts() {
				if _, name, ok := strings.Cut(h, "/"); ok {
					h = name
				}
				if h == "*" {
					hosts = append(hosts, vsHosts[key]...)
					continue
				}
				hosts = append(hosts, h)
			}
			tcp := !tls && proto != "HTTP" && proto != "HTTP2" && proto != "GRPC" && proto != "GRPC-WEB" && proto != "HTTP_PROXY"
			v.servers = append(v.servers, gwServer{gateway: key, port: port, tls: tls, tcp: tcp, hosts: hosts})
			if tls {
				v.tlsPorts[port] = true
			}
			if !slices.Contains(v.ports, port) {
				v.ports = append(v.ports, port)
			}
		}
	}
	slices.Sort(v.ports)
	return v
}

func nsOf(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// hostsOn returns the host patterns of the servers on port, each once,
// with their names to trace.
func (v *gatewayView) hostsOn(port int) []hostPattern {
	var out []hostPattern
	for _, s := range v.servers {
		if s.port != port {
			continue
		}
		for _, h := range s.hosts {
			hp := hostPattern{name: h, pattern: h, source: "gateway"}
			switch {
			case h == "*" || h == "":
				continue
			case strings.HasPrefix(h, "*"):
				hp = suffixPattern(h[1:], "gateway")
			}
			if !slices.ContainsFunc(out, func(o hostPattern) bool { return o.name == hp.name }) {
				out = append(out, hp)
			}
		}
	}
	return out
}

// gatewayRequests returns the requests clients send straight to the
// gateway, when there is no edge: each host of each server, on its port;
// one connection without a name to a TCP server.
func (v *gatewayView) gatewayRequests() []check.GatewayRequest {
	var out []check.GatewayRequest
	seen := map[check.GatewayRequest]bool{}
	for _, s := range v.servers {
		names := []string{""}
		if len(s.hosts) > 0 && !s.tcp {
			names = names[:0]
			for _, h := range s.hosts {
				names = append(names, traceName(h))
			}
		}
		for _, n := range names {
			r := check.GatewayRequest{Port: s.port, TLS: s.tls, Host: n, Path: "/"}
			if s.tls {
				r.SNI = n
			}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// traceName is the name traced for a host pattern.
func traceName(h string) string {
	switch {
	case h == "*":
		return ""
	case strings.HasPrefix(h, "*"):
		return suffixPattern(h[1:], "").name
	}
	return h
}

// guessAddrs returns the edge's server addresses that are the gateway's,
// and the rule used.
func guessAddrs(cfg *haproxycfg.Config, gw *gatewayView) ([]string, string) {
	ports := []int{80, 443}
	rule := "edge servers on ports 80 and 443, the ports of Istio's default ingress gateway Service"
	switch {
	case gw == nil:
		rule += "; no Istio files"
	case len(gw.ports) == 0:
		rule += "; no Gateway server in the Istio files"
	default:
		ports = gw.ports
		var ps []string
		for _, p := range ports {
			ps = append(ps, strconv.Itoa(p))
		}
		rule = "edge servers on ports where a Gateway server listens: " + strings.Join(ps, ", ")
	}
	var out []string
	for _, p := range cfg.Proxies {
		if p == nil || p.Kind == haproxycfg.ProxyFrontend {
			continue
		}
		for _, s := range p.Servers {
			host, port, inet := serverHostPort(s.Address)
			if !inet || isLoopback(host) || isWildcard(host) || !slices.Contains(ports, port) || slices.Contains(out, host) {
				continue
			}
			out = append(out, host)
		}
	}
	return out, rule
}
