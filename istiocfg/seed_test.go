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
		vs := VirtualServiceSpec([]string{"*"}, []string{"bookinfo-gateway"})
		var match []*networking.HTTPMatchRequest
		for _, u := range []*networking.StringMatch{URIExact("/productpage"), URIPrefix("/static"), URIExact("/login"), URIExact("/logout"), URIPrefix("/api/v1/products")} {
			m := HTTPMatch(nil, 0)
			m.Uri = u
			match = append(match, m)
		}
		vs.Http = []*networking.HTTPRoute{HTTPRouteTo("", match, HTTPDestination("productpage", 9080, 0))}
		return []Object{
			NewGateway("bookinfo-gateway", "", GatewaySpec(ingress, HTTPServer("http", 80, "*"))),
			NewVirtualService("bookinfo", "", vs),
		}
	},
	// The blog post "Istio as a Proxy for External Services".
	"seed-proxy-blog": func() []Object {
		httpbin := VirtualServiceSpec([]string{"httpbin.org"}, []string{"proxy", Mesh})
		m := HTTPMatch([]string{"proxy"}, 80)
		m.Uri = URIPrefix("/status")
		httpbin.Http = []*networking.HTTPRoute{
			HTTPRouteTo("", []*networking.HTTPMatchRequest{m}, HTTPDestination("httpbin.org", 80, 0)),
			HTTPRouteTo("", []*networking.HTTPMatchRequest{HTTPMatch([]string{Mesh}, 80)}, HTTPDestination("localhost.local", 80, 0)),
		}
		cnn := VirtualServiceSpec([]string{"edition.cnn.com"}, []string{"proxy", Mesh})
		cnn.Tls = []*networking.TLSRoute{
			TLSRouteTo([]string{"edition.cnn.com"}, 443, []string{"proxy"}, RouteDestination("edition.cnn.com", 443, 0)),
			TLSRouteTo([]string{"edition.cnn.com"}, 443, []string{Mesh}, RouteDestination("localhost.local", 443, 0)),
		}
		localTLS := DisableTLS()
		localTLS.Sni = "localhost.local"
		return []Object{
			NewGateway("proxy", "", GatewaySpec(ingress, HTTPServer("http", 80, "httpbin.org"), PassthroughServer("tls", 443, "edition.cnn.com"))),
			NewServiceEntry("httpbin-ext", "", ExternalServiceEntry([]string{"httpbin.org"}, ServicePort(80, "HTTP", "http"))),
			NewServiceEntry("cnn", "", ExternalServiceEntry([]string{"edition.cnn.com"}, ServicePort(443, "TLS", "tls"))),
			NewServiceEntry("localhost", "", StaticServiceEntry("localhost.local", networking.ServiceEntry_MESH_EXTERNAL, []string{"127.0.0.1"},
				ServicePort(80, "HTTP", "http"), ServicePort(443, "TLS", "tls"))),
			NewDestinationRule("localhost", "", DestinationRuleSpec("localhost.local", localTLS)),
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
			NewEnvoyFilter("proxy-protocol", "istio-system", ProxyProtocolEnvoyFilter(ingress)),
			NewIstioOperator("topology", "istio-system", MeshConfigTopology(GatewayTopology(2, false))),
			NewIstioOperator("proxy-protocol", "istio-system", MeshConfigTopology(GatewayTopology(0, true))),
		}
	},
	// Istio's "Envoy Access Logs": mesh-wide, and for the ingress gateway
	// only.
	"seed-access-log": func() []Object {
		return []Object{
			NewTelemetry("mesh-default", "istio-system", AccessLogTelemetry(nil, "envoy")),
			NewTelemetry("ingress-access-log", "istio-system", AccessLogTelemetry(ingress)),
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
