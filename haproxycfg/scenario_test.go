package haproxycfg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/route"
)

// The five scenario route files (copies of examples/edgegen/testdata) each
// compile to a golden haproxy.cfg, or, without an edge tier, to ErrNoEdge.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.yaml")
	if err != nil || len(files) != 5 {
		t.Fatalf("scenario files: %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := route.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			arch := filepath.Join("testdata", "scenario-"+name+".txtar")
			res, err := Compile(c)
			if err != nil {
				if !errors.Is(err, ErrNoEdge) {
					t.Fatalf("Compile(%s) = %v; want nil or ErrNoEdge", name, err)
				}
				golden.Check(t, arch, "error", []byte(err.Error()+"\n"))
				return
			}
			cfg, err := res.Config.AppendText(nil)
			if err != nil {
				t.Fatalf("AppendText: %v", err)
			}
			golden.Check(t, arch, "haproxy.cfg", cfg)
			noDom(t, cfg)
			var ws strings.Builder
			for _, w := range res.Warnings {
				ws.WriteString(w.String() + "\n")
			}
			golden.Check(t, arch, "warnings", []byte(ws.String()))
			// deterministic: a second compile gives the same bytes
			res2, _ := Compile(c)
			cfg2, _ := res2.Config.AppendText(nil)
			if string(cfg2) != string(cfg) {
				t.Errorf("Compile(%s) is not deterministic", name)
			}
			setCerts(t)
			haproxytest.Check(t, string(cfg), nil)
		})
	}
}

// noDom fails t when cfg matches hosts by domain ("-m dom", map_dom,
// hdr_dom): "kube.example.com" would then match "kube.example.com.evil.org".
func noDom(t *testing.T, cfg []byte) {
	t.Helper()
	for _, bad := range []string{"-m dom", "map_dom", "_dom("} {
		if strings.Contains(string(cfg), bad) {
			t.Errorf("configuration contains %q", bad)
		}
	}
}
