package istiotest

import (
	"slices"
	"testing"

	tls "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/drawbridge-go/drawbridge/route"
)

// namespacedEdge is a gateway in its own namespace, its Gateway in another,
// and routes and backends in the applications' namespaces: short service
// hosts, a DestinationRule for a Kubernetes Service, a ServiceEntry of
// static servers, an external host, and routes sidecars use too (one to
// the external host, whose ServiceEntry must then be seen wherever the
// VirtualService is).
const namespacedEdge = `
gateway:
  namespace: gateways
  routesNamespace: edge-routes
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: shop, listener: web, hosts: [shop.example.com], backend: shop, namespace: shop}
- {name: legacy, listener: web, hosts: [legacy.example.com], backend: shop}
- {name: blog, listener: web, hosts: [blog.example.com], backend: blog, namespace: blog}
- {name: pass, listener: tls, hosts: [pass.example.com], terminateAt: backend, backend: static, namespace: shop}
- {name: mesh, listener: web, hosts: [cart.example.com], backend: cart, meshBackend: cart, namespace: shop}
- {name: news, listener: web, hosts: [news.example.com], backend: blog, meshBackend: cart, namespace: blog}
backends:
- {name: shop, service: {host: front, port: 8443}, namespace: shop, tls: {caFile: /etc/ca.pem}}
- {name: cart, service: {host: cart.shop.svc.cluster.local, port: 8443}, tls: {caFile: /etc/ca.pem}}
- {name: blog, external: {host: blog.example.net, port: 443}, namespace: blog, tls: {caFile: /etc/ca.pem}}
- {name: static, servers: [{address: "10.1.0.1:8443"}], namespace: statics}
`

// TestRouteNamespacesTranslate: Istio's translation of namespacedEdge
// sends each route's requests to its backend's cluster (short hosts
// resolved where they are meant), originates TLS with the
// DestinationRules wherever they are, and its validators and analyzers
// find nothing.
func TestRouteNamespacesTranslate(t *testing.T) {
	c, err := route.Parse([]byte(namespacedEdge))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	w := writeTiers(t, p)
	g := Load(t, w.istio, w.opts)
	for _, tc := range []struct {
		req     Request
		cluster string
		sni     string // of the TLS the gateway originates; "" for none
	}{
		{Request{Port: 80, Host: "shop.example.com", Path: "/"}, "outbound|8443||front.shop.svc.cluster.local", "shop.example.com"},
		{Request{Port: 80, Host: "legacy.example.com", Path: "/"}, "outbound|8443||front.shop.svc.cluster.local", "shop.example.com"},
		{Request{Port: 80, Host: "blog.example.com", Path: "/"}, "outbound|443||blog.example.net", "blog.example.com"},
		{Request{Port: 80, Host: "cart.example.com", Path: "/"}, "outbound|8443||cart.shop.svc.cluster.local", "cart.example.com"},
		{Request{Port: 80, Host: "news.example.com", Path: "/"}, "outbound|443||blog.example.net", "blog.example.com"},
		{Request{Port: 443, TLS: true, SNI: "pass.example.com"}, "outbound|8443||static.statics.svc.cluster.local", ""},
	} {
		res := g.Call(tc.req)
		if res.Error != "" || res.Cluster != tc.cluster || !slices.Contains(g.Clusters(), tc.cluster) {
			t.Errorf("%+v reaches %q (%s); want %q", tc.req, res.Cluster, res.Error, tc.cluster)
			continue
		}
		if got := originatedSNI(g, tc.cluster); got != tc.sni {
			t.Errorf("cluster %s originates TLS with SNI %q; want %q", tc.cluster, got, tc.sni)
		}
	}
	m, err := g.Validate()
	if err != nil {
		t.Fatal(err)
	}
	var st genStats
	for _, s := range append(m.XDS, m.Analyzers...) {
		if !allowed(c, &st, s) {
			t.Errorf("%s", s)
		}
	}
	if t.Failed() {
		t.Logf("istio.yaml:\n%s", w.istio)
	}
}

// originatedSNI returns the SNI of the TLS cluster name originates, or ""
// when it originates none of its own (Istio's automatic mutual TLS is not
// a transport socket of the cluster but a match).
func originatedSNI(g *Gateway, name string) string {
	for _, c := range g.sim.Clusters {
		if c.GetName() != name || c.GetTransportSocket() == nil {
			continue
		}
		u := &tls.UpstreamTlsContext{}
		if c.GetTransportSocket().GetTypedConfig().UnmarshalTo(u) != nil {
			return "(unreadable)"
		}
		return u.GetSni()
	}
	return ""
}
