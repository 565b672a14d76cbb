package route

import (
	"cmp"
	"net"
	"slices"
	"strconv"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// Plan validates c and returns its [Plan]. Every problem is reported at once
// as a [*ValidationError] whose entries carry field paths; problems of the
// fields themselves are reported before those that only appear when the
// tiers are planned (two listeners sending one host to one gateway port, a
// health check with no host to send).
func (c *Config) Plan() (*Plan, error) {
	var p problems
	c.validate(&p)
	if len(p.list) > 0 {
		return nil, &ValidationError{Errors: p.list}
	}
	pl := newPlanner(c, &p)
	pl.plan()
	if len(p.list) > 0 {
		return nil, &ValidationError{Errors: p.list}
	}
	return pl.out, nil
}

// planner builds a Plan from a Config whose fields are valid.
type planner struct {
	c         *Config
	p         *problems
	out       *Plan
	listeners map[string]*Listener
	backends  map[string]*Backend
	pools     map[string]int // pool name -> index
	static    map[string]int // backend name + mode -> pool index
	httpPort  int
	httpsPort int
	gws       *gwState
	httpIdx   map[*Listener]*httpIndex // see matchHTTP
	ownPolicy []*ClientPolicy          // of each Config route, nil for none
}

func newPlanner(c *Config, p *problems) *planner {
	pl := &planner{
		c:         c,
		p:         p,
		out:       &Plan{Config: c, Routes: make([]RoutePlan, len(c.Routes))},
		listeners: make(map[string]*Listener, len(c.Listeners)),
		backends:  make(map[string]*Backend, len(c.Backends)),
		pools:     map[string]int{},
		static:    map[string]int{},
		httpPort:  DefaultHTTPPort,
		httpsPort: DefaultHTTPSPort,
	}
	for i := range c.Listeners {
		pl.listeners[c.Listeners[i].Name] = &c.Listeners[i]
	}
	for i := range c.Backends {
		pl.backends[c.Backends[i].Name] = &c.Backends[i]
	}
	if g := c.Gateway; g != nil {
		pl.httpPort = cmp.Or(g.HTTPPort, DefaultHTTPPort)
		pl.httpsPort = cmp.Or(g.HTTPSPort, DefaultHTTPSPort)
	}
	return pl
}

func (pl *planner) plan() {
	c := pl.c
	pl.listenerPlans()
	pl.ownPolicy = make([]*ClientPolicy, len(c.Routes))
	for i := range c.Routes {
		r := &c.Routes[i]
		pl.ownPolicy[i] = clientPolicy(elemOf("routes", i).field(".ipPolicy"), r.IPPolicy)
		if pl.ownPolicy[i] != nil {
			pl.edgeSeesClient(pl.ownPolicy[i].Path, pl.listeners[r.Listener])
		}
	}
	acme := pl.acmeRoutes()
	if len(acme) > 0 {
		pl.backends[acmeGatewayBackend.Name] = &acmeGatewayBackend
		pl.out.Routes = append(pl.out.Routes, make([]RoutePlan, len(acme))...)
		pl.out.ACME = acme
	}
	for i := range c.Routes {
		pl.route(&c.Routes[i], i)
	}
	for i := range acme {
		pl.route(&pl.out.ACME[i], len(c.Routes)+i)
	}
	if c.Gateway != nil {
		pl.gateway()
	}
	for i := range pl.out.Pools {
		pl.check(i)
	}
	pl.acme()
	pl.certificates()
	pl.sniPaths()
	pl.warnings()
}

// behind reports whether b is reached through the gateway tier.
func (pl *planner) behind(b *Backend) bool { return pl.c.BehindGateway(b) }

func (pl *planner) route(r *Route, i int) {
	c := pl.c
	l := pl.listeners[r.Listener]
	rp := &pl.out.Routes[i]
	*rp = RoutePlan{Route: r, Index: i, Listener: l}
	for _, h := range r.Hosts {
		rp.Hosts = append(rp.Hosts, hostname.MustParsePattern(h).String())
	}
	switch l.Protocol {
	case HTTPS:
		rp.TLSEnds = c.FirstTier()
	case TLS:
		rp.TLSEnds = r.TerminateAt
	}
	if r.Backend != "" {
		rp.Backends = []WeightedRef{{Backend: pl.backends[r.Backend], Weight: 100}}
	}
	for _, w := range r.Split {
		rp.Backends = append(rp.Backends, WeightedRef{Backend: pl.backends[w.Backend], Weight: w.Weight})
	}
	if pl.gatewaySees(rp) {
		rp.Gateway = pl.gatewayHop(rp)
	}
	if c.Edge != nil {
		rp.Edge = pl.edgeHop(rp)
	}
	if r.Credential != "" && (rp.Gateway == nil || !rp.Gateway.Terminates) {
		pl.p.add(elemOf("routes", i).field(".credential"), "the gateway does not terminate this route's TLS, so it would never serve credential %q: %s",
			r.Credential, pl.whyNotTerminated(rp))
	}
}

// whyNotTerminated says why the gateway does not terminate rp's TLS.
func (pl *planner) whyNotTerminated(rp *RoutePlan) string {
	switch {
	case rp.Gateway == nil && len(rp.Backends) > 0 && rp.Backends[0].Backend.Gateway:
		return "backend " + strconv.Quote(rp.Backends[0].Backend.Name) + " hands traffic to a gateway configured elsewhere"
	case rp.Gateway == nil:
		return "its traffic does not go through the gateway"
	case rp.TLSEnds == TierBackend:
		return "its TLS passes through to the backend"
	case rp.TLSEnds == TierEdge:
		return "the edge terminates it and sends plain HTTP on (set reencrypt: true to re-encrypt to the gateway)"
	}
	return "its traffic reaches the gateway as plain HTTP (set terminateAt: gateway to originate TLS to it)"
}

// gatewaySees reports whether the gateway this Config configures carries
// rp's traffic.
func (pl *planner) gatewaySees(rp *RoutePlan) bool {
	if pl.c.Gateway == nil {
		return false
	}
	if rp.Route.Redirect != nil {
		return pl.c.Edge == nil
	}
	b := rp.Backends[0].Backend
	return pl.behind(b) && !b.Gateway
}

// edgeMode is how the edge handles rp's traffic.
func edgeMode(rp *RoutePlan) EdgeMode {
	switch rp.Listener.Protocol {
	case TCP:
		return EdgeTCP
	case TLS:
		if rp.TLSEnds != TierEdge {
			return EdgePassthrough
		}
	}
	return EdgeHTTP
}

// originates reports whether the edge starts TLS toward the gateway for rp:
// HTTP listener routes terminated at the gateway, and routes the edge
// terminates and re-encrypts.
func (pl *planner) originates(rp *RoutePlan) bool {
	if pl.c.Edge == nil || pl.c.Gateway == nil || len(rp.Backends) == 0 || !pl.behind(rp.Backends[0].Backend) {
		return false
	}
	r := rp.Route
	return rp.Listener.Protocol == HTTP && r.TerminateAt == TierGateway || r.Reencrypt
}

// gatewayPort is the gateway port rp's traffic arrives on.
func (pl *planner) gatewayPort(rp *RoutePlan) int {
	if pl.c.Edge == nil || rp.Listener.Protocol == TCP {
		return rp.Listener.Port
	}
	if edgeMode(rp) == EdgePassthrough || pl.originates(rp) {
		return pl.httpsPort
	}
	return pl.httpPort
}

func (pl *planner) edgeHop(rp *RoutePlan) *EdgeHop {
	c, r := pl.c, rp.Route
	mode := edgeMode(rp)
	h := &EdgeHop{
		Mode:       mode,
		Terminates: rp.TLSEnds == TierEdge,
		ForwardFor: mode == EdgeHTTP && c.Edge.ForwardFor,
		Pool:       -1,
	}
	if r.Redirect != nil {
		h.Redirect = r.Redirect
		return h
	}
	poolMode := EdgeTCP
	if mode == EdgeHTTP {
		poolMode = EdgeHTTP
	}
	b := rp.Backends[0].Backend
	if c.Gateway != nil && pl.behind(b) {
		h.Pool = pl.gatewayPool(rp, poolMode)
	} else {
		h.Pool = pl.staticPool(rp, b, poolMode)
	}
	pool := &pl.out.Pools[h.Pool]
	pool.Routes = append(pool.Routes, rp.Index)
	return h
}

// addPool adds p unless a pool of its name exists, and returns the index.
func (pl *planner) addPool(p Pool) int {
	if i, ok := pl.pools[p.Name]; ok {
		return i
	}
	pl.out.Pools = append(pl.out.Pools, p)
	i := len(pl.out.Pools) - 1
	pl.pools[p.Name] = i
	return i
}

func (pl *planner) gatewayPool(rp *RoutePlan, mode EdgeMode) int {
	g, r := pl.c.Gateway, rp.Route
	port := pl.gatewayPort(rp)
	p := Pool{Kind: PoolGateway, Mode: mode, GatewayPort: port, Balance: cmp.Or(g.Balance, rp.Backends[0].Backend.Balance), MaxConn: g.MaxConn}
	if rp.Backends[0].Backend.Gateway {
		p.Backend = rp.Backends[0].Backend
	}
	if g.ProxyProtocol != GatewayProxyOff {
		p.Proxy = ProxyV2
	}
	for _, a := range g.Addresses {
		p.Servers = append(p.Servers, PoolServer{Address: net.JoinHostPort(a, strconv.Itoa(port)), Host: a, Port: port})
	}
	gh := ""
	if r.GatewayHost != "" {
		gh = hostname.Normalize(r.GatewayHost)
	}
	pol := pl.routePolicy(rp.Index)
	switch {
	case pol != nil && !pl.originates(rp):
		// A pool of its own, which enforces the route's policy.
		p.Name, p.IPPolicy = "rt_"+r.Name, pol
		if mode == EdgeHTTP {
			p.Host, p.SetHeaders = gh, r.SetHeaders
		}
	case mode == EdgeTCP:
		// One pool per gateway server the traffic lands on, so that its
		// health check reaches that server; named once the servers are
		// (see nameTCPPools).
		p.Name = "gw_tcp_" + strconv.Itoa(port) + "\x00"
		p.server = -1
		if rp.Gateway != nil {
			p.server = rp.Gateway.Server
			p.Name += strconv.Itoa(p.server)
		} else {
			p.Name += "handoff"
		}
	case pl.originates(rp):
		p.Name = "rt_" + r.Name
		t := &PoolTLS{SNI: gh, SNIFromHost: gh == ""}
		if gt := g.TLS; gt != nil {
			t.CAFile, t.InsecureSkipVerify = gt.CAFile, gt.InsecureSkipVerify
		}
		p.TLS, p.Host, p.SetHeaders, p.IPPolicy = t, gh, r.SetHeaders, pol
	case gh == "" && len(r.SetHeaders) == 0:
		p.Name = "gw_http_" + strconv.Itoa(port)
	default:
		p.Name = "rt_" + r.Name
		p.Host, p.SetHeaders = gh, r.SetHeaders
	}
	return pl.addPool(p)
}

func (pl *planner) staticPool(rp *RoutePlan, b *Backend, mode EdgeMode) int {
	r := rp.Route
	var name string
	pol := pl.routePolicy(rp.Index)
	if mode == EdgeHTTP && len(r.SetHeaders) > 0 || pol != nil {
		name = "rt_" + r.Name
	} else {
		key := b.Name + " " + string(mode)
		if i, ok := pl.static[key]; ok {
			return i
		}
		name = "be_" + b.Name
		if _, taken := pl.pools[name]; taken {
			name += "_" + string(mode)
		}
		defer func() { pl.static[key] = pl.pools[name] }()
	}
	p := Pool{Name: name, Kind: PoolServers, Mode: mode, Backend: b, Proxy: b.ProxyProtocol, Balance: b.Balance, MaxConn: b.MaxConn, IPPolicy: pol}
	if mode == EdgeHTTP {
		p.SetHeaders = r.SetHeaders
	}
	for _, s := range b.Servers {
		host, port, _ := net.SplitHostPort(s.Address)
		n, _ := strconv.Atoi(port)
		p.Servers = append(p.Servers, PoolServer{Address: s.Address, Host: host, Port: n, Weight: s.Weight, Backup: s.Backup})
	}
	if t := b.TLS; t != nil && !t.Disable {
		p.TLS = &PoolTLS{SNI: hostname.Normalize(t.SNI), SNIFromHost: t.SNI == "" && mode == EdgeHTTP, CAFile: t.CAFile, InsecureSkipVerify: t.InsecureSkipVerify}
	}
	return pl.addPool(p)
}

// serverName is the one name route r is known by: its gatewayHost, else its
// first exact host, else "".
func serverName(r *Route) string {
	if r.GatewayHost != "" {
		return hostname.Normalize(r.GatewayHost)
	}
	for _, h := range r.Hosts {
		if p, err := hostname.ParsePattern(h); err == nil && p.Kind() == hostname.KindExact {
			return p.Name()
		}
	}
	return ""
}

// gatewayHosts are the hosts the gateway knows rp by, sorted.
func gatewayHosts(rp *RoutePlan) []string {
	if rp.Listener.Protocol == TCP {
		return []string{"*"}
	}
	if rp.Route.GatewayHost != "" {
		return []string{hostname.Normalize(rp.Route.GatewayHost)}
	}
	hs := slices.Clone(rp.Hosts)
	slices.Sort(hs)
	return slices.Compact(hs)
}

// serverKey identifies a gateway server while the plan is made.
type serverKey struct {
	port       int
	protocol   Protocol
	mode       TLSMode
	credential string
	redirect   bool
}

func (pl *planner) gatewayHop(rp *RoutePlan) *GatewayHop {
	c, r, l := pl.c, rp.Route, rp.Listener
	port := pl.gatewayPort(rp)
	h := &GatewayHop{Port: port, Kind: HTTP, Hosts: gatewayHosts(rp), Same: -1}
	h.Proxy = c.Edge != nil && c.Gateway.ProxyProtocol != GatewayProxyOff
	clientTLS := c.Edge == nil && (l.Protocol == HTTPS || l.Protocol == TLS) ||
		c.Edge != nil && edgeMode(rp) == EdgePassthrough
	terminate := func(mutual bool) serverKey {
		k := serverKey{port: port, protocol: HTTPS, mode: TLSSimple, credential: r.Credential}
		if l.TLS != nil {
			if mutual && l.TLS.ClientCA != "" {
				k.mode = TLSMutual
			}
			k.credential = cmp.Or(k.credential, l.TLS.CredentialName)
		}
		return k
	}
	var key serverKey
	switch {
	case l.Protocol == TCP:
		h.Kind = TCP
		key = serverKey{port: port, protocol: TCP}
	case clientTLS && rp.TLSEnds == TierBackend:
		h.Kind = TLS
		key = serverKey{port: port, protocol: TLS, mode: TLSPassthrough}
	case clientTLS:
		key = terminate(true)
	case pl.originates(rp):
		key = terminate(false)
	default:
		key = serverKey{port: port, protocol: HTTP}
	}
	h.Terminates = key.mode == TLSSimple || key.mode == TLSMutual
	h.Server = pl.server(key, rp)
	if c.Edge == nil || edgeMode(rp) == EdgePassthrough {
		h.SetHeaders = r.SetHeaders
	}
	single := len(rp.Backends) == 1
	for _, w := range rp.Backends {
		d := pl.dest(w.Backend, port, false)
		if !single {
			d.Weight = w.Weight
		}
		h.Destinations = append(h.Destinations, d)
	}
	if r.MeshBackend != "" {
		d := pl.dest(pl.backends[r.MeshBackend], port, true)
		h.Mesh = &d
	}
	return h
}

// dest is where the gateway sends traffic for backend b arriving on port;
// mesh traffic sent to static servers keeps its port.
func (pl *planner) dest(b *Backend, port int, mesh bool) Destination {
	d := Destination{Backend: b}
	switch {
	case b.Service != nil:
		d.Host, d.Port = b.Service.Host, b.Service.Port
	case b.External != nil:
		d.Host, d.Port = b.External.Host, b.External.Port
	case len(b.Servers) > 0:
		d.Host = staticHost(b)
		if mesh {
			d.Port = port
		} else {
			_, p, _ := net.SplitHostPort(b.Servers[0].Address)
			d.Port, _ = strconv.Atoi(p)
		}
	}
	return d
}

// staticHost is the mesh registry host of a backend of static servers.
func staticHost(b *Backend) string {
	if b.StaticHost != "" {
		return hostname.Normalize(b.StaticHost)
	}
	return b.Name
}

// pending gateway servers, while routes are planned.
type pendingServer struct {
	key   serverKey
	hosts []string
	first string // the first route's name
}

// server returns the index of the pending server of key, adding rp's hosts.
func (pl *planner) server(key serverKey, rp *RoutePlan) int {
	g := pl.gw()
	i, ok := g.byKey[key]
	if !ok {
		g.pending = append(g.pending, &pendingServer{key: key, first: rp.Route.Name})
		i = len(g.pending) - 1
		g.byKey[key] = i
	}
	s := g.pending[i]
	s.hosts = append(s.hosts, gatewayHosts(rp)...)
	return i
}

// gwState is the gateway being planned.
type gwState struct {
	byKey   map[serverKey]int
	pending []*pendingServer
}

func (pl *planner) gw() *gwState {
	if pl.gws == nil {
		pl.gws = &gwState{byKey: map[serverKey]int{}}
	}
	return pl.gws
}
