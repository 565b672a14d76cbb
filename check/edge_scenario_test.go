package check_test

import (
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
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
// the route file says: the frontend of the listener's port, TLS ended at
// the tier the route names, the gateway's address and port for gateway
// backends, the static servers otherwise, PROXY, SNI and Host as the plan
// says.
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
			e, err := check.NewEdge(res.Config, res.Maps)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for i := range c.Routes {
				r := &c.Routes[i]
				l, _ := c.ListenerByName(r.Listener)
				hosts := r.Hosts
				if len(hosts) == 0 {
					hosts = []string{"*"}
				}
				for _, pattern := range hosts {
					host := edgeSampleHost(pattern)
					tls := l.Protocol == route.TLS || l.Protocol == route.HTTPS
					req := check.EdgeRequest{Port: l.Port, TLS: tls, Host: host, Path: r.PathPrefix + "x"}
					if tls {
						req.SNI = host
					}
					want := edgeIntended(c, r.Listener, host, req.Path)
					if want == nil {
						t.Fatalf("no route of %s takes %+v", name, req)
					}
					got := e.Route(req)
					n++
					edgeCheckIntent(t, c, l, want, req, got)
				}
			}
			if n == 0 {
				t.Fatal("no request traced")
			}
		})
	}
}

func edgeCheckIntent(t *testing.T, c *route.Config, l *route.Listener, r *route.Route, req check.EdgeRequest, got check.EdgeHop) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("Route(%+v) = %+v\nroute %s: "+format, append([]any{req, got, r.Name}, args...)...)
	}
	if len(got.Problems) > 0 {
		fail("problems %q, want none", got.Problems)
	}
	term := c.TerminationOf(r)
	if tls := req.TLS; tls && got.TerminatesTLS != (term == route.TierEdge) {
		fail("TerminatesTLS = %v, want TLS ended at the %s", got.TerminatesTLS, term)
	}
	if r.Redirect != nil || l.RedirectHTTPS && r == nil {
		if !got.Redirect {
			fail("no redirect")
		}
		return
	}
	b, ok := c.BackendByName(r.Backend)
	if !ok {
		t.Fatalf("route %s: no backend %q", r.Name, r.Backend)
	}
	if c.BehindGateway(b) {
		port := strconv.Itoa(c.GatewayPort(r))
		var at []string
		for _, a := range c.Gateway.Addresses {
			at = append(at, net.JoinHostPort(a, port))
		}
		if len(got.Servers) == 0 || !slices.Contains(at, got.Servers[0]) {
			fail("servers %q, want one of %q", got.Servers, at)
		}
		if wantProxy := c.EdgeSendsProxy(); (got.Proxy != "") != wantProxy {
			fail("Proxy = %q, want a PROXY header %v", got.Proxy, wantProxy)
		}
		reencrypt := term == route.TierGateway && (l.Protocol == route.HTTP || l.Protocol == route.HTTPS && term != route.TierGateway)
		if got.OriginatesTLS != reencrypt {
			fail("OriginatesTLS = %v, want %v", got.OriginatesTLS, reencrypt)
		}
		if reencrypt {
			gh := route.GatewayHosts(r)
			if got.SNI == "" || !slices.Contains(gh, got.SNI) && !slices.Contains(gh, "*") {
				fail("SNI %q, want one of the gateway hosts %q", got.SNI, gh)
			}
			if got.Host != got.SNI {
				fail("Host %q, want the SNI %q", got.Host, got.SNI)
			}
			if !got.Check.Enabled || !got.Check.TLS || got.Check.SNI != got.SNI {
				fail("health check %+v, want TLS with SNI %q", got.Check, got.SNI)
			}
		}
		return
	}
	var want []string
	for _, s := range b.Servers {
		want = append(want, s.Address)
	}
	if !slices.Equal(got.Servers, want) {
		fail("servers %q, want the backend's %q", got.Servers, want)
	}
	if b.TLS != nil && !b.TLS.Disable && !got.OriginatesTLS {
		fail("no TLS to the servers, want TLS origination")
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
