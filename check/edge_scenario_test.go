package check_test

import (
	"cmp"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// edgeScenarios are the example route files, by scenario.
var edgeScenarios = []string{"http-reencrypt", "passthrough-proxy", "sni-split", "gateway-egress-proxy", "gateway-basics"}

// edgeLoadScenario loads a scenario's route file and compiles its edge
// tier; res is nil for a scenario without an edge.
func edgeLoadScenario(t testing.TB, name string) (*route.Config, *haproxycfg.Result) {
	t.Helper()
	f, err := os.Open("../examples/edgegen/testdata/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := route.Load(f)
	if err != nil {
		t.Fatalf("route.Load(%s): %v", name, err)
	}
	res, err := haproxycfg.Compile(c)
	if errors.Is(err, haproxycfg.ErrNoEdge) {
		return c, nil
	}
	if err != nil {
		t.Fatalf("haproxycfg.Compile(%s): %v", name, err)
	}
	return c, res
}

// edgeSampleHost returns a host a client would send for a route host
// pattern: the host itself, a name under a wildcard, or a name no other
// pattern of the file matches for "*".
func edgeSampleHost(pattern string) string {
	switch {
	case pattern == "*":
		return "unlisted.example.org"
	case strings.HasPrefix(pattern, "*."):
		return "app" + pattern[1:]
	}
	return pattern
}

// edgeHostMatches reports whether a route host pattern takes host, and how
// specifically: 3 exact, 2 wildcard, 1 any, 0 not.
func edgeHostMatches(pattern, host string) int {
	switch {
	case pattern == "*":
		return 1
	case strings.HasPrefix(pattern, "*."):
		if strings.HasSuffix(host, pattern[1:]) {
			return 2
		}
		return 0
	case strings.EqualFold(pattern, host):
		return 3
	}
	return 0
}

// edgeIntended returns the route a route file means for a request on
// listener l: the most specific host match, then the longest path prefix.
func edgeIntended(c *route.Config, l string, host, path string) *route.Route {
	var best *route.Route
	bestHost, bestPath := 0, -1
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Listener != l || !strings.HasPrefix(path, r.PathPrefix) {
			continue
		}
		h := 0
		if len(r.Hosts) == 0 {
			h = 1
		}
		for _, p := range r.Hosts {
			h = max(h, edgeHostMatches(p, host))
		}
		if h == 0 {
			continue
		}
		if h > bestHost || h == bestHost && len(r.PathPrefix) > bestPath {
			best, bestHost, bestPath = r, h, len(r.PathPrefix)
		}
	}
	return best
}

// TestEdgeScenarios routes, for every host of every scenario's route file,
// a request through the compiled haproxy.cfg and checks that it goes where
// the route file's plan says: TLS ended at the tier the route names, the
// pool's servers (the gateway's addresses and port, or static servers),
// the PROXY header, the TLS the edge originates with its SNI, the Host,
// X-Forwarded-For and the health check.
func TestEdgeScenarios(t *testing.T) {
	for _, name := range edgeScenarios {
		t.Run(name, func(t *testing.T) {
			c, res := edgeLoadScenario(t, name)
			if res == nil {
				if c.Edge != nil {
					t.Fatal("no edge compiled for a route file with an edge")
				}
				return
			}
			plan, err := c.Plan()
			if err != nil {
				t.Fatal(err)
			}
			e, err := check.NewEdge(res.Config, res.Maps)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
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
					tls := l.Protocol == route.TLS || l.Protocol == route.HTTPS
					req := check.EdgeRequest{Port: l.Port, TLS: tls, Host: host, Path: rp.Route.PathPrefix + "x"}
					if tls {
						req.SNI = host
					}
					want := edgeIntended(c, l.Name, host, req.Path)
					if want == nil {
						t.Fatalf("no route of %s takes %+v", name, req)
					}
					got := e.Route(req)
					n++
					edgeCheckIntent(t, plan, &plan.Routes[edgeRouteIndex(c, want)], req, got)
				}
			}
			if n == 0 {
				t.Fatal("no request traced")
			}
		})
	}
}

func edgeRouteIndex(c *route.Config, r *route.Route) int {
	for i := range c.Routes {
		if &c.Routes[i] == r {
			return i
		}
	}
	return -1
}

func edgeCheckIntent(t *testing.T, plan *route.Plan, rp *route.RoutePlan, req check.EdgeRequest, got check.EdgeHop) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("Route(%+v) = %+v\nroute %s: "+format, append([]any{req, got, rp.Route.Name}, args...)...)
	}
	if len(got.Problems) > 0 {
		fail("problems %q, want none", got.Problems)
	}
	eh := rp.Edge
	if req.TLS && got.TerminatesTLS != eh.Terminates {
		fail("TerminatesTLS = %v, want %v (TLS ends at the %s)", got.TerminatesTLS, eh.Terminates, rp.TLSEnds)
	}
	if eh.Redirect != nil {
		if !got.Redirect {
			fail("no redirect")
		}
		return
	}
	pool := &plan.Pools[eh.Pool]
	if !slices.Equal(got.Servers, pool.Addresses()) {
		fail("servers %q, want pool %s's %q", got.Servers, pool.Name, pool.Addresses())
	}
	if got.Proxy != string(pool.Proxy) {
		fail("Proxy = %q, want %q", got.Proxy, pool.Proxy)
	}
	if got.OriginatesTLS != (pool.TLS != nil) {
		fail("OriginatesTLS = %v, want %v", got.OriginatesTLS, pool.TLS != nil)
	}
	if pt := pool.TLS; pt != nil {
		sni := pt.SNI
		if pt.SNIFromHost {
			sni = got.Host
		}
		verify := "required"
		if pt.InsecureSkipVerify {
			verify = "none"
		}
		if got.SNI != sni || got.Verify != verify {
			fail("SNI %q verify %q, want %q and %q", got.SNI, got.Verify, sni, verify)
		}
	}
	if pool.Mode == route.EdgeHTTP {
		host := cmp.Or(pool.Host, req.Host)
		if !got.HTTP || got.Host != host || got.ForwardFor != eh.ForwardFor {
			fail("HTTP %v, Host %q, ForwardFor %v; want HTTP with Host %q and ForwardFor %v", got.HTTP, got.Host, got.ForwardFor, host, eh.ForwardFor)
		}
	}
	var want check.HealthCheck
	if pc := pool.Check; pc != nil {
		want = check.HealthCheck{Enabled: true, TLS: pc.TLS, SNI: pc.SNI, Proxy: pc.Proxy, HTTP: pc.HTTP}
		if pc.HTTP {
			want.Method, want.Path, want.Host = cmp.Or(pc.Method, "GET"), cmp.Or(pc.Path, "/"), pc.Host
		}
	}
	if got.Check != want {
		fail("health check %+v, want %+v", got.Check, want)
	}
}

// TestEdgeScenarioRedirect checks that sni-split's plain HTTP port answers
// every request that is not an ACME challenge with a redirect to https,
// and that ACME challenges go to the tier holding the host.
func TestEdgeScenarioRedirect(t *testing.T) {
	_, res := edgeLoadScenario(t, "sni-split")
	e, err := check.NewEdge(res.Config, res.Maps)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		req     check.EdgeRequest
		servers []string
		loc     string
	}{
		{check.EdgeRequest{Port: 80, Host: "nsg.cc", Path: "/index.html"}, nil, "https://nsg.cc/index.html"},
		{check.EdgeRequest{Port: 80, Host: "a.kube.example.com", Path: "/"}, nil, "https://a.kube.example.com/"},
		{check.EdgeRequest{Port: 80, Host: "a.kube.example.com", Path: "/.well-known/acme-challenge/t"}, []string{"10.0.0.10:80"}, ""},
		{check.EdgeRequest{Port: 80, Host: "nsg.cc", Path: "/.well-known/acme-challenge/t"}, []string{"10.0.0.11:8080"}, ""},
		{check.EdgeRequest{Port: 80, Host: "kube.example.com.evil.org", Path: "/.well-known/acme-challenge/t"}, []string{"10.0.0.11:8080"}, ""},
	} {
		got := e.Route(tc.req)
		if got.Redirect != (tc.loc != "") || got.Location != tc.loc || !slices.Equal(got.Servers, tc.servers) || len(got.Problems) > 0 {
			t.Errorf("Route(%+v) = %+v; want servers %q, redirect to %q", tc.req, got, tc.servers, tc.loc)
		}
		if got.Redirect && got.Status != 301 {
			t.Errorf("Route(%+v).Status = %d; want 301", tc.req, got.Status)
		}
	}
}
