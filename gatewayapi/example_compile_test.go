package gatewayapi_test

import (
	"fmt"
	"os"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/route"
)

// A gateway without an edge: HTTPS terminated with a credential, a path
// served by another service, and a canary split, written as a Gateway and
// an HTTPRoute (with a ReferenceGrant for the Services of another
// namespace).
func ExampleCompile() {
	c := &route.Config{
		Name:    "shop",
		Gateway: &route.Gateway{Namespace: "edge"},
		Listeners: []route.Listener{
			{Name: "https", Port: 443, Protocol: route.HTTPS, TLS: &route.ListenerTLS{CredentialName: "shop-cert"}},
		},
		Routes: []route.Route{
			{Name: "api", Listener: "https", Hosts: []string{"shop.example.com"}, PathPrefix: "/api/", Backend: "api"},
			{Name: "web", Listener: "https", Hosts: []string{"shop.example.com"}, Split: []route.WeightedBackend{{Backend: "web", Weight: 90}, {Backend: "web-canary", Weight: 10}}},
		},
		Backends: []route.Backend{
			{Name: "api", Service: &route.Service{Host: "api.shop.svc.cluster.local", Port: 8080}},
			{Name: "web", Service: &route.Service{Host: "web.shop.svc.cluster.local", Port: 80}},
			{Name: "web-canary", Service: &route.Service{Host: "web-canary.shop.svc.cluster.local", Port: 80}},
		},
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	y, err := gatewayapi.AppendYAML(nil, res.Objects...)
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(y)
	fmt.Println("# Service:", res.Service)
	// Output:
	// apiVersion: v1
	// data:
	//   service: |
	//     spec:
	//       externalTrafficPolicy: Local
	// kind: ConfigMap
	// metadata:
	//   name: shop-options
	//   namespace: edge
	// ---
	// apiVersion: gateway.networking.k8s.io/v1
	// kind: Gateway
	// metadata:
	//   name: shop
	//   namespace: edge
	// spec:
	//   gatewayClassName: istio
	//   infrastructure:
	//     parametersRef:
	//       group: ""
	//       kind: ConfigMap
	//       name: shop-options
	//   listeners:
	//   - hostname: shop.example.com
	//     name: https
	//     port: 443
	//     protocol: HTTPS
	//     tls:
	//       certificateRefs:
	//       - name: shop-cert
	//       mode: Terminate
	// ---
	// apiVersion: gateway.networking.k8s.io/v1
	// kind: HTTPRoute
	// metadata:
	//   name: api
	//   namespace: edge
	// spec:
	//   hostnames:
	//   - shop.example.com
	//   parentRefs:
	//   - name: shop
	//     sectionName: https
	//   rules:
	//   - backendRefs:
	//     - name: api
	//       namespace: shop
	//       port: 8080
	//     matches:
	//     - path:
	//         type: RegularExpression
	//         value: /api/.*
	//     name: api
	//   - backendRefs:
	//     - name: web
	//       namespace: shop
	//       port: 80
	//       weight: 90
	//     - name: web-canary
	//       namespace: shop
	//       port: 80
	//       weight: 10
	//     name: web
	// ---
	// apiVersion: gateway.networking.k8s.io/v1
	// kind: ReferenceGrant
	// metadata:
	//   name: shop-routes
	//   namespace: shop
	// spec:
	//   from:
	//   - group: gateway.networking.k8s.io
	//     kind: HTTPRoute
	//     namespace: edge
	//   to:
	//   - group: ""
	//     kind: Service
	// # Service: shop-istio
}
