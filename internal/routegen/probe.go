package routegen

import (
	"slices"
	"strings"

	"github.com/drawbridge-go/drawbridge/route"
)

// The probes of a generated configuration and the route each must take are
// worked out here from the route file alone, by the model's documented
// precedence, so that the tests of the written tiers (package check and
// internal/istiotest) judge them against one answer that never consults
// the plan.

// Probe is a request a test sends on one listener.
type Probe struct {
	Listener *route.Listener
	// Host is the server name or Host header; empty on a TCP listener.
	Host string
	// Path is the request path, under the prefix of the route probed.
	Path string
	// Own reports whether Host stands for a host pattern of a route of
	// Listener; otherwise it is another listener's.
	Own bool
}

// ProbeName returns a name host pattern pat matches: pat itself when exact,
// "probe" before a wildcard's suffix, "probe.any.test" for "*".
func ProbeName(pat string) string {
	switch {
	case pat == "*":
		return "probe.any.test"
	case strings.HasPrefix(pat, "*."):
		return "probe" + pat[1:]
	}
	return strings.ToLower(strings.TrimSuffix(pat, "."))
}

// Matches reports whether host pattern pat matches name.
func Matches(pat, name string) bool {
	switch {
	case pat == "*":
		return true
	case strings.HasPrefix(pat, "*."):
		return strings.HasSuffix(name, pat[1:]) && len(name) > len(pat)-1
	}
	return strings.EqualFold(pat, name)
}

// Expected returns the route of c that takes p by the model's precedence
// (exact names, then the longest wildcard, then "*"; longer path prefixes
// first), or nil when none does. On a TCP listener, whose routes have no
// hosts, it returns nil.
func Expected(c *route.Config, p Probe) *route.Route {
	var best *route.Route
	var bestKey [4]int
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Listener != p.Listener.Name || r.PathPrefix != "" && !strings.HasPrefix(p.Path, r.PathPrefix) {
			continue
		}
		if p.Listener.Protocol == route.TLS && r.TerminateAt != route.TierEdge && r.PathPrefix != "" {
			continue
		}
		for _, h := range r.Hosts {
			if !Matches(h, p.Host) {
				continue
			}
			kind, suffix := 0, 0
			switch {
			case h == "*":
				kind = 2
			case strings.HasPrefix(h, "*."):
				kind, suffix = 1, len(h)
			}
			empty := 0
			if r.PathPrefix == "" {
				empty = 1
			}
			key := [4]int{kind, -suffix, empty, -len(r.PathPrefix)}
			if best == nil || slices.Compare(key[:], bestKey[:]) < 0 {
				best, bestKey = r, key
			}
		}
	}
	return best
}

// TLSEnd returns where the client TLS of r, a route of l, ends by the route
// file: the edge or the gateway for HTTPS listeners (the edge when there is
// one), r.TerminateAt for TLS listeners, "" when the client speaks no TLS.
func TLSEnd(c *route.Config, l *route.Listener, r *route.Route) route.Tier {
	switch l.Protocol {
	case route.HTTPS:
		if c.Edge != nil {
			return route.TierEdge
		}
		return route.TierGateway
	case route.TLS:
		return r.TerminateAt
	}
	return ""
}
