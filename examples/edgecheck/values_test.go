package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestGatewayValuesForms gives the gateway's mesh settings of seed-001
// (two trusted X-Forwarded-For hops) in each form -gateway-values reads:
// each gives the findings the IstioOperator of the seed gives, naming the
// file; the PROXY protocol in a pod annotation is taken as accepted.
func TestGatewayValuesForms(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data string
		where      string
	}{
		{"istiod.yaml", "global: {hub: docker.io/istio}\nmeshConfig:\n  defaultConfig:\n    gatewayTopology: {numTrustedProxies: 2}\n", "istiod.yaml meshConfig"},
		{"operator.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: default\n  meshConfig:\n    defaultConfig:\n      gatewayTopology: {numTrustedProxies: 2}\n", "operator.yaml meshConfig"},
		{"gateway.yaml", "labels: {app: edge}\npodAnnotations:\n  proxy.istio.io/config: |\n    gatewayTopology: {numTrustedProxies: 2}\n", "gateway.yaml podAnnotations"},
		{"annotation.yaml", "gatewayTopology:\n  numTrustedProxies: 2\n", "annotation.yaml (proxy.istio.io/config)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, rep := findingsOf(t, "-haproxy", "testdata/seed-001.cfg", "-istio", "testdata/seed-001-gateway.yaml", "-gateway-values", p)
			var found bool
			for _, f := range rep.Findings {
				if strings.Contains(f.Detail, "trusts 2 X-Forwarded-For hops on port 80") && strings.Contains(strings.Join(f.Where, ", "), tc.where) {
					found = true
				}
			}
			if !found {
				wantFindings(t, rep.Findings, []string{"error|" + tc.where + "|trusts 2 X-Forwarded-For hops on port 80"})
			}
		})
	}

	// The PROXY protocol the edge sends is accepted by the annotation.
	p := filepath.Join(dir, "pp.yaml")
	if err := os.WriteFile(p, []byte(`{"gatewayTopology":{"proxyProtocol":{}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep := findingsOf(t, "-haproxy", "testdata/seed-001.cfg", "-istio", "testdata/seed-001-gateway.yaml", "-gateway-values", p)
	if code != 0 {
		wantFindings(t, rep.Findings, nil)
	}

	// A field the ProxyConfig does not have is an error naming the line.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("podAnnotations:\n  proxy.istio.io/config: |\n    gatewayTopology: {numTrustedProxy: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheck(t, "-haproxy", "testdata/seed-001.cfg", "-gateway-values", bad)
	if code != 1 || out != "" || !strings.Contains(errOut, `bad.yaml: istiocfg: podAnnotations["proxy.istio.io/config"]: line 3: unknown field "numTrustedProxy"`) {
		t.Errorf("edgecheck -gateway-values bad.yaml: exit %d, stdout %q, stderr %q; want 1 and the field's line", code, out, errOut)
	}
}

// TestImport writes the route file of a generated scenario's files: it
// plans, and nothing is left out.
func TestImport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "route.yaml")
	dir := t.TempDir()
	a := golden.Load(t, filepath.Join("..", "edgegen", "testdata", "sni-split.txtar"))
	var args []string
	for _, f := range a.Files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		switch f.Name {
		case "haproxy.cfg":
			args = append(args, "-haproxy", p)
		case "istio.yaml":
			args = append(args, "-istio", p)
		case "gateway-values.yaml":
			args = append(args, "-gateway-values", p)
		}
	}
	// The gateway's address, as the team that runs the edge knows it.
	code, _, errOut := runCheck(t, append(args, "-gateway-addr", "10.0.0.10", "-import", out)...)
	if code != 0 || strings.Contains(errOut, "does not plan") {
		t.Fatalf("edgecheck -import: exit %d, stderr:\n%s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := route.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Plan(); err != nil || len(c.Routes) == 0 {
		t.Errorf("route file %d routes, Plan: %v\n%s", len(c.Routes), err, data)
	}
	if !strings.Contains(errOut, "acme setting") {
		t.Errorf("stderr %q; want the note on the ACME rules", errOut)
	}
}
