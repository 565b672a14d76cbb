package haproxycfg

import (
	"cmp"
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
	"github.com/drawbridge-go/drawbridge/route"
)

// DefaultMapDir is where the generated configuration looks for its map files
// when [Compiler.MapDir] is empty.
const DefaultMapDir = "/etc/haproxy/maps"

// DefaultMaxInlineHosts is the number of exact hosts per frontend above which
// the compiler moves them into a map_str file.
const DefaultMaxInlineHosts = 8

// Compiler compiles a [route.Config] into the edge tier's configuration. The
// zero value is ready to use.
type Compiler struct {
	// MapDir is the directory the configuration refers to map files in;
	// the caller writes [Result.Maps] there. Empty means [DefaultMapDir].
	// It must be an absolute path of letters, digits and _ . : / @ + = - ~.
	MapDir string
	// MaxInlineHosts is the most exact hosts a frontend matches with inline
	// ACLs; more go to a map_str file (an inline list costs time linear in
	// its length on every connection, a map is a tree lookup). Zero means
	// [DefaultMaxInlineHosts]; negative means always use a map.
	MaxInlineHosts int
}

// Result is the compiled edge tier.
type Result struct {
	// Config is the haproxy.cfg.
	Config *Config
	// Maps are the map files Config refers to, to be written into
	// [Compiler.MapDir].
	Maps []MapFile
	// Warnings are what works but is probably not what was meant: the
	// route configuration's and [Config.Lint]'s.
	Warnings []route.Warning
}

// Compile is [Compiler.Compile] with the zero Compiler.
func Compile(c *route.Config) (*Result, error) {
	return Compiler{}.Compile(c)
}

// Compile validates c ([route.Config.Validate], whose error it returns
// unchanged) and compiles its edge tier. A configuration without an edge
// tier returns [ErrNoEdge]: the gateway alone is configured by istiocfg.
func (cp Compiler) Compile(c *route.Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Edge == nil {
		return nil, ErrNoEdge
	}
	mapDir := cp.MapDir
	if mapDir == "" {
		mapDir = DefaultMapDir
	}
	if !path.IsAbs(mapDir) || !validSampleArg(mapDir) {
		return nil, &Error{Field: "MapDir", Detail: "map directory " + strconvQuote(mapDir) + " must be an absolute path of letters, digits and _ . : / @ + = - ~"}
	}
	inline := cp.MaxInlineHosts
	if inline == 0 {
		inline = DefaultMaxInlineHosts
	}
	k := &compiler{
		c:        c,
		mapDir:   strings.TrimSuffix(mapDir, "/"),
		inline:   inline,
		cfg:      &Config{},
		backends: make(map[string]*route.Backend, len(c.Backends)),
		out:      map[string]*Proxy{},
		modeName: map[string]string{},
		gwTCP:    map[int]string{},
	}
	for i := range c.Backends {
		k.backends[c.Backends[i].Name] = &c.Backends[i]
	}
	k.byListener = make(map[string][]*route.Route, len(c.Listeners))
	for i := range c.Routes {
		r := &c.Routes[i]
		k.byListener[r.Listener] = append(k.byListener[r.Listener], r)
	}
	k.compile()
	res := &Result{Config: k.cfg, Maps: k.maps}
	res.Warnings = append(res.Warnings, k.cfg.Lint()...)
	return res, nil
}

func strconvQuote(s string) string { return strconv.Quote(s) }

type compiler struct {
	c        *route.Config
	mapDir   string
	inline   int
	cfg      *Config
	maps     []MapFile
	backends map[string]*route.Backend
	// byListener are the routes of each listener, in file order.
	byListener map[string][]*route.Route
	gwTCP      map[int]string    // gateway port -> its mode tcp backend
	out        map[string]*Proxy // HAProxy backends by name
	order      []*Proxy          // HAProxy backends in creation order
	modeName   map[string]string // route backend+mode -> HAProxy backend name
	dns        bool
}

// Sample expressions the compiler routes on.
var (
	sniFetch  = Sample{Fetch: "req.ssl_sni", Conv: []Converter{{Name: "lower"}}}
	hostFetch = Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []Converter{{Name: "host_only"}, {Name: "lower"}}}
)

func (k *compiler) compile() {
	c, e := k.c, k.c.Edge
	if len(e.Logs) > 0 || e.MaxConn != 0 || e.Process != nil {
		g := &Global{MaxConn: e.MaxConn}
		for _, l := range e.Logs {
			g.Logs = append(g.Logs, Log{Address: l.Address, Format: l.Format, Facility: l.Facility, Level: l.Level})
		}
		if p := e.Process; p != nil {
			g.Chroot, g.PIDFile, g.User, g.Group, g.Daemon = p.Chroot, p.PIDFile, p.User, p.Group, p.Daemon
			if p.StatsSocket != "" {
				g.StatsSocket = &StatsSocket{Path: p.StatsSocket}
			}
		}
		k.cfg.Global = g
	}
	k.cfg.Defaults = []*Defaults{{Settings: Settings{
		LogGlobal: len(e.Logs) > 0,
		Retries:   e.Retries,
		Timeouts: Timeouts{
			Connect: e.Timeouts.Connect.Or(route.DefaultConnectTimeout),
			Client:  e.Timeouts.Client.Or(route.DefaultClientTimeout),
			Server:  e.Timeouts.Server.Or(route.DefaultServerTimeout),
		},
	}}}
	for i := range c.Listeners {
		k.listener(&c.Listeners[i])
	}
	if s := e.Stats; s != nil {
		k.cfg.Proxies = append(k.cfg.Proxies, StatsFrontend("stats", bindAddr(s.Address, s.Port), cmp.Or(s.URI, route.DefaultStatsURI), s.Refresh.Std()))
	}
	k.cfg.Proxies = append(k.cfg.Proxies, k.order...)
	if k.dns {
		k.cfg.Resolvers = []*Resolvers{{Name: "dns", ParseResolvConf: true, HoldValid: 10 * time.Second}}
	}
}

// StatsFrontend returns a frontend that serves HAProxy's statistics page on
// bind at uri, refreshed every refresh (zero: no refresh).
func StatsFrontend(name, bind, uri string, refresh time.Duration) *Proxy {
	return &Proxy{
		Kind:     Frontend,
		Name:     name,
		Settings: Settings{Mode: ModeHTTP},
		Binds:    []Bind{{Address: bind}},
		Stats:    &StatsPage{URI: uri, Refresh: refresh},
	}
}

func bindAddr(addr string, port int) string {
	if addr == "" {
		addr = "*"
	}
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

func (k *compiler) logs() bool { return len(k.c.Edge.Logs) > 0 }

func (k *compiler) listener(l *route.Listener) {
	c := k.c
	routes := k.byListener[l.Name]
	fe := &Proxy{Kind: Frontend, Name: "fe_" + l.Name}
	bind := Bind{Address: bindAddr(l.Address, l.Port), AcceptProxy: l.AcceptProxy}
	switch l.Protocol {
	case route.HTTP, route.HTTPS:
		fe.Mode = ModeHTTP
		fe.HTTPLog = k.logs()
		fe.ForwardFor = c.Edge.ForwardFor
		if l.Protocol == route.HTTPS {
			tlsBind(&bind, l.TLS)
		}
		fe.Binds = []Bind{bind}
		k.cfg.Proxies = append(k.cfg.Proxies, fe)
		var def string
		if l.RedirectHTTPS {
			def = k.redirectHTTPS()
		}
		k.route(fe, l, routes, hostFetch, def)
	case route.TCP:
		fe.Mode = ModeTCP
		fe.TCPLog = k.logs()
		fe.Binds = []Bind{bind}
		k.cfg.Proxies = append(k.cfg.Proxies, fe)
		if len(routes) > 0 {
			fe.DefaultBackend = k.target(routes[0], l, ModeTCP)
		}
	case route.TLS:
		fe.Mode = ModeTCP
		fe.TCPLog = k.logs()
		fe.Binds = []Bind{bind}
		fe.InspectDelay = c.Edge.InspectDelay.Or(route.DefaultInspectDelay)
		fe.TCPRequestContent = []TCPRule{{Action: TCPAccept, Cond: &Cond{Terms: []Term{{Anon: &Match{
			Sample: Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}}}}}}
		k.cfg.Proxies = append(k.cfg.Proxies, fe)
		var local []*route.Route
		for _, r := range routes {
			if c.TerminationOf(r) == route.TierEdge {
				local = append(local, r)
			}
		}
		loop := ""
		if len(local) > 0 {
			abns := "abns@" + c.ConfigName() + "-" + l.Name
			loop = "loop_" + l.Name
			k.addBackend(&Proxy{Kind: Backend, Name: loop, Settings: Settings{Mode: ModeTCP},
				Servers: []Server{{Name: "local", Address: abns, ServerOptions: ServerOptions{SendProxyV2: true}}}})
			inner := &Proxy{Kind: Frontend, Name: "fe_" + l.Name + "_local",
				Settings: Settings{Mode: ModeHTTP, HTTPLog: k.logs(), ForwardFor: c.Edge.ForwardFor}}
			ib := Bind{Address: abns, AcceptProxy: true}
			tlsBind(&ib, l.TLS)
			inner.Binds = []Bind{ib}
			defer func() {
				k.cfg.Proxies = append(k.cfg.Proxies, inner)
				k.route(inner, l, local, hostFetch, "")
			}()
		}
		k.routeSNI(fe, l, routes, loop)
	}
}

func tlsBind(b *Bind, t *route.ListenerTLS) {
	b.SSL = true
	if t == nil {
		return
	}
	b.Crt = t.Certificates
	b.StrictSNI = t.StrictSNI
	b.ALPN = t.ALPN
	if len(b.ALPN) == 0 {
		b.ALPN = []string{"h2", "http/1.1"}
	}
	if t.ClientCA != "" {
		b.CAFile = t.ClientCA
		b.Verify = "required"
	}
}

// entry is one host pattern of one route, with the HAProxy backend it goes
// to.
type entry struct {
	kind    hostname.Kind
	host    string // exact name, or the suffix with its dot
	path    string
	route   int // index in the listener's routes
	name    string
	backend string
}

func (k *compiler) entries(routes []*route.Route, target func(*route.Route) string) []entry {
	es := make([]entry, 0, len(routes))
	for i, r := range routes {
		b := target(r)
		for _, h := range r.Hosts {
			// validated by route: only the routing form is needed here
			kind, host := hostname.KindExact, hostname.Normalize(h)
			switch {
			case h == "*":
				kind, host = hostname.KindAny, ""
			case strings.HasPrefix(h, "*."):
				kind, host = hostname.KindWildcard, hostname.Normalize(h[1:])
			}
			es = append(es, entry{kind: kind, host: host, path: r.PathPrefix, route: i, name: r.Name, backend: b})
		}
	}
	// Evaluation order: exact hosts, then wildcards longest suffix first,
	// then any host; within each, longer path prefixes first and the
	// path-less route last.
	slices.SortStableFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		if a.kind == hostname.KindWildcard {
			if c := cmp.Compare(len(b.host), len(a.host)); c != 0 {
				return c
			}
			if c := cmp.Compare(a.host, b.host); c != 0 {
				return c
			}
		}
		if c := boolCmp(a.path == "", b.path == ""); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.path), len(a.path)); c != 0 {
			return c
		}
		if a.kind == hostname.KindExact && a.path == "" {
			// disjoint names: sorted, so a map file needs no second sort
			return cmp.Compare(a.host, b.host)
		}
		return cmp.Compare(a.route, b.route)
	})
	return es
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// route writes the routing rules of an HTTP frontend: Host matches in
// specificity order, path prefixes as named ACLs, exact hosts in a map past
// the inline limit, def (when not empty) as the default backend.
func (k *compiler) route(fe *Proxy, l *route.Listener, routes []*route.Route, fetch Sample, def string) {
	es := k.entries(routes, func(r *route.Route) string { return k.target(r, l, ModeHTTP) })
	pathACL := map[string]string{}
	for _, r := range routes {
		if r.PathPrefix != "" {
			n := "path_" + r.Name
			pathACL[r.Name] = n
			fe.ACLs = append(fe.ACLs, ACL{Name: n, Match: Match{Sample: Sample{Fetch: "path"}, Method: MatchBeg, Patterns: []string{r.PathPrefix}}})
		}
	}
	k.emit(fe, es, fetch, pathACL, def, fe.Name)
}

// routeSNI writes the SNI routing of a TLS listener's frontend: routes the
// edge terminates go to loop.
func (k *compiler) routeSNI(fe *Proxy, l *route.Listener, routes []*route.Route, loop string) {
	es := k.entries(routes, func(r *route.Route) string {
		if k.c.TerminationOf(r) == route.TierEdge {
			return loop
		}
		return k.target(r, l, ModeTCP)
	})
	k.emit(fe, es, sniFetch, nil, "", fe.Name)
}

func (k *compiler) emit(fe *Proxy, es []entry, fetch Sample, pathACL map[string]string, def, mapBase string) {
	cond := func(m *Match, route string) *Cond {
		c := &Cond{}
		if m != nil {
			c.Terms = append(c.Terms, Term{Anon: m})
		}
		if a := pathACL[route]; a != "" {
			c.Terms = append(c.Terms, Term{ACL: a})
		}
		return c
	}
	exactNoPath := 0
	for _, e := range es {
		if e.kind == hostname.KindExact && e.path == "" {
			exactNoPath++
		}
	}
	useMap := exactNoPath > k.inline || k.inline < 0 && exactNoPath > 0
	mapDone := false
	for i := 0; i < len(es); {
		e := es[i]
		switch {
		case e.kind == hostname.KindExact && e.path == "" && useMap:
			if mapDone {
				i++
				continue
			}
			mapDone = true
			mf := MapFile{Name: k.c.ConfigName() + "-" + mapBase + ".map"}
			mf.Entries = make([]MapEntry, 0, exactNoPath)
			for _, x := range es {
				if x.kind == hostname.KindExact && x.path == "" {
					mf.Entries = append(mf.Entries, MapEntry{Key: x.host, Value: x.backend})
				}
			}
			k.maps = append(k.maps, mf)
			lookup := fetch
			lookup.Conv = append(slices.Clip(fetch.Conv), Converter{Name: "map_str", Args: []string{k.mapDir + "/" + mf.Name}})
			fe.UseBackends = append(fe.UseBackends, UseBackend{Expr: &lookup, Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: lookup, Method: MatchFound}}}}})
			i++
		case e.kind == hostname.KindExact:
			// consecutive exact hosts of one route share a rule
			j := i
			var hosts []string
			for j < len(es) && es[j].kind == e.kind && es[j].route == e.route && es[j].path == e.path && !(useMap && es[j].path == "") {
				hosts = append(hosts, es[j].host)
				j++
			}
			fe.UseBackends = append(fe.UseBackends, UseBackend{Backend: e.backend, Cond: cond(&Match{Sample: fetch, Method: MatchStr, Patterns: hosts}, e.name)})
			i = j
		case e.kind == hostname.KindWildcard:
			fe.UseBackends = append(fe.UseBackends, UseBackend{Backend: e.backend, Cond: cond(&Match{Sample: fetch, Method: MatchEnd, Patterns: []string{e.host}}, e.name)})
			i++
		default: // any host
			if e.path != "" {
				fe.UseBackends = append(fe.UseBackends, UseBackend{Backend: e.backend, Cond: cond(nil, e.name)})
			} else if def == "" {
				def = e.backend
			}
			i++
		}
	}
	fe.DefaultBackend = def
}

func (k *compiler) addBackend(p *Proxy) *Proxy {
	if old, ok := k.out[p.Name]; ok {
		return old
	}
	k.out[p.Name] = p
	k.order = append(k.order, p)
	return p
}

func (k *compiler) redirectHTTPS() string {
	return k.addBackend(&Proxy{Kind: Backend, Name: "redirect_https", Settings: Settings{Mode: ModeHTTP},
		HTTPRequest: []HTTPRule{{Action: RedirectScheme, Value: Text("https"), Status: 301}}}).Name
}

// target returns the HAProxy backend route r goes to from a frontend in
// mode, creating it.
func (k *compiler) target(r *route.Route, l *route.Listener, mode Mode) string {
	c := k.c
	if rd := r.Redirect; rd != nil {
		return k.redirect(r, l)
	}
	name := r.Backend
	if name == "" && len(r.Split) > 0 {
		name = r.Split[0].Backend // every split backend is behind the gateway
	}
	b := k.backends[name]
	if c.BehindGateway(b) {
		return k.gatewayTarget(r, l, b, mode)
	}
	return k.staticTarget(r, b, mode)
}

func (k *compiler) redirect(r *route.Route, l *route.Listener) string {
	rd := r.Redirect
	p := &Proxy{Kind: Backend, Name: "rd_" + r.Name, Settings: Settings{Mode: ModeHTTP}}
	rule := HTTPRule{Status: cmp.Or(rd.Code, 301)}
	if rd.Host == "" && rd.Port == 0 {
		rule.Action, rule.Value = RedirectScheme, Text(rd.Scheme)
	} else {
		scheme := rd.Scheme
		if scheme == "" {
			scheme = "http"
			if l.Protocol != route.HTTP {
				scheme = "https"
			}
		}
		rule.Action = RedirectPrefix
		rule.Value = Text(scheme + "://")
		if rd.Host != "" {
			rule.Value = append(rule.Value, LFPart{Text: hostname.Normalize(rd.Host)})
		} else {
			rule.Value = append(rule.Value, LFPart{Expr: &Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []Converter{{Name: "host_only"}}}})
		}
		if rd.Port != 0 {
			rule.Value = append(rule.Value, LFPart{Text: ":" + strconv.Itoa(rd.Port)})
		}
	}
	p.HTTPRequest = []HTTPRule{rule}
	return k.addBackend(p).Name
}

func setHeaders(r *route.Route) []HTTPRule {
	var rs []HTTPRule
	for _, h := range r.SetHeaders {
		rs = append(rs, HTTPRule{Action: SetHeader, Name: h.Name, Value: Text(h.Value)})
	}
	return rs
}

// verify fills the certificate verification of TLS toward a server: a CA
// file, "verify none", or the system's CAs when the model says nothing.
func verify(o *ServerOptions, t *route.OriginateTLS) {
	switch {
	case t != nil && t.InsecureSkipVerify:
		o.Verify = "none"
	case t != nil && t.CAFile != "":
		o.Verify, o.CAFile = "required", t.CAFile
	default:
		o.Verify, o.CAFile = "required", "@system-ca"
	}
}

func (k *compiler) serverAddr(host string, port int, o *ServerOptions) string {
	if _, err := netip.ParseAddr(host); err != nil {
		k.dns = true
		o.Resolvers, o.InitAddr = "dns", "none"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func health(o *ServerOptions, hc *route.HealthCheck) {
	o.Check = true
	if hc == nil {
		return
	}
	if hc.Interval != 0 {
		o.Inter = hc.Interval.Std()
	}
	o.Rise, o.Fall = hc.Rise, hc.Fall
}

func httpCheck(hc *route.HealthCheck, host string) *HTTPCheck {
	if hc == nil || hc.Path == "" {
		return nil
	}
	return &HTTPCheck{Method: hc.Method, URI: hc.Path, Host: cmp.Or(hostname.Normalize(hc.Host), host)}
}

// gatewayTarget is a backend of gateway addresses.
func (k *compiler) gatewayTarget(r *route.Route, l *route.Listener, b *route.Backend, mode Mode) string {
	c, g := k.c, k.c.Gateway
	port := c.GatewayPort(r)
	if mode == ModeTCP {
		if name, ok := k.gwTCP[port]; ok {
			return name
		}
	}
	term := c.TerminationOf(r)
	sn := route.ServerName(r)
	hc := g.HealthCheck
	var p *Proxy
	var o ServerOptions
	health(&o, hc)
	o.MaxConn = g.MaxConn
	if c.EdgeSendsProxy() {
		o.SendProxyV2, o.CheckSendProxy = true, true
	}
	switch {
	case mode == ModeTCP:
		name := "gw_tcp_" + strconv.Itoa(port)
		k.gwTCP[port] = name
		p = &Proxy{Kind: Backend, Name: name, Settings: Settings{Mode: ModeTCP}}
		if l.Protocol == route.TLS && hc != nil && hc.Path != "" {
			// an HTTP check through the TLS the traffic passes through
			o.CheckSSL = true
			o.CheckSNI = k.checkHost("")
			verify(&o, g.TLS)
		}
		p.HTTPCheck = httpCheck(hc, k.checkHost(""))
	case term == route.TierGateway || term == route.TierBackend:
		// HTTP listener: originate TLS to the gateway, SNI and Host set to
		// the gateway host.
		p = &Proxy{Kind: Backend, Name: "rt_" + r.Name, Settings: Settings{Mode: ModeHTTP}}
		o.SSL, o.CheckSSL = true, true
		verify(&o, g.TLS)
		if sn != "" {
			o.SNI = &Sample{Fetch: "str", Args: []string{sn}}
			p.HTTPRequest = append(p.HTTPRequest, HTTPRule{Action: SetHeader, Name: "Host", Value: Text(sn)})
		} else {
			o.SNI = &Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []Converter{{Name: "host_only"}}}
		}
		o.CheckSNI = k.checkHost(sn)
		p.HTTPCheck = httpCheck(hc, o.CheckSNI)
		p.HTTPRequest = append(p.HTTPRequest, setHeaders(r)...)
	default:
		// plain HTTP to the gateway's HTTP port
		if r.GatewayHost == "" && len(r.SetHeaders) == 0 {
			name := "gw_http_" + strconv.Itoa(port)
			if old, ok := k.out[name]; ok {
				return old.Name
			}
			p = &Proxy{Kind: Backend, Name: name, Settings: Settings{Mode: ModeHTTP}}
		} else {
			p = &Proxy{Kind: Backend, Name: "rt_" + r.Name, Settings: Settings{Mode: ModeHTTP}}
			if r.GatewayHost != "" {
				p.HTTPRequest = append(p.HTTPRequest, HTTPRule{Action: SetHeader, Name: "Host", Value: Text(sn)})
			}
			p.HTTPRequest = append(p.HTTPRequest, setHeaders(r)...)
		}
		if p.Name != "rt_"+r.Name {
			sn = ""
		}
		p.HTTPCheck = httpCheck(hc, k.checkHost(sn))
	}
	p.Balance = cmp.Or(g.Balance, b.Balance)
	for i, a := range g.Addresses {
		so := o
		addr := k.serverAddr(a, port, &so)
		p.Servers = append(p.Servers, Server{Name: "gw" + strconv.Itoa(i+1), Address: addr, ServerOptions: so})
	}
	return k.addBackend(p).Name
}

// checkHost is the name the edge's health checks of the gateway send as SNI
// and Host: the gateway's healthCheck.host, else sn (the route's server
// name, for a backend of one route), else the first server name of the
// routes behind the gateway, in file order.
func (k *compiler) checkHost(sn string) string {
	if hc := k.c.Gateway.HealthCheck; hc != nil && hc.Host != "" {
		return hostname.Normalize(hc.Host)
	}
	if sn != "" {
		return sn
	}
	for i := range k.c.Routes {
		r := &k.c.Routes[i]
		if b, ok := k.backends[r.Backend]; ok && k.c.BehindGateway(b) {
			if n := route.ServerName(r); n != "" {
				return n
			}
		}
	}
	return ""
}

// staticTarget is a backend of a route backend's static servers.
func (k *compiler) staticTarget(r *route.Route, b *route.Backend, mode Mode) string {
	var name string
	if len(r.SetHeaders) > 0 {
		name = "rt_" + r.Name
	} else {
		key := b.Name + " " + string(mode)
		if n, ok := k.modeName[key]; ok {
			return n
		}
		name = "be_" + b.Name
		if _, taken := k.out[name]; taken {
			name += "_" + string(mode)
		}
		k.modeName[key] = name
	}
	p := &Proxy{Kind: Backend, Name: name, Settings: Settings{Mode: mode}, Balance: b.Balance}
	if mode == ModeHTTP {
		p.HTTPRequest = setHeaders(r)
	}
	var o ServerOptions
	o.MaxConn = b.MaxConn
	sn := route.ServerName(r)
	if t := b.TLS; t != nil && !t.Disable {
		o.SSL = true
		verify(&o, t)
		switch {
		case t.SNI != "":
			o.SNI = &Sample{Fetch: "str", Args: []string{hostname.Normalize(t.SNI)}}
		case mode == ModeHTTP:
			o.SNI = &Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []Converter{{Name: "host_only"}}}
		}
	}
	if hc := b.HealthCheck; hc != nil {
		health(&o, hc)
		if o.SSL {
			o.CheckSSL = true
			if b.TLS.SNI != "" {
				o.CheckSNI = hostname.Normalize(b.TLS.SNI)
			} else {
				o.CheckSNI = cmp.Or(hostname.Normalize(hc.Host), sn)
			}
		}
		p.HTTPCheck = httpCheck(hc, cmp.Or(o.CheckSNI, sn))
	}
	switch b.ProxyProtocol {
	case route.ProxyV1:
		o.SendProxy = true
	case route.ProxyV2:
		o.SendProxyV2 = true
	case route.ProxyV2SSL:
		o.SendProxyV2SSL = true
	case route.ProxyV2SSLCN:
		o.SendProxyV2SSLCN = true
	}
	if b.ProxyProtocol != route.ProxyNone && o.Check {
		o.CheckSendProxy = true
	}
	for i, s := range b.Servers {
		so := o
		so.Weight, so.Backup = s.Weight, s.Backup
		host, port, _ := net.SplitHostPort(s.Address)
		n, _ := strconv.Atoi(port)
		addr := k.serverAddr(host, n, &so)
		p.Servers = append(p.Servers, Server{Name: "s" + strconv.Itoa(i+1), Address: addr, ServerOptions: so})
	}
	return k.addBackend(p).Name
}
