package gatewayapi

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
	"github.com/drawbridge-go/drawbridge/route"
)

// routeKey groups the routes of one VirtualService of the Istio form by
// kind and gateway port: one Gateway API route each.
type routeKey struct {
	vs   string
	kind route.Protocol
	port int
}

// routes writes the HTTPRoutes, TLSRoutes and TCPRoutes.
func (k *compiler) routes() error {
	groups := map[routeKey][]*route.RoutePlan{}
	var keys []routeKey
	ports := map[routeKey]int{} // per (vs, kind): number of ports
	for i := range k.plan.Routes {
		rp := &k.plan.Routes[i]
		h := rp.Gateway
		if h == nil || h.Same >= 0 {
			continue
		}
		key := routeKey{h.VirtualService, h.Kind, h.Port}
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
			ports[routeKey{key.vs, key.kind, 0}]++
		}
		groups[key] = append(groups[key], rp)
	}
	k.httpGroups = nil
	for _, key := range keys {
		if key.kind == route.HTTP {
			k.httpGroups = append(k.httpGroups, groups[key])
		}
	}
	for _, key := range keys {
		rs := groups[key]
		name := key.vs
		if ports[routeKey{key.vs, key.kind, 0}] > 1 {
			name += "-" + strconv.Itoa(key.port)
		}
		var err error
		switch key.kind {
		case route.HTTP:
			err = k.httpRoute(name, rs)
		case route.TLS:
			err = k.l4Route(name, KindTLSRoute, rs)
		case route.TCP:
			err = k.l4Route(name, KindTCPRoute, rs)
		}
		if err != nil {
			return err
		}
	}
	k.redirectRoute()
	return nil
}

// parentRefs are the listeners the routes attach to: those of each
// route's gateway server whose hostname is one of its hosts or broader.
func (k *compiler) parentRefs(rs []*route.RoutePlan) []ParentRef {
	var idx []int
	for _, rp := range rs {
		for _, li := range k.byServer[rp.Gateway.Server] {
			if slices.ContainsFunc(rp.Gateway.Hosts, func(h string) bool { return covers(k.ls[li].Hostname, h) }) || len(rp.Gateway.Hosts) == 0 {
				idx = append(idx, li)
			}
		}
	}
	slices.Sort(idx)
	return k.refs(slices.Compact(idx), k.routeNS(rs[0]))
}

// refs are parentRefs to the listeners idx from a route in namespace ns.
func (k *compiler) refs(idx []int, ns string) []ParentRef {
	out := make([]ParentRef, len(idx))
	for i, li := range idx {
		out[i] = ParentRef{Name: k.gw, SectionName: k.ls[li].Name}
		if set := k.listenerSet(li); set != "" {
			out[i].Group, out[i].Kind, out[i].Name = Group, KindListenerSet, set
		}
		if ns != k.ns {
			out[i].Namespace = k.ns
		}
	}
	return out
}

// routeNS is the namespace of rp's Gateway API route: that of its
// VirtualService in the Istio form.
func (k *compiler) routeNS(rp *route.RoutePlan) string {
	return cmp.Or(rp.Gateway.Namespace, k.rns)
}

// covers reports whether listener hostname l ("" for every host) takes
// the names of host pattern h.
func covers(l, h string) bool {
	switch {
	case l == "":
		return true
	case h == "*":
		return false
	case strings.HasPrefix(l, "*."):
		return l == h || strings.HasSuffix(h, l[1:]) && !strings.HasPrefix(h, "*.") && len(h) > len(l)-1
	}
	return l == h
}

// hostnames are a route's hostnames: none (every host) for "*".
func hostnames(hs []string) []string {
	if slices.Contains(hs, "*") {
		return nil
	}
	return slices.Clone(hs)
}

func meta(name, ns string) Metadata { return Metadata{Name: name, Namespace: ns} }

// httpRoute writes the HTTPRoute of routes with the same hosts on one
// gateway port, longest path first.
func (k *compiler) httpRoute(name string, rs []*route.RoutePlan) error {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b *route.RoutePlan) int {
		return cmp.Or(-cmp.Compare(len(a.Route.PathPrefix), len(b.Route.PathPrefix)), cmp.Compare(a.Index, b.Index))
	})
	spec := &HTTPRouteSpec{ParentRefs: k.parentRefs(rs), Hostnames: hostnames(rs[0].Gateway.Hosts)}
	for _, rp := range sorted {
		rule, err := k.httpRule(rp)
		if err != nil {
			return err
		}
		spec.Rules = append(spec.Rules, rule)
	}
	k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindHTTPRoute, Metadata: meta(name, k.routeNS(rs[0])), Spec: spec})
	if err := k.fallbacks(name, rs, spec.ParentRefs); err != nil {
		return err
	}
	if k.plan.Config.Edge == nil {
		k.pathRedirect(name, rs, spec.ParentRefs)
	}
	return nil
}

// fallbacks writes, per host of rs that the hosts of other routes on the
// same gateway port strictly cover ("a.example.com" under
// "*.example.com"), an HTTPRoute for that host with the rules of those
// broader routes, most specific host first, that no rule before them
// takes (a path prefix under one of theirs): the requests for the host
// that no route of its own takes go where the broader routes send them,
// as at the edge and in the Istio form. Istio gives each listener
// hostname a virtual host of its own, with the rules of the routes of
// that hostname only, merged and ordered by path (longest first, no path
// last), so these rules come after the host's own wherever a request
// matches both.
func (k *compiler) fallbacks(name string, rs []*route.RoutePlan, parents []ParentRef) error {
	port := rs[0].Gateway.Port
	var broader [][]*route.RoutePlan
	for _, g := range k.httpGroups {
		if g[0].Gateway.Port == port && g[0].Gateway.VirtualService != rs[0].Gateway.VirtualService && len(coveredHosts(g[0].Gateway.Hosts, rs[0].Gateway.Hosts)) > 0 {
			broader = append(broader, g)
		}
	}
	if len(broader) == 0 {
		return nil
	}
	slices.SortStableFunc(broader, func(a, b []*route.RoutePlan) int {
		return -cmp.Compare(hostname.Rank(a[0].Gateway.Hosts), hostname.Rank(b[0].Gateway.Hosts))
	})
	n := 0
	for _, h := range rs[0].Gateway.Hosts {
		var taken []string
		for _, rp := range rs {
			taken = append(taken, rp.Route.PathPrefix)
		}
		spec := &HTTPRouteSpec{ParentRefs: parents, Hostnames: hostnames([]string{h})}
		for _, g := range broader {
			if len(coveredHosts(g[0].Gateway.Hosts, []string{h})) == 0 {
				continue
			}
			sorted := slices.Clone(g)
			slices.SortStableFunc(sorted, func(a, b *route.RoutePlan) int {
				return cmp.Or(-cmp.Compare(len(a.Route.PathPrefix), len(b.Route.PathPrefix)), cmp.Compare(a.Index, b.Index))
			})
			for _, rp := range sorted {
				q := rp.Route.PathPrefix
				if slices.ContainsFunc(taken, func(t string) bool { return strings.HasPrefix(q, t) }) {
					continue // every request of q is taken before
				}
				taken = append(taken, q)
				rule, err := k.httpRule(rp)
				if err != nil {
					return err
				}
				spec.Rules = append(spec.Rules, rule)
			}
		}
		if len(spec.Rules) == 0 {
			continue
		}
		n++
		k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindHTTPRoute, Metadata: meta(name+"-fallback-"+strconv.Itoa(n), k.routeNS(rs[0])), Spec: spec})
	}
	return nil
}

// coveredHosts returns the hosts of hs that a host of broad strictly
// covers.
func coveredHosts(broad, hs []string) []string {
	var out []string
	for _, h := range hs {
		if slices.ContainsFunc(broad, func(b string) bool { return b != h && hostname.Covers(b, h) }) {
			out = append(out, h)
		}
	}
	return out
}

// pathMatch matches the paths starting with prefix, byte for byte, as the
// edge and the Istio form do: the Gateway API's PathPrefix matches whole
// path segments ("/api" takes "/api/x" but not "/apix") and ignores a
// trailing "/", so the prefix is written as a regular expression (Istio
// matches it against the whole path with RE2). "/" and no prefix match
// every path: no match at all.
func pathMatch(prefix string) []HTTPRouteMatch {
	if prefix == "" || prefix == "/" {
		return nil
	}
	return []HTTPRouteMatch{{Path: &PathMatch{Type: RegularExpression, Value: regexp.QuoteMeta(prefix) + ".*"}}}
}

func (k *compiler) httpRule(rp *route.RoutePlan) (HTTPRouteRule, error) {
	r, h := rp.Route, rp.Gateway
	rule := HTTPRouteRule{Name: r.Name, Matches: pathMatch(r.PathPrefix)}
	if rd := r.Redirect; rd != nil {
		code := rd.Code
		if code == 0 {
			code = 301
		}
		rule.Filters = []HTTPRouteFilter{{Type: FilterRequestRedirect, RequestRedirect: &RequestRedirect{
			Scheme: rd.Scheme, Hostname: rd.Host, Port: rd.Port, StatusCode: code}}}
		return rule, nil
	}
	if len(h.SetHeaders) > 0 {
		m := &HeaderModifier{}
		for _, x := range h.SetHeaders {
			// Istio hands the value to Envoy, which reads %...% as a
			// variable: the model's values are literal.
			m.Set = append(m.Set, Header{Name: x.Name, Value: strings.ReplaceAll(x.Value, "%", "%%")})
		}
		rule.Filters = append(rule.Filters, HTTPRouteFilter{Type: FilterRequestHeaderModifier, RequestHeaderModifier: m})
	}
	var err error
	rule.BackendRefs, err = k.backendRefs(rp, KindHTTPRoute)
	return rule, err
}

// l4Route writes the TLSRoute or TCPRoute of one route.
func (k *compiler) l4Route(name, kind string, rs []*route.RoutePlan) error {
	if len(rs) > 1 {
		return &Error{k.routePath(rs[1]), fmt.Sprintf("a %s has one rule: %s and %s share hosts and gateway port", kind, rs[0].Route.Name, rs[1].Route.Name)}
	}
	rp := rs[0]
	refs, err := k.backendRefs(rp, kind)
	if err != nil {
		return err
	}
	rules := []L4Rule{{BackendRefs: refs}}
	var spec any
	if kind == KindTLSRoute {
		if i := slices.Index(rp.Route.Hosts, "*"); i >= 0 || slices.Contains(rp.Gateway.Hosts, "*") {
			return &Error{fmt.Sprintf("%s.hosts[%d]", k.routePath(rp), max(i, 0)), `a TLSRoute matches named hosts only: "*" has no Gateway API form for TLS passed through`}
		}
		spec = &TLSRouteSpec{ParentRefs: k.parentRefs(rs), Hostnames: slices.Clone(rp.Gateway.Hosts), Rules: rules}
	} else {
		spec = &TCPRouteSpec{ParentRefs: k.parentRefs(rs), Rules: rules}
	}
	k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: kind, Metadata: meta(name, k.routeNS(rp)), Spec: spec})
	return nil
}

// backendRefs are the destinations of rp: a Service by name and namespace
// for a host of the cluster ("name", "name.namespace.svc.cluster.local"),
// else Istio's Hostname kind for a host of its registry (ServiceEntries),
// by the name Istio registers it under.
func (k *compiler) backendRefs(rp *route.RoutePlan, kind string) ([]BackendRef, error) {
	var out []BackendRef
	for _, d := range rp.Gateway.Destinations {
		ref := BackendRef{Name: d.Host, Port: d.Port}
		if d.Weight > 0 && len(rp.Gateway.Destinations) > 1 {
			w := d.Weight
			ref.Weight = &w
		}
		name, ns, ok := serviceName(d.Host)
		if d.Backend == nil || d.Backend.Service == nil || !ok {
			ref.Group, ref.Kind = IstioGroup, KindHostname
			if !strings.Contains(d.Host, ".") {
				// Istio registers a ServiceEntry's short host in the
				// entry's namespace.
				ref.Name = d.Host + "." + k.entryNS(d.Backend)
			}
			out = append(out, ref)
			continue
		}
		ref.Name = name
		if from := k.routeNS(rp); ns != "" && ns != from {
			ref.Namespace = ns
			if k.grantNS == nil {
				k.grantNS = map[grantKey]bool{}
			}
			k.grantNS[grantKey{ns, from, kind}] = true
		}
		out = append(out, ref)
	}
	return out, nil
}

// serviceName splits a Kubernetes Service host: "name" (the routes'
// namespace) or "name.namespace.svc.cluster.local".
func serviceName(host string) (name, ns string, ok bool) {
	if !strings.Contains(host, ".") {
		return host, "", true
	}
	rest, found := strings.CutSuffix(host, ".svc.cluster.local")
	if !found {
		return "", "", false
	}
	name, ns, found = strings.Cut(rest, ".")
	if !found || strings.Contains(ns, ".") {
		return "", "", false
	}
	return name, ns, true
}

// grantKey is a kind of route in namespace from referring to a Service
// in namespace to.
type grantKey struct{ to, from, kind string }

// entryNS is the namespace of backend b's ServiceEntry.
func (k *compiler) entryNS(b *route.Backend) string {
	for _, gb := range k.gp.Backends {
		if gb.Backend == b {
			return cmp.Or(gb.Namespace, k.rns)
		}
	}
	return k.rns
}

// grants writes a ReferenceGrant in each namespace of Services the routes
// of another namespace refer to, named after the Gateway and listing each
// kind of route of each namespace that refers to them.
func (k *compiler) grants() {
	keys := slices.SortedFunc(maps.Keys(k.grantNS), func(a, b grantKey) int {
		return cmp.Or(cmp.Compare(a.to, b.to), cmp.Compare(a.from, b.from), cmp.Compare(slices.Index(kindOrder, a.kind), slices.Index(kindOrder, b.kind)))
	})
	var spec *ReferenceGrantSpec
	for i, key := range keys {
		if i == 0 || keys[i-1].to != key.to {
			spec = &ReferenceGrantSpec{To: []GrantTo{{Group: "", Kind: "Service"}}}
			k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindReferenceGrant,
				Metadata: Metadata{Name: k.gw + "-routes", Namespace: key.to}, Spec: spec})
		}
		spec.From = append(spec.From, GrantFrom{Group: Group, Kind: key.kind, Namespace: key.from})
	}
}

// redirectRoute writes the https redirect of the redirect servers as an
// HTTPRoute answering every request of their listeners (named after the
// Istio form's redirect Gateway): requests for the hosts other routes
// serve on the port go to those routes, as a more specific host.
func (k *compiler) redirectRoute() {
	var idx []int
	var hosts []string
	for si, s := range k.gp.Servers {
		if s.HTTPSRedirect {
			idx = append(idx, k.byServer[si]...)
			hosts = append(hosts, s.Hosts...)
		}
	}
	if len(idx) == 0 {
		return
	}
	slices.Sort(idx)
	slices.Sort(hosts)
	spec := &HTTPRouteSpec{ParentRefs: k.refs(slices.Compact(idx), k.rns), Hostnames: hostnames(slices.Compact(hosts)),
		Rules: []HTTPRouteRule{{Name: "redirect-https", Filters: []HTTPRouteFilter{{Type: FilterRequestRedirect,
			RequestRedirect: &RequestRedirect{Scheme: "https", StatusCode: 301}}}}}}
	k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindHTTPRoute, Metadata: meta(k.gp.RedirectGateway, k.rns), Spec: spec})
}

// pathRedirect redirects to https the requests for the hosts of rs that
// no route of theirs takes (they all have path prefixes) on a listener
// with redirectHTTPS, unless a broader route without a path takes them,
// as the Istio form's redirect-https route does.
func (k *compiler) pathRedirect(name string, rs []*route.RoutePlan, parents []ParentRef) {
	rp := rs[0]
	if !rp.Listener.RedirectHTTPS || slices.ContainsFunc(rs, func(o *route.RoutePlan) bool { return o.Listener == rp.Listener && o.Route.PathPrefix == "" }) {
		return
	}
	var hosts []string
	for _, h := range rp.Gateway.Hosts {
		covered := false
		for i := range k.plan.Routes {
			o := &k.plan.Routes[i]
			if o.Listener != rp.Listener || o.Gateway == nil || o.Gateway.Port != rp.Gateway.Port || o.Gateway.Kind != route.HTTP || o.Route.PathPrefix != "" {
				continue
			}
			for _, b := range o.Gateway.Hosts {
				if b != h && hostname.Covers(b, h) {
					covered = true
				}
			}
		}
		if !covered {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return
	}
	spec := &HTTPRouteSpec{ParentRefs: parents, Hostnames: hostnames(hosts),
		Rules: []HTTPRouteRule{{Name: "redirect-https", Filters: []HTTPRouteFilter{{Type: FilterRequestRedirect,
			RequestRedirect: &RequestRedirect{Scheme: "https", StatusCode: 301}}}}}}
	k.res.Objects = append(k.res.Objects, Object{APIVersion: GatewayV1, Kind: KindHTTPRoute, Metadata: meta(name+"-redirect-https", k.routeNS(rp)), Spec: spec})
}
