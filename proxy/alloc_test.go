package proxy_test

import (
	"crypto/tls"
	"strconv"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
)

// tableRoute returns TableRoute's func for a table of an exact host and a
// wildcard on two servers each.
func tableRoute(t testing.TB) func(*sni.Hello) (proxy.Target, bool) {
	t.Helper()
	return newTableRoute(t, &route.Config{Name: "t", Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{
			{Name: "a", Listener: "tls", Hosts: []string{"a.example.com"}, Backend: "a", TerminateAt: route.TierBackend},
			{Name: "w", Listener: "tls", Hosts: []string{"*.example.com"}, Backend: "w", TerminateAt: route.TierBackend},
		},
		Backends: []route.Backend{
			{Name: "a", ProxyProtocol: route.ProxyV2, Servers: []route.Server{{Address: "127.0.0.1:1"}, {Address: "127.0.0.1:2"}}},
			{Name: "w", Servers: []route.Server{{Address: "127.0.0.1:3"}, {Address: "127.0.0.1:4"}}},
		}})
}

// tableRouteTo returns TableRoute's func for a table of 1,000 hosts (and
// n.example.com) sent to addr with PROXY v2.
func tableRouteTo(t testing.TB, addr string) func(*sni.Hello) (proxy.Target, bool) {
	t.Helper()
	hosts := []string{"n.example.com"}
	for i := range 1000 {
		hosts = append(hosts, "host"+strconv.Itoa(i)+".example.com")
	}
	return newTableRoute(t, &route.Config{Name: "t", Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes:    []route.Route{{Name: "a", Listener: "tls", Hosts: hosts, Backend: "a", TerminateAt: route.TierBackend}},
		Backends:  []route.Backend{{Name: "a", ProxyProtocol: route.ProxyV2, Servers: []route.Server{{Address: addr}}}}})
}

func newTableRoute(t testing.TB, cfg *route.Config) func(*sni.Hello) (proxy.Target, bool) {
	t.Helper()
	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	table, err := cfg.Table("tls")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := proxy.TableRoute(table, plan)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestTableRouteNoAllocs: TableRoute's func allocates nothing, and turns
// round robin over the servers with the others as fallbacks.
func TestTableRouteNoAllocs(t *testing.T) {
	rt := tableRoute(t)
	for _, tc := range []struct {
		name  string
		addrs [2][]string
		proxy uint8
	}{
		{"A.example.com", [2][]string{{"127.0.0.1:1", "127.0.0.1:2"}, {"127.0.0.1:2", "127.0.0.1:1"}}, 2},
		{"x.example.com", [2][]string{{"127.0.0.1:3", "127.0.0.1:4"}, {"127.0.0.1:4", "127.0.0.1:3"}}, 0},
	} {
		h, err := sni.Parse(tlstest.ClientHello(t, &tls.Config{ServerName: tc.name}))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			got, ok := rt(&h)
			if want := tc.addrs[i%2]; !ok || got.Proxy != tc.proxy || len(got.Addrs) != 2 || got.Addrs[0] != want[0] || got.Addrs[1] != want[1] {
				t.Errorf("%s, connection %d: %+v, %v; want %v with PROXY v%d", tc.name, i, got, ok, want, tc.proxy)
			}
		}
		if n := testing.AllocsPerRun(100, func() { rt(&h) }); n != 0 {
			t.Errorf("%s: %v allocations; want 0", tc.name, n)
		}
	}
	h, _ := sni.Parse(tlstest.ClientHello(t, &tls.Config{ServerName: "example.org"}))
	if got, ok := rt(&h); ok {
		t.Errorf("example.org: %+v; want no route", got)
	}
}
