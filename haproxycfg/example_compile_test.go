package haproxycfg_test

import (
	"fmt"
	"os"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// Compile a route file into the edge tier's haproxy.cfg: TLS passed through
// by SNI to the gateway with PROXY protocol v2.
func ExampleCompile() {
	cfg, err := route.Parse([]byte(`
name: demo
edge: {inspectDelay: 2s}
gateway:
  addresses: [10.0.0.10]
  proxyProtocol: native
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: web, listener: tls, hosts: [web.example.com, "*.apps.example.com"], terminateAt: backend, backend: web}
backends:
- {name: web, service: {host: web.default.svc.cluster.local, port: 443}}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := haproxycfg.Compile(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := res.Config.WriteTo(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// defaults
	//     timeout connect 5s
	//     timeout client 30s
	//     timeout server 30s
	//
	// frontend fe_tls
	//     mode tcp
	//     bind *:443
	//     tcp-request inspect-delay 2s
	//     tcp-request content accept if { req.ssl_hello_type 1 }
	//     use_backend gw_tcp_443 if { req.ssl_sni,lower -m str web.example.com }
	//     use_backend gw_tcp_443 if { req.ssl_sni,lower -m end .apps.example.com }
	//
	// backend gw_tcp_443
	//     mode tcp
	//     server gw1 10.0.0.10:443 check check-send-proxy send-proxy-v2
}

// Past Compiler.MaxInlineHosts exact hosts, routing uses a map_str file
// that the caller writes into MapDir.
func ExampleCompiler_maps() {
	cfg := &route.Config{
		Edge:      &route.Edge{},
		Gateway:   &route.Gateway{Addresses: []string{"10.0.0.10"}},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Backends:  []route.Backend{{Name: "mesh", Service: &route.Service{Host: "web", Port: 443}}},
	}
	for _, h := range []string{"b.example.com", "a.example.com", "c.example.com"} {
		cfg.Routes = append(cfg.Routes, route.Route{Name: h[:1], Listener: "tls", Hosts: []string{h}, TerminateAt: route.TierBackend, Backend: "mesh"})
	}
	res, err := haproxycfg.Compiler{MapDir: "/etc/haproxy/maps", MaxInlineHosts: 2}.Compile(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Config.Proxies[0].UseBackends[0].Expr.Conv[1].Args[0])
	for _, m := range res.Maps {
		fmt.Println("--", m.Name)
		_, _ = m.WriteTo(os.Stdout)
	}
	// Output:
	// /etc/haproxy/maps/edge-fe_tls.map
	// -- edge-fe_tls.map
	// a.example.com gw_tcp_443
	// b.example.com gw_tcp_443
	// c.example.com gw_tcp_443
}
