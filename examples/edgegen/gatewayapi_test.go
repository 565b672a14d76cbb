package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
)

// TestScenariosGatewayAPI runs edgegen -gateway-api on every scenario,
// compared with the golden archive testdata/<scenario>.gateway-api.txtar
// (whose gateway-api.yaml internal/conformance validates against the
// Gateway API CRDs), and checks that the edge tier is byte for byte the
// one of the Istio form: the form of the gateway tier is no decision of
// the edge's.
func TestScenariosGatewayAPI(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			in := filepath.Join("testdata", sc.file+".yaml")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-routes", in, "-gateway-api"}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			out := stdout.Bytes()
			if stderr.Len() > 0 {
				// The warnings are part of what the form says.
				out = append(append([]byte(nil), out...), "-- stderr --\n"+stderr.String()...)
			}
			golden.CheckFile(t, filepath.Join("testdata", sc.file+".gateway-api.txtar"), out)

			var istio bytes.Buffer
			stderr.Reset()
			if code := run([]string{"-routes", in}, &istio, &stderr); code != 0 {
				t.Fatalf("Istio form: exit %d: %s", code, stderr.String())
			}
			ga, ia := golden.Parse(stdout.Bytes()), golden.Parse(istio.Bytes())
			for _, file := range ia.Files {
				f := file.Name
				if f != "haproxy.cfg" && !strings.HasPrefix(f, "maps/") {
					continue
				}
				want, _ := ia.Get(f)
				got, ok := ga.Get(f)
				if !ok || !bytes.Equal(got, want) {
					t.Errorf("%s differs between the two forms of the gateway tier", f)
				}
			}
			if _, ok := ga.Get("istio.yaml"); ok {
				t.Error("istio.yaml written with -gateway-api")
			}
		})
	}
}

// TestGatewayAPIExistingWorkload runs edgegen -gateway-api on a route
// file that sets gateway.selector: the Gateway binds to that existing
// workload's Service, and its installation files are those of the Istio
// form.
func TestGatewayAPIExistingWorkload(t *testing.T) {
	src := []byte(`name: existing
gateway:
  name: edge
  selector: {istio: ingressgateway}
  proxyProtocol: native
  addresses: [192.168.0.50]
edge: {timeouts: {connect: 5s, client: 30s, server: 30s}}
listeners:
- {name: http, port: 80, protocol: HTTP}
routes:
- {name: web, listener: http, hosts: [web.example.com], backend: app}
backends:
- name: app
  service: {host: app.default.svc.cluster.local, port: 8000}
`)
	ga, _, err := generate(src, "/etc/haproxy/maps", true)
	if err != nil {
		t.Fatal(err)
	}
	ia, _, err := generate(src, "/etc/haproxy/maps", false)
	if err != nil {
		t.Fatal(err)
	}
	get := func(fs []file, name string) []byte {
		for _, f := range fs {
			if f.name == name {
				return f.data
			}
		}
		return nil
	}
	if y := get(ga, "gateway-api.yaml"); !bytes.Contains(y, []byte("value: istio-ingressgateway.istio-system.svc.cluster.local")) {
		t.Errorf("gateway-api.yaml has no address of the existing Service:\n%s", y)
	}
	for _, name := range []string{"gateway-service.yaml", "gateway-values.yaml"} {
		if got, want := get(ga, name), get(ia, name); want == nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the Istio form's:\n%s\nwant:\n%s", name, got, want)
		}
	}
}
