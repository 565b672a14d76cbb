package route_test

import (
	"fmt"

	"github.com/drawbridge-go/drawbridge/route"
)

// Build a Config in Go: HAProxy passes TLS through by SNI to the Istio
// gateway, which terminates it, and sends PROXY protocol so the gateway sees
// the client's address.
func Example_buildConfig() {
	c := &route.Config{
		Name: "shop",
		Edge: &route.Edge{},
		Gateway: &route.Gateway{
			Addresses:     []string{"10.0.0.10"},
			ProxyProtocol: route.GatewayProxyNative,
		},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{{
			Name:        "shop",
			Listener:    "tls",
			Hosts:       []string{"shop.example.com", "*.shop.example.com"},
			TerminateAt: route.TierGateway,
			Credential:  "shop-cert",
			Backend:     "web",
		}},
		Backends: []route.Backend{{
			Name:    "web",
			Service: &route.Service{Host: "web.shop.svc.cluster.local", Port: 8080},
		}},
	}
	if err := c.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	r := &c.Routes[0]
	fmt.Println("gateway hosts:", route.GatewayHosts(r))
	fmt.Println("gateway port:", c.GatewayPort(r))
	fmt.Println("edge sends PROXY:", c.EdgeSendsProxy())
	// Output:
	// gateway hosts: [shop.example.com *.shop.example.com]
	// gateway port: 443
	// edge sends PROXY: true
}

// Validate reports every problem at once, each with its field path.
func ExampleConfig_Validate() {
	c := &route.Config{
		Edge:      &route.Edge{},
		Listeners: []route.Listener{{Name: "web", Port: 80, Protocol: route.HTTP}},
		Routes: []route.Route{
			{Name: "a", Listener: "web", Hosts: []string{"*."}, Backend: "app"},
			{Name: "b", Listener: "web", Hosts: []string{"b.example.com"}, Backend: "nope"},
		},
		Backends: []route.Backend{{Name: "app", Servers: []route.Server{{Address: "10.0.0.1:8080"}}}},
	}
	fmt.Println(c.Validate())
	// Output:
	// route: invalid configuration: 2 problems:
	//   routes[0].hosts[0]: "*.": empty label (at byte 2)
	//   routes[1].backend: no backend named "nope"
}
