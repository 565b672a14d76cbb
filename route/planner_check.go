package route

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// checkFrom returns a Check with the timing of hc.
func checkFrom(hc *HealthCheck) *Check {
	ck := &Check{}
	if hc != nil {
		ck.Port, ck.Interval, ck.Rise, ck.Fall = hc.Port, hc.Interval.Std(), hc.Rise, hc.Fall
	}
	return ck
}

// check decides the health check of pool i.
func (pl *planner) check(i int) {
	pool := &pl.out.Pools[i]
	if pool.Kind == PoolGateway {
		pl.gatewayCheck(i, pool)
	} else {
		pl.staticCheck(pool)
	}
}

// passesTLS reports whether the pool carries client TLS passed through.
func (pl *planner) passesTLS(pool *Pool) bool {
	for _, ri := range pool.Routes {
		if e := pl.out.Routes[ri].Edge; e != nil && e.Mode == EdgePassthrough {
			return true
		}
	}
	return false
}

func (pl *planner) staticCheck(pool *Pool) {
	b := pool.Backend
	hc := b.HealthCheck
	if hc == nil {
		return
	}
	ck := checkFrom(hc)
	pool.Check = ck
	sn := ""
	if len(pool.Routes) > 0 {
		sn = serverName(pl.out.Routes[pool.Routes[0]].Route)
	}
	onPort := hc.Port == 0
	ck.Proxy = pool.Proxy != ProxyNone && onPort
	switch {
	case pool.TLS != nil && onPort:
		ck.TLS = true
		ck.SNI = cmp.Or(pool.TLS.SNI, hostname.Normalize(hc.Host), sn)
	case pl.passesTLS(pool) && hc.Path != "" && onPort:
		// An HTTP check through the TLS the traffic passes through.
		ck.TLS = true
		ck.SNI = cmp.Or(hostname.Normalize(hc.Host), sn)
		if ck.SNI == "" {
			pl.p.add(pl.backendPath(b, ".healthCheck.host"), "required: the HTTP check of backend %q goes through TLS passed through for wildcard names only; name a host its servers serve", b.Name)
		}
	}
	if hc.Path != "" {
		ck.HTTP, ck.Method, ck.Path = true, hc.Method, hc.Path
		ck.Host = cmp.Or(hostname.Normalize(hc.Host), ck.SNI, sn)
	}
}

// backendPath is the field path of field f of backend b.
func (pl *planner) backendPath(b *Backend, f string) string {
	for i := range pl.c.Backends {
		if &pl.c.Backends[i] == b {
			return elemOf("backends", i).field(f)
		}
	}
	return "backends" + f
}

func (pl *planner) gatewayCheck(i int, pool *Pool) {
	hc := pl.c.Gateway.HealthCheck
	ck := checkFrom(hc)
	pool.Check = ck
	needHTTP := hc != nil && hc.Path != ""
	if hc != nil && hc.Port != 0 {
		// The gateway's own endpoint (Istio's readiness on 15021): plain
		// HTTP, no PROXY header, no host to choose.
		if needHTTP {
			ck.HTTP, ck.Method, ck.Path, ck.Host = true, hc.Method, hc.Path, hostname.Normalize(hc.Host)
		}
		return
	}
	ck.Proxy = pool.Proxy != ProxyNone
	switch {
	case pool.TLS != nil:
		ck.TLS = true
	case needHTTP && pl.passesTLS(pool):
		ck.TLS = true
		if t := pl.c.Gateway.TLS; t != nil {
			ck.CAFile, ck.InsecureSkipVerify = t.CAFile, t.InsecureSkipVerify
		}
	}
	if !ck.TLS && !needHTTP {
		return // a TCP connect check
	}
	name := pl.checkName(pool, ck.TLS, needHTTP)
	if name == "" {
		first := pool.Routes[0]
		pats := strings.Join(pl.out.Routes[first].Hosts, ", ")
		if pats == "" {
			pats = "no host (a TCP listener)"
		}
		what := "a host"
		if needHTTP {
			what = "a host and path (" + hc.Path + ")"
		}
		pl.p.add("gateway.healthCheck", "the edge's check of %s (gateway port %d, routes[%d], hosts %s) must send %s that the gateway takes to the same server and route as that traffic, and none does: set gateway.healthCheck.host (and path) to one, or check the gateway's readiness endpoint with gateway.healthCheck {port: 15021, path: /healthz/ready}",
			pool.Name, pool.GatewayPort, first, pats, what)
		return
	}
	if ck.TLS {
		ck.SNI = name
	}
	if needHTTP {
		ck.HTTP, ck.Method, ck.Path, ck.Host = true, hc.Method, hc.Path, name
	}
}

// checkName is the name the check of a gateway pool sends as SNI and Host:
// one the gateway takes to the same server as the pool's traffic (the
// same filter chain for a TLS check) and, for an HTTP check, to a route of
// the pool whose path prefix covers the check's path. It is
// gateway.healthCheck.host when that holds, else the first route's own
// name (gatewayHost or exact host) that does, else, for a TLS handshake
// without an HTTP request, a name under a wildcard that does. It returns
// "" when there is none.
func (pl *planner) checkName(pool *Pool, tls, needHTTP bool) string {
	hc := pl.c.Gateway.HealthCheck
	routes := make([]*RoutePlan, 0, len(pool.Routes))
	for _, ri := range pool.Routes {
		routes = append(routes, &pl.out.Routes[ri])
	}
	if pool.Mode == EdgeTCP && !pl.passesTLS(pool) {
		// TCP carries no host: the check goes where the port goes.
		if hc != nil && hc.Host != "" {
			return hostname.Normalize(hc.Host)
		}
		return ""
	}
	ok := func(name string) bool {
		for _, rp := range routes {
			h := rp.Gateway
			if h == nil && rp.Route.PathPrefix != "" {
				continue // a gateway configured elsewhere, for some paths only
			}
			if h == nil {
				// A gateway configured elsewhere: the route's own names.
				if slices.ContainsFunc(routeNames(rp), func(p string) bool { return hostname.MustParsePattern(p).Match(name) }) {
					return true
				}
				continue
			}
			if tls && pl.serverFor(h.Port, name) != h.Server {
				continue
			}
			if !needHTTP || h.Kind != HTTP {
				if slices.ContainsFunc(h.Hosts, func(p string) bool { return hostname.MustParsePattern(p).Match(name) }) {
					return true
				}
				continue
			}
			if ri := pl.gatewayRouteFor(h.Port, h.Server, name, hc.Path); ri >= 0 && slices.Contains(pool.Routes, ri) {
				return true
			}
		}
		return false
	}
	if hc != nil && hc.Host != "" {
		if h := hostname.Normalize(hc.Host); ok(h) {
			return h
		}
	}
	for _, rp := range routes {
		if n := serverName(rp.Route); n != "" && ok(n) {
			return n
		}
	}
	// A name under a wildcard, for a handshake, or for an HTTP check that
	// the backend answers through TLS passed through (the gateway routes
	// it by SNI only).
	for _, rp := range routes {
		if needHTTP && (rp.Gateway == nil || rp.Gateway.Kind != TLS) {
			continue
		}
		for _, pat := range routeNames(rp) {
			if p := hostname.MustParsePattern(pat); p.Kind() == hostname.KindWildcard && ok("health"+p.Suffix()) {
				return "health" + p.Suffix()
			}
		}
	}
	return ""
}

// specificity orders host patterns as Envoy picks among them: an exact
// name, then the longest wildcard, then "*".
func specificity(pat string) int {
	switch {
	case pat == "*":
		return 0
	case strings.HasPrefix(pat, "*."):
		return len(pat)
	}
	return 1 << 20
}

// serverFor returns the index of the gateway server on port whose hosts
// take name most specifically, or -1.
func (pl *planner) serverFor(port int, name string) int {
	best, bestScore := -1, -1
	for i, s := range pl.out.Gateway.Servers {
		if s.Port != port || s.HTTPSRedirect {
			continue
		}
		for _, pat := range s.Hosts {
			if hostname.MustParsePattern(pat).Match(name) && specificity(pat) > bestScore {
				best, bestScore = i, specificity(pat)
			}
		}
	}
	return best
}

// gatewayRouteFor returns the index of the route the gateway picks for an
// HTTP request for name and path arriving on port through server (for a
// plain HTTP port, any of its servers): the most specific host, then the
// longest path prefix. It returns -1 when no route takes it.
func (pl *planner) gatewayRouteFor(port, server int, name, path string) int {
	plain := pl.out.Gateway.Servers[server].Protocol == HTTP
	best, bestHost, bestPath := -1, -1, -1
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil || h.Port != port || h.Kind != HTTP || !plain && h.Server != server {
			continue
		}
		pp := rp.Route.PathPrefix
		if !strings.HasPrefix(path, pp) {
			continue
		}
		for _, pat := range h.Hosts {
			if !hostname.MustParsePattern(pat).Match(name) {
				continue
			}
			if sp := specificity(pat); sp > bestHost || sp == bestHost && len(pp) > bestPath {
				best, bestHost, bestPath = i, sp, len(pp)
			}
		}
	}
	return best
}

// routeNames are the names route rp's traffic carries on its way to the
// gateway: its gatewayHost, else its hosts.
func routeNames(rp *RoutePlan) []string {
	if rp.Route.GatewayHost != "" {
		return []string{hostname.Normalize(rp.Route.GatewayHost)}
	}
	return rp.Hosts
}

// acme refuses ACME HTTP-01 challenge routes that send a host's challenges
// to another tier than the one that terminates its TLS: the certificate
// would be issued to a tier that does not serve it.
func (pl *planner) acme() {
	c := pl.c
	if c.Edge == nil {
		return
	}
	done := map[[2]int]bool{}
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		if rp.TLSEnds != TierEdge && rp.TLSEnds != TierGateway {
			continue
		}
		for _, pat := range rp.Hosts {
			probe := pat
			switch {
			case pat == "*":
				probe = "acme-probe.invalid"
			case strings.HasPrefix(pat, "*."):
				probe = "acme-probe" + pat[1:]
			}
			for li := range c.Listeners {
				l := &c.Listeners[li]
				if l.Protocol != HTTP {
					continue
				}
				m := pl.matchHTTP(l, probe, ACMEChallengePrefix+"token")
				if m < 0 || done[[2]int{m, i}] {
					continue
				}
				mr := &pl.out.Routes[m]
				if !strings.HasPrefix(mr.Route.PathPrefix, strings.TrimSuffix(ACMEChallengePrefix, "/")) || mr.Edge == nil || mr.Edge.Pool < 0 {
					continue
				}
				tier := TierEdge
				if pl.out.Pools[mr.Edge.Pool].Kind == PoolGateway {
					tier = TierGateway
				}
				if tier == rp.TLSEnds {
					continue
				}
				done[[2]int{m, i}] = true
				pl.p.add(elemOf("routes", m).field(".backend"), "sends the ACME HTTP-01 challenges for %s to the %s, but the %s terminates its TLS (routes[%d]): the certificate would be issued where it is not served; route these challenges to a backend of the %s",
					pat, tier, rp.TLSEnds, i, rp.TLSEnds)
			}
		}
	}
}

// matchHTTP returns the index of the route of HTTP listener l that the edge
// picks for host and path, in the edge's order (exact hosts, then the
// longest wildcard, then "*"; longer path prefixes first and the route
// without a path last), or -1. Of routes that rank the same, the first
// wins. It looks only at the routes whose patterns can match host (see
// [httpIndex]), so that acme, which asks for every terminated host, does
// not scan every route of the listener each time.
func (pl *planner) matchHTTP(l *Listener, host, path string) int {
	ix := pl.httpIndexOf(l)
	best, bestKey := -1, [4]int{}
	consider := func(refs []patternRef) {
		for _, ref := range refs {
			pp := pl.out.Routes[ref.route].Route.PathPrefix
			if !strings.HasPrefix(path, pp) || !ref.pat.Match(host) {
				continue
			}
			key := [4]int{int(ref.pat.Kind()), -len(ref.pat.Suffix()), boolInt(pp == ""), -len(pp)}
			if c := slices.Compare(key[:], bestKey[:]); best < 0 || c < 0 || c == 0 && ref.route < best {
				best, bestKey = ref.route, key
			}
		}
	}
	name := strings.TrimSuffix(host, ".")
	if !isASCII(name) {
		// Match folds case beyond ASCII; the keys of the index do not.
		consider(ix.all)
		return best
	}
	name = strings.ToLower(name)
	consider(ix.exact[name])
	for j := 1; j < len(name); j++ {
		if name[j] == '.' {
			consider(ix.wildcard[name[j:]])
		}
	}
	consider(ix.any)
	return best
}

// httpIndex holds the host patterns of the routes of one HTTP listener,
// parsed once and keyed by what they match.
type httpIndex struct {
	exact    map[string][]patternRef // by name
	wildcard map[string][]patternRef // by suffix, with its leading dot
	any      []patternRef
	all      []patternRef // every pattern, in route order
}

// patternRef is a host pattern of a route.
type patternRef struct {
	route int
	pat   hostname.Pattern
}

// httpIndexOf returns the index of the routes of l, made on first use, once
// every route is planned.
func (pl *planner) httpIndexOf(l *Listener) *httpIndex {
	if ix, ok := pl.httpIdx[l]; ok {
		return ix
	}
	ix := &httpIndex{exact: map[string][]patternRef{}, wildcard: map[string][]patternRef{}}
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		if rp.Listener != l {
			continue
		}
		for _, h := range rp.Hosts {
			ref := patternRef{route: i, pat: hostname.MustParsePattern(h)}
			ix.all = append(ix.all, ref)
			switch ref.pat.Kind() {
			case hostname.KindExact:
				ix.exact[ref.pat.Name()] = append(ix.exact[ref.pat.Name()], ref)
			case hostname.KindWildcard:
				ix.wildcard[ref.pat.Suffix()] = append(ix.wildcard[ref.pat.Suffix()], ref)
			default:
				ix.any = append(ix.any, ref)
			}
		}
	}
	if pl.httpIdx == nil {
		pl.httpIdx = map[*Listener]*httpIndex{}
	}
	pl.httpIdx[l] = ix
	return ix
}

// isASCII reports whether s is ASCII.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// warnings adds what the configuration chose knowingly and deserves a
// second look.
func (pl *planner) warnings() {
	c := pl.c
	if g := c.Gateway; g != nil && g.TLS != nil && g.TLS.InsecureSkipVerify && c.Edge != nil {
		pl.out.Warnings = append(pl.out.Warnings, Warning{Path: "gateway.tls.insecureSkipVerify",
			Detail: "the edge does not verify the gateway's certificate (verify none); set caFile"})
	}
	gwAddr := map[string]int{}
	if g := c.Gateway; g != nil {
		for i, a := range g.Addresses {
			gwAddr[strings.ToLower(a)] = i
		}
	}
	for i := range c.Backends {
		b := &c.Backends[i]
		if t := b.TLS; t != nil && t.InsecureSkipVerify {
			tier := "the edge"
			if pl.behind(b) {
				tier = "the gateway"
			}
			pl.out.Warnings = append(pl.out.Warnings, Warning{Path: elemOf("backends", i).field(".tls.insecureSkipVerify"),
				Detail: tier + " does not verify backend " + b.Name + "'s certificate; set caFile"})
		}
		if c.Edge == nil {
			continue
		}
		for j, s := range b.Servers {
			h, _, _ := strings.Cut(s.Address, ":")
			if strings.HasPrefix(s.Address, "[") {
				h = s.Address[1:strings.IndexByte(s.Address, ']')]
			}
			if k, ok := gwAddr[strings.ToLower(h)]; ok {
				pl.out.Warnings = append(pl.out.Warnings, Warning{Path: elemOf("backends", i).elem(".servers", j).field(".address"),
					Detail: "is the gateway's address (gateway.addresses[" + strconv.Itoa(k) + "]): the edge sends this traffic to the gateway as a static server, and no Gateway server is generated for it; to reach the mesh through the gateway, use a service backend"})
			}
		}
	}
}
