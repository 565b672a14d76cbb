package route_test

import (
	"slices"
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

// nsBase is a gateway in its own namespace whose routes live in
// application namespaces; the cases below add one fault each.
const nsBase = `
edge: {forwardFor: true}
gateway:
  addresses: [10.0.0.10]
  namespace: gateways
  routesNamespace: edge-routes
listeners:
- {name: web, port: 80, protocol: HTTP}
routes:
- {name: shop, listener: web, hosts: [shop.example.com], backend: shop, namespace: shop}
- {name: blog, listener: web, hosts: [blog.example.com], backend: blog}
backends:
- {name: shop, service: {host: front, port: 8443}, namespace: shop, tls: {caFile: /etc/ca.pem}}
- {name: blog, external: {host: blog.example.net, port: 443}, namespace: blog, tls: {insecureSkipVerify: true}}
- {name: static, servers: [{address: "10.1.0.1:80"}]}
`

// TestNamespaceRefusals: namespaces Istio would ignore or that name no
// object.
func TestNamespaceRefusals(t *testing.T) {
	for _, tc := range []classCase{
		{"route namespace", replaceOnce(nsBase, "namespace: shop}\n- {name: blog", "namespace: Shop}\n- {name: blog"), "routes[0].namespace", []string{"Shop"}},
		{"backend namespace", replaceOnce(nsBase, "namespace: blog,", "namespace: blog_1,"), "backends[1].namespace", []string{"blog_1"}},
		{"static servers at the edge", replaceOnce(nsBase, `"10.1.0.1:80"}]}`, `"10.1.0.1:80"}], namespace: x}`), "backends[2].namespace", []string{"does not reach"}},
		{"route the edge answers", replaceOnce(nsBase, "backend: blog}", "backend: static, namespace: x}"), "routes[1].namespace", []string{"does not carry"}},
		{"one VirtualService, two namespaces", replaceOnce(nsBase, "backend: blog}", "backend: blog}\n- {name: shop2, listener: web, hosts: [shop.example.com], pathPrefix: /api, backend: blog, namespace: blog}"),
			"routes[2].namespace", []string{"routes[0]", "shop", "one VirtualService"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc) })
	}
}

// TestRouteNamespaces plans nsBase: the VirtualServices in their routes'
// namespaces name the Gateway with its namespace, and reach a short host
// of another namespace by its full name; the ServiceEntry is in its backend's namespace, and
// the DestinationRule of a Kubernetes Service in the workload's, where
// Istio applies it to the gateway.
func TestRouteNamespaces(t *testing.T) {
	c, err := route.Parse([]byte(replaceOnce(nsBase, "backend: blog}\n", "backend: blog}\n- {name: legacy, listener: web, hosts: [legacy.example.com], backend: shop}\n")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		route, ns, gateway, dest string
		exportTo                 []string
	}{
		{"shop", "shop", "edge-routes/edge", "front.shop.svc.cluster.local", []string{".", "gateways"}},
		{"blog", "edge-routes", "edge", "blog.example.net", []string{".", "gateways"}},
		{"legacy", "edge-routes", "edge", "front.shop.svc.cluster.local", []string{".", "gateways"}},
	} {
		rp := &p.Routes[slices.IndexFunc(p.Routes, func(rp route.RoutePlan) bool { return rp.Route.Name == tc.route })]
		h := rp.Gateway
		if h.Namespace != tc.ns || !slices.Equal(h.Gateways, []string{tc.gateway}) || h.Destinations[0].Host != tc.dest || !slices.Equal(h.ExportTo, tc.exportTo) {
			t.Errorf("route %s: namespace %q, gateways %q, destination %q, exportTo %q; want %q, [%q], %q, %q",
				tc.route, h.Namespace, h.Gateways, h.Destinations[0].Host, h.ExportTo, tc.ns, tc.gateway, tc.dest, tc.exportTo)
		}
	}
	for _, tc := range []struct {
		backend, host, ns, ruleNS string
		ruleExport                []string
	}{
		{"shop", "front.shop.svc.cluster.local", "shop", "gateways", nil},
		{"blog", "blog.example.net", "blog", "blog", []string{".", "gateways"}},
	} {
		gb := p.Gateway.Backends[slices.IndexFunc(p.Gateway.Backends, func(gb route.GatewayBackend) bool { return gb.Name == tc.backend })]
		if gb.Host != tc.host || gb.Namespace != tc.ns || gb.RuleNamespace != tc.ruleNS || !slices.Equal(gb.RuleExportTo, tc.ruleExport) {
			t.Errorf("backend %s: host %q, namespace %q, rule namespace %q exported to %q; want %q, %q, %q, %q",
				tc.backend, gb.Host, gb.Namespace, gb.RuleNamespace, gb.RuleExportTo, tc.host, tc.ns, tc.ruleNS, tc.ruleExport)
		}
	}
}
