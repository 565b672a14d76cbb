package haproxycfg_test

import (
	"fmt"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// Assert on the compiled edge tier in a test, without parsing haproxy.cfg:
// the route model is built in Go, and the typed sections are inspected.
func ExampleConfig_Proxy() {
	c := &route.Config{
		Name:      "shop",
		Edge:      &route.Edge{},
		Gateway:   &route.Gateway{Addresses: []string{"10.0.0.10"}, ProxyProtocol: route.GatewayProxyNative},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{{Name: "shop", Listener: "tls", Hosts: []string{"shop.example.com"},
			TerminateAt: route.TierGateway, Credential: "shop-cert", Backend: "web"}},
		Backends: []route.Backend{{Name: "web", Service: &route.Service{Host: "web.shop.svc.cluster.local", Port: 8080}}},
	}
	res, err := haproxycfg.Compile(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fe := res.Config.Proxy("fe_tls")
	fmt.Println("waits for the hello:", fe.InspectDelay > 0)
	for _, ub := range fe.UseBackends {
		m := ub.Cond.Terms[0].Anon
		fmt.Printf("%s %v -> %s\n", m.Sample.Fetch, m.Patterns, ub.Backend)
	}
	for _, s := range res.Config.Proxy("gw_tcp_443").Servers {
		fmt.Printf("server %s %s send-proxy-v2=%v\n", s.Name, s.Address, s.SendProxyV2)
	}
	// Output:
	// waits for the hello: true
	// req.ssl_sni [shop.example.com] -> gw_tcp_443
	// server gw1 10.0.0.10:443 send-proxy-v2=true
}
