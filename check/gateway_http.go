package check

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// httpRoute is one Envoy route Istio makes of an HTTP route of a
// VirtualService and one of its matches (nil: the route has none).
type httpRoute struct {
	vs       *vsObj
	index    int
	r        *networking.HTTPRoute
	m        *networking.HTTPMatchRequest
	catchAll bool
}

// name returns the route's name, or "http[i]".
func (r *httpRoute) name() string {
	if r.r.GetName() != "" {
		return r.r.GetName()
	}
	return fmt.Sprintf("http[%d]", r.index)
}

// vhost is a virtual host of a route configuration.
type vhost struct {
	domain     string
	routes     []*httpRoute
	requireTLS *gwServer // the httpsRedirect server that set require_tls: ALL
	servers    []*gwServer
}

// routeConfig builds the virtual hosts of the route configuration of
// servers (all plain-HTTP servers of a port, or one HTTPS server) as
// buildGatewayHTTPRouteConfig in pilot/pkg/networking/core/gateway.go
// does: for each server, each VirtualService bound to its Gateway whose
// hosts intersect the server's (for the VirtualService's namespace) adds
// its routes to a virtual host per intersecting host; a server with
// tls.httpsRedirect sets require_tls on every virtual host it touches,
// including those another server of the port made for the same host, and
// adds a redirect-only virtual host for each of its own hosts.
func (g *Gateway) routeConfig(servers []*gwServer) []*vhost {
	byDomain := map[string]*vhost{}
	var out []*vhost
	get := func(h string) (*vhost, bool) {
		if v, ok := byDomain[h]; ok {
			return v, true
		}
		v := &vhost{domain: h}
		byDomain[h] = v
		out = append(out, v)
		return v, false
	}
	cache := map[string][]*httpRoute{}
	for _, s := range servers {
		if s.skipped != "" {
			continue
		}
		redirect := s.s.GetTls().GetHttpsRedirect()
		for _, v := range g.boundCandidates(s) {
			inter := s.hix.intersection(v)
			if len(inter) == 0 {
				continue
			}
			ck := s.gw.key() + "|" + v.key()
			routes, ok := cache[ck]
			if !ok {
				routes = g.translateRoutes(v, s)
				cache[ck] = routes
			}
			if len(routes) == 0 {
				continue
			}
			for _, h := range inter {
				vh, _ := get(strings.ToLower(h))
				vh.routes = append(vh.routes, routes...)
				if !slices.Contains(vh.servers, s) {
					vh.servers = append(vh.servers, s)
				}
				if redirect && vh.requireTLS == nil {
					vh.requireTLS = s
				}
			}
		}
		if !redirect {
			continue
		}
		for _, h := range s.hosts {
			vh, _ := get(strings.ToLower(h))
			if vh.requireTLS == nil {
				vh.requireTLS = s
			}
			if !slices.Contains(vh.servers, s) {
				vh.servers = append(vh.servers, s)
			}
		}
	}
	for _, vh := range out {
		// SortVHostRoutes: catch-all routes go last, the rest keep their order.
		var first, last []*httpRoute
		for _, r := range vh.routes {
			if r.catchAll {
				last = append(last, r)
			} else {
				first = append(first, r)
			}
		}
		vh.routes = append(first, last...)
	}
	return out
}

// translateRoutes returns the Envoy routes of a VirtualService for server
// s (BuildHTTPRoutesForVirtualService and TranslateRoute in
// pilot/pkg/networking/core/route/route.go): a match whose port is not the
// server's, or whose gateways do not name the server's Gateway (or, with
// no gateways, whose sourceLabels or sourceNamespace miss the workload),
// yields no route; after a catch-all route the VirtualService's later
// routes are dropped.
func (g *Gateway) translateRoutes(v *vsObj, s *gwServer) []*httpRoute {
	var out []*httpRoute
	for i, r := range v.spec.GetHttp() {
		if len(r.GetMatch()) == 0 {
			out = append(out, &httpRoute{vs: v, index: i, r: r, catchAll: true})
			break
		}
		catchAll := false
		for _, m := range r.GetMatch() {
			if m.GetPort() != 0 && int(m.GetPort()) != s.port() {
				continue
			}
			if !g.sourceMatch(m, v, s) {
				continue
			}
			hr := &httpRoute{vs: v, index: i, r: r, m: m, catchAll: isCatchAll(m)}
			out = append(out, hr)
			if hr.catchAll {
				catchAll = true
				break
			}
		}
		if catchAll {
			break
		}
	}
	return out
}

// sourceMatch is sourceMatchHTTP.
func (g *Gateway) sourceMatch(m *networking.HTTPMatchRequest, v *vsObj, s *gwServer) bool {
	if len(m.GetGateways()) > 0 {
		for _, gw := range m.GetGateways() {
			if resolveGatewayName(gw, v.ns) == s.gw.key() {
				return true
			}
		}
		return false
	}
	if !labelsSubset(m.GetSourceLabels(), g.w.Labels) {
		return false
	}
	return m.GetSourceNamespace() == "" || m.GetSourceNamespace() == g.w.Namespace
}

// isCatchAll is IsCatchAllRoute on the translated match: the path matches
// everything and nothing else is matched.
func isCatchAll(m *networking.HTTPMatchRequest) bool {
	if m == nil {
		return true
	}
	if len(m.GetHeaders()) > 0 || len(m.GetWithoutHeaders()) > 0 || len(m.GetQueryParams()) > 0 ||
		m.GetMethod() != nil || m.GetAuthority() != nil || m.GetScheme() != nil {
		return false
	}
	switch u := m.GetUri().GetMatchType().(type) {
	case nil:
		return true
	case *networking.StringMatch_Prefix:
		return u.Prefix == "/"
	case *networking.StringMatch_Regex:
		return u.Regex == ".*"
	}
	return false
}

// httpRequest is what HTTP routing sees of a request.
type httpRequest struct {
	host, path, scheme string
}

// matches reports whether the Envoy route matches the request. The method
// is taken as GET; headers other than the Host (":authority" or "host"),
// ":path", ":scheme" and ":method" are absent.
func (r *httpRoute) matches(req httpRequest) bool {
	m := r.m
	if m == nil {
		return true
	}
	path := req.path
	if path == "" {
		path = "/"
	}
	pathOnly, query, _ := strings.Cut(path, "?")
	if u := m.GetUri(); u != nil {
		p, pp := path, pathOnly
		switch x := u.GetMatchType().(type) {
		case *networking.StringMatch_Exact:
			if !equalCase(pp, x.Exact, m.GetIgnoreUriCase()) {
				return false
			}
		case *networking.StringMatch_Prefix:
			if !prefixCase(p, x.Prefix, m.GetIgnoreUriCase()) {
				return false
			}
		case *networking.StringMatch_Regex:
			if !fullRegexp(x.Regex, pp) {
				return false
			}
		}
	}
	header := func(name string) (string, bool) {
		switch strings.ToLower(name) {
		case ":authority", "host":
			return req.host, req.host != ""
		case ":path":
			return path, true
		case ":scheme":
			return req.scheme, true
		case ":method":
			return "GET", true
		}
		return "", false
	}
	for _, c := range []struct {
		name string
		sm   *networking.StringMatch
	}{{":method", m.GetMethod()}, {":authority", m.GetAuthority()}, {":scheme", m.GetScheme()}} {
		if c.sm == nil {
			continue
		}
		v, ok := header(c.name)
		if !stringMatch(c.sm, v, ok) {
			return false
		}
	}
	for name, sm := range m.GetHeaders() {
		v, ok := header(name)
		if !stringMatch(sm, v, ok) {
			return false
		}
	}
	for name, sm := range m.GetWithoutHeaders() {
		v, ok := header(name)
		if sm.GetMatchType() != nil && !ok {
			// treat_missing_header_as_empty
			v, ok = "", true
		}
		if stringMatch(sm, v, ok) {
			return false
		}
	}
	if len(m.GetQueryParams()) > 0 {
		q, _ := url.ParseQuery(query)
		for name, sm := range m.GetQueryParams() {
			vs, ok := q[name]
			v := ""
			if ok && len(vs) > 0 {
				v = vs[0]
			}
			if !stringMatch(sm, v, ok) {
				return false
			}
		}
	}
	return true
}

// stringMatch matches an Istio StringMatch as Envoy's header matcher: an
// empty StringMatch matches a present header; exact, prefix and regex
// (RE2, whole value) need the header.
func stringMatch(sm *networking.StringMatch, v string, present bool) bool {
	if !present {
		return false
	}
	switch x := sm.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		return v == x.Exact
	case *networking.StringMatch_Prefix:
		return strings.HasPrefix(v, x.Prefix)
	case *networking.StringMatch_Regex:
		return fullRegexp(x.Regex, v)
	}
	return true
}

func equalCase(a, b string, fold bool) bool {
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

func prefixCase(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	return equalCase(s[:len(prefix)], prefix, fold)
}

// fullRegexp reports whether the RE2 expression matches all of s; an
// expression Go cannot compile matches nothing.
func fullRegexp(expr, s string) bool {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	return err == nil && re.MatchString(s)
}

// checkBindings reports VirtualServices that name a Gateway of the
// workload but bind to none of its servers.
func (g *Gateway) checkBindings() {
	// The hosts of every server of each Gateway, in one index: a
	// VirtualService binds to the Gateway when one of them matches.
	hosts := map[string][]string{}
	for _, l := range g.ports {
		for _, s := range l.servers {
			k := s.gw.key()
			hosts[k] = append(hosts[k], s.hosts...)
		}
	}
	servers := make(map[string]*hostIndex, len(hosts))
	for gw, hs := range hosts {
		servers[gw] = newHostIndex(hs)
	}
	for _, v := range g.vss {
		for _, gw := range v.gateways {
			ix, ok := servers[gw]
			if !ok {
				continue
			}
			bound := ix.binds(v, true)
			switch {
			case !bound:
				g.problems = append(g.problems, fmt.Sprintf("VirtualService %s: hosts %s match no host of a server of Gateway %s; it routes nothing there", v.key(), strings.Join(v.spec.GetHosts(), ", "), gw))
			case v.visibleFrom(g.w.Namespace) < 0:
				g.problems = append(g.problems, fmt.Sprintf("VirtualService %s: exportTo %s hides it from the gateway's namespace %s", v.key(), strings.Join(v.spec.GetExportTo(), ", "), g.w.Namespace))
			}
		}
	}
}
