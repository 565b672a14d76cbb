package istiocfg

import (
	"bytes"
	"path/filepath"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/internal/golden"
)

var ingress = map[string]string{"istio": "ingressgateway"}

// seeds are the resources of the seed documents, rebuilt with the
// builders.
var seeds = map[string]func() []Object{
	// Istio's samples/bookinfo/networking/bookinfo-gateway.yaml.
	"seed-bookinfo": func() []Object {
		vs := virtualServiceSpec([]string{"*"}, []string{"bookinfo-gateway"})
		var match []*networking.HTTPMatchRequest
		for _, u := range []*networking.StringMatch{uriExact("/productpage"), uriPrefix("/static"), uriExact("/login"), uriExact("/logout"), uriPrefix("/api/v1/products")} {
			m := httpMatch(nil, 0)
			m.Uri = u
			match = append(match, m)
		}
		vs.Http = []*networking.HTTPRoute{httpRouteTo("", match, httpDestination("productpage", 9080, 0))}
		return []Object{
			NewGateway("bookinfo-gateway", "", gatewaySpec(ingress, httpServer("http", 80, "*"))),
			NewVirtualService("bookinfo", "", vs),
		}
	},
	// The blog post "Istio as a Proxy for External Services".
	"seed-proxy-blog": func() []Object {
		httpbin := virtualServiceSpec([]string{"httpbin.org"}, []string{"proxy", Mesh})
		m := httpMatch([]string{"proxy"}, 80)
		m.Uri = uriPrefix("/status")
		httpbin.Http = []*networking.HTTPRoute{
			httpRouteTo("", []*networking.HTTPMatchRequest{m}, httpDestination("httpbin.org", 80, 0)),
			httpRouteTo("", []*networking.HTTPMatchRequest{httpMatch([]string{Mesh}, 80)}, httpDestination("localhost.local", 80, 0)),
		}
		cnn := virtualServiceSpec([]string{"edition.cnn.com"}, []string{"proxy", Mesh})
		cnn.Tls = []*networking.TLSRoute{
			tlsRouteTo([]string{"edition.cnn.com"}, 443, []string{"proxy"}, routeDestination("edition.cnn.com", 443, 0)),
			tlsRouteTo([]string{"edition.cnn.com"}, 443, []string{Mesh}, routeDestination("localhost.local", 443, 0)),
		}
		localTLS := disableTLS()
		localTLS.Sni = "localhost.local"
		return []Object{
			NewGateway("proxy", "", gatewaySpec(ingress, httpServer("http", 80, "httpbin.org"), passthroughServer("tls", 443, "edition.cnn.com"))),
			NewServiceEntry("httpbin-ext", "", externalServiceEntry([]string{"httpbin.org"}, servicePort(80, "HTTP", "http"))),
			NewServiceEntry("cnn", "", externalServiceEntry([]string{"edition.cnn.com"}, servicePort(443, "TLS", "tls"))),
			NewServiceEntry("localhost", "", staticServiceEntry("localhost.local", networking.ServiceEntry_MESH_EXTERNAL, []string{"127.0.0.1"},
				servicePort(80, "HTTP", "http"), servicePort(443, "TLS", "tls"))),
			NewDestinationRule("localhost", "", destinationRuleSpec("localhost.local", localTLS)),
			NewVirtualService("httpbin", "", httpbin),
			NewVirtualService("cnn", "", cnn),
		}
	},
	// Istio's "Configuring Gateway Network Topology": the PROXY-protocol
	// EnvoyFilter (with typed_config and current filter names), the
	// IstioOperator setting numTrustedProxies, and today's native
	// gatewayTopology.proxyProtocol.
	"seed-network-topology": func() []Object {
		return []Object{
			NewEnvoyFilter("proxy-protocol", "istio-system", proxyProtocolEnvoyFilter(ingress)),
			NewIstioOperator("topology", "istio-system", meshConfigTopology(gatewayTopology(2, false))),
			NewIstioOperator("proxy-protocol", "istio-system", meshConfigTopology(gatewayTopology(0, true))),
		}
	},
	// Istio's "Envoy Access Logs": mesh-wide, and for the ingress gateway
	// only.
	"seed-access-log": func() []Object {
		return []Object{
			NewTelemetry("mesh-default", "istio-system", accessLogTelemetry(nil, "envoy")),
			NewTelemetry("ingress-access-log", "istio-system", accessLogTelemetry(ingress)),
		}
	},
}

func TestSeedGolden(t *testing.T) {
	for name, build := range seeds {
		t.Run(name, func(t *testing.T) {
			objs := build()
			var out bytes.Buffer
			if err := WriteYAML(&out, objs...); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".txtar"), "istio.yaml", out.Bytes())
			checkReadBack(t, out.Bytes(), objs)
		})
	}
}
