package check_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// traceElsewhere are Istio objects a scenario's route file says are
// configured elsewhere: passthrough-proxy configures only the gateway's
// PROXY protocol, its Gateway and VirtualServices are the users' own.
var traceElsewhere = map[string]string{"passthrough-proxy": `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: own, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: own, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [own]
  http:
  - route: [{destination: {host: web.apps.svc.cluster.local, port: {number: 8080}}}]
  tls:
  - match: [{sniHosts: ["*.example.org"]}]
    route: [{destination: {host: web.apps.svc.cluster.local, port: {number: 8443}}}]
`}

// traceScenario compiles both tiers of a scenario and returns them read
// for tracing, with the requests of every route host.
func traceScenario(t testing.TB, name string) (*route.Plan, *check.Edge, *check.Gateway, []check.EdgeRequest, []int) {
	t.Helper()
	c, res := edgeLoadScenario(t, name)
	plan, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	ir, err := istiocfg.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	objs := ir.Objects
	if y := traceElsewhere[name]; y != "" {
		more, err := istiocfg.ReadYAML([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, more...)
	}
	g, err := check.NewGateway(objs, check.Workload{Namespace: "istio-system", Labels: c.GatewaySelector(), Annotations: ir.GatewayPodAnnotations})
	if err != nil {
		t.Fatal(err)
	}
	var e *check.Edge
	if res != nil {
		if e, err = check.NewEdge(res.Config, res.Maps); err != nil {
			t.Fatal(err)
		}
	}
	var reqs []check.EdgeRequest
	var routes []int
	for i := range plan.Routes {
		rp := &plan.Routes[i]
		if rp.Index >= len(plan.Config.Routes) {
			continue // the routes of a listener's acme setting: TestGeneratedEdgesAgree traces them
		}
		hosts := rp.Hosts
		if len(hosts) == 0 {
			hosts = []string{"*"}
		}
		for _, pattern := range hosts {
			host := edgeSampleHost(pattern)
			l := rp.Listener
			req := check.EdgeRequest{Port: l.Port, Host: host, Path: cmpOr(rp.Route.PathPrefix, "/") + "x"}
			// Clients of a TCP listener on 443 speak TLS too.
			if l.Protocol == route.TLS || l.Protocol == route.HTTPS || l.Protocol == route.TCP && l.Port == 443 {
				req.TLS, req.SNI = true, host
			}
			reqs = append(reqs, req)
			routes = append(routes, edgeRouteIndex(c, edgeIntended(c, l.Name, host, req.Path)))
		}
	}
	return plan, e, g, reqs, routes
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestTraceScenarios traces every host of the scenarios with an edge
// through both compiled tiers: each journey reaches the gateway exactly
// when the plan says, on the plan's port and server, with its PROXY header
// and TLS ending where the plan says, to the plan's destinations; and the
// generated tiers give no finding.
func TestTraceScenarios(t *testing.T) {
	for _, name := range edgeScenarios {
		t.Run(name, func(t *testing.T) {
			plan, e, g, reqs, routes := traceScenario(t, name)
			if e == nil {
				return // no edge: the gateway's own tests cover it
			}
			addrs := plan.Config.Gateway.Addresses
			js := check.Trace(e, g, addrs, reqs)
			if len(js) != len(reqs) {
				t.Fatalf("Trace returned %d journeys for %d requests", len(js), len(reqs))
			}
			for i, j := range js {
				rp := &plan.Routes[routes[i]]
				traceCheckPlan(t, plan, rp, j)
			}
			for _, f := range check.Findings(js) {
				t.Errorf("finding on generated tiers: %s", f)
			}
		})
	}
}

func traceCheckPlan(t *testing.T, plan *route.Plan, rp *route.RoutePlan, j check.Journey) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("route %s, %+v:\n edge %+v\n sent %+v\n gateway %+v\n"+format, append([]any{rp.Route.Name, j.Request, j.Edge, j.Sent, j.Gateway}, args...)...)
	}
	pool := (*route.Pool)(nil)
	if rp.Edge != nil && rp.Edge.Pool >= 0 {
		pool = &plan.Pools[rp.Edge.Pool]
	}
	toGateway := pool != nil && pool.Kind == route.PoolGateway
	if (j.Gateway != nil) != toGateway {
		fail("at the gateway: %v, want %v", j.Gateway != nil, toGateway)
		return
	}
	if !toGateway {
		return
	}
	if j.Sent.Port != pool.GatewayPort || j.Sent.Proxy != (pool.Proxy != "") {
		fail("sent to port %d with PROXY %v; want port %d with PROXY %q", j.Sent.Port, j.Sent.Proxy, pool.GatewayPort, pool.Proxy)
	}
	gh := rp.Gateway
	if gh == nil {
		return // the gateway side is configured elsewhere
	}
	srv := plan.Gateway.Servers[gh.Server]
	if j.Gateway.Server != srv.Name || j.Gateway.TerminatesTLS != gh.Terminates {
		fail("server %q terminating %v; want %q terminating %v", j.Gateway.Server, j.Gateway.TerminatesTLS, srv.Name, gh.Terminates)
	}
	var dests []string
	for _, d := range gh.Destinations {
		dests = append(dests, d.Host+":"+strconv.Itoa(d.Port))
	}
	if !slices.Equal(j.Gateway.Destinations, dests) {
		fail("destinations %q; want %q", j.Gateway.Destinations, dests)
	}
}

// BenchmarkTrace20k traces one request per host of a 20,000-host edge
// through both compiled tiers and collects the findings (there are none).
func BenchmarkTrace20k(b *testing.B) {
	const n = 20000
	c := edgeBigConfig(n)
	reqs := edgeBigRequests(n)
	hres, err := haproxycfg.Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	ires, err := istiocfg.Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	e, err := check.NewEdge(hres.Config, hres.Maps)
	if err != nil {
		b.Fatal(err)
	}
	g, err := check.NewGateway(ires.Objects, check.Workload{Namespace: "istio-system", Labels: c.GatewaySelector(), Annotations: ires.GatewayPodAnnotations})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		js := check.Trace(e, g, c.Gateway.Addresses, reqs)
		if fs := check.Findings(js); len(fs) > 0 {
			b.Fatalf("%d findings, first %s", len(fs), fs[0])
		}
	}
}
