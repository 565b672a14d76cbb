package istiocfg_test

import (
	"fmt"
	"log"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// A gateway that terminates shop.example.com and www.shop.example.com with
// one credential asks cert-manager for it: the Certificate is named after
// the credential, lives where the gateway reads the secret, and names
// every host the credential is served for. HTTP-01 works here because the
// edge's port 80 sends the challenges of those hosts to the gateway.
func ExampleAppendCertificates() {
	c, err := route.Parse([]byte(`
edge: {}
gateway:
  addresses: [10.0.0.10]
  certificates:
    issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    challenge: http01
listeners:
- {name: web, port: 80, protocol: HTTP, redirectHTTPS: true, acme: {gateway: true}}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: shop-cert}}
routes:
- {name: shop, listener: tls, hosts: [shop.example.com, www.shop.example.com], terminateAt: gateway, backend: shop}
backends:
- {name: shop, service: {host: web.shop.svc.cluster.local, port: 8080}}
`))
	if err != nil {
		log.Fatal(err)
	}
	res, err := istiocfg.Compile(c)
	if err != nil {
		log.Fatal(err)
	}
	y, err := istiocfg.AppendCertificates(nil, res.Certificates...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(y))
	// Output:
	// apiVersion: cert-manager.io/v1
	// kind: Certificate
	// metadata:
	//   name: shop-cert
	//   namespace: istio-system
	// spec:
	//   dnsNames:
	//   - shop.example.com
	//   - www.shop.example.com
	//   issuerRef:
	//     group: cert-manager.io
	//     kind: ClusterIssuer
	//     name: letsencrypt
	//   secretName: shop-cert
}
