package check_test

import (
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
)

// FuzzEdgeRoute routes arbitrary requests through seed-c and the compiled
// sni-split scenario: Route never panics, and what it returns holds
// together.
func FuzzEdgeRoute(f *testing.F) {
	_, res := edgeLoadScenario(f, "sni-split")
	edges := []*check.Edge{edgeMustNew(f, edgeSeedC()), edgeMustNew(f, res.Config, res.Maps...), edgeMustNew(f, edgeSNIConfig(1), edgeHostsMap)}
	f.Add(443, true, "web.kube.example.com", "web.kube.example.com", "/")
	f.Add(443, true, "nsg.cc", "NSG.CC:443", "/x")
	f.Add(80, false, "", "a.kube.example.com", "/.well-known/acme-challenge/t")
	f.Add(80, false, "", "[::1]:80", "")
	f.Add(443, false, "", "", "")
	f.Add(0, true, "\x00", "-", "%[")
	f.Fuzz(func(t *testing.T, port int, tls bool, sni, host, path string) {
		req := check.EdgeRequest{Port: port, TLS: tls, SNI: sni, Host: host, Path: path}
		for _, e := range edges {
			h := e.Route(req)
			switch {
			case h.Backend != "" && h.Frontend == "":
				t.Errorf("Route(%+v) = %+v: a backend without a frontend", req, h)
			case h.TerminatesTLS && !tls:
				t.Errorf("Route(%+v) = %+v: TLS ended on a plain connection", req, h)
			case h.Redirect && h.Status == 0:
				t.Errorf("Route(%+v) = %+v: a redirect without status", req, h)
			case len(h.Servers) > 0 && h.Backend == "":
				t.Errorf("Route(%+v) = %+v: servers without a backend", req, h)
			}
		}
	})
}
