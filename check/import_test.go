package check_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// importTiers are the written files of an edge, read.
type importTiers struct {
	cfg      *haproxycfg.Config
	maps     []haproxycfg.MapFile
	objs     []istiocfg.Object
	workload check.Workload
	addrs    []string
}

// edge and gateway read the tiers for tracing.
func (ti *importTiers) read(t *testing.T) (*check.Edge, *check.Gateway) {
	t.Helper()
	var e *check.Edge
	if ti.cfg != nil {
		var err error
		if e, err = check.NewEdge(ti.cfg, ti.maps); err != nil {
			t.Fatal(err)
		}
	}
	g, err := check.NewGateway(ti.objs, ti.workload)
	if err != nil {
		t.Fatal(err)
	}
	return e, g
}

// importScenarioFiles reads the files edgegen wrote for a scenario.
func importScenarioFiles(t *testing.T, name string, addrs []string) *importTiers {
	t.Helper()
	a := golden.Load(t, "../examples/edgegen/testdata/"+name+".txtar")
	ti := &importTiers{addrs: addrs, workload: check.Workload{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}}}
	for _, f := range a.Files {
		var err error
		switch f.Name {
		case "haproxy.cfg":
			ti.cfg, err = haproxycfg.Parse(f.Name, f.Data)
		case "istio.yaml":
			ti.objs, err = istiocfg.ReadYAML(f.Data)
		case "gateway-values.yaml":
			var s *istiocfg.MeshSettings
			if s, err = istiocfg.ReadMeshSettings(f.Data); err == nil {
				ti.workload.Annotations = s.PodAnnotations
			}
		default:
			if strings.HasSuffix(f.Name, ".map") {
				var m haproxycfg.MapFile
				m, err = haproxycfg.ParseMap(f.Name, f.Data)
				ti.maps = append(ti.maps, m)
			}
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.Name, err)
		}
	}
	return ti
}

// compileTiers plans and compiles c, and reads its tiers back.
func compileTiers(t *testing.T, c *route.Config) *importTiers {
	t.Helper()
	p, err := c.Plan()
	if err != nil {
		y, _ := route.Marshal(c)
		t.Fatalf("Plan(imported) = %v\n%s", err, y)
	}
	ir, err := istiocfg.CompilePlan(p)
	if err != nil {
		t.Fatal(err)
	}
	ti := &importTiers{objs: ir.Objects, addrs: c.Gateway.Addresses,
		workload: check.Workload{Namespace: c.GatewayNamespace(), Labels: c.GatewaySelector(), Annotations: ir.GatewayPodAnnotations}}
	if c.Edge != nil {
		res, err := haproxycfg.Compiler{}.CompilePlan(p)
		if err != nil {
			t.Fatal(err)
		}
		ti.cfg, ti.maps = res.Config, res.Maps
	}
	return ti
}

// journeyText is what a journey does, without the names of sections and
// objects: the servers the edge reaches, where TLS ends, the SNI and Host
// sent, the PROXY header, the gateway server's TLS handling and the
// destinations.
func journeyText(j check.Journey) string {
	h := j.Edge
	s := fmt.Sprintf("servers=%v terminate=%v originate=%v sni=%q proxy=%q redirect=%v status=%d", h.Servers, h.TerminatesTLS, h.OriginatesTLS, h.SNI, h.Proxy, h.Redirect, h.Status)
	if h.HTTP {
		s += fmt.Sprintf(" host=%q xff=%v", h.Host, h.ForwardFor)
	}
	if j.Gateway != nil {
		s += " | " + gatewayText(*j.Gateway)
	}
	return s
}

func gatewayText(g check.GatewayHop) string {
	return fmt.Sprintf("gateway=%v terminate=%v mode=%s redirect=%v/%v proxy=%v hops=%d dests=%v", g.Gateway != "", g.TerminatesTLS, g.Mode, g.HTTPSRedirect, g.Redirect, g.ProxyAccepted, g.TrustedHops, g.Destinations)
}

// importRequests are the requests of every host of a route file's
// listeners, a name none of them routes, and ACME challenges on HTTP
// listeners.
func importRequests(c *route.Config) []check.EdgeRequest {
	var hosts []string
	for _, r := range c.Routes {
		for _, h := range r.Hosts {
			hosts = append(hosts, edgeSampleHost(h))
		}
	}
	hosts = append(hosts, "unlisted.example.org")
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	var reqs []check.EdgeRequest
	for _, l := range c.Listeners {
		for _, h := range hosts {
			req := check.EdgeRequest{Port: l.Port, Host: h, Path: "/x"}
			if l.Protocol == route.TLS || l.Protocol == route.HTTPS || l.Protocol == route.TCP && l.Port == 443 {
				req.TLS, req.SNI = true, h
			}
			reqs = append(reqs, req)
			if l.Protocol == route.HTTP {
				req.Path = "/.well-known/acme-challenge/t"
				reqs = append(reqs, req)
			}
		}
	}
	return reqs
}

// TestImportScenarios imports the files edgegen wrote for each scenario:
// the route file passes Plan, and its compiled tiers take every host the
// way the written files do (the servers the edge reaches, where TLS ends,
// PROXY, the gateway's server and destinations).
func TestImportScenarios(t *testing.T) {
	for _, name := range edgeScenarios {
		t.Run(name, func(t *testing.T) {
			orig, _ := edgeLoadScenario(t, name)
			var addrs []string
			if orig.Gateway != nil {
				addrs = orig.Gateway.Addresses
			}
			files := importScenarioFiles(t, name, addrs)
			c, notes, err := check.Import(files.cfg, files.maps, files.objs, files.workload, addrs)
			if err != nil {
				t.Fatal(err)
			}
			y, err := route.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range notes {
				t.Logf("note: %s", n)
			}
			again := compileTiers(t, c)
			e1, g1 := files.read(t)
			e2, g2 := again.read(t)
			reqs := importRequests(orig)
			var diffs []string
			if e1 != nil {
				j1 := check.Trace(e1, g1, addrs, reqs)
				j2 := check.Trace(e2, g2, again.addrs, reqs)
				for i := range reqs {
					if a, b := journeyText(j1[i]), journeyText(j2[i]); a != b {
						diffs = append(diffs, fmt.Sprintf("%+v:\n  written:  %s\n  imported: %s", reqs[i], a, b))
					}
				}
			} else {
				for _, r := range reqs {
					gr := check.GatewayRequest{Port: r.Port, TLS: r.TLS, SNI: r.SNI, Host: r.Host, Path: r.Path}
					if a, b := gatewayText(g1.Route(gr)), gatewayText(g2.Route(gr)); a != b {
						diffs = append(diffs, fmt.Sprintf("%+v:\n  written:  %s\n  imported: %s", gr, a, b))
					}
				}
			}
			if len(diffs) > 0 {
				t.Errorf("the imported route file routes differently:\n%s\n%s", strings.Join(diffs, "\n"), y)
			}
		})
	}
}

// TestImportSeeds imports the seeds' hand-written files: the route file
// and the notes of what it leaves out are golden.
func TestImportSeeds(t *testing.T) {
	istio := func(t *testing.T, name string) []istiocfg.Object {
		if name == "" {
			return nil
		}
		data, err := os.ReadFile("testdata/istio/" + name)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := istiocfg.ReadYAML(data)
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
	for _, tc := range []struct {
		name, cfg, istio string
		addrs            []string
	}{
		{"seed-001", "seed-001.cfg", "seed-001-proxy-protocol.yaml", []string{"192.168.0.50"}},
		{"seed-a", "seed-a.cfg", "", []string{"helloworld.example.tech"}},
		{"seed-b", "seed-b.cfg", "seed-001-proxy-protocol.yaml", []string{"192.168.0.50"}},
		{"seed-c", "seed-c.cfg", "", []string{"10.0.0.10"}},
		{"seed-003", "", "seed-003-egress-proxy.yaml", nil},
		{"seed-004", "", "seed-004-gateway-basics.yaml", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := check.Importer{Objects: istio(t, tc.istio), GatewayAddrs: tc.addrs, EdgeFile: tc.cfg,
				Workload: check.Workload{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}}}
			if tc.cfg != "" {
				data, err := os.ReadFile("testdata/haproxy/" + tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if im.Edge, err = haproxycfg.Parse(tc.cfg, data); err != nil {
					t.Fatal(err)
				}
			}
			c, notes, err := im.Import()
			if err != nil {
				t.Fatal(err)
			}
			y, err := route.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			for _, n := range notes {
				b.WriteString(n.String() + "\n")
			}
			planned := "ok\n"
			if _, err := c.Plan(); err != nil {
				planned = err.Error() + "\n"
			}
			gold := filepath.Join("testdata", "import", tc.name+".txtar")
			if _, err := os.Stat(gold); err != nil && golden.Updating() {
				if err := os.WriteFile(gold, []byte("# check.Import of the seed's files\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden.Check(t, gold, "route.yaml", y)
			golden.Check(t, gold, "notes", b.Bytes())
			golden.Check(t, gold, "plan", []byte(planned))
		})
	}
}
