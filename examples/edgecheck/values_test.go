package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
