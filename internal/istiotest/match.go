package istiotest

import (
	"fmt"
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"
)

// matchRoute sets res's route, cluster and error from the first route of
// the virtual host out matched that takes r, matched as Envoy matches it:
// by path and by headers. Istio's simulator matches the path alone, so it
// takes the first route of a virtual host whose path fits even when the
// route also asks for an :authority, as the routes Istio merges into one
// virtual host from VirtualServices for overlapping hosts do.
func (g *Gateway) matchRoute(res *Result, h *hcm.HttpConnectionManager, out simulation.Result, r Request) {
	rc := h.GetRouteConfig()
	if rc == nil {
		rc = xdstest.ExtractRouteConfigurations(g.sim.Routes)[out.RouteConfigMatched]
	}
	var vh *routev3.VirtualHost
	for _, v := range rc.GetVirtualHosts() {
		if v.GetName() == out.VirtualHostMatched {
			vh = v
			break
		}
	}
	res.Route, res.Cluster, res.WeightedClusters, res.Error = "", "", nil, ""
	for _, rt := range vh.GetRoutes() {
		ok, err := routeMatches(rt.GetMatch(), r)
		if err != nil {
			res.Error = fmt.Sprintf("istiotest: route %q: %v", rt.GetName(), err)
			return
		}
		if !ok {
			continue
		}
		res.Route = rt.GetName()
		res.Cluster = rt.GetRoute().GetCluster()
		for _, c := range rt.GetRoute().GetWeightedClusters().GetClusters() {
			res.WeightedClusters = append(res.WeightedClusters, c.GetName())
		}
		return
	}
	res.Error = simulation.ErrNoRoute.Error()
}

// routeMatches reports whether m takes r (Envoy's RouteMatch: the path,
// then every header matcher). It fails on a matcher it does not know, so
// that no route is taken or passed over by mistake.
func routeMatches(m *routev3.RouteMatch, r Request) (bool, error) {
	p := r.Path
	if p == "" {
		p = "/"
	}
	fold := m.GetCaseSensitive() != nil && !m.GetCaseSensitive().GetValue()
	var ok bool
	switch ps := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		ok = hasPrefix(p, ps.Prefix, fold)
	case *routev3.RouteMatch_PathSeparatedPrefix:
		pre := ps.PathSeparatedPrefix
		ok = hasPrefix(p, pre, fold) && (len(p) == len(pre) || p[len(pre)] == '/' || p[len(pre)] == '?')
	case *routev3.RouteMatch_Path:
		ok = p == ps.Path || fold && strings.EqualFold(p, ps.Path)
	case *routev3.RouteMatch_SafeRegex:
		re, err := regexp.Compile(`^(?:` + ps.SafeRegex.GetRegex() + `)$`)
		if err != nil {
			return false, err
		}
		ok = re.MatchString(p)
	default:
		return false, fmt.Errorf("path match %T", ps)
	}
	if !ok {
		return false, nil
	}
	if len(m.GetQueryParameters()) > 0 || m.GetRuntimeFraction() != nil || m.GetGrpc() != nil ||
		m.GetTlsContext() != nil || len(m.GetDynamicMetadata()) > 0 {
		return false, fmt.Errorf("match on more than path and headers: %v", m)
	}
	for _, hm := range m.GetHeaders() {
		ok, err := headerMatches(hm, r)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// headerMatches reports whether hm takes r. A request carries the
// pseudo-headers :authority (Host) and :path, and no other header.
func headerMatches(hm *routev3.HeaderMatcher, r Request) (bool, error) {
	var v string
	present := true
	switch strings.ToLower(hm.GetName()) {
	case ":authority", "host":
		v = r.Host
	case ":path":
		v = r.Path
		if v == "" {
			v = "/"
		}
	default:
		present = false
	}
	if !present && hm.GetTreatMissingHeaderAsEmpty() {
		v, present = "", true
	}
	if _, isPresent := hm.GetHeaderMatchSpecifier().(*routev3.HeaderMatcher_PresentMatch); !present && !isPresent {
		// Envoy's HeaderUtility::matchHeaders: a missing header matches
		// no value matcher, inverted or not.
		return false, nil
	}
	var ok bool
	switch s := hm.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_PresentMatch:
		ok = present == s.PresentMatch
	case *routev3.HeaderMatcher_StringMatch:
		var err error
		if ok, err = stringMatches(s.StringMatch, v); err != nil {
			return false, err
		}
	case *routev3.HeaderMatcher_ExactMatch:
		ok = v == s.ExactMatch
	case *routev3.HeaderMatcher_PrefixMatch:
		ok = strings.HasPrefix(v, s.PrefixMatch)
	case *routev3.HeaderMatcher_SuffixMatch:
		ok = strings.HasSuffix(v, s.SuffixMatch)
	case *routev3.HeaderMatcher_ContainsMatch:
		ok = strings.Contains(v, s.ContainsMatch)
	case *routev3.HeaderMatcher_SafeRegexMatch:
		re, err := regexp.Compile(`^(?:` + s.SafeRegexMatch.GetRegex() + `)$`)
		if err != nil {
			return false, err
		}
		ok = re.MatchString(v)
	default:
		return false, fmt.Errorf("header match %T on %s", s, hm.GetName())
	}
	return ok != hm.GetInvertMatch(), nil
}

// stringMatches reports whether sm takes v.
func stringMatches(sm *matcherv3.StringMatcher, v string) (bool, error) {
	fold := sm.GetIgnoreCase()
	switch p := sm.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return v == p.Exact || fold && strings.EqualFold(v, p.Exact), nil
	case *matcherv3.StringMatcher_Prefix:
		return hasPrefix(v, p.Prefix, fold), nil
	case *matcherv3.StringMatcher_Suffix:
		return len(v) >= len(p.Suffix) && (v[len(v)-len(p.Suffix):] == p.Suffix || fold && strings.EqualFold(v[len(v)-len(p.Suffix):], p.Suffix)), nil
	case *matcherv3.StringMatcher_Contains:
		if fold {
			return strings.Contains(strings.ToLower(v), strings.ToLower(p.Contains)), nil
		}
		return strings.Contains(v, p.Contains), nil
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := regexp.Compile(`^(?:` + p.SafeRegex.GetRegex() + `)$`)
		if err != nil {
			return false, err
		}
		return re.MatchString(v), nil
	}
	return false, fmt.Errorf("string match %T", sm.GetMatchPattern())
}

func hasPrefix(s, prefix string, fold bool) bool {
	return strings.HasPrefix(s, prefix) || fold && len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
