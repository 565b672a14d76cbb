package gatewayapi_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// TestExistingDeployment compiles a model naming an existing gateway
// workload (gateway.selector) and compares the objects, the existing
// Service and the pods' annotation with testdata/existing.golden: a
// Gateway with a Hostname address naming the Service and no
// infrastructure, the policies by selector, no warning about the
// selector.
func TestExistingDeployment(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "existing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := route.Load(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deployment != gatewayapi.ExistingDeployment || res.Existing == nil || res.Existing.Service == nil {
		t.Fatalf("deployment %q, existing %+v", res.Deployment, res.Existing)
	}
	if res.Service != "istio-ingressgateway" || res.InfrastructureAnnotations != nil {
		t.Errorf("Service %q, infrastructure annotations %v", res.Service, res.InfrastructureAnnotations)
	}
	if res.Existing.PodAnnotations[istiocfg.ProxyConfigAnnotation] == "" {
		t.Errorf("no %s for the existing pods", istiocfg.ProxyConfigAnnotation)
	}
	for _, w := range res.Warnings {
		if w.Path == "gateway.selector" {
			t.Errorf("warning %v", w)
		}
	}
	for _, o := range res.Objects {
		if o.Kind == gatewayapi.KindConfigMap {
			t.Errorf("ConfigMap %s: no Service of Istio's to overlay", o.Metadata.Name)
		}
	}
	got, err := res.AppendYAML(nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, "# the existing Service\n"...)
	if got, err = res.Existing.Service.AppendYAML(got); err != nil {
		t.Fatal(err)
	}
	got = append(got, "# its Helm values\n"...)
	if got, err = istiocfg.AppendChartValues(got, res.Existing.Service, res.Existing.PodAnnotations); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"type: Hostname", "value: istio-ingressgateway.istio-system.svc.cluster.local",
		"istio: ingressgateway",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("no %q", want)
		}
	}
	for _, not := range []string{"infrastructure:", "targetRefs:", "edge-gateway-istio"} {
		if bytes.Contains(got, []byte(not)) {
			t.Errorf("%q written", not)
		}
	}
	golden := filepath.Join("testdata", "existing.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

// TestDeploymentOf checks the rule: a selector in the Config, even the
// default's labels, names the existing workload; none lets Istio deploy.
func TestDeploymentOf(t *testing.T) {
	for _, tc := range []struct {
		sel  map[string]string
		want gatewayapi.Deployment
	}{
		{nil, gatewayapi.DeployedByIstio},
		{map[string]string{"istio": "ingressgateway"}, gatewayapi.ExistingDeployment},
		{map[string]string{"app": "edge"}, gatewayapi.ExistingDeployment},
	} {
		c := route.Config{
			Gateway:   &route.Gateway{Selector: tc.sel},
			Listeners: []route.Listener{{Name: "http", Port: 80, Protocol: route.HTTP}},
			Routes:    []route.Route{{Name: "a", Listener: "http", Hosts: []string{"a.example.com"}, Backend: "app"}},
			Backends:  []route.Backend{{Name: "app", Service: &route.Service{Host: "app.default.svc.cluster.local", Port: 80}}},
		}
		res, err := gatewayapi.Compile(&c)
		if err != nil {
			t.Fatal(err)
		}
		if res.Deployment != tc.want {
			t.Errorf("selector %v: %q, want %q", tc.sel, res.Deployment, tc.want)
		}
		y, _ := res.AppendYAML(nil)
		if has := strings.Contains(string(y), "addresses:"); has != (tc.want == gatewayapi.ExistingDeployment) {
			t.Errorf("selector %v: addresses written %v:\n%s", tc.sel, has, y)
		}
	}
}

// FuzzCompileExisting is FuzzCompile with a gateway selector, the Gateway
// bound to the existing workload: it compiles or is refused with a field
// path, and when it compiles the Gateway names the Service by its address.
func FuzzCompileExisting(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(bytes.Repeat([]byte{0x5a, 0x13, 0x80}, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := routegen.FromBytes(data)
		if c.Gateway == nil {
			return
		}
		c.Gateway.Selector = map[string]string{"app": "edge-gateway"}
		p, err := c.Plan()
		if err != nil {
			return
		}
		if !compileOK(t, p) {
			return
		}
		res, _ := gatewayapi.CompilePlan(p)
		if res.Deployment != gatewayapi.ExistingDeployment || res.Existing == nil || res.InfrastructureAnnotations != nil {
			t.Fatalf("deployment %q, existing %v, infrastructure %v", res.Deployment, res.Existing, res.InfrastructureAnnotations)
		}
		for _, o := range res.Objects {
			if gs, ok := o.Spec.(*gatewayapi.GatewaySpec); ok {
				if len(gs.Addresses) != 1 || gs.Addresses[0].Value != res.Service+"."+p.Gateway.Namespace+".svc.cluster.local" || gs.Infrastructure != nil {
					t.Fatalf("Gateway %s: addresses %v, infrastructure %v", o.Metadata.Name, gs.Addresses, gs.Infrastructure)
				}
			}
		}
	})
}
