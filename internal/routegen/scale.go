package routegen

import (
	"strconv"

	"github.com/drawbridge-go/drawbridge/route"
)

// Scale returns a valid configuration of both tiers with n exact hosts on
// one TLS listener, for benchmarks: the same input for every tier and every
// version. Host i is "host<i>.example.com"; by i mod 4 the edge passes it
// through to the gateway and the backend terminates it (0 and 1), the edge
// terminates it for static servers (2), or the edge passes it through and
// the gateway terminates it (3). Six wildcards follow: four passed through
// to the backend, two terminated at the edge. An HTTP listener redirects to
// https and sends ACME HTTP-01 challenges to the tier that terminates each
// host: one exact route per gateway-terminated host, to the gateway's
// solver, and "*" to the edge's. The edge sends the PROXY protocol to the
// gateway.
func Scale(n int) *route.Config {
	c := &route.Config{
		Name: "scale",
		Edge: &route.Edge{ForwardFor: true},
		Gateway: &route.Gateway{
			Addresses:     []string{"10.0.0.10", "10.0.0.11"},
			ProxyProtocol: route.GatewayProxyNative,
			TLS:           &route.OriginateTLS{CAFile: "/etc/ssl/certs/ca-certificates.crt"},
		},
		Listeners: []route.Listener{
			{Name: "http", Port: 80, Protocol: route.HTTP, RedirectHTTPS: true},
			{Name: "tls", Port: 443, Protocol: route.TLS, TLS: &route.ListenerTLS{
				Certificates: []string{"/etc/haproxy/certs/"}, CredentialName: "scale-tls"}},
		},
		Backends: []route.Backend{
			{Name: "svc", Service: &route.Service{Host: "svc.apps.svc.cluster.local", Port: 8443}},
			{Name: "web", Service: &route.Service{Host: "web.apps.svc.cluster.local", Port: 8080}},
			{Name: "legacy", Servers: []route.Server{{Address: "10.1.0.1:80"}, {Address: "10.1.0.2:80"}}},
			{Name: "acme-solver", Service: &route.Service{Host: "cm-acme-http-solver.istio-system.svc.cluster.local", Port: 8089}},
			{Name: "letsencrypt", Servers: []route.Server{{Address: "10.1.0.3:8080"}}},
		},
	}
	c.Routes = make([]route.Route, 0, n+n/4+8)
	acme := func(name, host, backend string) route.Route {
		return route.Route{Name: name, Listener: "http", Hosts: []string{host},
			PathPrefix: route.ACMEChallengePrefix, Backend: backend}
	}
	for i := range n {
		s := strconv.Itoa(i)
		r := route.Route{Name: "r" + s, Listener: "tls", Hosts: []string{"host" + s + ".example.com"}}
		switch i % 4 {
		case 0, 1:
			r.TerminateAt, r.Backend = route.TierBackend, "svc"
		case 2:
			r.TerminateAt, r.Backend = route.TierEdge, "legacy"
		case 3:
			r.TerminateAt, r.Backend = route.TierGateway, "web"
			c.Routes = append(c.Routes, acme("acme"+s, r.Hosts[0], "acme-solver"))
		}
		c.Routes = append(c.Routes, r)
	}
	for i := range 6 {
		s := strconv.Itoa(i)
		r := route.Route{Name: "w" + s, Listener: "tls", Hosts: []string{"*.zone" + s + ".example.com"},
			TerminateAt: route.TierBackend, Backend: "svc"}
		if i >= 4 {
			r.TerminateAt, r.Backend = route.TierEdge, "legacy"
		}
		c.Routes = append(c.Routes, r)
	}
	c.Routes = append(c.Routes, acme("acme-edge", "*", "letsencrypt"))
	return c
}
