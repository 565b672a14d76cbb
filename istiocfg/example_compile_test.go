package istiocfg_test

import (
	"fmt"
	"os"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// An edge passing TLS through to the gateway, which terminates it, with
// the PROXY protocol between the two.
func ExampleCompile() {
	cfg, err := route.Parse([]byte(`
name: web
edge: {forwardFor: true}
gateway:
  addresses: [10.0.0.10]
  proxyProtocol: native
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- name: shop
  listener: tls
  hosts: [shop.example.com]
  terminateAt: gateway
  credential: shop-cert
  backend: shop
backends:
- name: shop
  service: {host: shop.default.svc.cluster.local, port: 8080}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := istiocfg.Compile(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("gateway pods:", res.GatewayPodAnnotations)
	if err := istiocfg.WriteYAML(os.Stdout, res.Objects...); err != nil {
		fmt.Println(err)
	}
	// Output:
	// gateway pods: map[proxy.istio.io/config:{"gatewayTopology":{"proxyProtocol":{}}}]
	// apiVersion: networking.istio.io/v1
	// kind: Gateway
	// metadata:
	//   name: web
	//   namespace: istio-system
	// spec:
	//   servers:
	//   - port:
	//       number: 443
	//       protocol: HTTPS
	//       name: https
	//     hosts:
	//     - shop.example.com
	//     tls:
	//       mode: SIMPLE
	//       credentialName: shop-cert
	//   selector:
	//     istio: ingressgateway
	// ---
	// apiVersion: networking.istio.io/v1
	// kind: VirtualService
	// metadata:
	//   name: shop
	//   namespace: istio-system
	// spec:
	//   hosts:
	//   - shop.example.com
	//   gateways:
	//   - web
	//   http:
	//   - name: shop
	//     route:
	//     - destination:
	//         host: shop.default.svc.cluster.local
	//         port:
	//           number: 8080
}
