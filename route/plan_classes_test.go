package route_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

// The classes of failure of issue 12 that Validate now refuses, each with
// the smallest route file that shows it; the comment of each case says
// what the code before route.Plan did with it. The classes fixed by
// writing correct output instead (1; 4 with the PROXY protocol; 5 and 6
// where a host can be chosen; 12) are traced through the written tiers in
// check/plan_classes_test.go.
//
// Classes 9 to 11, values that HAProxy, the API server or Istio refuse or
// that the writer refuses, are the table valueCases in values_test.go,
// which TestValueCasesValidate runs through Validate:
//
//   - 9: "timer overflow" (100000h), "inspect delay 1ns", "maxconn
//     overflow", "check rise 100000", "check fall 100000", "scoped
//     listener address", "40 certificates", "non-ASCII path prefix"; the
//     70 exact ACME hosts are in check/plan_classes_test.go;
//   - 10: "header name with $", "header name with #", "header name with '",
//     "check method G#ET", "certificate path with $5";
//   - 11: "credential with space", "credential with underscore",
//     "credential of 300 bytes", "service host in upper case", "service
//     host with trailing dot", "selector prefix in upper case", "selector
//     value too long", "route host is an IP address".
//
// Before the plan Validate accepted every one of them; haproxycfg's writer
// then refused "40 certificates" (86 words on one line), the header names,
// "G#ET" and "$5" without a field path, and wrote the others.

// classCase is a route file that Validate must refuse with one problem, at
// path, whose detail names each of words.
type classCase struct {
	name  string
	yaml  string
	path  string
	words []string
}

// wantRefused fails t unless Validate refuses tc.yaml with exactly one
// problem, at tc.path, naming tc.words: the file is valid but for the fault
// of its class.
func wantRefused(t *testing.T, tc classCase) {
	t.Helper()
	c, err := route.Parse([]byte(tc.yaml))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	err = c.Validate()
	var ve *route.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v; want a *route.ValidationError with a problem at %s", err, tc.path)
	}
	if len(ve.Errors) != 1 || ve.Errors[0].Path != tc.path {
		t.Fatalf("Validate() = %v; want one problem, at %s", err, tc.path)
	}
	for _, w := range tc.words {
		if d := ve.Errors[0].Detail; !strings.Contains(d, w) {
			t.Errorf("Validate() problem at %s = %q; want it to name %q", tc.path, d, w)
		}
	}
}

// TestPlanClasses runs the classes of failure that Validate refuses.
func TestPlanClasses(t *testing.T) {
	for _, tc := range []classCase{
		// Found by FuzzGeneratedEdges: two TLS listeners pass one host on to
		// gateway port 443 by SNI, each route with other hosts beside it. Each
		// route is a TLS match of its own and Istio keeps one filter chain a
		// host and port, so it dropped the second route's match. Before this
		// check Validate accepted it.
		{
			name: "2 a host routed by SNI on one gateway port by two routes with other hosts",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
- {name: alt, port: 31400, protocol: TLS}
routes:
- {name: both, listener: tls, hosts: [x.example.com, a.example.com], terminateAt: backend, backend: svc0}
- {name: one, listener: alt, hosts: [a.example.com], terminateAt: backend, backend: svc0}
backends:
- {name: svc0, service: {host: svc0.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[1].hosts[0]",
			words: []string{`"a.example.com"`, "routes[0]", `"tls"`, "port 443"},
		},
		// Found by Istio's own translation of generated configurations: a host
		// of one listener under a broader host of another listener, both on
		// gateway port 80 with other backends. The gateway routes by host, so
		// listener web's requests for a.example.com reached svc0. Before this
		// check Validate accepted it.
		{
			name: "2 a host under a broader host of another listener on one gateway port",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: secure, port: 443, protocol: HTTPS, tls: {certificates: [/etc/edge.pem]}}
routes:
- {name: wide, listener: web, hosts: ["*.example.com"], backend: svc1}
- {name: narrow, listener: secure, hosts: [a.example.com], backend: svc0}
backends:
- {name: svc0, service: {host: svc0.apps.svc.cluster.local, port: 8080}}
- {name: svc1, service: {host: svc1.apps.svc.cluster.local, port: 8080}}
`,
			path:  "routes[1].hosts[0]",
			words: []string{`"a.example.com"`, `"*.example.com"`, "routes[0]", `"web"`, "port 80"},
		},
		// Found the same way: TLS passed through for "*" from one listener and
		// a host terminated at the gateway from another, both on gateway port
		// 443. A client sending that name to the first listener reached the
		// terminating chain, whose X-Forwarded-For trust it inherited. Before
		// this check Validate accepted it.
		{
			name: "4 TLS passed through for any name onto a port where the gateway terminates one",
			yaml: `
edge: {forwardFor: true}
gateway: {addresses: [10.0.0.10], tls: {caFile: /etc/ca.pem}}
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: tls, port: 8443, protocol: TLS}
routes:
- {name: app, listener: web, hosts: [x.kube.example.com], terminateAt: gateway, credential: origin-cert, backend: svc1}
- {name: any, listener: tls, hosts: ["*"], terminateAt: backend, backend: svc0}
backends:
- {name: svc0, service: {host: svc0.apps.svc.cluster.local, port: 8443}}
- {name: svc1, service: {host: svc1.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[0].hosts[0]",
			words: []string{`"x.kube.example.com"`, `"*"`, "routes[1]", `"tls"`, "port 443"},
		},
		// Found the same way: the edge terminates a name for one path while
		// another route of the TLS listener passes the name on; the other paths
		// of the name found no backend at the edge. Before this check Validate
		// accepted it.
		{
			name: "1 a name the edge terminates for one path and passes on otherwise",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS, tls: {certificates: [/etc/edge.pem]}}
routes:
- {name: acme, listener: tls, hosts: [x.kube.example.com], pathPrefix: /.well-known/acme-challenge/, terminateAt: edge, backend: solver}
- {name: kube, listener: tls, hosts: ["*.kube.example.com"], terminateAt: backend, backend: svc0}
backends:
- {name: solver, servers: [{address: "10.0.0.11:8080"}]}
- {name: svc0, service: {host: svc0.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[0].hosts[0]",
			words: []string{`"x.kube.example.com"`, "routes[1]", "path"},
		},
		// Before the plan: Validate accepted this, and istiocfg wrote two servers for
		// app.example.com on gateway port 443, SIMPLE and PASSTHROUGH; Envoy takes
		// the first, so the TLS of listener alt was terminated, not passed through.
		{
			name: "2 SIMPLE and PASSTHROUGH for one host on one gateway port",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
- {name: alt, port: 8443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, credential: app-cert, backend: app}
- {name: app-alt, listener: alt, hosts: [app.example.com], terminateAt: backend, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[1].hosts[0]",
			words: []string{`"app.example.com"`, "port 443", "passed through", `"app-cert"`, "routes[0]"},
		},
		// Before the plan: Validate accepted this, and istiocfg wrote servers https-app
		// (app-cert) and https-app-alt (alt-cert) for app.example.com on port 443;
		// Envoy takes https-app, so the clients of listener alt got app-cert.
		{
			name: "2 two credentials for one host on one gateway port",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
- {name: alt, port: 8443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, credential: app-cert, backend: app}
- {name: app-alt, listener: alt, hosts: [app.example.com], terminateAt: gateway, credential: alt-cert, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[1].hosts[0]",
			words: []string{`"app.example.com"`, "port 443", `"alt-cert"`, `"app-cert"`, "routes[0]"},
		},
		// Before the plan: Validate accepted this, and VirtualService web got two
		// catch-all http routes, web then web-alt; the second never matches, so
		// www.example.com on :8080 reached web instead of other.
		{
			name: "2 two catch-all routes for one host in one VirtualService",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: http, port: 80, protocol: HTTP}
- {name: alt, port: 8080, protocol: HTTP}
routes:
- {name: web, listener: http, hosts: [www.example.com], backend: web}
- {name: web-alt, listener: alt, hosts: [www.example.com], backend: other}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
- {name: other, service: {host: other.apps.svc.cluster.local, port: 8080}}
`,
			path:  "routes[1].hosts[0]",
			words: []string{`"www.example.com"`, "port 80", "routes[0]", "another destination"},
		},
		// Before the plan: Validate accepted this, and the Gateway got a TCP "*" server
		// and an HTTP server on port 80; Envoy takes the TCP one, so HTTP requests
		// for www.example.com on :8080 reached db:5432.
		{
			name: "2 TCP and HTTP servers on one gateway port",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: http, port: 8080, protocol: HTTP}
- {name: raw, port: 80, protocol: TCP}
routes:
- {name: web, listener: http, hosts: [www.example.com], backend: web}
- {name: raw, listener: raw, backend: db}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
- {name: db, service: {host: db.apps.svc.cluster.local, port: 5432}}
`,
			path:  "routes[1]",
			words: []string{"port 80", "TCP", "plain HTTP", "routes[0]"},
		},
		// Before the plan: Validate accepted this; HAProxy passed the client's SNI
		// app.example.com through to port 443, where the SIMPLE server listed only
		// app.internal.example.com: no filter chain matched, Envoy closed the
		// connection.
		{
			name: "3 gatewayHost on a TLS route terminated at the gateway",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: [app.example.com], gatewayHost: app.internal.example.com, terminateAt: gateway, credential: app-cert, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`,
			path:  "routes[0].gatewayHost",
			words: []string{"server name", "reencrypt"},
		},
		// Before the plan: Validate accepted this; HAProxy passed the client's SNI
		// app.example.com through to port 443, where the PASSTHROUGH server listed only
		// app.internal.example.com: no filter chain matched, Envoy closed the
		// connection.
		{
			name: "3 gatewayHost on a TLS route terminated at the backend",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: [app.example.com], gatewayHost: app.internal.example.com, terminateAt: backend, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[0].gatewayHost",
			words: []string{"server name", "reencrypt"},
		},
		// Before the plan: Validate accepted this, and istiocfg set numTrustedProxies 1
		// for the whole gateway: on port 443, where the edge passes TLS through,
		// the gateway trusted an X-Forwarded-For the client wrote.
		{
			name: "4 forwardFor while TLS passes through the edge to the gateway",
			yaml: `
edge: {forwardFor: true}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: http, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: web, listener: http, hosts: [www.example.com], backend: web}
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, credential: app-cert, backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`,
			path:  "edge.forwardFor",
			words: []string{"routes[0]", "routes[1]", "passed through", "gateway.proxyProtocol"},
		},
		// Before the plan: Validate accepted this without a word, and the gateway
		// trusted a client's X-Forwarded-For on port 443 as above.
		{
			name: "4 numTrustedProxies above a path without X-Forwarded-For",
			yaml: `
edge: {forwardFor: true}
gateway: {addresses: [10.0.0.10], numTrustedProxies: 1}
listeners:
- {name: http, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: web, listener: http, hosts: [www.example.com], backend: web}
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, credential: app-cert, backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`,
			path:  "gateway.numTrustedProxies",
			words: []string{"routes[1]", "passed through", "at most 0"},
		},
		// Before the plan: Validate accepted this, and HAProxy wrote `http-check send
		// meth GET uri /healthz ver HTTP/1.1` without Host: no VirtualService takes
		// it (404), so every gateway server went DOWN.
		{
			name: "5 HTTP check of the gateway with only wildcard routes",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10], healthCheck: {path: /healthz}}
listeners:
- {name: http, port: 80, protocol: HTTP}
routes:
- {name: web, listener: http, hosts: ["*.example.com"], backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`,
			path:  "gateway.healthCheck",
			words: []string{"gw_http_80", "*.example.com", "/healthz", "gateway.healthCheck.host", "15021"},
		},
		// Before the plan: Validate accepted this, and HAProxy wrote `check-ssl` without
		// check-sni (haproxycfg warned and wrote it anyway): no filter chain on port
		// 443 takes a ClientHello without SNI, so every gateway server went DOWN.
		{
			name: "5 HTTP check through passed-through TLS with only wildcard routes",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10], healthCheck: {path: /healthz}, tls: {insecureSkipVerify: true}}
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: ["*.example.com"], terminateAt: gateway, credential: app-cert, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`,
			path:  "gateway.healthCheck",
			words: []string{"gw_tcp_443", "*.example.com", "/healthz", "gateway.healthCheck.host", "15021"},
		},
		// Before the plan: Validate accepted this; the challenges for
		// legacy.example.com, whose TLS the edge terminates, went to gw_http_80 and
		// the gateway's solver.
		{
			name: "7 edge-terminated host's ACME challenge sent to the gateway",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: http, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS, tls: {certificates: [/etc/haproxy/certs/edge.pem]}}
routes:
- {name: acme, listener: http, hosts: ["*"], pathPrefix: /.well-known/acme-challenge/, backend: solver}
- {name: legacy, listener: tls, hosts: [legacy.example.com], terminateAt: edge, backend: legacy}
backends:
- {name: solver, service: {host: cm-acme-http-solver.istio-system.svc.cluster.local, port: 8089}}
- {name: legacy, servers: [{address: "10.0.0.20:8080"}]}
`,
			path:  "routes[0].backend",
			words: []string{"legacy.example.com", "to the gateway", "the edge terminates", "routes[1]"},
		},
		// Before the plan: Validate accepted this; the challenges for
		// *.kube.example.com, whose TLS the gateway terminates, went to the edge's
		// server 10.0.0.11:8080.
		{
			name: "7 gateway-terminated host's ACME challenge kept at the edge",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: http, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: acme, listener: http, hosts: ["*"], pathPrefix: /.well-known/acme-challenge/, backend: letsencrypt}
- {name: kube, listener: tls, hosts: ["*.kube.example.com"], terminateAt: gateway, credential: kube-cert, backend: kube}
backends:
- {name: letsencrypt, servers: [{address: "10.0.0.11:8080"}]}
- {name: kube, service: {host: web.apps.svc.cluster.local, port: 8080}}
`,
			path:  "routes[0].backend",
			words: []string{"*.kube.example.com", "to the edge", "the gateway terminates", "routes[1]"},
		},
		// Before the plan: Validate accepted this; the Gateway got a PASSTHROUGH
		// server for app.example.com and app-cert was dropped without a word.
		{
			name: "8 credential on a route whose TLS passes through to the backend",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: backend, credential: app-cert, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8443}}
`,
			path:  "routes[0].credential",
			words: []string{`"app-cert"`, "passes through to the backend"},
		},
		// Before the plan: Validate accepted this; the edge sent plain HTTP to gateway
		// port 80 and app-cert was dropped without a word.
		{
			name: "8 credential on a route the edge terminates",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS, tls: {certificates: [/etc/haproxy/certs/edge.pem]}}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: edge, credential: app-cert, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`,
			path:  "routes[0].credential",
			words: []string{`"app-cert"`, "reencrypt"},
		},
		// Before the plan: Validate accepted this; istiocfg wrote no object while
		// HAProxy sent app.example.com to gw_tcp_443: no Gateway server listened on
		// 443 and app-cert was dropped.
		{
			name: "8 credential on a route handed to a gateway configured elsewhere",
			yaml: `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, credential: app-cert, backend: handoff}
backends:
- {name: handoff, gateway: true}
`,
			path:  "routes[0].credential",
			words: []string{`"app-cert"`, `"handoff"`, "configured elsewhere"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc) })
	}
}
