package istiocfg_test

import (
	"fmt"

	networking "istio.io/api/networking/v1"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// Assert on the compiled gateway tier in a test, without YAML: the route
// model is built in Go and the objects are the istio.io/api messages.
func ExampleResult_Find() {
	c := &route.Config{
		Name:      "shop",
		Edge:      &route.Edge{},
		Gateway:   &route.Gateway{Addresses: []string{"10.0.0.10"}, ProxyProtocol: route.GatewayProxyNative},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{{Name: "shop", Listener: "tls", Hosts: []string{"shop.example.com"},
			TerminateAt: route.TierGateway, Credential: "shop-cert", Backend: "web"}},
		Backends: []route.Backend{{Name: "web", Service: &route.Service{Host: "web.shop.svc.cluster.local", Port: 8080}}},
	}
	res, err := istiocfg.Compile(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	gw, _ := res.Find(istiocfg.KindGateway, "shop")
	for _, s := range gw.Spec.(*networking.Gateway).GetServers() {
		fmt.Println(s.GetPort().GetNumber(), s.GetHosts(), s.GetTls().GetMode(), s.GetTls().GetCredentialName())
	}
	vs, _ := res.Find(istiocfg.KindVirtualService, "shop")
	fmt.Println("routes to", vs.Spec.(*networking.VirtualService).GetHttp()[0].GetRoute()[0].GetDestination().GetHost())
	fmt.Println("gateway pods:", istiocfg.ProxyConfigAnnotation+"="+res.GatewayPodAnnotations[istiocfg.ProxyConfigAnnotation])
	// Output:
	// 443 [shop.example.com] SIMPLE shop-cert
	// routes to web.shop.svc.cluster.local
	// gateway pods: proxy.istio.io/config={"gatewayTopology":{"proxyProtocol":{}}}
}
