package route_test

import (
	"fmt"

	"github.com/drawbridge-go/drawbridge/route"
)

// Match server names at run time, as a custom SNI proxy does for every
// connection.
func ExampleTable_Match() {
	t, err := route.NewTable([]route.Route{
		{Name: "api", Hosts: []string{"api.example.com"}, Backend: "api"},
		{Name: "tenants", Hosts: []string{"*.example.com"}, Backend: "tenants"},
		{Name: "eu", Hosts: []string{"*.eu.example.com"}, Backend: "eu"},
		{Name: "fallback", Hosts: []string{"*"}, Backend: "local"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"API.Example.com.", "shop.example.com", "shop.eu.example.com", "example.org"} {
		fmt.Printf("%-20s -> %s\n", name, t.Match(name).Backend)
	}
	// Output:
	// API.Example.com.     -> api
	// shop.example.com     -> tenants
	// shop.eu.example.com  -> eu
	// example.org          -> local
}

// Find where a custom edge proxy connects for a server name: the Table
// finds the route, Upstream gives the addresses and the PROXY header.
func ExamplePlan_Upstream() {
	c, err := route.Parse([]byte(`
name: edge
edge: {}
gateway: {addresses: [10.0.0.50, 10.0.0.51], proxyProtocol: native}
listeners:
- {name: tls, port: 443, protocol: TLS, tls: {certificates: [/etc/haproxy/certs/]}}
routes:
- {name: app, listener: tls, hosts: ["*.example.com"], backend: app, terminateAt: backend}
- {name: legacy, listener: tls, hosts: [legacy.example.org], backend: legacy, terminateAt: edge}
backends:
- {name: app, service: {host: app.prod.svc.cluster.local, port: 8443}}
- {name: legacy, servers: [{address: "192.0.2.7:443"}], proxyProtocol: v1}
`))
	var p *route.Plan
	if err == nil {
		p, err = c.Plan()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := c.Table("tls")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"shop.example.com", "legacy.example.org"} {
		addrs, pp := p.Upstream(t.Match(name).Name)
		fmt.Println(name, addrs, pp)
	}
	// Output:
	// shop.example.com [10.0.0.50:443 10.0.0.51:443] v2
	// legacy.example.org [192.0.2.7:443] v1
}
