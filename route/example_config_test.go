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
	p, err := c.Plan()
	if err != nil {
		fmt.Println(err)
		return
	}
	rp := p.Routes[0]
	pool := p.Pools[rp.Edge.Pool]
	srv := p.Gateway.Servers[rp.Gateway.Server]
	fmt.Println("edge:", rp.Edge.Mode, "to", pool.Addresses(), "PROXY", pool.Proxy)
	fmt.Println("gateway server:", srv.Port, srv.Protocol, srv.Mode, srv.Credential, srv.Hosts)
	fmt.Println("TLS ends at:", rp.TLSEnds)
	// Output:
	// edge: passthrough to [10.0.0.10:443] PROXY v2
	// gateway server: 443 HTTPS SIMPLE shop-cert [*.shop.example.com shop.example.com]
	// TLS ends at: gateway
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
