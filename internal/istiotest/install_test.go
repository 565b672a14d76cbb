package istiotest

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacpb "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	httprbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	netrbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	"istio.io/istio/pilot/test/xdstest"
	"istio.io/istio/pkg/wellknown"

	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// installTiers plans c and writes both tiers with the gateway's
// generated Service appended to istio.yaml, so that Load gives Istio that
// Service (its ports and target ports) instead of its own. targets maps
// each Service port to its target port, as kube-proxy forwards it.
func installTiers(t *testing.T, c *route.Config) (w *genTiers, targets map[int]int) {
	t.Helper()
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	w = writeTiers(t, p)
	res, err := istiocfg.CompilePlan(p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Service == nil {
		t.Fatal("istiocfg.CompilePlan wrote no gateway Service")
	}
	w.istio = append(w.istio, "\n---\n"...)
	if w.istio, err = res.Service.AppendYAML(w.istio); err != nil {
		t.Fatal(err)
	}
	targets = map[int]int{}
	for _, sp := range res.Service.Ports {
		targets[sp.Port] = sp.TargetPort
	}
	return w, targets
}

func parseConfig(t *testing.T, src string) *route.Config {
	t.Helper()
	c, err := route.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listenerPorts returns the ports of g's listeners, sorted.
func listenerPorts(g *Gateway) []int {
	var out []int
	for _, l := range g.Listeners() {
		out = append(out, l.Port)
	}
	return out
}

// checkTargetPorts says where g's listeners are not exactly on the target
// ports of the Service ports its Gateways serve (servers): Istio resolves
// a Gateway server's port through the Service selecting the gateway pods.
func checkTargetPorts(g *Gateway, servers []int, targets map[int]int) []string {
	var want []int
	for _, p := range servers {
		tp, ok := targets[p]
		if !ok {
			return []string{fmt.Sprintf("Gateway server port %d is not a port of the Service %v", p, targets)}
		}
		if !slices.Contains(want, tp) {
			want = append(want, tp)
		}
	}
	slices.Sort(want)
	if got := listenerPorts(g); !slices.Equal(got, want) {
		return []string{fmt.Sprintf("listeners on ports %v; want the Service's target ports %v (Service %v)", got, want, targets)}
	}
	return nil
}

// installTargetPorts is a gateway in its own namespace whose pods cannot
// bind ports below 1024 (unprivilegedPorts): its Service maps 80 to 8080
// and 443 to 8443, and keeps 31400 as it is.
const installTargetPorts = `
gateway:
  namespace: gateways
  routesNamespace: web
  service: {unprivilegedPorts: true, type: NodePort}
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}}
- {name: db, port: 31400, protocol: TCP}
routes:
- {name: app, listener: web, hosts: [app.example.com], backend: app}
- {name: secure, listener: tls, hosts: [secure.example.com], terminateAt: gateway, backend: app}
- {name: pass, listener: tls, hosts: [pass.example.com], terminateAt: backend, backend: ext}
- {name: db, listener: db, backend: db}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
- {name: ext, external: {host: api.partner.example.net, port: 443}}
- {name: db, service: {host: db.data.svc.cluster.local, port: 5432}}
`

// TestInstallTargetPorts: given the generated Service of a gateway whose
// pods bind no privileged ports, Istio puts the gateway's listeners on the
// Service's target ports only (0.0.0.0_8080, 0.0.0.0_8443, 0.0.0.0_31400;
// none on 80 or 443), and requests sent to the Service's ports, forwarded
// to their target ports as kube-proxy does, reach the routes' clusters.
//
// Istio (pilot/pkg/model/push_context.go mergeGateways, and
// gateway.go MergeGateways and resolvePorts) binds a Gateway server of
// port N on the targetPort of the port N of the Services selecting the
// gateway pod (the proxy's ServiceTargets). A networking.istio.io Gateway
// selects pods by labels ("legacy gateway selector"): it takes the first
// such Service port only, binds N as it is when no Service has port N,
// and skips Services labelled
// experimental.istio.io/disable-gateway-port-translation. A Gateway API
// Gateway refers to its Service and has no such fallback. No PILOT_
// feature flag changes this (PILOT_SCOPE_GATEWAY_TO_NAMESPACE only limits
// which Gateways a gateway gets). The Gateways therefore name the
// Service ports, never the target ports.
func TestInstallTargetPorts(t *testing.T) {
	c := parseConfig(t, installTargetPorts)
	w, targets := installTiers(t, c)
	if want := map[int]int{80: 8080, 443: 8443, 31400: 31400, 15021: 15021}; !maps.Equal(targets, want) {
		t.Fatalf("the Service maps ports %v; want %v", targets, want)
	}
	g := Load(t, w.istio, w.opts)
	for _, b := range checkTargetPorts(g, []int{80, 443, 31400}, targets) {
		t.Error(b)
	}
	for _, name := range []string{"0.0.0.0_8080", "0.0.0.0_8443", "0.0.0.0_31400"} {
		if xdstest.ExtractListener(name, g.sim.Listeners) == nil {
			t.Errorf("no listener %s; listeners %v", name, listenerPorts(g))
		}
	}
	for _, tc := range []struct {
		req     Request
		cluster string
	}{
		{Request{Port: 80, Host: "app.example.com"}, "outbound|8080||app.apps.svc.cluster.local"},
		{Request{Port: 443, TLS: true, SNI: "secure.example.com", Host: "secure.example.com"}, "outbound|8080||app.apps.svc.cluster.local"},
		{Request{Port: 443, TLS: true, SNI: "pass.example.com"}, "outbound|443||api.partner.example.net"},
		{Request{Port: 31400}, "outbound|5432||db.data.svc.cluster.local"},
	} {
		req := tc.req
		req.Port = targets[req.Port]
		if res := g.Call(req); res.Error != "" || res.Cluster != tc.cluster {
			t.Errorf("%+v (Service port %d) reaches %q (%s); want %q", req, tc.req.Port, res.Cluster, res.Error, tc.cluster)
		}
	}
	if t.Failed() {
		t.Logf("istio.yaml:\n%s", w.istio)
	}
}

// installSeeds is how many routegen seeds with installation draws
// TestInstallGeneratedTargetPorts, TestInstallGeneratedRBAC and
// TestInstallGeneratedProxyProtocol look through for configurations whose
// gateway Service moves ports (unprivilegedPorts), whose gateway enforces
// IP policies, or reads the PROXY protocol, and
// installCases how many of those each needs.
const installSeeds, installCases = 3000, 6

// TestInstallGeneratedTargetPorts: for generated configurations whose
// gateway Service maps privileged ports elsewhere, Istio's listeners are
// exactly on the target ports of the Service ports the Gateways use, and
// every probe of TestGeneratedGateways, sent to its Service port's target
// port, ends where the route file says.
func TestInstallGeneratedTargetPorts(t *testing.T) {
	n, probes := 0, 0
	var st genStats
	var seeds []uint64
	for seed := uint64(0); seed < installSeeds && n < installCases; seed++ {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		if c.Gateway == nil || c.Gateway.Service == nil || !c.Gateway.Service.UnprivilegedPorts {
			continue
		}
		if _, err := c.Plan(); err != nil {
			continue
		}
		w, targets := installTiers(t, c)
		moved := false
		for p, tp := range targets {
			moved = moved || p != tp
		}
		g := Load(t, w.istio, w.opts)
		var bad []string
		var servers []int
		for p := range g.stream.gatewayPorts {
			servers = append(servers, p)
		}
		bad = append(bad, checkTargetPorts(g, servers, targets)...)
		for _, pr := range genProbes(c) {
			req, want, skip := probeRequest(c, w, pr, &st)
			if skip {
				continue
			}
			tp, ok := targets[req.Port]
			if !ok {
				bad = append(bad, fmt.Sprintf("probe %+v: port %d is not a port of the Service", pr, req.Port))
				continue
			}
			sp := req.Port
			req.Port = tp
			probes++
			for _, b := range want.judge(g, req) {
				bad = append(bad, fmt.Sprintf("%s:%d %s%s (route %s) sent to Service port %d as %+v: %s", pr.Listener.Protocol, pr.Listener.Port, pr.Host, pr.Path, want.route, sp, req, b))
			}
		}
		if len(bad) > 0 {
			t.Errorf("seed %d:\n  %s\nistio.yaml:\n%s", seed, strings.Join(bad, "\n  "), w.istio)
		}
		if moved {
			n++
			seeds = append(seeds, seed)
		}
	}
	t.Logf("seeds %v: %d probes", seeds, probes)
	if n < installCases {
		t.Errorf("%d seeds with moved Service ports among %d; want %d", n, installSeeds, installCases)
	}
}

// rbacOf is an RBAC filter of a listener's filter chain.
type rbacOf struct {
	listener string
	port     int
	chain    string
	http     bool // envoy.filters.http.rbac, else envoy.filters.network.rbac
	rules    *rbacpb.RBAC
}

// rbacFilters returns the RBAC filters (with rules; not the shadow ones)
// on g's filter chains.
func rbacFilters(t *testing.T, g *Gateway) []rbacOf {
	var out []rbacOf
	for _, l := range g.sim.Listeners {
		port := int(l.GetAddress().GetSocketAddress().GetPortValue())
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetName() != wellknown.RoleBasedAccessControl {
					continue
				}
				r := &netrbac.RBAC{}
				if err := f.GetTypedConfig().UnmarshalTo(r); err != nil {
					t.Fatalf("%s chain %q: %v", l.GetName(), fc.GetName(), err)
				}
				if r.GetRules() != nil {
					out = append(out, rbacOf{l.GetName(), port, fc.GetName(), false, r.GetRules()})
				}
			}
			h := xdstest.ExtractHTTPConnectionManager(nopFailer{}, fc)
			for _, f := range h.GetHttpFilters() {
				if f.GetName() != wellknown.HTTPRoleBasedAccessControl {
					continue
				}
				r := &httprbac.RBAC{}
				if err := f.GetTypedConfig().UnmarshalTo(r); err != nil {
					t.Fatalf("%s chain %q: %v", l.GetName(), fc.GetName(), err)
				}
				if r.GetRules() != nil {
					out = append(out, rbacOf{l.GetName(), port, fc.GetName(), true, r.GetRules()})
				}
			}
		}
	}
	return out
}

// addresses returns the CIDRs a principal matches on, as "remote" (the
// client address: PROXY header or trusted X-Forwarded-For) and "direct"
// (the peer's: direct_remote_ip or the deprecated source_ip).
func addresses(p *rbacpb.Principal, remote, direct map[string]bool) {
	if p == nil {
		return
	}
	cidr := func(c *corev3.CidrRange) string {
		return fmt.Sprintf("%s/%d", c.GetAddressPrefix(), c.GetPrefixLen().GetValue())
	}
	switch v := p.GetIdentifier().(type) {
	case *rbacpb.Principal_RemoteIp:
		remote[cidr(v.RemoteIp)] = true
	case *rbacpb.Principal_DirectRemoteIp:
		direct[cidr(v.DirectRemoteIp)] = true
	case *rbacpb.Principal_SourceIp:
		// Deprecated, and the peer's address too.
		direct["source_ip"] = true
	}
	for _, q := range p.GetAndIds().GetIds() {
		addresses(q, remote, direct)
	}
	for _, q := range p.GetOrIds().GetIds() {
		addresses(q, remote, direct)
	}
	addresses(p.GetNotId(), remote, direct)
}

// installIPPolicy is an edge that sends the PROXY protocol to a gateway
// whose pods bind no privileged ports, with IP policies on one route of
// the HTTP listener and on the TLS listener, and none on the TCP one.
const installIPPolicy = `
edge: {forwardFor: true}
gateway:
  namespace: gateways
  routesNamespace: web
  addresses: [10.0.0.10]
  proxyProtocol: envoyFilter
  service: {unprivilegedPorts: true}
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}, ipPolicy: {deny: [198.51.100.0/24]}}
- {name: db, port: 31400, protocol: TCP}
routes:
- {name: app, listener: web, hosts: [app.example.com], pathPrefix: /api/, backend: app, ipPolicy: {allow: [10.0.0.0/8, 192.0.2.7]}}
- {name: open, listener: web, hosts: [open.example.com], backend: app}
- {name: pass, listener: tls, hosts: ["*.pass.example.com"], terminateAt: backend, backend: ext}
- {name: db, listener: db, backend: db}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
- {name: ext, external: {host: api.partner.example.net, port: 443}}
- {name: db, service: {host: db.data.svc.cluster.local, port: 5432}}
`

// TestInstallRBAC: Istio's translation of the AuthorizationPolicy
// generated for installIPPolicy puts an RBAC filter on the listeners of
// the protected routes' target ports (Envoy's HTTP RBAC filter on the HTTP
// chain of 0.0.0.0_8080, the network one on 0.0.0.0_8443), where one DENY
// policy per model policy names that port and holds exactly the model's
// networks as remote_ip (the client address from the PROXY header or the
// trusted X-Forwarded-For hop), never as direct_remote_ip (the peer: the
// edge). Istio writes every policy of the workload on each of its
// listeners, so on the others (0.0.0.0_31400) no policy may match the
// listener's port. The simulator does not model RBAC or source
// addresses; rbacDenies evaluates the filters' rules for clients inside
// and outside the networks, refusing any rule it does not know.
func TestInstallRBAC(t *testing.T) {
	c := parseConfig(t, installIPPolicy)
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := installTiers(t, c)
	g := Load(t, w.istio, w.opts)
	defer func() {
		if t.Failed() {
			t.Logf("istio.yaml:\n%s", w.istio)
		}
	}()

	filters := rbacFilters(t, g)
	for _, b := range rbacProblems(p, filters) {
		t.Error(b)
	}
	for _, f := range filters {
		// HTTP routes' policies are in the HTTP connection manager's
		// filter; the TLS passed through, in the network filter.
		if http := f.port == 8080; f.http != http {
			t.Errorf("%s: RBAC filter http=%v; want %v", f.listener, f.http, http)
		}
	}

	for _, tc := range []struct {
		port   int
		r      rbacRequest
		denied bool
	}{
		{8080, rbacRequest{host: "app.example.com", path: "/api/x", remote: "10.1.2.3"}, false},
		{8080, rbacRequest{host: "app.example.com", path: "/api/x", remote: "192.0.2.7"}, false},
		{8080, rbacRequest{host: "app.example.com", path: "/api/x", remote: "192.0.2.8"}, true},
		{8080, rbacRequest{host: "APP.example.com", path: "/api/x", remote: "203.0.113.5"}, true},
		{8080, rbacRequest{host: "app.example.com", path: "/other", remote: "203.0.113.5"}, false},
		{8080, rbacRequest{host: "open.example.com", path: "/api/x", remote: "203.0.113.5"}, false},
		{8443, rbacRequest{sni: "a.pass.example.com", remote: "198.51.100.9"}, true},
		{8443, rbacRequest{sni: "a.pass.example.com", remote: "203.0.113.5"}, false},
		{31400, rbacRequest{remote: "198.51.100.9"}, false},
		{31400, rbacRequest{remote: "203.0.113.5"}, false},
	} {
		tc.r.port = tc.port
		denied, err := rbacDenies(filters, tc.r)
		if err != nil {
			t.Fatal(err)
		}
		if denied != tc.denied {
			t.Errorf("RBAC denies %+v = %v; want %v", tc.r, denied, tc.denied)
		}
	}
}

// rbacProblems says where the RBAC filters of a gateway disagree with
// the IP policies of its plan p: each policy names one target port, a
// protected one; on a protected port's listener the policies naming that
// port hold exactly the model's networks, as remote_ip; no principal
// matches the peer's address.
func rbacProblems(p *route.Plan, filters []rbacOf) []string {
	var bad []string
	want := map[int][]string{}
	for i := range p.Routes {
		h := p.Routes[i].Gateway
		if h == nil || len(h.IPPolicies) == 0 || h.Same >= 0 {
			continue
		}
		for _, pol := range h.IPPolicies {
			for _, n := range append(slices.Clone(pol.Allow), pol.Deny...) {
				want[h.TargetPort] = append(want[h.TargetPort], n.String())
			}
		}
	}
	for port := range want {
		slices.Sort(want[port])
		want[port] = slices.Compact(want[port])
	}
	// got are the networks of the policies naming a listener's own port.
	got := map[string]map[string]bool{}
	ports := map[string]int{}
	for _, f := range filters {
		for name, pol := range f.rules.GetPolicies() {
			remote, direct := map[string]bool{}, map[string]bool{}
			for _, pr := range pol.GetPrincipals() {
				addresses(pr, remote, direct)
			}
			if len(direct) > 0 {
				bad = append(bad, fmt.Sprintf("%s chain %q policy %s matches the peer's address %v; want the client's (remote_ip) only", f.listener, f.chain, name, slices.Sorted(maps.Keys(direct))))
			}
			named := map[int]bool{}
			for _, perm := range pol.GetPermissions() {
				destinationPorts(perm, named)
			}
			if len(named) != 1 {
				bad = append(bad, fmt.Sprintf("%s policy %s applies to ports %v; want one target port", f.listener, name, named))
				continue
			}
			for port := range named {
				if _, ok := want[port]; !ok {
					bad = append(bad, fmt.Sprintf("%s policy %s protects port %d, which no policy of the model protects (%v)", f.listener, name, port, want))
				}
				if port != f.port {
					continue
				}
				k := f.listener + " " + f.chain
				if got[k] == nil {
					got[k] = map[string]bool{}
				}
				maps.Copy(got[k], remote)
				ports[k] = port
			}
		}
	}
	seen := map[int]bool{}
	for k, nets := range got {
		port := ports[k]
		seen[port] = true
		if g := slices.Sorted(maps.Keys(nets)); !slices.Equal(g, want[port]) {
			bad = append(bad, fmt.Sprintf("%s: the policies of port %d hold networks %v; want the model's %v", k, port, g, want[port]))
		}
	}
	for port := range want {
		if !seen[port] {
			bad = append(bad, fmt.Sprintf("no RBAC policy for port %d on its listener; filters on %v", port, rbacListeners(filters)))
		}
	}
	return bad
}

func rbacListeners(fs []rbacOf) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.listener)
	}
	return out
}

// destinationPorts adds the destination ports a permission names.
func destinationPorts(p *rbacpb.Permission, ports map[int]bool) {
	if p == nil {
		return
	}
	if dp := p.GetDestinationPort(); dp != 0 {
		ports[int(dp)] = true
	}
	for _, q := range p.GetAndRules().GetRules() {
		destinationPorts(q, ports)
	}
	for _, q := range p.GetOrRules().GetRules() {
		destinationPorts(q, ports)
	}
}

// rbacRequest is what the RBAC rules of installIPPolicy look at.
type rbacRequest struct {
	port            int
	host, path, sni string
	remote          string
}

// rbacDenies reports whether a DENY RBAC filter on the listener of r's
// port refuses r: one of its policies has a permission and a principal
// matching r. It fails on an action or a rule it does not model.
func rbacDenies(fs []rbacOf, r rbacRequest) (bool, error) {
	addr, err := netip.ParseAddr(r.remote)
	if err != nil {
		return false, err
	}
	for _, f := range fs {
		if f.port != r.port {
			continue
		}
		if f.rules.GetAction() != rbacpb.RBAC_DENY {
			return false, fmt.Errorf("%s: RBAC action %v; the model writes DENY policies only", f.listener, f.rules.GetAction())
		}
		for name, pol := range f.rules.GetPolicies() {
			perm, err := anyOf(pol.GetPermissions(), func(p *rbacpb.Permission) (bool, error) { return permits(p, r, f.http) })
			if err != nil {
				return false, fmt.Errorf("%s policy %s: %w", f.listener, name, err)
			}
			prin, err := anyOf(pol.GetPrincipals(), func(p *rbacpb.Principal) (bool, error) { return principal(p, addr) })
			if err != nil {
				return false, fmt.Errorf("%s policy %s: %w", f.listener, name, err)
			}
			if perm && prin {
				return true, nil
			}
		}
	}
	return false, nil
}

func anyOf[T any](xs []T, f func(T) (bool, error)) (bool, error) {
	for _, x := range xs {
		if ok, err := f(x); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func allOf[T any](xs []T, f func(T) (bool, error)) (bool, error) {
	for _, x := range xs {
		if ok, err := f(x); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// permits reports whether permission p matches r, as Envoy's RBAC does
// for the rules Istio writes from an AuthorizationPolicy's hosts, paths,
// ports and connection.sni.
func permits(p *rbacpb.Permission, r rbacRequest, http bool) (bool, error) {
	rec := func(q *rbacpb.Permission) (bool, error) { return permits(q, r, http) }
	switch v := p.GetRule().(type) {
	case *rbacpb.Permission_Any:
		return v.Any, nil
	case *rbacpb.Permission_AndRules:
		return allOf(v.AndRules.GetRules(), rec)
	case *rbacpb.Permission_OrRules:
		return anyOf(v.OrRules.GetRules(), rec)
	case *rbacpb.Permission_NotRule:
		ok, err := rec(v.NotRule)
		return !ok, err
	case *rbacpb.Permission_DestinationPort:
		return int(v.DestinationPort) == r.port, nil
	case *rbacpb.Permission_Header:
		if !http || v.Header.GetName() != ":authority" || v.Header.GetStringMatch() == nil {
			return false, fmt.Errorf("header rule %v not modelled", v.Header)
		}
		return stringMatches(v.Header.GetStringMatch(), r.host)
	case *rbacpb.Permission_UrlPath:
		if !http || v.UrlPath.GetPath() == nil {
			return false, fmt.Errorf("path rule %v not modelled", v.UrlPath)
		}
		return stringMatches(v.UrlPath.GetPath(), r.path)
	case *rbacpb.Permission_RequestedServerName:
		return stringMatches(v.RequestedServerName, r.sni)
	}
	return false, fmt.Errorf("permission %v not modelled", p)
}

// principal reports whether principal p matches a client of address addr.
func principal(p *rbacpb.Principal, addr netip.Addr) (bool, error) {
	rec := func(q *rbacpb.Principal) (bool, error) { return principal(q, addr) }
	switch v := p.GetIdentifier().(type) {
	case *rbacpb.Principal_Any:
		return v.Any, nil
	case *rbacpb.Principal_AndIds:
		return allOf(v.AndIds.GetIds(), rec)
	case *rbacpb.Principal_OrIds:
		return anyOf(v.OrIds.GetIds(), rec)
	case *rbacpb.Principal_NotId:
		ok, err := rec(v.NotId)
		return !ok, err
	case *rbacpb.Principal_RemoteIp:
		a, err := netip.ParseAddr(v.RemoteIp.GetAddressPrefix())
		if err != nil {
			return false, err
		}
		pfx, err := a.Prefix(int(v.RemoteIp.GetPrefixLen().GetValue()))
		if err != nil {
			return false, err
		}
		return pfx.Contains(addr), nil
	}
	return false, fmt.Errorf("principal %v not modelled", p)
}

// otherGateway is a Gateway of another gateway workload (labels
// istio=other-gateway), with a route of its own.
const otherGateway = `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: other, namespace: others}
spec:
  selector: {istio: other-gateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/other.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other, namespace: others}
spec:
  hosts: [other.example.com]
  gateways: [others/other]
  http:
  - route:
    - destination: {host: other.others.svc.cluster.local, port: {number: 8080}}
`

// TestInstallProxyProtocolSelected: with either way of configuring the
// gateway's PROXY protocol that reaches one gateway (the EnvoyFilter with
// a workload selector in the workload's namespace, and the
// proxy.istio.io/config annotation of the chart's podAnnotations for
// "native"), Istio gives envoy.filters.listener.proxy_protocol to every
// listener of the selected gateway and to no listener of two others
// beside it: pods with other labels in the same namespace, served by a
// Gateway of their own, and pods with the same labels in another
// namespace, which the edge's Gateway selects too (a Gateway's selector
// reaches every namespace) but the namespaced EnvoyFilter does not.
func TestInstallProxyProtocolSelected(t *testing.T) {
	for _, mode := range []route.GatewayProxyProtocol{route.GatewayProxyEnvoyFilter, route.GatewayProxyNative} {
		t.Run(string(mode), func(t *testing.T) {
			c := parseConfig(t, strings.Replace(installIPPolicy, "proxyProtocol: envoyFilter", "proxyProtocol: "+string(mode), 1))
			if mode == route.GatewayProxyNative {
				w, _ := installTiers(t, c)
				if w.opts.ProxyConfig == "" {
					t.Fatal("native PROXY protocol writes no proxy.istio.io/config annotation")
				}
			}
			bad, empty := proxyProtocolProblems(t, c)
			if empty {
				t.Fatal("the selected gateway has no listeners")
			}
			for _, b := range bad {
				t.Error(b)
			}
		})
	}
}

// proxyProtocolProblems says where Istio's translation of c's gateway
// tier, beside otherGateway, gives the PROXY protocol listener filter to
// other gateways than the selected one, or leaves a listener of the
// selected one without it; empty reports that the selected gateway has
// no listeners to look at.
//
// A gateway with the selected one's labels in another namespace is
// looked at only when the workload namespace is not Istio's root
// namespace (istio-system): an EnvoyFilter there applies to the workloads
// it selects in every namespace, as the Gateway's selector does.
func proxyProtocolProblems(t *testing.T, c *route.Config) (bad []string, empty bool) {
	w, _ := installTiers(t, c)
	if bytes.Contains(w.istio, []byte("kind: IstioOperator")) {
		return []string{"the PROXY protocol is set mesh-wide (IstioOperator); want it per gateway"}, false
	}
	stream := append(slices.Clone(w.istio), otherGateway...)
	ns := cmpOr(w.opts.Namespace, "istio-system")
	type gateway struct {
		name     string
		opts     Options
		selected bool
	}
	gws := []gateway{
		{"selected", w.opts, true},
		{"other labels, same namespace", Options{Namespace: ns, Labels: map[string]string{"istio": "other-gateway"}}, false},
	}
	if ns != "istio-system" {
		gws = append(gws, gateway{"same labels, other namespace", Options{Namespace: "elsewhere", Labels: w.opts.Labels}, false})
	}
	for _, gw := range gws {
		g := Load(t, stream, gw.opts)
		ls := g.Listeners()
		if len(ls) == 0 {
			if gw.selected {
				return nil, true
			}
			bad = append(bad, fmt.Sprintf("%s gateway (%s %v): no listeners", gw.name, gw.opts.Namespace, gw.opts.Labels))
		}
		for _, l := range ls {
			if has := slices.Contains(l.Filters, proxyProtocol); has != gw.selected {
				bad = append(bad, fmt.Sprintf("%s gateway (%s %v): listener %s filters %q: proxy_protocol = %v; want %v",
					gw.name, gw.opts.Namespace, gw.opts.Labels, l.Name, l.Filters, has, gw.selected))
			}
		}
	}
	if len(bad) > 0 {
		bad = append(bad, fmt.Sprintf("istio.yaml:\n%s\nProxyConfig: %s", stream, w.opts.ProxyConfig))
	}
	return bad, false
}

// TestInstallGeneratedProxyProtocol: for generated configurations whose
// gateway reads the PROXY protocol, proxyProtocolProblems finds nothing.
func TestInstallGeneratedProxyProtocol(t *testing.T) {
	var seeds []uint64
	for seed := uint64(0); seed < installSeeds && len(seeds) < installCases; seed++ {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		if c.Gateway == nil || c.Gateway.ProxyProtocol == route.GatewayProxyOff {
			continue
		}
		if _, err := c.Plan(); err != nil {
			continue
		}
		bad, empty := proxyProtocolProblems(t, c)
		if empty {
			continue
		}
		seeds = append(seeds, seed)
		if len(bad) > 0 {
			t.Errorf("seed %d (proxyProtocol %s):\n  %s", seed, c.Gateway.ProxyProtocol, strings.Join(bad, "\n  "))
		}
	}
	t.Logf("seeds %v", seeds)
	if len(seeds) < installCases {
		t.Errorf("%d seeds with a PROXY protocol gateway among %d; want %d", len(seeds), installSeeds, installCases)
	}
}

// TestInstallGeneratedRBAC: for generated configurations whose gateway
// enforces IP policies, Istio's RBAC filters agree with the plan as
// rbacProblems checks.
func TestInstallGeneratedRBAC(t *testing.T) {
	var seeds []uint64
	for seed := uint64(0); seed < installSeeds && len(seeds) < installCases; seed++ {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		p, err := c.Plan()
		if err != nil || p.Gateway == nil || p.Gateway.AuthorizationPolicy == "" {
			continue
		}
		seeds = append(seeds, seed)
		w, _ := installTiers(t, c)
		g := Load(t, w.istio, w.opts)
		if bad := rbacProblems(p, rbacFilters(t, g)); len(bad) > 0 {
			t.Errorf("seed %d:\n  %s\nistio.yaml:\n%s", seed, strings.Join(bad, "\n  "), w.istio)
		}
	}
	t.Logf("seeds %v", seeds)
	if len(seeds) < installCases {
		t.Errorf("%d seeds with gateway IP policies among %d; want %d", len(seeds), installSeeds, installCases)
	}
}
