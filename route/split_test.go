package route_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

// splitBase is an edge whose gateway terminates many hosts under one
// credential and passes many others through: a small
// gateway.maxObjectBytes divides its servers.
func splitBase(maxBytes string) string {
	var b strings.Builder
	b.WriteString("edge: {}\ngateway:\n  addresses: [10.0.0.10]\n  maxObjectBytes: " + maxBytes + "\n")
	b.WriteString("listeners:\n- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}}\nroutes:\n")
	for i := range 60 {
		n := strings.Repeat("x", 20) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		b.WriteString("- {name: t" + n + ", listener: tls, hosts: [" + n + ".example.com], terminateAt: gateway, backend: app}\n")
		b.WriteString("- {name: p" + n + ", listener: tls, hosts: [" + n + ".example.org], terminateAt: backend, backend: app}\n")
	}
	b.WriteString("- {name: wild, listener: tls, hosts: ['*.example.org'], terminateAt: backend, backend: app}\n")
	b.WriteString("backends:\n- {name: app, service: {host: app.apps.svc.cluster.local, port: 8443}}\n")
	return b.String()
}

// TestSplitRefusals: gateway.maxObjectBytes out of range.
func TestSplitRefusals(t *testing.T) {
	for _, tc := range []classCase{
		{"too small", splitBase("100"), "gateway.maxObjectBytes", []string{"100", "1024", "262144"}},
		{"over the annotation limit", splitBase("300000"), "gateway.maxObjectBytes", []string{"300000"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc) })
	}
}

// TestSplitGateways plans the servers of splitBase into several Gateway
// objects: each server's hosts once, the passed-through server whole in
// objects of its own share, the wildcard's VirtualService bound to every
// object with a host under it, and a warning for the HTTPS server divided.
func TestSplitGateways(t *testing.T) {
	c, err := route.Parse([]byte(splitBase("2048")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	gp := p.Gateway
	if len(gp.Gateways) < 3 {
		t.Fatalf("%d Gateway objects; want the servers divided", len(gp.Gateways))
	}
	for i, o := range gp.Gateways {
		want := "edge"
		if i > 0 {
			want += "-" + string(rune('1'+i))
		}
		if o.Name != want {
			t.Errorf("Gateways[%d].Name = %q; want %q", i, o.Name, want)
		}
	}
	var wild *route.GatewayHop
	holders := map[string]bool{}
	for i := range p.Routes {
		h := p.Routes[i].Gateway
		if p.Routes[i].Route.Name == "wild" {
			wild = h
		}
		if strings.HasSuffix(h.Hosts[0], ".example.org") {
			holders[h.ServerGateway] = true
		}
		if !slices.Contains(h.Gateways, h.ServerGateway) {
			t.Errorf("route %s binds %q, not its server's Gateway %q", p.Routes[i].Route.Name, h.Gateways, h.ServerGateway)
		}
	}
	for name := range holders {
		if !slices.Contains(wild.Gateways, name) {
			t.Errorf("the wildcard's VirtualService binds %q, not %s, which holds hosts under it", wild.Gateways, name)
		}
	}
	if !slices.ContainsFunc(p.Warnings, func(w route.Warning) bool {
		return w.Path == "gateway.maxObjectBytes" && strings.Contains(w.Detail, `"web-cert"`) && strings.Contains(w.Detail, "404")
	}) {
		t.Errorf("Warnings = %v; want one about the HTTPS server divided", p.Warnings)
	}
}
