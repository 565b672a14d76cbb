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

// maxHostsPerLine is the most exact hosts one use_backend line matches:
// HAProxy reads at most 64 words a line, and "use_backend NAME if {
// FETCH -m str ... } PATH_ACL" takes 9 of them. A route's longer list
// continues on the next line, which routes the same.
const maxHostsPerLine = 64 - 9

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
	p, err := c.Plan()
	if err != nil {
		return nil, err
	}
	return cp.CompilePlan(p)
}

// CompilePlan compiles the edge tier of a plan made by [route.Config.Plan].
// A plan without an edge tier returns [ErrNoEdge].
func (cp Compiler) CompilePlan(p *route.Plan) (*Result, error) {
	c := p.Config
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
		c:      c,
		plan:   p,
		mapDir: strings.TrimSuffix(mapDir, "/"),
		inline: inline,
		cfg:    &Config{},
		out:    map[string]*Proxy{},
		pools:  make([]string, len(p.Pools)),
	}
	k.byListener = make(map[string][]*route.RoutePlan, len(c.Listeners))
	for i := range p.Routes {
		rp := &p.Routes[i]
		k.byListener[rp.Listener.Name] = append(k.byListener[rp.Listener.Name], rp)
	}
	k.compile()
	res := &Result{Config: k.cfg, Maps: k.maps}
	res.Warnings = append(res.Warnings, p.Warnings...)
	res.Warnings = append(res.Warnings, k.cfg.Lint()...)
	return res, nil
}

func strconvQuote(s string) string { return strconv.Quote(s) }

type compiler struct {
	c      *route.Config
	plan   *route.Plan
	mapDir string
	inline int
	cfg    *Config
	maps   []MapFile
	// byListener are the routes of each listener, in file order.
	byListener map[string][]*route.RoutePlan
	out        map[string]*Proxy // HAProxy backends by name
	order      []*Proxy          // HAProxy backends in creation order
	pools      []string          // HAProxy backend of each plan pool, once made
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
		Kind:     ProxyFrontend,
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
	fe := &Proxy{Kind: ProxyFrontend, Name: "fe_" + l.Name}
	bind := Bind{Address: bindAddr(l.Address, l.Port), AcceptProxy: l.AcceptProxy}
	for i := range k.plan.Listeners {
		if lp := &k.plan.Listeners[i]; lp.Listener == l {
			for _, c := range srcRejects(lp.IPPolicy) {
				fe.TCPRequestConnection = append(fe.TCPRequestConnection, TCPRule{Action: TCPReject, Cond: c})
			}
		}
	}
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
			fe.DefaultBackend = k.target(routes[0], l)
		}
	case route.TLS:
		fe.Mode = ModeTCP
		fe.TCPLog = k.logs()
		fe.Binds = []Bind{bind}
		fe.InspectDelay = c.Edge.InspectDelay.Or(route.DefaultInspectDelay)
		fe.TCPRequestContent = []TCPRule{{Action: TCPAccept, Cond: &Cond{Terms: []Term{{Anon: &Match{
			Sample: Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}}}}}}
		k.cfg.Proxies = append(k.cfg.Proxies, fe)
		var local []*route.RoutePlan
		for _, rp := range routes {
			if rp.Edge.Terminates {
				local = append(local, rp)
			}
		}
		loop := ""
		if len(local) > 0 {
			abns := "abns@" + c.ConfigName() + "-" + l.Name
			loop = "loop_" + l.Name
			k.addBackend(&Proxy{Kind: ProxyBackend, Name: loop, Settings: Settings{Mode: ModeTCP},
				Servers: []Server{{Name: "local", Address: abns, ServerOptions: ServerOptions{SendProxyV2: true}}}})
			inner := &Proxy{Kind: ProxyFrontend, Name: "fe_" + l.Name + "_local",
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

func (k *compiler) entries(routes []*route.RoutePlan, sniOnly bool, target func(*route.RoutePlan) string) []entry {
	es := make([]entry, 0, len(routes))
	seen := map[string]bool{}
	for i, rp := range routes {
		b := target(rp)
		path := rp.Route.PathPrefix
		if sniOnly {
			// The ClientHello has no path: every route of a host goes to
			// one place (the planner refuses routes that disagree).
			path = ""
		}
		for _, h := range rp.Hosts {
			kind, host := hostname.KindExact, h
			switch {
			case h == "*":
				kind, host = hostname.KindAny, ""
			case strings.HasPrefix(h, "*."):
				kind, host = hostname.KindWildcard, h[1:]
			}
			if sniOnly {
				if seen[h] {
					continue
				}
				seen[h] = true
			}
			es = append(es, entry{kind: kind, host: host, path: path, route: i, name: rp.Route.Name, backend: b})
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
func (k *compiler) route(fe *Proxy, l *route.Listener, routes []*route.RoutePlan, fetch Sample, def string) {
	es := k.entries(routes, false, func(rp *route.RoutePlan) string { return k.target(rp, l) })
	pathACL := map[string]string{}
	for _, rp := range routes {
		if r := rp.Route; r.PathPrefix != "" {
			n := "path_" + r.Name
			pathACL[r.Name] = n
			fe.ACLs = append(fe.ACLs, ACL{Name: n, Match: Match{Sample: Sample{Fetch: "path"}, Method: MatchBeg, Patterns: []string{r.PathPrefix}}})
		}
	}
	k.emit(fe, es, fetch, pathACL, def, fe.Name)
}

// routeSNI writes the SNI routing of a TLS listener's frontend: routes the
// edge terminates go to loop.
func (k *compiler) routeSNI(fe *Proxy, l *route.Listener, routes []*route.RoutePlan, loop string) {
	es := k.entries(routes, true, func(rp *route.RoutePlan) string {
		if rp.Edge.Terminates {
			return loop
		}
		return k.target(rp, l)
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
			for j < len(es) && es[j].kind == e.kind && es[j].route == e.route && es[j].path == e.path && !(useMap && es[j].path == "") && len(hosts) < maxHostsPerLine {
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
			} else {
				// A route for any host takes what the listener's
				// default (the https redirect) would.
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
	return k.addBackend(&Proxy{Kind: ProxyBackend, Name: "redirect_https", Settings: Settings{Mode: ModeHTTP},
		HTTPRequest: []HTTPRule{{Action: HTTPRedirectScheme, Value: Text("https"), Status: 301}}}).Name
}

// target returns the HAProxy backend route rp goes to, creating it.
func (k *compiler) target(rp *route.RoutePlan, l *route.Listener) string {
	if rp.Edge.Redirect != nil {
		return k.redirect(rp.Route, l)
	}
	return k.pool(rp.Edge.Pool)
}

func (k *compiler) redirect(r *route.Route, l *route.Listener) string {
	rd := r.Redirect
	p := &Proxy{Kind: ProxyBackend, Name: "rd_" + r.Name, Settings: Settings{Mode: ModeHTTP}}
	rule := HTTPRule{Status: cmp.Or(rd.Code, 301)}
	if rd.Host == "" && rd.Port == 0 {
		rule.Action, rule.Value = HTTPRedirectScheme, Text(rd.Scheme)
	} else {
		scheme := rd.Scheme
		if scheme == "" {
			scheme = "http"
			if l.Protocol != route.HTTP {
				scheme = "https"
			}
		}
		rule.Action = HTTPRedirectPrefix
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

// verify fills the certificate verification of TLS toward a server: a CA
// file, "verify none", or the system's CAs when the model names neither.
func verify(o *ServerOptions, caFile string, insecure bool) {
	switch {
	case insecure:
		o.Verify = "none"
	case caFile != "":
		o.Verify, o.CAFile = "required", caFile
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

// pool returns the HAProxy backend of plan pool i, creating it.
func (k *compiler) pool(i int) string {
	if k.pools[i] != "" {
		return k.pools[i]
	}
	pp := &k.plan.Pools[i]
	mode := ModeTCP
	if pp.Mode == route.EdgeHTTP {
		mode = ModeHTTP
	}
	p := &Proxy{Kind: ProxyBackend, Name: pp.Name, Settings: Settings{Mode: mode}, Balance: pp.Balance}
	for _, c := range srcRejects(pp.IPPolicy) {
		if mode == ModeHTTP {
			p.HTTPRequest = append(p.HTTPRequest, HTTPRule{Action: HTTPDeny, Cond: c})
		} else {
			p.TCPRequestContent = append(p.TCPRequestContent, TCPRule{Action: TCPReject, Cond: c})
		}
	}
	if pp.Host != "" {
		p.HTTPRequest = append(p.HTTPRequest, HTTPRule{Action: HTTPSetHeader, Name: "Host", Value: Text(pp.Host)})
	}
	for _, h := range pp.SetHeaders {
		p.HTTPRequest = append(p.HTTPRequest, HTTPRule{Action: HTTPSetHeader, Name: h.Name, Value: Text(h.Value)})
	}
	var o ServerOptions
	o.MaxConn = pp.MaxConn
	if t := pp.TLS; t != nil {
		o.SSL = true
		verify(&o, t.CAFile, t.InsecureSkipVerify)
		switch {
		case t.SNI != "":
			o.SNI = &Sample{Fetch: "str", Args: []string{t.SNI}}
		case t.SNIFromHost:
			o.SNI = &Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []Converter{{Name: "host_only"}}}
		}
	}
	switch pp.Proxy {
	case route.ProxyV1:
		o.SendProxy = true
	case route.ProxyV2:
		o.SendProxyV2 = true
	case route.ProxyV2SSL:
		o.SendProxyV2SSL = true
	case route.ProxyV2SSLCN:
		o.SendProxyV2SSLCN = true
	}
	if ck := pp.Check; ck != nil {
		o.Check = true
		o.Inter, o.Rise, o.Fall = ck.Interval, ck.Rise, ck.Fall
		o.CheckPort = ck.Port
		if ck.TLS {
			o.CheckSSL = true
			o.CheckSNI = ck.SNI
			if !o.SSL {
				verify(&o, ck.CAFile, ck.InsecureSkipVerify)
			}
		}
		o.CheckSendProxy = ck.Proxy
		if ck.HTTP {
			p.HTTPCheck = &HTTPCheck{Method: ck.Method, URI: ck.Path, Host: ck.Host}
		}
	}
	prefix := "s"
	if pp.Kind == route.PoolGateway {
		prefix = "gw"
	}
	for n, s := range pp.Servers {
		so := o
		so.Weight, so.Backup = s.Weight, s.Backup
		addr := k.serverAddr(s.Host, s.Port, &so)
		p.Servers = append(p.Servers, Server{Name: prefix + strconv.Itoa(n+1), Address: addr, ServerOptions: so})
	}
	k.pools[i] = k.addBackend(p).Name
	return k.pools[i]
}

// srcRejects are the conditions under which a client of policy pol is
// refused: its address (src: the peer's, or the one of the PROXY header
// the bind accepted) outside the allowed networks, or inside a denied one.
func srcRejects(pol *route.ClientPolicy) []*Cond {
	if pol == nil {
		return nil
	}
	var out []*Cond
	src := func(ps []netip.Prefix, not bool) *Cond {
		pats := make([]string, len(ps))
		for i, p := range ps {
			pats[i] = p.String()
		}
		return &Cond{Terms: []Term{{Not: not, Anon: &Match{Sample: Sample{Fetch: "src"}, Patterns: pats}}}}
	}
	if len(pol.Allow) > 0 {
		out = append(out, src(pol.Allow, true))
	}
	if len(pol.Deny) > 0 {
		out = append(out, src(pol.Deny, false))
	}
	return out
}
