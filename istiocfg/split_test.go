package istiocfg_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// jsonSize returns the size of o as compact JSON, as kubectl apply
// records it in kubectl.kubernetes.io/last-applied-configuration.
func jsonSize(t *testing.T, o istiocfg.Object) int {
	t.Helper()
	n, err := istiocfg.JSONSize(o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLargeGatewaysSplit compiles edges of 15,000 and 20,000 hosts: every
// object is under the annotation limit (the Gateways under
// route.DefaultMaxObjectBytes), the Gateway objects hold every server
// host once, and each VirtualService names the object holding its hosts.
func TestLargeGatewaysSplit(t *testing.T) {
	for _, n := range []int{15_000, 20_000} {
		p, err := routegen.Scale(n).Plan()
		if err != nil {
			t.Fatal(err)
		}
		res, err := istiocfg.CompilePlan(p)
		if err != nil {
			t.Fatal(err)
		}
		// The Gateways, and the 20 objects of the largest wire size: JSON
		// spells every field name out, so the others are smaller still
		// (measuring all 15,000 takes a minute under the race detector).
		objs := slices.Clone(res.Objects)
		slices.SortStableFunc(objs, func(a, b istiocfg.Object) int {
			return cmp.Or(boolRank(b.Kind == istiocfg.KindGateway)-boolRank(a.Kind == istiocfg.KindGateway), proto.Size(b.Spec)-proto.Size(a.Spec))
		})
		gateways, largest := 0, map[string]int{}
		for i, o := range objs {
			if i >= 20 && o.Kind != istiocfg.KindGateway {
				break
			}
			size := jsonSize(t, o)
			largest[o.Kind] = max(largest[o.Kind], size)
			if size >= istiocfg.AnnotationLimit {
				t.Errorf("%d hosts: %s %s is %d bytes as JSON; want under %d", n, o.Kind, o.Metadata.Name, size, istiocfg.AnnotationLimit)
			}
			if o.Kind == "Gateway" {
				gateways++
				if size > route.DefaultMaxObjectBytes {
					t.Errorf("%d hosts: Gateway %s is %d bytes as JSON; want at most %d", n, o.Metadata.Name, size, route.DefaultMaxObjectBytes)
				}
			}
		}
		for _, w := range res.Warnings {
			if strings.Contains(w.Detail, "--server-side") {
				t.Errorf("%d hosts: %s", n, w)
			}
		}
		if gateways < 2 {
			t.Errorf("%d hosts: %d Gateway objects; want the servers split", n, gateways)
		}
		t.Logf("%d hosts: %d objects, %d Gateways; largest as JSON: %v", n, len(res.Objects), gateways, largest)
		checkSplitPlan(t, p)
	}
}

// TestGatewaySplitLimit compiles generated edges with a small
// gateway.maxObjectBytes: no Gateway object is larger.
func TestGatewaySplitLimit(t *testing.T) {
	split := 0
	for seed := range uint64(300) {
		c := routegen.Config(seed)
		if c.Gateway == nil {
			continue
		}
		c.Gateway.MaxObjectBytes = 1024
		p, err := c.Plan()
		if err != nil {
			continue
		}
		res, err := istiocfg.CompilePlan(p)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, o := range res.Objects {
			if o.Kind != "Gateway" {
				continue
			}
			if size := jsonSize(t, o); size > c.Gateway.MaxObjectBytes {
				t.Errorf("seed %d: Gateway %s is %d bytes as JSON; want at most %d", seed, o.Metadata.Name, size, c.Gateway.MaxObjectBytes)
			}
		}
		if len(p.Gateway.Gateways) > 2 {
			split++
		}
		checkSplitPlan(t, p)
	}
	if split == 0 {
		t.Error("no generated edge was split")
	}
	t.Logf("%d generated edges split", split)
}

// checkSplitPlan checks that p's Gateway objects hold every host of every
// server once, and that every gateway hop's VirtualService names the
// object holding the hop's hosts.
func checkSplitPlan(t *testing.T, p *route.Plan) {
	t.Helper()
	gp := p.Gateway
	held := make([][]string, len(gp.Servers))
	names := map[string]bool{}
	for _, o := range gp.Gateways {
		names[o.Name] = true
		seen := map[int]bool{}
		for _, pc := range o.Servers {
			if seen[pc.Server] {
				t.Errorf("Gateway %s holds server %d twice", o.Name, pc.Server)
			}
			seen[pc.Server] = true
			held[pc.Server] = append(held[pc.Server], pc.Hosts...)
		}
	}
	for i, s := range gp.Servers {
		got := slices.Sorted(slices.Values(held[i]))
		if !slices.Equal(got, s.Hosts) {
			t.Errorf("server %s: the Gateway objects hold %d hosts, the server has %d", s.Name, len(got), len(s.Hosts))
		}
	}
	for i := range p.Routes {
		h := p.Routes[i].Gateway
		if h == nil {
			continue
		}
		if !names[h.ServerGateway] || !slices.Contains(h.Gateways, h.ServerGateway) {
			t.Errorf("route %s: server Gateway %q, bound to %q", p.Routes[i].Route.Name, h.ServerGateway, h.Gateways)
		}
		for _, o := range gp.Gateways {
			for _, pc := range o.Servers {
				if pc.Server == h.Server && o.Name != h.ServerGateway && slices.ContainsFunc(h.Hosts, func(x string) bool { _, ok := slices.BinarySearch(pc.Hosts, x); return ok }) {
					t.Errorf("route %s: its hosts on server %d are in %s and %s", p.Routes[i].Route.Name, h.Server, h.ServerGateway, o.Name)
				}
			}
		}
	}
}

// TestLargeVirtualServiceWarned: a wildcard route over thousands of hosts
// the gateway terminates gets a VirtualService with their routes first
// (see the precedence copies), too large for client-side kubectl apply;
// the compiler says so.
func TestLargeVirtualServiceWarned(t *testing.T) {
	c := routegen.Scale(6000)
	c.Routes = slices.DeleteFunc(c.Routes, func(r route.Route) bool { return r.Name == "acme-edge" })
	c.Routes = append(c.Routes, route.Route{Name: "any", Listener: "tls", Hosts: []string{"*.example.com"},
		TerminateAt: route.TierGateway, Backend: "web"})
	res, err := istiocfg.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		if o.Kind == istiocfg.KindVirtualService && o.Metadata.Name == "any" {
			t.Logf("VirtualService any: %d bytes as JSON", jsonSize(t, o))
		}
	}
	if !slices.ContainsFunc(res.Warnings, func(w route.Warning) bool {
		return strings.Contains(w.Detail, "VirtualService istio-system/any") && strings.Contains(w.Detail, "--server-side")
	}) {
		t.Errorf("Warnings = %v; want one about VirtualService any", res.Warnings)
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
