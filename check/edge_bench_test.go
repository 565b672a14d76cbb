package check_test

import (
	"strconv"
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// edgeBigConfig is an edge with n TLS hosts passed through to the gateway,
// a few wildcards, and an HTTP listener with n/10 hosts routed by Host.
func edgeBigConfig(n int) *route.Config {
	c := &route.Config{
		Name: "big",
		Edge: &route.Edge{},
		Gateway: &route.Gateway{Addresses: []string{"10.0.0.10", "10.0.0.11"}, ProxyProtocol: route.GatewayProxyNative,
			TLS: &route.OriginateTLS{InsecureSkipVerify: true}},
		Listeners: []route.Listener{
			{Name: "tls", Port: 443, Protocol: route.TLS},
			{Name: "http", Port: 80, Protocol: route.HTTP},
		},
		Backends: []route.Backend{
			{Name: "svc", Service: &route.Service{Host: "svc.default.svc.cluster.local", Port: 8080}},
			{Name: "web", Servers: []route.Server{{Address: "10.1.0.1:80"}, {Address: "10.1.0.2:80"}}},
		},
	}
	for i := range n {
		c.Routes = append(c.Routes, route.Route{Name: "r" + strconv.Itoa(i), Listener: "tls",
			Hosts: []string{"host" + strconv.Itoa(i) + ".example.com"}, TerminateAt: route.TierBackend, Backend: "svc"})
	}
	for i := range n / 10 {
		c.Routes = append(c.Routes, route.Route{Name: "h" + strconv.Itoa(i), Listener: "http",
			Hosts: []string{"web" + strconv.Itoa(i) + ".example.com"}, Backend: "web"})
	}
	for i := range 4 {
		c.Routes = append(c.Routes, route.Route{Name: "w" + strconv.Itoa(i), Listener: "tls",
			Hosts: []string{"*.zone" + strconv.Itoa(i) + ".example.com"}, TerminateAt: route.TierBackend, Backend: "svc"})
	}
	return c
}

// edgeBigRequests is one request per host of edgeBigConfig(n), and one
// under a wildcard.
func edgeBigRequests(n int) []check.EdgeRequest {
	reqs := make([]check.EdgeRequest, 0, n+n/10+2)
	for i := range n {
		h := "host" + strconv.Itoa(i) + ".example.com"
		reqs = append(reqs, check.EdgeRequest{Port: 443, TLS: true, SNI: h, Host: h, Path: "/"})
	}
	for i := range n / 10 {
		reqs = append(reqs, check.EdgeRequest{Port: 80, Host: "web" + strconv.Itoa(i) + ".example.com", Path: "/"})
	}
	return append(reqs, check.EdgeRequest{Port: 443, TLS: true, SNI: "a.zone1.example.com"})
}

// BenchmarkEdgeTrace20k reads and traces a compiled 20,000-host edge: once
// with its exact hosts in map files (as the compiler writes it), once with
// every host an inline use_backend rule (as people write by hand).
func BenchmarkEdgeTrace20k(b *testing.B) {
	const n = 20000
	reqs := edgeBigRequests(n)
	for _, tc := range []struct {
		name   string
		inline int
	}{{"maps", 0}, {"inline", 1 << 30}} {
		res, err := haproxycfg.Compiler{MaxInlineHosts: tc.inline}.Compile(edgeBigConfig(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := check.NewEdge(res.Config, res.Maps)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range reqs {
					if h := e.Route(r); h.Backend == "" {
						b.Fatalf("Route(%+v) = %+v", r, h)
					}
				}
			}
		})
	}
}
