package check

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// ingress is the workload of Istio's default ingress gateway.
var ingress = Workload{
	Namespace: "istio-system",
	Labels:    map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"},
}

func newTestGateway(t testing.TB, yaml string, w Workload) *Gateway {
	t.Helper()
	objs, err := istiocfg.ReadYAML([]byte(yaml))
	if err != nil {
		t.Fatalf("ReadYAML: %v", err)
	}
	g, err := NewGateway(objs, w)
	if err != nil {
		t.Fatalf("NewGateway: %v", err)
	}
	return g
}

// hopWant is what a test expects of a GatewayHop; empty fields are not
// compared, except Problems: nil wants none.
type hopWant struct {
	gateway, server, vs, route string
	dests                      []string
	servers                    []string
	redirect, httpsRedirect    bool
	terminates, proxy          bool
	credential                 string
	trusted                    int
	problems                   []string // substrings, one per problem, in order
}

func checkHop(t *testing.T, req GatewayRequest, got GatewayHop, want hopWant) {
	t.Helper()
	eq := func(field, got, want string) {
		t.Helper()
		if want != "" && got != want {
			t.Errorf("Route(%+v).%s = %q; want %q", req, field, got, want)
		}
	}
	eq("Gateway", got.Gateway, want.gateway)
	eq("Server", got.Server, want.server)
	eq("VirtualService", got.VirtualService, want.vs)
	eq("Route", got.Route, want.route)
	eq("Credential", got.Credential, want.credential)
	if want.dests != nil && !slices.Equal(got.Destinations, want.dests) {
		t.Errorf("Route(%+v).Destinations = %q; want %q", req, got.Destinations, want.dests)
	}
	if want.servers != nil && !slices.Equal(got.Servers, want.servers) {
		t.Errorf("Route(%+v).Servers = %q; want %q", req, got.Servers, want.servers)
	}
	if got.Redirect != want.redirect || got.HTTPSRedirect != want.httpsRedirect {
		t.Errorf("Route(%+v) Redirect, HTTPSRedirect = %v, %v; want %v, %v", req, got.Redirect, got.HTTPSRedirect, want.redirect, want.httpsRedirect)
	}
	if got.TerminatesTLS != want.terminates {
		t.Errorf("Route(%+v).TerminatesTLS = %v; want %v", req, got.TerminatesTLS, want.terminates)
	}
	if got.ProxyAccepted != want.proxy {
		t.Errorf("Route(%+v).ProxyAccepted = %v; want %v", req, got.ProxyAccepted, want.proxy)
	}
	if got.TrustedHops != want.trusted {
		t.Errorf("Route(%+v).TrustedHops = %d; want %d", req, got.TrustedHops, want.trusted)
	}
	if len(got.Problems) != len(want.problems) {
		t.Errorf("Route(%+v).Problems = %q; want %d matching %q", req, got.Problems, len(want.problems), want.problems)
		return
	}
	for i, p := range want.problems {
		if !strings.Contains(got.Problems[i], p) {
			t.Errorf("Route(%+v).Problems[%d] = %q; want it to contain %q", req, i, got.Problems[i], p)
		}
	}
}

const basics = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com", "web/own.example.org", "other/theirs.example.org", "./dot.example.org", "*/any.example.org"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: secure-cert}
  - port: {number: 443, name: https-wild, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls: {mode: SIMPLE, credentialName: wild-cert}
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [pass.example.net]
    tls: {mode: PASSTHROUGH}
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app, namespace: web}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  http:
  - name: exact
    match: [{uri: {exact: /exact}}]
    route: [{destination: {host: exact, port: {number: 80}}}]
  - name: api
    match: [{uri: {prefix: /api}, port: 80}]
    route:
    - {destination: {host: api-v1, port: {number: 8080}}, weight: 90}
    - {destination: {host: api-v2, port: {number: 8080}}, weight: 10}
  - name: regex
    match: [{uri: {regex: "/r/[0-9]+"}}]
    route: [{destination: {host: regex}}]
  - name: authority
    match: [{authority: {exact: a.example.com}}]
    route: [{destination: {host: a, port: {number: 80}}}]
  - name: header
    match: [{headers: {":authority": {prefix: h.}}}]
    route: [{destination: {host: h, port: {number: 80}}}]
  - name: other-gateway
    match: [{gateways: [web/elsewhere]}]
    route: [{destination: {host: never}}]
  - name: moved
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /new}
  - name: tls-only
    match: [{port: 443}]
    route: [{destination: {host: secure-backend, port: {number: 8443}}}]
  - name: rest
    match: [{uri: {prefix: /rest}}]
    route: [{destination: {host: rest}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: z-last, namespace: web}
spec:
  hosts: [x.example.com]
  gateways: [web/gw]
  http:
  - name: x-all
    route: [{destination: {host: x-all}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-first, namespace: web}
spec:
  hosts: [x.example.com]
  gateways: [gw]
  http:
  - name: x-catch
    route: [{destination: {host: x-catch}}]
  - name: never
    match: [{uri: {prefix: /never}}]
    route: [{destination: {host: never}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: m, namespace: web}
spec:
  hosts: [x.example.com]
  gateways: [gw]
  http:
  - name: x-api
    match: [{uri: {prefix: /x-api}}]
    route: [{destination: {host: x-api}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: own, namespace: web}
spec:
  hosts: [own.example.org, theirs.example.org, dot.example.org]
  gateways: [gw]
  http:
  - route: [{destination: {host: own}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: any, namespace: other}
spec:
  hosts: [any.example.org, own.example.org]
  gateways: [web/gw]
  http:
  - route: [{destination: {host: any}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pass, namespace: web}
spec:
  hosts: [pass.example.net]
  gateways: [gw]
  tls:
  - match: [{sniHosts: [pass.example.net], port: 8443}]
    route: [{destination: {host: wrong-port}}]
  - match: [{sniHosts: [pass.example.net], port: 443}]
    route: [{destination: {host: pass-backend, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp, namespace: web}
spec:
  hosts: ["*"]
  gateways: [gw]
  tcp:
  - match: [{port: 31401}]
    route: [{destination: {host: wrong-port, port: {number: 1}}}]
  - match: [{port: 31400}]
    route: [{destination: {host: echo, port: {number: 2701}}}]
`

// TestGatewayRoute routes requests through one Gateway with every kind of
// server and checks Istio's binding, host, filter chain and match rules.
func TestGatewayRoute(t *testing.T) {
	g := newTestGateway(t, basics, ingress)
	api := []string{"api-v1:8080", "api-v2:8080"}
	for _, c := range []struct {
		req  GatewayRequest
		want hopWant
	}{
		// Host rules: "*.example.com" covers one and more labels, not the bare domain.
		{GatewayRequest{Port: 80, Host: "a.example.com", Path: "/api/x"}, hopWant{gateway: "web/gw", server: "http", vs: "web/app", route: "api", dests: api}},
		{GatewayRequest{Port: 80, Host: "a.b.example.com:80", Path: "/api"}, hopWant{vs: "web/app", route: "api", dests: api}},
		{GatewayRequest{Port: 80, Host: "example.com", Path: "/api"}, hopWant{problems: []string{`no server on port 80 has host "example.com"`}}},
		// Match rules, first match wins.
		{GatewayRequest{Port: 80, Host: "b.example.com", Path: "/exact"}, hopWant{route: "exact", dests: []string{"exact:80"}}},
		{GatewayRequest{Port: 80, Host: "b.example.com", Path: "/exact/no"}, hopWant{problems: []string{"no route matches /exact/no"}}},
		{GatewayRequest{Port: 80, Host: "b.example.com", Path: "/r/42"}, hopWant{route: "regex", dests: []string{"regex"}}},
		{GatewayRequest{Port: 80, Host: "a.example.com", Path: "/"}, hopWant{route: "authority", dests: []string{"a:80"}}},
		{GatewayRequest{Port: 80, Host: "h.example.com", Path: "/"}, hopWant{route: "header", dests: []string{"h:80"}}},
		{GatewayRequest{Port: 80, Host: "b.example.com", Path: "/old/page"}, hopWant{route: "moved", redirect: true}},
		{GatewayRequest{Port: 80, Host: "b.example.com", Path: "/rest?q=1"}, hopWant{route: "rest", dests: []string{"rest"}}},
		{GatewayRequest{Port: 80, Host: "b.example.com", Path: "/nothing"}, hopWant{problems: []string{"VirtualService web/app is bound to host \"b.example.com\" on port 80, but no route matches /nothing: Envoy answers 404"}}},
		// Catch-all routes of every VirtualService go after the others;
		// after a catch-all a VirtualService's later routes are dropped.
		// The virtual host x.example.com takes the request whole: the
		// routes of app, bound to *.example.com, are not in it.
		{GatewayRequest{Port: 80, Host: "x.example.com", Path: "/x-api"}, hopWant{vs: "web/m", route: "x-api"}},
		{GatewayRequest{Port: 80, Host: "x.example.com", Path: "/never"}, hopWant{vs: "web/a-first", route: "x-catch"}},
		{GatewayRequest{Port: 80, Host: "x.example.com", Path: "/api"}, hopWant{vs: "web/a-first", route: "x-catch"}},
		// Server hosts with namespaces: "web/h" and "./h" for VirtualServices of web, "*/h" for all.
		{GatewayRequest{Port: 80, Host: "own.example.org"}, hopWant{vs: "web/own", dests: []string{"own"}}},
		{GatewayRequest{Port: 80, Host: "dot.example.org"}, hopWant{vs: "web/own"}},
		{GatewayRequest{Port: 80, Host: "any.example.org"}, hopWant{vs: "other/any"}},
		{GatewayRequest{Port: 80, Host: "theirs.example.org"}, hopWant{problems: []string{`no VirtualService bound to Gateway web/gw serves host "theirs.example.org"`}}},
		// HTTPS: SNI picks the exact server before the wildcard one.
		{GatewayRequest{Port: 443, TLS: true, SNI: "secure.example.com", Path: "/"}, hopWant{server: "https", terminates: true, credential: "secure-cert", route: "tls-only", dests: []string{"secure-backend:8443"},
			servers: []string{"web/gw/https", "web/gw/https-wild"}}},
		{GatewayRequest{Port: 443, TLS: true, SNI: "a.example.com", Path: "/api"}, hopWant{server: "https-wild", terminates: true, credential: "wild-cert", route: "authority"}},
		{GatewayRequest{Port: 443, TLS: true, SNI: "b.example.com", Host: "b.example.com", Path: "/api"}, hopWant{server: "https-wild", terminates: true, credential: "wild-cert", route: "tls-only"}},
		// PASSTHROUGH by sniHosts; the tls route's port must be the server's.
		{GatewayRequest{Port: 443, TLS: true, SNI: "pass.example.net"}, hopWant{server: "tls", vs: "web/pass", route: "tls[1]", dests: []string{"pass-backend:443"}}},
		{GatewayRequest{Port: 443, TLS: true, SNI: "unknown.example.net"}, hopWant{problems: []string{`no server on port 443 has host "unknown.example.net"`}}},
		{GatewayRequest{Port: 443, TLS: true}, hopWant{servers: []string{"web/gw/https", "web/gw/https-wild", "web/gw/tls"}, problems: []string{"the ClientHello has no SNI"}}},
		{GatewayRequest{Port: 443, Host: "secure.example.com"}, hopWant{problems: []string{"plain bytes arrive on port 443"}}},
		// TCP by port.
		{GatewayRequest{Port: 31400}, hopWant{server: "tcp", vs: "web/tcp", route: "tcp[1]", dests: []string{"echo:2701"}}},
		{GatewayRequest{Port: 31400, TLS: true, SNI: "whatever.example.com"}, hopWant{server: "tcp", route: "tcp[1]"}},
		// TLS at a plain HTTP server.
		{GatewayRequest{Port: 80, TLS: true, SNI: "a.example.com"}, hopWant{server: "http", problems: []string{"a TLS ClientHello arrives at plain HTTP server web/gw/http"}}},
		// No server on the port.
		{GatewayRequest{Port: 8080, Host: "a.example.com"}, hopWant{problems: []string{"no server of a Gateway selecting the workload listens on port 8080"}}},
	} {
		checkHop(t, c.req, g.Route(c.req), c.want)
	}
	if p := g.Problems(); len(p) != 0 {
		t.Errorf("Problems() = %q; want none", p)
	}
}

// TestGatewayMerge checks how Istio merges the servers of several Gateways
// on one port, and the httpsRedirect of one server reaching the virtual
// hosts of another.
func TestGatewayMerge(t *testing.T) {
	const vs = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: istio-system}
spec:
  hosts: [h.example.com]
  gateways: [a, b]
  http:
  - route: [{destination: {host: h, port: {number: 80}}}]
`
	for _, c := range []struct {
		name, yaml string
		req        GatewayRequest
		want       hopWant
		problems   []string // of Problems()
	}{{
		name: "redirect server in the same Gateway",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http-h, protocol: HTTP}
    hosts: [h.example.com]
  - port: {number: 80, name: http-redirect, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
` + vs,
		req: GatewayRequest{Port: 80, Host: "h.example.com", Path: "/"},
		want: hopWant{gateway: "istio-system/a", server: "http-h", httpsRedirect: true, servers: []string{"istio-system/a/http-h", "istio-system/a/http-redirect"},
			problems: []string{"server istio-system/a/http-redirect (hosts *) has tls.httpsRedirect and VirtualService istio-system/h also binds to it, so Istio sets require_tls: ALL"}},
	}, {
		name: "redirect server in a Gateway of its own",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http-h, protocol: HTTP}
    hosts: [h.example.com]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: redirect, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http-redirect, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
` + vs,
		req:  GatewayRequest{Port: 80, Host: "h.example.com", Path: "/"},
		want: hopWant{gateway: "istio-system/a", server: "http-h", vs: "istio-system/h", route: "http[0]", dests: []string{"h:80"}, servers: []string{"istio-system/a/http-h", "istio-system/redirect/http-redirect"}},
	}, {
		name: "the other hosts are redirected",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: redirect, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http-redirect, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
`,
		req:  GatewayRequest{Port: 80, Host: "else.example.com", Path: "/"},
		want: hopWant{server: "http-redirect", httpsRedirect: true},
	}, {
		name: "same host on one port in two Gateways",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h.example.com]
    tls: {mode: SIMPLE, credentialName: b-cert}
` + vs,
		req: GatewayRequest{Port: 443, TLS: true, SNI: "h.example.com"},
		want: hopWant{gateway: "istio-system/a", terminates: true, credential: "a-cert", vs: "istio-system/h", servers: []string{"istio-system/a/https", "istio-system/b/https"},
			problems: []string{"2 servers on port 443 match", "server istio-system/b/https repeats host h.example.com"}},
		problems: []string{"server istio-system/b/https repeats host h.example.com of server istio-system/a/https on port 443"},
	}, {
		name: "HTTPS after HTTP on one port",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8000, name: http, protocol: HTTP}
    hosts: [h.example.com]
  - port: {number: 8000, name: https, protocol: HTTPS}
    hosts: [s.example.com]
    tls: {mode: SIMPLE, credentialName: s}
` + vs,
		req:      GatewayRequest{Port: 8000, TLS: true, SNI: "s.example.com"},
		want:     hopWant{problems: []string{`no server on port 8000 has host "s.example.com"`}},
		problems: []string{"protocol HTTPS conflicts with the HTTP server istio-system/a/http already on port 8000"},
	}, {
		name: "TLS passthrough and HTTPS on one port",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h.example.com]
    tls: {mode: SIMPLE, credentialName: h}
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.pass.example.com"]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: p, namespace: istio-system}
spec:
  hosts: ["*.pass.example.com"]
  gateways: [a]
  tls:
  - match: [{sniHosts: ["*.pass.example.com"]}]
    route: [{destination: {host: p, port: {number: 443}}}]
` + vs,
		req:  GatewayRequest{Port: 443, TLS: true, SNI: "x.y.pass.example.com"},
		want: hopWant{server: "tls", vs: "istio-system/p", route: "tls[0]", dests: []string{"p:443"}},
	}, {
		name: "terminating without credentialName",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h.example.com]
    tls: {mode: SIMPLE}
` + vs,
		req:      GatewayRequest{Port: 443, TLS: true, SNI: "h.example.com"},
		want:     hopWant{terminates: true, vs: "istio-system/h", problems: []string{"terminates TLS (mode SIMPLE) without credentialName"}},
		problems: []string{"server istio-system/a/https: terminates TLS (mode SIMPLE) without credentialName"},
	}, {
		name: "credentialName without mode is PASSTHROUGH",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h.example.com]
    tls: {credentialName: h}
` + vs,
		req:      GatewayRequest{Port: 443, TLS: true, SNI: "h.example.com"},
		want:     hopWant{problems: []string{"tls.mode PASSTHROUGH", "has a tls route", "Istio builds no filter chain on port 443"}},
		problems: []string{"tls.mode PASSTHROUGH", "no VirtualService bound to Gateway istio-system/a has a tls route"},
	}, {
		name: "selector matching another workload",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [h.example.com]
` + vs,
		req:      GatewayRequest{Port: 80, Host: "h.example.com"},
		want:     hopWant{problems: []string{"no server of a Gateway selecting the workload listens on port 80", "Gateway istio-system/a has a server on port 80, but its selector {istio: egressgateway}"}},
		problems: []string{"Gateway istio-system/a: selector {istio: egressgateway} matches no label set"},
	}, {
		name: "Gateway in another namespace selects the workload",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: apps}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [h.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: apps}
spec:
  hosts: [h.example.com]
  gateways: [a]
  http:
  - route: [{destination: {host: h}}]
`,
		req:  GatewayRequest{Port: 80, Host: "h.example.com"},
		want: hopWant{gateway: "apps/a", vs: "apps/h", dests: []string{"h"}},
	}, {
		name: "VirtualService for the sidecars only",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [h.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: istio-system}
spec:
  hosts: [h.example.com]
  http:
  - route: [{destination: {host: h}}]
`,
		req:  GatewayRequest{Port: 80, Host: "h.example.com"},
		want: hopWant{gateway: "istio-system/a", problems: []string{`no VirtualService bound to Gateway istio-system/a serves host "h.example.com" on port 80`}},
	}, {
		name: "VirtualService hidden by exportTo",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: apps}
spec:
  hosts: [h.example.com]
  gateways: [istio-system/a]
  exportTo: ["."]
  http:
  - route: [{destination: {host: h}}]
`,
		req:      GatewayRequest{Port: 80, Host: "h.example.com"},
		want:     hopWant{gateway: "istio-system/a", problems: []string{"no VirtualService bound"}},
		problems: []string{"VirtualService apps/h: exportTo . hides it"},
	}, {
		name: "VirtualService whose hosts the Gateway lacks",
		yaml: `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [g.example.com]
` + vs,
		req:      GatewayRequest{Port: 80, Host: "h.example.com"},
		want:     hopWant{problems: []string{`no server on port 80 has host "h.example.com"`}},
		problems: []string{"VirtualService istio-system/h: hosts h.example.com match no host of a server of Gateway istio-system/a"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			g := newTestGateway(t, c.yaml, ingress)
			checkHop(t, c.req, g.Route(c.req), c.want)
			got := g.Problems()
			if len(got) != len(c.problems) {
				t.Fatalf("Problems() = %q; want %d matching %q", got, len(c.problems), c.problems)
			}
			for i, p := range c.problems {
				if !strings.Contains(got[i], p) {
					t.Errorf("Problems()[%d] = %q; want it to contain %q", i, got[i], p)
				}
			}
		})
	}
}

const tlsGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [h.example.com]
    tls: {mode: SIMPLE, credentialName: h}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: h, port: {number: 80}}}]
`

const meshProxyProtocol = `
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: mesh, namespace: istio-system}
spec:
  meshConfig:
    defaultConfig:
      gatewayTopology:
        proxyProtocol: {}
        numTrustedProxies: 2
`

// proxyFilter returns an EnvoyFilter in namespace ns adding proxy_protocol
// with the given patch.
func proxyFilter(ns, patch string) string {
	return `
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: proxy-protocol, namespace: ` + ns + `}
spec:
  workloadSelector:
    labels: {istio: ingressgateway}
  configPatches:
` + patch
}

const mergePatch = `
  - applyTo: LISTENER
    match: {context: GATEWAY}
    patch:
      operation: MERGE
      value:
        listener_filters:
        - name: envoy.filters.listener.proxy_protocol
        - name: envoy.filters.listener.tls_inspector
`

const insertFirstPatch = `
  - applyTo: LISTENER_FILTER
    match: {context: GATEWAY}
    patch:
      operation: INSERT_FIRST
      value:
        name: envoy.filters.listener.proxy_protocol
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol
`

// TestGatewayProxyProtocol checks where the PROXY protocol comes from and
// the listener filters it ends up in.
func TestGatewayProxyProtocol(t *testing.T) {
	const (
		pp  = proxyProtocolFilter
		tls = tlsInspectorFilter
	)
	annotated := func(cfg string) Workload {
		w := ingress
		w.Annotations = map[string]string{"proxy.istio.io/config": cfg}
		return w
	}
	for _, c := range []struct {
		name     string
		yaml     string
		w        Workload
		filters  map[int][]string
		trusted  int
		req      GatewayRequest
		want     hopWant
		problems []string
	}{{
		name:    "none",
		yaml:    tlsGateway,
		w:       ingress,
		filters: map[int][]string{80: nil, 443: {tls}},
		req:     GatewayRequest{Port: 443, Proxy: true, TLS: true, SNI: "h.example.com"},
		want:    hopWant{terminates: true, credential: "h", vs: "istio-system/h", problems: []string{"a PROXY header is sent, but the listener on port 443 has no envoy.filters.listener.proxy_protocol filter"}},
	}, {
		name:     "mesh gatewayTopology",
		yaml:     tlsGateway + meshProxyProtocol,
		w:        ingress,
		filters:  map[int][]string{80: {pp}, 443: {pp, tls}},
		trusted:  2,
		req:      GatewayRequest{Port: 443, Proxy: true, TLS: true, SNI: "h.example.com"},
		want:     hopWant{terminates: true, credential: "h", vs: "istio-system/h", proxy: true, trusted: 2},
		problems: []string{"numTrustedProxies is 2 together with the PROXY protocol"},
	}, {
		name:    "PROXY expected, not sent",
		yaml:    tlsGateway + meshProxyProtocol,
		w:       ingress,
		filters: map[int][]string{80: {pp}, 443: {pp, tls}},
		trusted: 2,
		req:     GatewayRequest{Port: 80, Host: "h.example.com"},
		want: hopWant{server: "http", vs: "istio-system/h", proxy: true, trusted: 2,
			problems: []string{"expects a PROXY header (envoy.filters.listener.proxy_protocol) and none is sent"}},
		problems: []string{"numTrustedProxies is 2"},
	}, {
		name:    "annotation",
		yaml:    tlsGateway,
		w:       annotated("gatewayTopology:\n  proxyProtocol: {}\n  numTrustedProxies: 1\n"),
		filters: map[int][]string{80: {pp}, 443: {pp, tls}},
		trusted: 1,
		req:     GatewayRequest{Port: 80, Proxy: true, Host: "h.example.com"},
		want:    hopWant{vs: "istio-system/h", proxy: true, trusted: 1},
		problems: []string{
			"numTrustedProxies is 1",
		},
	}, {
		// Istio replaces a top-level ProxyConfig field the annotation sets:
		// the mesh's proxyProtocol is gone.
		name:    "annotation replaces the mesh gatewayTopology",
		yaml:    tlsGateway + meshProxyProtocol,
		w:       annotated(`{"gatewayTopology": {"numTrustedProxies": 1}}`),
		filters: map[int][]string{80: nil, 443: {tls}},
		trusted: 1,
		req:     GatewayRequest{Port: 80, Host: "h.example.com"},
		want:    hopWant{vs: "istio-system/h", trusted: 1},
	}, {
		name:    "EnvoyFilter LISTENER MERGE",
		yaml:    tlsGateway + proxyFilter("istio-system", mergePatch),
		w:       ingress,
		filters: map[int][]string{80: {pp, tls}, 443: {tls, pp, tls}},
		req:     GatewayRequest{Port: 443, Proxy: true, TLS: true, SNI: "h.example.com"},
		want: hopWant{terminates: true, credential: "h", vs: "istio-system/h", proxy: true,
			problems: []string{"port 443: listener filters [envoy.filters.listener.tls_inspector, envoy.filters.listener.proxy_protocol, envoy.filters.listener.tls_inspector]: envoy.filters.listener.proxy_protocol is not first"}},
		problems: []string{"port 443: listener filters"},
	}, {
		name:    "EnvoyFilter LISTENER_FILTER INSERT_FIRST",
		yaml:    tlsGateway + proxyFilter("istio-system", insertFirstPatch),
		w:       ingress,
		filters: map[int][]string{80: {pp}, 443: {pp, tls}},
		req:     GatewayRequest{Port: 443, Proxy: true, TLS: true, SNI: "h.example.com"},
		want:    hopWant{terminates: true, credential: "h", vs: "istio-system/h", proxy: true},
	}, {
		name:    "EnvoyFilter and mesh gatewayTopology",
		yaml:    tlsGateway + meshProxyProtocol + proxyFilter("istio-system", insertFirstPatch),
		w:       ingress,
		filters: map[int][]string{80: {pp, pp}, 443: {pp, pp, tls}},
		trusted: 2,
		req:     GatewayRequest{Port: 80, Proxy: true, Host: "h.example.com"},
		want:    hopWant{vs: "istio-system/h", proxy: true, trusted: 2, problems: []string{"envoy.filters.listener.proxy_protocol is listed twice"}},
		problems: []string{
			"numTrustedProxies is 2",
			"port 80: listener filters",
			"port 443: listener filters",
		},
	}, {
		name:     "EnvoyFilter in the namespace of other pods",
		yaml:     tlsGateway + proxyFilter("apps", insertFirstPatch),
		w:        ingress,
		filters:  map[int][]string{80: nil, 443: {tls}},
		req:      GatewayRequest{Port: 80, Host: "h.example.com"},
		want:     hopWant{vs: "istio-system/h"},
		problems: []string{"EnvoyFilter apps/proxy-protocol selects pods of namespace apps only"},
	}, {
		name:    "EnvoyFilter of the root namespace, gateway elsewhere",
		yaml:    tlsGateway + proxyFilter("istio-system", insertFirstPatch),
		w:       Workload{Namespace: "gateways", Labels: ingress.Labels},
		filters: map[int][]string{80: {pp}, 443: {pp, tls}},
		req:     GatewayRequest{Port: 80, Proxy: true, Host: "h.example.com"},
		want:    hopWant{vs: "istio-system/h", proxy: true},
	}, {
		name:     "EnvoyFilter selecting other labels",
		yaml:     tlsGateway + strings.Replace(proxyFilter("istio-system", insertFirstPatch), "istio: ingressgateway", "istio: egressgateway", 1),
		w:        ingress,
		filters:  map[int][]string{80: nil, 443: {tls}},
		req:      GatewayRequest{Port: 80, Host: "h.example.com"},
		want:     hopWant{vs: "istio-system/h"},
		problems: []string{"workloadSelector {istio: egressgateway} does not match"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			g := newTestGateway(t, c.yaml, c.w)
			for port, want := range c.filters {
				if got := g.ListenerFilters(port); !slices.Equal(got, want) {
					t.Errorf("ListenerFilters(%d) = %q; want %q", port, got, want)
				}
			}
			if got := g.TrustedHops(); got != c.trusted {
				t.Errorf("TrustedHops() = %d; want %d", got, c.trusted)
			}
			checkHop(t, c.req, g.Route(c.req), c.want)
			got := g.Problems()
			if len(got) != len(c.problems) {
				t.Fatalf("Problems() = %q; want %d matching %q", got, len(c.problems), c.problems)
			}
			for i, p := range c.problems {
				if !strings.Contains(got[i], p) {
					t.Errorf("Problems()[%d] = %q; want it to contain %q", i, got[i], p)
				}
			}
		})
	}
}

// TestNewGatewayAnnotationError checks that an unreadable
// proxy.istio.io/config annotation is an error.
func TestNewGatewayAnnotationError(t *testing.T) {
	w := ingress
	w.Annotations = map[string]string{"proxy.istio.io/config": "gatewayTopology: [1"}
	if _, err := NewGateway(nil, w); err == nil || !strings.HasPrefix(err.Error(), "check: ") {
		t.Errorf("NewGateway(bad annotation) error = %v; want a check: error", err)
	}
}

func readSeed(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "istio", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestGatewaySeeds traces the hand-written Istio objects of the seeds and
// checks the faults their README describes.
func TestGatewaySeeds(t *testing.T) {
	t.Run("seed-001", func(t *testing.T) {
		// seed-b.cfg passes :80 and :443 through to the gateway with PROXY
		// v2; seed-001 has no Gateway of its own, so one with an HTTP and
		// an HTTPS server stands for the gateway's.
		g := newTestGateway(t, tlsGateway+"---\n"+readSeed(t, "seed-001-proxy-protocol.yaml"), ingress)
		if got, want := g.ListenerFilters(443), []string{tlsInspectorFilter, proxyProtocolFilter, tlsInspectorFilter}; !slices.Equal(got, want) {
			t.Errorf("ListenerFilters(443) = %q; want %q", got, want)
		}
		if got := g.TrustedHops(); got != 2 {
			t.Errorf("TrustedHops() = %d; want 2", got)
		}
		req := GatewayRequest{Port: 443, Proxy: true, TLS: true, SNI: "h.example.com"}
		checkHop(t, req, g.Route(req), hopWant{terminates: true, credential: "h", vs: "istio-system/h", proxy: true, trusted: 2,
			problems: []string{"proxy_protocol is not first (it must strip the PROXY header before envoy.filters.listener.tls_inspector reads the first bytes); envoy.filters.listener.tls_inspector is listed twice; EnvoyFilter istio-system/proxy-protocol configPatches[0] (LISTENER MERGE) appends"}})
		want := []string{"numTrustedProxies is 2 together with the PROXY protocol", "port 443: listener filters"}
		if got := g.Problems(); len(got) != len(want) || !strings.Contains(got[0], want[0]) || !strings.Contains(got[1], want[1]) {
			t.Errorf("Problems() = %q; want %q", got, want)
		}
	})
	t.Run("seed-003", func(t *testing.T) {
		g := newTestGateway(t, readSeed(t, "seed-003-egress-proxy.yaml"), ingress)
		for _, c := range []struct {
			req  GatewayRequest
			want hopWant
		}{
			{GatewayRequest{Port: 80, Host: "httpbin.org", Path: "/status/418"}, hopWant{gateway: "default/proxy", vs: "default/httpbin", route: "http[0]", dests: []string{"httpbin.org:80"}}},
			// Only /status is routed at the gateway; the mesh route is for sidecars.
			{GatewayRequest{Port: 80, Host: "httpbin.org", Path: "/get"}, hopWant{gateway: "default/proxy", problems: []string{"no route matches /get"}}},
			{GatewayRequest{Port: 443, TLS: true, SNI: "edition.cnn.com"}, hopWant{gateway: "default/proxy", server: "tls", vs: "default/cnn", route: "tls[0]", dests: []string{"edition.cnn.com:443"}}},
		} {
			checkHop(t, c.req, g.Route(c.req), c.want)
		}
		if p := g.Problems(); len(p) != 0 {
			t.Errorf("Problems() = %q; want none", p)
		}
	})
	t.Run("seed-004", func(t *testing.T) {
		g := newTestGateway(t, readSeed(t, "seed-004-gateway-basics.yaml"), ingress)
		for _, c := range []struct {
			req  GatewayRequest
			want hopWant
		}{
			{GatewayRequest{Port: 80, Host: "webapp.istioinaction.io"}, hopWant{gateway: "default/coolstore-gateway", server: "http", httpsRedirect: true}},
			{GatewayRequest{Port: 443, TLS: true, SNI: "webapp.istioinaction.io"}, hopWant{gateway: "default/coolstore-gateway", server: "https", terminates: true, credential: "webapp-credential", vs: "default/webapp-vs-from-gw", dests: []string{"webapp:80"},
				servers:  []string{"default/coolstore-gateway/https", "default/coolstore-gateway-multi/https-webapp"},
				problems: []string{"2 servers on port 443", "repeats host webapp.istioinaction.io"}}},
			// catalog-vs-from-gw binds to coolstore-gateway, which has no catalog host.
			{GatewayRequest{Port: 443, TLS: true, SNI: "catalog.istioinaction.io"}, hopWant{gateway: "default/coolstore-gateway-multi", server: "https-catalog", terminates: true, credential: "catalog-credential",
				problems: []string{`no VirtualService bound to Gateway default/coolstore-gateway-multi serves host "catalog.istioinaction.io"`}}},
			// The TCP server on 31400 comes first (echo-tcp-gateway sorts
			// before sni-passthrough-gateway): the TLS server is dropped and
			// TLS goes to tcp-echo.
			{GatewayRequest{Port: 31400, TLS: true, SNI: "simple-sni-1.istioinaction.io"}, hopWant{gateway: "default/echo-tcp-gateway", server: "tcp-echo", vs: "default/tcp-echo-vs-from-gw", dests: []string{"tcp-echo-service:2701"},
				problems: []string{"2 servers on port 31400", "protocol TLS conflicts with the TCP server"}}},
		} {
			checkHop(t, c.req, g.Route(c.req), c.want)
		}
		want := []string{
			"VirtualService default/catalog-vs-from-gw: hosts catalog.istioinaction.io match no host of a server of Gateway default/coolstore-gateway",
			"server default/coolstore-gateway-multi/https-webapp repeats host webapp.istioinaction.io",
			"server default/sni-passthrough-gateway/tcp-sni protocol TLS conflicts",
		}
		got := g.Problems()
		if len(got) != len(want) {
			t.Fatalf("Problems() = %q; want %d", got, len(want))
		}
		for i := range want {
			if !strings.Contains(got[i], want[i]) {
				t.Errorf("Problems()[%d] = %q; want it to contain %q", i, got[i], want[i])
			}
		}
		// The Telemetry selects app: istio-ingressgateway in its own
		// namespace; a gateway elsewhere is not selected.
		objs, _ := istiocfg.ReadYAML([]byte(readSeed(t, "seed-004-gateway-basics.yaml")))
		g2, err := NewGateway(objs, Workload{Namespace: "gateways", Labels: ingress.Labels})
		if err != nil {
			t.Fatal(err)
		}
		if got := g2.Problems(); len(got) != 4 || !strings.Contains(got[0], "Telemetry istio-system/ingress-gateway: a selector selects pods of the Telemetry's own namespace istio-system only") {
			t.Errorf("Problems() in namespace gateways = %q; want the Telemetry first", got)
		}
	})
}

// TestGatewayGenerated traces the Istio objects edgegen writes for the
// seed scenarios (examples/edgegen/testdata): every host of every Gateway
// server is served without a problem, and the gateway as a whole has
// none.
func TestGatewayGenerated(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "edgegen", "testdata", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no edgegen scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var yaml []byte
			for _, f := range golden.Parse(data).Files {
				if f.Name == "istio.yaml" {
					yaml = f.Data
				}
			}
			objs, err := istiocfg.ReadYAML(yaml)
			if err != nil {
				t.Fatalf("ReadYAML: %v", err)
			}
			g, err := NewGateway(objs, ingress)
			if err != nil {
				t.Fatalf("NewGateway: %v", err)
			}
			if got := g.Problems(); len(got) != 0 {
				t.Errorf("Problems() = %q; want none", got)
			}
			for _, o := range objs {
				spec, ok := o.Spec.(*networking.Gateway)
				if !ok {
					continue
				}
				for _, s := range spec.GetServers() {
					for _, h := range s.GetHosts() {
						req := probe(s, h)
						hop := g.Route(req)
						if hop.Gateway != "" && hop.VirtualService == "" && strings.HasPrefix(req.Path, "/.well-known/acme-challenge/") {
							// The plain server opened for ACME challenges: the
							// certificate manager adds its routes per challenge.
							continue
						}
						if len(hop.Problems) != 0 || hop.Gateway == "" {
							t.Errorf("Route(%+v) = %+v; want a server and no problem", req, hop)
							continue
						}
						if !hop.HTTPSRedirect && !hop.Redirect && len(hop.Destinations) == 0 {
							t.Errorf("Route(%+v) = %+v; want a destination or a redirect", req, hop)
						}
						if want := s.GetTls().GetMode() == networking.ServerTLSSettings_SIMPLE; hop.TerminatesTLS != want {
							t.Errorf("Route(%+v).TerminatesTLS = %v; want %v", req, hop.TerminatesTLS, want)
						}
					}
				}
			}
		})
	}
}

// probe returns a request for host h of a Gateway server: a ClientHello
// with SNI for TLS servers, an HTTP request (for an ACME challenge, which
// every generated HTTP server routes) for the others; "*" becomes
// "probe.example" and "*.d" "probe.d".
func probe(s *networking.Server, h string) GatewayRequest {
	h = stripNamespace(h)
	switch {
	case h == "*":
		h = "probe.example"
	case strings.HasPrefix(h, "*."):
		h = "probe" + h[1:]
	}
	req := GatewayRequest{Port: int(s.GetPort().GetNumber())}
	switch strings.ToUpper(s.GetPort().GetProtocol()) {
	case "HTTPS", "TLS":
		req.TLS, req.SNI, req.Host, req.Path = true, h, h, "/"
	case "TCP":
	default:
		req.Host, req.Path = h, "/.well-known/acme-challenge/probe"
	}
	return req
}

// TestGatewayHosts checks Istio's and Envoy's host rules.
func TestGatewayHosts(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"foo.com", "foo.com", true},
		{"foo.com", "bar.com", false},
		{"*.com", "foo.com", true},
		{"bar.com", "*.com", true},
		{"*.foo.com", "foo.com", false},
		{"*", "foo.com", true},
		{"*", "*.com", true},
		{"*.a.com", "*.com", true},
	} {
		if got := hostMatches(c.a, c.b); got != c.want {
			t.Errorf("hostMatches(%q, %q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b, want []string
	}{
		{[]string{"foo.com", "bar.com"}, []string{"*.com"}, []string{"foo.com", "bar.com"}},
		{[]string{"foo.com", "*.net"}, []string{"*.com", "bar.net"}, []string{"foo.com", "bar.net"}},
		{[]string{"foo.com", "*.net"}, []string{"*.bar.net"}, []string{"*.bar.net"}},
		{[]string{"foo.com"}, []string{"bar.com"}, nil},
		{[]string{"*"}, []string{"a.b"}, []string{"a.b"}},
	} {
		if got := hostIntersection(c.a, c.b); !slices.Equal(got, c.want) {
			t.Errorf("hostIntersection(%q, %q) = %q; want %q", c.a, c.b, got, c.want)
		}
	}
	for _, c := range []struct {
		hosts []string
		ns    string
		want  []string
	}{
		{[]string{"ns1/foo.com", "ns2/bar.com"}, "ns1", []string{"foo.com"}},
		{[]string{"ns1/foo.com", "*/bar.com"}, "ns3", []string{"bar.com"}},
		{[]string{"foo.com", "ns2/bar.com"}, "ns2", []string{"foo.com", "bar.com"}},
	} {
		if got := hostsForNamespace(c.hosts, c.ns); !slices.Equal(got, c.want) {
			t.Errorf("hostsForNamespace(%q, %q) = %q; want %q", c.hosts, c.ns, got, c.want)
		}
	}
	if got, want := sanitizeHosts([]string{"./a", "*/b", "ns/c"}, "gw"), []string{"gw/a", "b", "ns/c"}; !slices.Equal(got, want) {
		t.Errorf("sanitizeHosts = %q; want %q", got, want)
	}
	if got := sanitizeHosts([]string{"a", "*/*"}, "gw"); !slices.Equal(got, []string{"*"}) {
		t.Errorf("sanitizeHosts(*/*) = %q; want [*]", got)
	}
	domains := []string{"*", "*.example.com", "*.b.example.com", "a.b.example.com", "pre*"}
	for host, want := range map[string]int{
		"a.b.example.com": 3, "c.b.example.com": 2, "x.example.com": 1, "example.com": 0, "prefix.org": 4, "other": 0,
	} {
		if got := envoyDomainMatch(domains, host); got != want {
			t.Errorf("envoyDomainMatch(%q) = %d; want %d", host, got, want)
		}
	}
	for _, c := range []struct {
		names []string
		sni   string
		match bool
	}{
		{[]string{"a.example.com"}, "a.example.com", true},
		{[]string{"*.example.com"}, "a.b.example.com", true},
		{[]string{"*.example.com"}, "example.com", false},
		{[]string{"example.com"}, "a.example.com", false},
	} {
		if got := envoyServerNameMatch(c.names, c.sni) > 0; got != c.match {
			t.Errorf("envoyServerNameMatch(%q, %q) > 0 = %v; want %v", c.names, c.sni, got, c.match)
		}
	}
	if envoyServerNameMatch([]string{"a.example.com"}, "a.example.com") <= envoyServerNameMatch([]string{"*.example.com"}, "a.example.com") {
		t.Error("an exact server name must rank above a wildcard")
	}
	for _, c := range []struct{ in, want string }{
		{"reviews", "reviews.ns.svc.cluster.local"}, {"a.b", "a.b"}, {"*", "*"}, {"10.0.0.1", "10.0.0.1"},
	} {
		if got := resolveShortName(c.in, "ns"); got != c.want {
			t.Errorf("resolveShortName(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"name", "ns/name"}, {"./name", "ns/name"}, {"other/name", "other/name"}, {"mesh", "mesh"}, {"name.other.svc.cluster.local", "other/name"},
	} {
		if got := resolveGatewayName(c.in, "ns"); got != c.want {
			t.Errorf("resolveGatewayName(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

// FuzzGatewayRoute routes arbitrary requests through the seed gateways:
// Route never panics, and a hop that names a server lists it.
func FuzzGatewayRoute(f *testing.F) {
	var gs []*Gateway
	for _, y := range []string{basics, tlsGateway + meshProxyProtocol + proxyFilter("istio-system", mergePatch)} {
		gs = append(gs, newTestGateway(f, y, ingress))
	}
	for _, name := range []string{"seed-003-egress-proxy.yaml", "seed-004-gateway-basics.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "istio", name))
		if err != nil {
			f.Fatal(err)
		}
		gs = append(gs, newTestGateway(f, string(data), ingress))
	}
	f.Add(80, false, false, "", "a.example.com", "/api")
	f.Add(443, true, true, "secure.example.com", "", "/")
	f.Add(31400, false, true, "simple-sni-1.istioinaction.io", "", "")
	f.Add(443, true, true, "A.EXAMPLE.COM.", "[::1]:443", "/r/1?x=%zz")
	f.Fuzz(func(t *testing.T, port int, proxy, tls bool, sni, host, path string) {
		req := GatewayRequest{Port: port, Proxy: proxy, TLS: tls, SNI: sni, Host: host, Path: path}
		for _, g := range gs {
			hop := g.Route(req)
			if hop.Gateway != "" && !slices.Contains(hop.Servers, hop.Gateway+"/"+hop.Server) {
				t.Errorf("Route(%+v): server %s/%s not in Servers %q", req, hop.Gateway, hop.Server, hop.Servers)
			}
			if hop.Gateway == "" && len(hop.Problems) == 0 {
				t.Errorf("Route(%+v) took no server and reports no problem", req)
			}
		}
	})
}
