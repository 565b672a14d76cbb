package check_test

import (
	"fmt"
	"log"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// A Gateway whose redirect server for "*" shares the Gateway with a plain
// HTTP server: Istio sets require_tls on that host too.
func ExampleGateway_Route() {
	objs, err := istiocfg.ReadYAML([]byte(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [app.example.com]
  - port: {number: 80, name: http-redirect, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [app.example.com]
    tls: {mode: SIMPLE, credentialName: app-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app, namespace: istio-system}
spec:
  hosts: [app.example.com]
  gateways: [web]
  http:
  - name: app
    route: [{destination: {host: app.apps.svc.cluster.local, port: {number: 8080}}}]
`))
	if err != nil {
		log.Fatal(err)
	}
	g, err := check.NewGateway(objs, check.Workload{
		Namespace: "istio-system",
		Labels:    map[string]string{"istio": "ingressgateway"},
	})
	if err != nil {
		log.Fatal(err)
	}
	hop := g.Route(check.GatewayRequest{Port: 443, TLS: true, SNI: "app.example.com", Path: "/"})
	fmt.Println(hop.Gateway, hop.Server, hop.Credential, hop.VirtualService, hop.Route, hop.Destinations)

	hop = g.Route(check.GatewayRequest{Port: 80, Host: "app.example.com", Path: "/"})
	fmt.Println(hop.Server, "redirect:", hop.HTTPSRedirect, "problems:", len(hop.Problems))
	// Output:
	// istio-system/web https app-cert istio-system/app app [app.apps.svc.cluster.local:8080]
	// http redirect: true problems: 1
}

// The legacy EnvoyFilter that merges proxy_protocol into the listener
// appends it after the tls_inspector Istio already put there.
func ExampleGateway_ListenerFilters() {
	objs, err := istiocfg.ReadYAML([]byte(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [app.example.com]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app, namespace: istio-system}
spec:
  hosts: [app.example.com]
  gateways: [web]
  tls:
  - match: [{sniHosts: [app.example.com]}]
    route: [{destination: {host: app.apps.svc.cluster.local, port: {number: 8443}}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: proxy-protocol, namespace: istio-system}
spec:
  workloadSelector:
    labels: {istio: ingressgateway}
  configPatches:
  - applyTo: LISTENER
    patch:
      operation: MERGE
      value:
        listener_filters:
        - name: envoy.filters.listener.proxy_protocol
        - name: envoy.filters.listener.tls_inspector
`))
	if err != nil {
		log.Fatal(err)
	}
	g, err := check.NewGateway(objs, check.Workload{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range g.ListenerFilters(443) {
		fmt.Println(f)
	}
	// Output:
	// envoy.filters.listener.tls_inspector
	// envoy.filters.listener.proxy_protocol
	// envoy.filters.listener.tls_inspector
}
