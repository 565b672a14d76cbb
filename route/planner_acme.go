package route

import (
	"slices"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// acmeGatewayBackend is the backend of the ACME routes a listener's acme
// setting sends to the gateway: the gateway's HTTP port, where the
// cluster's certificate manager routes the challenge. Its name cannot be a
// backend's of the file.
var acmeGatewayBackend = Backend{Name: "acme_gateway", Gateway: true}

// validateACME checks the acme setting of listener l.
func (c *Config) validateACME(p *problems, lp fieldPath, l *Listener, a *ACME) {
	if l.Protocol != HTTP {
		p.add(lp.field(".acme"), "ACME HTTP-01 challenges arrive on HTTP listeners")
	}
	if c.Edge == nil {
		p.add(lp.field(".acme"), "needs an edge tier: without one, every challenge reaches the gateway")
	}
	if a.Edge == "" && !a.Gateway {
		p.add(lp.field(".acme"), "set edge (a backend of the edge's solver), gateway: true, or both")
	}
	if a.Gateway && c.Gateway == nil {
		p.add(lp.field(".acme.gateway"), "there is no gateway tier")
	}
	if a.Edge != "" {
		b, ok := c.BackendByName(a.Edge)
		switch {
		case !ok:
			p.add(lp.field(".acme.edge"), "no backend named %q", a.Edge)
		case len(b.Servers) == 0:
			p.add(lp.field(".acme.edge"), "backend %q is not static servers: the edge answers the challenges of the hosts it terminates with a solver it reaches itself", a.Edge)
		}
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Listener == l.Name && strings.HasPrefix(r.PathPrefix, strings.TrimSuffix(ACMEChallengePrefix, "/")) {
			p.add(elemOf("routes", i).field(".pathPrefix"), "listener %q routes ACME challenges with its acme setting: remove this route or the setting", l.Name)
		}
	}
}

// acmeRoutes returns the routes the acme settings of the listeners stand
// for: per listener, the challenges of the hosts the edge terminates to
// its acme.edge backend, those of the hosts the gateway terminates to the
// gateway. A host terminated by both tiers is refused.
func (pl *planner) acmeRoutes() []Route {
	c := pl.c
	var out []Route
	for li := range c.Listeners {
		l := &c.Listeners[li]
		a := l.ACME
		if a == nil {
			continue
		}
		if ip := l.IPPolicy; ip != nil && len(ip.Allow) > 0 {
			pl.out.Warnings = append(pl.out.Warnings, Warning{Path: elemOf("listeners", li).field(".ipPolicy.allow"),
				Detail: "the ACME challenges of this listener come from the certificate authority's validation servers, which the allow list refuses unless it names them"})
		}
		var edge, gw []string
		tier := map[string]Tier{}
		first := map[string]int{}
		for i := range c.Routes {
			r := &c.Routes[i]
			end := tlsEndOf(c, pl.listeners[r.Listener], r)
			if end != TierEdge && end != TierGateway {
				continue
			}
			for _, h := range r.Hosts {
				pat := hostname.MustParsePattern(h).String()
				if t, ok := tier[pat]; ok {
					if t != end {
						pl.p.add(elemOf("listeners", li).field(".acme"), "host %q is terminated at the %s by routes[%d] and at the %s by routes[%d]: its challenges cannot reach both", pat, t, first[pat], end, i)
					}
					continue
				}
				tier[pat], first[pat] = end, i
				if end == TierEdge {
					edge = append(edge, pat)
				} else {
					gw = append(gw, pat)
				}
			}
		}
		// The listener's own routes for hosts under a terminated pattern
		// would take their challenges first (the edge tries exact names
		// before wildcards, whatever the path): their hosts join the
		// challenge route of the tier that holds the certificate.
		for i := range c.Routes {
			r := &c.Routes[i]
			if r.Listener != l.Name {
				continue
			}
			for _, h := range r.Hosts {
				pat := hostname.MustParsePattern(h)
				if _, ok := tier[pat.String()]; ok {
					continue
				}
				var best hostname.Pattern
				for q := range tier {
					qp := hostname.MustParsePattern(q)
					if qp.Covers(pat) && (!best.IsValid() || best.Covers(qp)) {
						best = qp
					}
				}
				if !best.IsValid() {
					continue
				}
				if tier[best.String()] == TierEdge {
					edge = append(edge, pat.String())
				} else {
					gw = append(gw, pat.String())
				}
			}
		}
		if a.Edge != "" && len(edge) > 0 {
			out = append(out, Route{Name: "acme_" + l.Name + "_edge", Listener: l.Name, Hosts: sortedHosts(edge), PathPrefix: ACMEChallengePrefix, Backend: a.Edge})
		}
		if a.Gateway && len(gw) > 0 {
			out = append(out, Route{Name: "acme_" + l.Name + "_gateway", Listener: l.Name, Hosts: sortedHosts(gw), PathPrefix: ACMEChallengePrefix, Backend: acmeGatewayBackend.Name})
		}
	}
	return out
}

func sortedHosts(hs []string) []string {
	slices.Sort(hs)
	return slices.Compact(hs)
}

// tlsEndOf is where the client's TLS of route r on listener l ends, or ""
// when the client sends none.
func tlsEndOf(c *Config, l *Listener, r *Route) Tier {
	switch l.Protocol {
	case HTTPS:
		return c.FirstTier()
	case TLS:
		return r.TerminateAt
	}
	return ""
}
