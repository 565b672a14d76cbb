package check_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// The classes of failure of issue 12 that are fixed by writing correct
// output (the classes Validate now refuses are in
// route/plan_classes_test.go): each route file compiles to both tiers,
// `haproxy -dW -c` accepts the edge tier, and the written files, traced by
// this package, agree with the route file. The comment of each subtest says
// what the code before route.Plan did with the same file, traced the same
// way.

// classTiers is a route file of a class compiled and read back.
type classTiers struct {
	c    *route.Config
	plan *route.Plan
	w    *written
	e    *check.Edge
	g    *check.Gateway
}

// writeClass parses the route file in, plans it, writes both tiers, runs
// `haproxy -dW -c` on the edge tier and reads the written files back.
func writeClass(t *testing.T, in string) *classTiers {
	t.Helper()
	c, err := route.Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	plan, err := c.Plan()
	if err != nil {
		t.Fatalf("Plan() = %v", err)
	}
	w, err := write(t, c)
	if err != nil {
		t.Fatalf("write = %v", err)
	}
	if w.haproxy != nil {
		files := map[string][]byte{}
		for name, m := range w.maps {
			files["maps/"+name] = m
		}
		cfg := strings.ReplaceAll(string(w.haproxy), "/etc/haproxy/maps/", "maps/")
		haproxytest.Check(t, cfg, files)
	}
	e, g := w.tiers(t)
	return &classTiers{c: c, plan: plan, w: w, e: e, g: g}
}

// agreeAll fails t unless every host of every route traces through the
// written tiers to where the route file sends it (see agree).
func (ct *classTiers) agreeAll(t *testing.T) {
	t.Helper()
	var bad []string
	for _, p := range probes(ct.c) {
		for _, b := range agree(ct.c, ct.e, ct.g, p) {
			bad = append(bad, fmt.Sprintf("%s:%d %s%s: %s", p.Listener.Protocol, p.Listener.Port, p.Host, p.Path, b))
		}
	}
	if len(bad) > 0 {
		t.Errorf("the written tiers disagree:\n  %s\nhaproxy.cfg:\n%s\nistio.yaml:\n%s", strings.Join(bad, "\n  "), ct.w.haproxy, ct.w.istio)
	}
}

// trace runs one request through the written tiers.
func (ct *classTiers) trace(req check.EdgeRequest) check.Journey {
	var addrs []string
	if ct.c.Gateway != nil {
		addrs = ct.c.Gateway.Addresses
	}
	return check.Trace(ct.e, ct.g, addrs, []check.EdgeRequest{req})[0]
}

// TestPlanClassesWritten runs the classes of failure fixed by the written
// tiers.
func TestPlanClassesWritten(t *testing.T) {
	t.Setenv("CERTS", tlstest.NewCert(t, t.TempDir(), "edge.example.com").PEMFile)

	t.Run("1 path prefix on a TLS route for every host terminated at the edge", func(t *testing.T) {
		// Before the plan: Validate accepted this and writing haproxy.cfg
		// failed with `line 11 (frontend fe_tls): use_backend[0]: empty
		// condition`.
		ct := writeClass(t, `
edge: {}
listeners:
- {name: tls, port: 443, protocol: TLS, tls: {certificates: ["$CERTS"]}}
routes:
- {name: acme, listener: tls, hosts: ["*"], pathPrefix: /.well-known/acme-challenge/, terminateAt: edge, backend: acme}
- {name: site, listener: tls, hosts: ["*"], terminateAt: edge, backend: site}
backends:
- {name: acme, servers: [{address: "10.0.0.11:8080"}]}
- {name: site, servers: [{address: "10.0.0.20:8080"}]}
`)
		ct.agreeAll(t)
		for _, tc := range []struct{ path, want string }{
			{"/.well-known/acme-challenge/token", "10.0.0.11:8080"},
			{"/index.html", "10.0.0.20:8080"},
		} {
			j := ct.trace(check.EdgeRequest{Port: 443, TLS: true, SNI: "any.example.net", Host: "any.example.net", Path: tc.path})
			if !j.Edge.TerminatesTLS || !slices.Equal(j.Edge.Servers, []string{tc.want}) {
				t.Errorf("Trace(any.example.net%s) = edge terminates %v, servers %q; want terminated and sent to %s", tc.path, j.Edge.TerminatesTLS, j.Edge.Servers, tc.want)
			}
		}
	})

	t.Run("4 PROXY protocol where X-Forwarded-For cannot be trusted on every path", func(t *testing.T) {
		// Before the plan: Validate accepted this and istiocfg set
		// numTrustedProxies 1 beside the PROXY protocol (a warning only):
		// the gateway ignored the PROXY address, and on port 443, where TLS
		// is passed through, trusted an X-Forwarded-For the client wrote.
		ct := writeClass(t, `
edge: {forwardFor: true}
gateway: {addresses: [10.0.0.10], proxyProtocol: native}
listeners:
- {name: http, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS}
routes:
- {name: web, listener: http, hosts: [www.example.com], backend: web}
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, credential: app-cert, backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`)
		ct.agreeAll(t)
		for _, req := range []check.EdgeRequest{
			{Port: 80, Host: "www.example.com", Path: "/"},
			{Port: 443, TLS: true, SNI: "app.example.com", Host: "app.example.com", Path: "/"},
		} {
			j := ct.trace(req)
			if j.Gateway == nil || !j.Gateway.ProxyAccepted || j.Edge.Proxy == "" || j.Gateway.TrustedHops != 0 {
				t.Errorf("Trace(%d %s): edge PROXY %q, gateway %+v; want PROXY sent and accepted, no X-Forwarded-For hop trusted", req.Port, req.Host, j.Edge.Proxy, j.Gateway)
			}
		}
	})

	t.Run("5 TLS check of a wildcard route the edge re-encrypts to the gateway", func(t *testing.T) {
		// Before the plan: Validate accepted this and the check was
		// `check-ssl` without check-sni (haproxycfg warned and wrote it):
		// no filter chain on port 443 takes a ClientHello without SNI, so
		// the gateway server went DOWN.
		ct := writeClass(t, `
edge: {}
gateway: {addresses: [10.0.0.10], tls: {insecureSkipVerify: true}}
listeners:
- {name: http, port: 80, protocol: HTTP}
routes:
- {name: wild, listener: http, hosts: ["*.example.com"], terminateAt: gateway, credential: wild-cert, backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`)
		ct.agreeAll(t)
		j := ct.trace(check.EdgeRequest{Port: 80, Host: "www.example.com", Path: "/"})
		if ck := j.Edge.Check; !ck.Enabled || !ck.TLS || ck.SNI != "health.example.com" {
			t.Errorf("edge check = %+v; want a TLS handshake with SNI health.example.com", ck)
		}
		if j.Check == nil || j.Gateway == nil || j.Check.Server != j.Gateway.Server || j.Check.Credential != "wild-cert" {
			t.Errorf("check reaches %+v, traffic %+v; want the same server, credential wild-cert", j.Check, j.Gateway)
		}
	})

	t.Run("5 gateway readiness endpoint as the check", func(t *testing.T) {
		// Before the plan: the model had no healthCheck.port (Parse:
		// `route: port: unknown field`); the readiness endpoint could not
		// be chosen.
		ct := writeClass(t, `
edge: {}
gateway: {addresses: [10.0.0.10], proxyProtocol: native, healthCheck: {port: 15021, path: /healthz/ready}}
listeners:
- {name: http, port: 80, protocol: HTTP}
routes:
- {name: web, listener: http, hosts: ["*.example.com"], backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`)
		ct.agreeAll(t)
		j := ct.trace(check.EdgeRequest{Port: 80, Host: "www.example.com", Path: "/"})
		want := check.HealthCheck{Enabled: true, Port: 15021, HTTP: true, Method: "GET", Path: "/healthz/ready"}
		if j.Edge.Check != want {
			t.Errorf("edge check = %+v; want %+v: plain HTTP to the readiness port, no PROXY header, no TLS", j.Edge.Check, want)
		}
	})

	t.Run("6 check of a re-encrypted wildcard route sends a name of its own", func(t *testing.T) {
		// Before the plan: Validate accepted this and rt_wild's check sent
		// check-sni api.example.org, which reached Gateway server https-api
		// (credential api-cert) while the traffic reached https-wild
		// (wild-cert): the check could pass while the traffic failed.
		ct := writeClass(t, `
edge: {}
gateway: {addresses: [10.0.0.10], tls: {insecureSkipVerify: true}}
listeners:
- {name: http, port: 80, protocol: HTTP}
routes:
- {name: api, listener: http, hosts: [api.example.org], terminateAt: gateway, credential: api-cert, backend: web}
- {name: wild, listener: http, hosts: ["*.example.com"], terminateAt: gateway, credential: wild-cert, backend: web}
backends:
- {name: web, service: {host: web.apps.svc.cluster.local, port: 8080}}
`)
		ct.agreeAll(t)
		j := ct.trace(check.EdgeRequest{Port: 80, Host: "www.example.com", Path: "/"})
		if j.Check == nil || j.Gateway == nil || j.Check.Server != j.Gateway.Server || j.Check.Credential != "wild-cert" {
			t.Errorf("check %+v reaches %+v, traffic %+v; want the traffic's server, credential wild-cert", j.Edge.Check, j.Check, j.Gateway)
		}
	})

	t.Run("9 seventy exact hosts on an ACME route", func(t *testing.T) {
		// Before the plan: Validate accepted this and writing haproxy.cfg
		// failed with `line 10 (frontend fe_http): 79 words on one line;
		// HAProxy reads at most 64`.
		hosts := make([]string, 70)
		for i := range hosts {
			hosts[i] = fmt.Sprintf("h%d.example.com", i)
		}
		ct := writeClass(t, `
edge: {}
listeners:
- {name: http, port: 80, protocol: HTTP}
routes:
- {name: acme, listener: http, hosts: [`+strings.Join(hosts, ", ")+`], pathPrefix: /.well-known/acme-challenge/, backend: acme}
- {name: site, listener: http, hosts: ["*"], backend: site}
backends:
- {name: acme, servers: [{address: "10.0.0.11:8080"}]}
- {name: site, servers: [{address: "10.0.0.20:8080"}]}
`)
		ct.agreeAll(t)
	})

	t.Run("12 static server at a gateway address", func(t *testing.T) {
		// Before the plan: Validate accepted this without a warning; the
		// edge sent every name as plain HTTP to 10.0.0.10:80, where no
		// Gateway server listened.
		ct := writeClass(t, `
edge: {}
gateway: {addresses: [10.0.0.10]}
listeners:
- {name: tls, port: 443, protocol: TLS, tls: {certificates: ["$CERTS"]}}
routes:
- {name: local, listener: tls, hosts: ["*"], terminateAt: edge, backend: kube-http}
backends:
- {name: kube-http, servers: [{address: "10.0.0.10:80"}]}
`)
		const at = "backends[0].servers[0].address"
		warned := func(ws []route.Warning) bool {
			return slices.ContainsFunc(ws, func(w route.Warning) bool {
				return w.Path == at && strings.Contains(w.Detail, "gateway.addresses[0]")
			})
		}
		if !warned(ct.plan.Warnings) {
			t.Errorf("Plan().Warnings = %v; want one at %s naming gateway.addresses[0]", ct.plan.Warnings, at)
		}
		hr, err := haproxycfg.Compiler{}.CompilePlan(ct.plan)
		if err != nil || !warned(hr.Warnings) {
			t.Errorf("haproxycfg CompilePlan() warnings = %v, %v; want the plan's warning at %s", hr.Warnings, err, at)
		}
		ir, err := istiocfg.CompilePlan(ct.plan)
		if err != nil || !warned(ir.Warnings) {
			t.Errorf("istiocfg.CompilePlan() warnings = %v, %v; want the plan's warning at %s", ir.Warnings, err, at)
		}
	})

	t.Run("12 sni-split scenario sends edge-terminated names to servers that serve them", func(t *testing.T) {
		// Before the plan: the scenario sent nsg.cc to 10.0.0.10:443 as a
		// static server (insecureSkipVerify) and every other name to
		// 10.0.0.10:80; the gateway served neither (no server for nsg.cc on
		// 443, 404 for the other names on 80).
		data, err := os.ReadFile("../examples/edgegen/testdata/sni-split.yaml")
		if err != nil {
			t.Fatal(err)
		}
		ct := writeClass(t, string(data))
		ct.agreeAll(t)
		if len(ct.plan.Warnings) > 0 {
			t.Errorf("Plan().Warnings = %v; want none", ct.plan.Warnings)
		}
		for _, tc := range []struct{ host, server, credential string }{
			{"nsg.cc", "", "nsg-credential"},
			{"legacy.example.net", "10.0.0.20:80", ""},
		} {
			j := ct.trace(check.EdgeRequest{Port: 443, TLS: true, SNI: tc.host, Host: tc.host, Path: "/"})
			switch {
			case !j.Edge.TerminatesTLS:
				t.Errorf("Trace(%s): the edge does not terminate it", tc.host)
			case tc.server != "" && (!slices.Equal(j.Edge.Servers, []string{tc.server}) || j.Gateway != nil):
				t.Errorf("Trace(%s): edge servers %q, gateway %+v; want %s, not the gateway", tc.host, j.Edge.Servers, j.Gateway, tc.server)
			case tc.credential != "" && (j.Gateway == nil || !j.Gateway.TerminatesTLS || j.Gateway.Credential != tc.credential):
				t.Errorf("Trace(%s): gateway %+v; want it to terminate the re-encrypted TLS with %s", tc.host, j.Gateway, tc.credential)
			}
		}
	})
}
