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
