package istiocfg_test

import (
	"fmt"

	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// ExampleReadMeshSettings reads the gateway topology from the Helm values
// of the istio/gateway chart.
func ExampleReadMeshSettings() {
	values := []byte(`replicaCount: 2
labels:
  istio: ingressgateway
podAnnotations:
  proxy.istio.io/config: |
    gatewayTopology:
      proxyProtocol: {}
`)
	s, err := istiocfg.ReadMeshSettings(values)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Source, s.Labels, s.ProxyProtocol(), s.NumTrustedProxies(), s.Ignored)
	// Output: gateway values map[istio:ingressgateway] true 0 [replicaCount]
}
