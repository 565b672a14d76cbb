package check_test

import (
	"fmt"
	"log"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// Trace a request through an edge that passes TLS through with a PROXY
// header to a gateway that does not read one.
func ExampleTrace() {
	cfg, err := haproxycfg.Parse("haproxy.cfg", []byte(`
frontend fe_tls
    mode tcp
    bind *:443
    default_backend gateway

backend gateway
    mode tcp
    server gw1 10.0.0.10:443 send-proxy-v2
`))
	if err != nil {
		log.Fatal(err)
	}
	e, err := check.NewEdge(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	objs, err := istiocfg.ReadYAML([]byte(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [app.example.com]
    tls: {mode: SIMPLE, credentialName: app-cert}
`))
	if err != nil {
		log.Fatal(err)
	}
	g, err := check.NewGateway(objs, check.Workload{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}})
	if err != nil {
		log.Fatal(err)
	}
	js := check.Trace(e, g, []string{"10.0.0.10"}, []check.EdgeRequest{{Port: 443, TLS: true, SNI: "app.example.com", Host: "app.example.com", Path: "/"}})
	j := js[0]
	fmt.Println("edge:", j.Edge.Frontend, "->", j.Edge.Backend, j.Edge.Servers, "PROXY", j.Edge.Proxy)
	fmt.Println("gateway:", j.Gateway.Gateway, "server", j.Gateway.Server, "ends TLS:", j.Gateway.TerminatesTLS)
	for _, f := range check.Findings(js) {
		fmt.Printf("%s at %s: %s\n", f.Severity, f.Where[0], f.Detail)
	}
	// Output:
	// edge: fe_tls -> gateway [10.0.0.10:443] PROXY v2
	// gateway: istio-system/web server https ends TLS: true
	// error at haproxy.cfg:9: the edge sends a PROXY header (v2) to gateway port 443, which does not read one: Envoy takes it for the start of the request and the connection fails
	// error at haproxy.cfg:9: no VirtualService route bound to the gateway takes Host "app.example.com": Envoy answers 404
}
