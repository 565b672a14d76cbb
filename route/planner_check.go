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
	name := pl.checkName(pool, needHTTP)
	if name == "" {
		first := pool.Routes[0]
		pats := strings.Join(pl.out.Routes[first].Hosts, ", ")
		if pats == "" {
			pats = "no host (a TCP listener)"
		}
		pl.p.add("gateway.healthCheck.host", "the edge's check of %s (the gateway port %d of routes[%d]) must send a host the gateway serves there, and its routes match only %s: set gateway.healthCheck.host to such a name, or check the gateway's readiness endpoint with gateway.healthCheck {port: 15021, path: /healthz/ready}",
			pool.Name, pool.GatewayPort, first, pats)
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
// one that the gateway serves with the same server as the pool's traffic.
// It is gateway.healthCheck.host when one of the pool's routes serves it,
// else the first route's own name (gatewayHost or exact host), else, for a
// TLS handshake without an HTTP request, a name under the first wildcard.
// It returns "" when there is none.
func (pl *planner) checkName(pool *Pool, needHTTP bool) string {
	cands := make([]*RoutePlan, 0, len(pool.Routes))
	for _, ri := range pool.Routes {
		rp := &pl.out.Routes[ri]
		if rp.Gateway != nil && rp.Gateway.Terminates {
			cands = append(cands, rp)
		}
	}
	if len(cands) == 0 {
		for _, ri := range pool.Routes {
			cands = append(cands, &pl.out.Routes[ri])
		}
	}
	if hc := pl.c.Gateway.HealthCheck; hc != nil && hc.Host != "" {
		h := hostname.Normalize(hc.Host)
		if pool.Mode == EdgeTCP && !pl.passesTLS(pool) {
			return h // TCP carries no host to match
		}
		for _, rp := range cands {
			for _, pat := range routeNames(rp) {
				if hostname.MustParsePattern(pat).Match(h) {
					return h
				}
			}
		}
	}
	for _, rp := range cands {
		if n := serverName(rp.Route); n != "" {
			return n
		}
	}
	if !needHTTP {
		for _, rp := range cands {
			for _, pat := range routeNames(rp) {
				if p := hostname.MustParsePattern(pat); p.Kind() == hostname.KindWildcard {
					return "health" + p.Suffix()
				}
			}
		}
	}
	return ""
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
// without a path last), or -1.
func (pl *planner) matchHTTP(l *Listener, host, path string) int {
	best, bestKey := -1, [4]int{}
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		if rp.Listener != l {
			continue
		}
		pp := rp.Route.PathPrefix
		if !strings.HasPrefix(path, pp) {
			continue
		}
		for _, pat := range rp.Hosts {
			p := hostname.MustParsePattern(pat)
			if !p.Match(host) {
				continue
			}
			key := [4]int{int(p.Kind()), -len(p.Suffix()), boolInt(pp == ""), -len(pp)}
			if best < 0 || slices.Compare(key[:], bestKey[:]) < 0 {
				best, bestKey = i, key
			}
		}
	}
	return best
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
