package route_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

// installBase is an edge with PROXY toward a gateway; the cases below add
// one fault each.
const installBase = `
edge: {forwardFor: true}
gateway:
  addresses: [10.0.0.10]
  proxyProtocol: native
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}}
routes:
- {name: app, listener: web, hosts: [app.example.com], backend: app}
- {name: pass, listener: tls, hosts: [pass.example.com], terminateAt: backend, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`

// TestInstallRefusals: each refusal of the gateway's installation and of
// IP policies, with the smallest file that shows it. Before them, these
// fields did not exist and every file failed to parse.
func TestInstallRefusals(t *testing.T) {
	for _, tc := range []classCase{
		{"routes namespace", withGateway(installBase, "  routesNamespace: Web_Apps\n"), "gateway.routesNamespace", []string{"Web_Apps"}},
		{"service name", withGateway(installBase, "  service: {name: 1gw}\n"), "gateway.service.name", []string{"1gw"}},
		{"service type", withGateway(installBase, "  service: {type: ClusterIP}\n"), "gateway.service.type", []string{"ClusterIP"}},
		{"unprivileged port collides", withListener(withGateway(installBase, "  service: {unprivilegedPorts: true}\n"),
			"- {name: alt, port: 8080, protocol: TCP}\n", "- {name: alt-r, listener: alt, backend: app}\n"),
			"gateway.service.unprivilegedPorts", []string{"8080"}},
		{"status port", withListener(installBase, "- {name: st, port: 15021, protocol: TCP}\n", "- {name: st-r, listener: st, backend: app}\n"),
			"gateway", []string{"15021", "status port"}},
		{"empty policy", withRoutePolicy(installBase, "{}"), "routes[0].ipPolicy", []string{"allow or deny"}},
		{"not a network", withRoutePolicy(installBase, "{allow: [10.0.0.0/33]}"), "routes[0].ipPolicy.allow[0]", []string{"10.0.0.0/33"}},
		{"host bits", withRoutePolicy(installBase, "{deny: [10.1.2.3/8]}"), "routes[0].ipPolicy.deny[0]", []string{"10.0.0.0/8"}},
		{"zone", withRoutePolicy(installBase, "{deny: [fe80::1%eth0]}"), "routes[0].ipPolicy.deny[0]", []string{"fe80::1%eth0"}},
		{"edge behind proxies", withRoutePolicy(replaceOnce(installBase, "forwardFor: true", "forwardFor: true, upstreamProxies: 1"), "{allow: [10.0.0.0/8]}"),
			"routes[0].ipPolicy", []string{"upstreamProxies", "acceptProxy"}},
		{"gateway without the client address, TLS", withPassPolicy(replaceOnce(installBase, "  proxyProtocol: native\n", "")),
			"routes[1].ipPolicy", []string{"does not know the client address", "PROXY", "X-Forwarded-For"}},
		{"gateway without the client address, no XFF", withRoutePolicy(replaceOnce(replaceOnce(installBase, "  proxyProtocol: native\n", ""), "{forwardFor: true}", "{}"), "{allow: [10.0.0.0/8]}"),
			"routes[0].ipPolicy", []string{"does not know the client address", "edge.forwardFor"}},
		{"numTrustedProxies ignores PROXY", withPassPolicy(withGateway(installBase, "  numTrustedProxies: 1\n")),
			"routes[1].ipPolicy", []string{"does not know the client address", "numTrustedProxies 1 makes it ignore the PROXY header"}},
		{"one host, two policies", withListener(withRoutePolicy(installBase, "{allow: [10.0.0.0/8]}"),
			"- {name: web2, port: 8080, protocol: HTTP}\n", "- {name: app2, listener: web2, hosts: [app.example.com], backend: app}\n"),
			"routes[2].hosts[0]", []string{"app.example.com", "other IP policies"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc) })
	}
}

// TestInstallPlan: the plan of a gateway whose routes live in another
// namespace, with a NodePort Service on unprivileged ports and IP
// policies: every object's namespace, exportTo, the Service's ports, and
// how the gateway knows each client address.
func TestInstallPlan(t *testing.T) {
	src := withGateway(installBase, "  namespace: gateways\n  routesNamespace: web\n  service: {type: NodePort, unprivilegedPorts: true}\n")
	src = withRoutePolicy(src, "{allow: [10.0.0.0/8, 192.0.2.7]}")
	c, err := route.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	g := p.Gateway
	if g.Namespace != "gateways" || g.RoutesNamespace != "web" || g.Service.Namespace != "gateways" {
		t.Errorf("namespaces = %q, %q, Service %q; want gateways, web, gateways", g.Namespace, g.RoutesNamespace, g.Service.Namespace)
	}
	want := []route.ServicePort{{Name: "status-port", Port: 15021, TargetPort: 15021}, {Name: "http-80", Port: 80, TargetPort: 8080}, {Name: "https-443", Port: 443, TargetPort: 8443}}
	if !slices.Equal(g.Service.Ports, want) || g.Service.Type != route.ServiceNodePort || g.Service.ExternalTrafficPolicyLocal {
		t.Errorf("Service = %+v; want NodePort, ports %v, no Local policy (the edge sends PROXY)", g.Service, want)
	}
	h := p.Routes[0].Gateway
	if h.TargetPort != 8080 || h.Client != route.ClientProxy || len(h.IPPolicies) != 1 ||
		!slices.Equal(h.IPPolicies[0].Allow, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}) {
		t.Errorf("route app at the gateway = target port %d, client %q, policies %+v", h.TargetPort, h.Client, h.IPPolicies)
	}
	if !slices.Equal(h.ExportTo, []string{".", "gateways"}) {
		t.Errorf("ExportTo = %q; want [. gateways]", h.ExportTo)
	}
	if pool := p.Pools[p.Routes[0].Edge.Pool]; pool.Name != "rt_app" || pool.IPPolicy == nil {
		t.Errorf("pool of route app = %s with policy %v; want rt_app with the route's policy", pool.Name, pool.IPPolicy)
	}
	if g.AuthorizationPolicy != "edge-ip-policy" {
		t.Errorf("AuthorizationPolicy = %q", g.AuthorizationPolicy)
	}
}

func replaceOnce(s, old, new string) string {
	i := len(s)
	for j := 0; j+len(old) <= len(s); j++ {
		if s[j:j+len(old)] == old {
			i = j
			break
		}
	}
	if i == len(s) {
		panic("replaceOnce: " + old + " not found")
	}
	return s[:i] + new + s[i+len(old):]
}

func withGateway(s, lines string) string {
	return replaceOnce(s, "  addresses: [10.0.0.10]\n", "  addresses: [10.0.0.10]\n"+lines)
}

func withListener(s, listener, rt string) string {
	s = replaceOnce(s, "routes:\n", listener+"routes:\n")
	return replaceOnce(s, "backends:\n", rt+"backends:\n")
}

func withRoutePolicy(s, pol string) string {
	return replaceOnce(s, "backend: app}\n- {name: pass", "backend: app, ipPolicy: "+pol+"}\n- {name: pass")
}

func withPassPolicy(s string) string {
	return replaceOnce(s, "terminateAt: backend, backend: app}", "terminateAt: backend, backend: app, ipPolicy: {allow: [10.0.0.0/8]}}")
}
