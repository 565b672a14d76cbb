package istiotest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/route"
)

// goldenGatewayAPI returns the gateway-api.yaml of the scenario's Gateway
// API golden archive, or nil when it has none.
func goldenGatewayAPI(t *testing.T, scenario string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(scenarios, scenario+".gateway-api.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	y, _ := golden.Parse(data).Get("gateway-api.yaml")
	return y
}

// equivalentErrors are the verdicts of the Istio form (key) that the
// Gateway API form gives otherwise for the same outcome (value).
var equivalentErrors = map[string]string{
	// httpsRedirect on the Istio form's server; a RequestRedirect rule
	// on the Gateway API form's route (the redirect is checked below).
	"tls required, sending 301": "",
}

// TestScenariosGatewayAPI sends every journey of each scenario through
// Istio's translation of both forms of its gateway tier (the Istio API's
// golden istio.yaml with its Helm values, and the Gateway API's golden
// gateway-api.yaml, handed to Istio's own Gateway API controller) and
// checks that they end the same way: the same cluster (or split), the
// filter chain's server names, where TLS ends, the trusted X-Forwarded-For
// hops; and the same listener filters per port (the PROXY protocol).
func TestScenariosGatewayAPI(t *testing.T) {
	for _, sc := range allScenarios {
		t.Run(sc.name, func(t *testing.T) {
			gy := goldenGatewayAPI(t, sc.name)
			if gy == nil {
				t.Skip("no Gateway API objects: the routes hand their traffic to a gateway configured elsewhere")
			}
			iy, iopts := goldenTier(t, sc.name)
			ig := Load(t, append(iy, sc.extra...), iopts)
			gg := Load(t, gy, Options{})
			for _, j := range sc.journeys {
				if j.notGateway != "" {
					continue
				}
				t.Run(j.route, func(t *testing.T) {
					want, got := ig.Call(j.req), gg.Call(j.req)
					wantErr, redirect := want.Error, false
					if e, ok := equivalentErrors[wantErr]; ok {
						wantErr, redirect = e, true
					}
					if got.Error != wantErr || got.Cluster != want.Cluster || !slices.Equal(got.WeightedClusters, want.WeightedClusters) {
						t.Errorf("Call(%+v):\n Gateway API: cluster %q %q, error %q (listener %q, chain %q, virtual host %q, route %q)\n Istio API:   cluster %q %q, error %q (listener %q, chain %q, virtual host %q, route %q)",
							j.req, got.Cluster, got.WeightedClusters, got.Error, got.Listener, got.FilterChain, got.VirtualHost, got.Route,
							want.Cluster, want.WeightedClusters, want.Error, want.Listener, want.FilterChain, want.VirtualHost, want.Route)
					}
					if redirect && (got.Route == "" || got.Cluster != "") {
						t.Errorf("Call(%+v): no redirect route in the Gateway API form (route %q, cluster %q)", j.req, got.Route, got.Cluster)
					}
					if got.TLSTerminated != want.TLSTerminated {
						t.Errorf("Call(%+v): TLS terminated at the gateway: Gateway API %v, Istio API %v", j.req, got.TLSTerminated, want.TLSTerminated)
					}
					if !slices.Equal(got.ServerNames, want.ServerNames) {
						// The scenarios' servers have one host each, as
						// Gateway API listeners: the names are the same.
						t.Errorf("Call(%+v): filter chain server names: Gateway API %q, Istio API %q", j.req, got.ServerNames, want.ServerNames)
					}
					if got.XFFTrustedHops != want.XFFTrustedHops {
						t.Errorf("Call(%+v): xff_num_trusted_hops: Gateway API %d, Istio API %d", j.req, got.XFFTrustedHops, want.XFFTrustedHops)
					}
				})
			}
			t.Run("listener filters", func(t *testing.T) {
				for port := range sc.filters {
					il, _ := ig.Listener(port)
					gl, ok := gg.Listener(port)
					if !ok {
						t.Errorf("no Gateway API listener on port %d", port)
						continue
					}
					if !slices.Equal(gl.Filters, il.Filters) {
						t.Errorf("port %d listener filters: Gateway API %q, Istio API %q", port, gl.Filters, il.Filters)
					}
				}
			})
			t.Run("validate", func(t *testing.T) {
				m, err := gg.Validate()
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range m.XDS {
					t.Errorf("xds: %s", s)
				}
				for _, s := range m.Analyzers {
					t.Errorf("analyzer: %s", s)
				}
			})
		})
	}
}

// TestRouteNamespacesGatewayAPI is TestRouteNamespacesTranslate for the
// Gateway API form: routes in the applications' namespaces (HTTPRoutes
// and TLSRoutes there, admitted by the Gateway's listeners, with
// ReferenceGrants where they name a Service of another namespace) end
// every request as the Istio form does.
func TestRouteNamespacesGatewayAPI(t *testing.T) {
	c, err := route.Parse([]byte(namespacedEdge))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	y := gatewayAPIYAML(t, p)
	w := writeTiers(t, p)
	ig, gg := Load(t, w.istio, w.opts), Load(t, y, Options{})
	for _, req := range []Request{
		{Port: 80, Host: "shop.example.com", Path: "/"},
		{Port: 80, Host: "legacy.example.com", Path: "/"},
		{Port: 80, Host: "blog.example.com", Path: "/"},
		{Port: 80, Host: "cart.example.com", Path: "/"},
		{Port: 443, TLS: true, SNI: "pass.example.com"},
	} {
		want, got := ig.Call(req), gg.Call(req)
		if want.Cluster == "" {
			t.Errorf("%+v: the Istio form reaches no cluster (%s)", req, want.Error)
		}
		for _, d := range sameEnd(req, want, got) {
			t.Errorf("%+v: %s\ngateway-api.yaml:\n%s", req, d, y)
		}
	}
	m, err := gg.Validate()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.XDS {
		t.Errorf("xds: %s", s)
	}
}

// TestListenerSetsGatewayAPI: a gateway with more hosts than a Gateway
// holds listeners, and routes with more hosts and rules than an HTTPRoute
// holds, end the requests for hosts of its Gateway and of its
// ListenerSets, and for every piece of the routes, as the Istio form does.
func TestListenerSetsGatewayAPI(t *testing.T) {
	c := &route.Config{
		Name:      "many",
		Gateway:   &route.Gateway{},
		Listeners: []route.Listener{{Name: "https", Port: 443, Protocol: route.HTTPS, TLS: &route.ListenerTLS{CredentialName: "cert"}}},
		Backends: []route.Backend{
			{Name: "a", Service: &route.Service{Host: "a.apps.svc.cluster.local", Port: 8080}},
			{Name: "b", Service: &route.Service{Host: "b.apps.svc.cluster.local", Port: 8080}},
		},
	}
	for i := range 140 {
		c.Routes = append(c.Routes, route.Route{Name: fmt.Sprintf("r%d", i), Listener: "https", Hosts: []string{fmt.Sprintf("h%03d.example.com", i)}, Backend: []string{"a", "b"}[i%2]})
	}
	// More hostnames and rules than an HTTPRoute holds.
	multi := route.Route{Name: "multi", Listener: "https", Backend: "b"}
	for i := range 40 {
		multi.Hosts = append(multi.Hosts, fmt.Sprintf("m%02d.example.org", i))
	}
	c.Routes = append(c.Routes, multi)
	for i := range 20 {
		c.Routes = append(c.Routes, route.Route{Name: fmt.Sprintf("p%d", i), Listener: "https", Hosts: []string{"p.example.org"}, PathPrefix: fmt.Sprintf("/p%02d/", i), Backend: []string{"a", "b"}[i%2]})
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	y := gatewayAPIYAML(t, p)
	w := writeTiers(t, p)
	ig, gg := Load(t, w.istio, w.opts), Load(t, y, Options{})
	var reqs []Request
	for _, i := range []int{0, 63, 64, 101, 128, 139} {
		h := fmt.Sprintf("h%03d.example.com", i)
		reqs = append(reqs, Request{Port: 443, TLS: true, SNI: h, Host: h, Path: "/"})
	}
	for _, h := range []string{"m00.example.org", "m17.example.org", "m39.example.org"} {
		reqs = append(reqs, Request{Port: 443, TLS: true, SNI: h, Host: h, Path: "/"})
	}
	for _, path := range []string{"/p00/x", "/p15/x", "/p16/x", "/p19/"} {
		reqs = append(reqs, Request{Port: 443, TLS: true, SNI: "p.example.org", Host: "p.example.org", Path: path})
	}
	for _, req := range reqs {
		h := req.Host + req.Path
		want, got := ig.Call(req), gg.Call(req)
		if want.Cluster == "" {
			t.Errorf("%s: the Istio form reaches no cluster (%s)", h, want.Error)
		}
		for _, d := range sameEnd(req, want, got) {
			t.Errorf("%s: %s", h, d)
		}
	}
}

// gatewayAPIYAML is the Gateway API form of p's gateway tier as YAML.
func gatewayAPIYAML(t *testing.T, p *route.Plan) []byte {
	t.Helper()
	res, err := gatewayapi.CompilePlan(p)
	if err != nil {
		t.Fatal(err)
	}
	y, err := res.AppendYAML(nil)
	if err != nil {
		t.Fatal(err)
	}
	return y
}
