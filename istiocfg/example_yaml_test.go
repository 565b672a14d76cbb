package istiocfg_test

import (
	"fmt"
	"os"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// Enums whose zero value is the choice (PASSTHROUGH, DISABLE,
// MESH_EXTERNAL) are written, unlike with jsonpb.
func ExampleWriteYAML() {
	gw := &networking.Gateway{
		Selector: map[string]string{"istio": "ingressgateway"},
		Servers: []*networking.Server{{
			Port:  &networking.Port{Number: 443, Protocol: "TLS", Name: "tls"},
			Hosts: []string{"nginx.example.com"},
			Tls:   &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_PASSTHROUGH},
		}},
	}
	dr := &networking.DestinationRule{
		Host: "localhost.local",
		TrafficPolicy: &networking.TrafficPolicy{
			Tls: &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_DISABLE},
		},
	}
	err := istiocfg.WriteYAML(os.Stdout,
		istiocfg.NewGateway("proxy", "istio-system", gw),
		istiocfg.NewDestinationRule("localhost", "istio-system", dr))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// apiVersion: networking.istio.io/v1
	// kind: DestinationRule
	// metadata:
	//   name: localhost
	//   namespace: istio-system
	// spec:
	//   host: localhost.local
	//   trafficPolicy:
	//     tls:
	//       mode: DISABLE
	// ---
	// apiVersion: networking.istio.io/v1
	// kind: Gateway
	// metadata:
	//   name: proxy
	//   namespace: istio-system
	// spec:
	//   servers:
	//   - port:
	//       number: 443
	//       protocol: TLS
	//       name: tls
	//     hosts:
	//     - nginx.example.com
	//     tls:
	//       mode: PASSTHROUGH
	//   selector:
	//     istio: ingressgateway
}

// ReadYAML reads a stream back into istio.io/api messages, strictly.
func ExampleReadYAML() {
	objs, err := istiocfg.ReadYAML([]byte(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn}
spec:
  hosts: [edition.cnn.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  location: MESH_EXTERNAL
  resolution: DNS
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	se := objs[0].Spec.(*networking.ServiceEntry)
	fmt.Println(objs[0].Kind, objs[0].Metadata.Name, se.GetHosts(), se.GetLocation(), se.GetResolution())
	// Output:
	// ServiceEntry cnn [edition.cnn.com] MESH_EXTERNAL DNS
}
