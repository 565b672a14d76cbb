package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// scenarios are the five seed scenarios' route files in testdata, with
// what each must generate.
var scenarios = []struct {
	file        string
	edge, istio bool
}{
	{"http-reencrypt", true, true},
	{"passthrough-proxy", true, false},
	{"sni-split", true, true},
	{"gateway-basics", false, true},
	{"gateway-egress-proxy", false, true},
}

// TestScenarios runs edgegen on every scenario twice: to standard output,
// compared with the golden archive testdata/<scenario>.txtar (whose
// istio.yaml internal/conformance validates against the Istio CRDs), and
// into a directory, whose haproxy.cfg real HAProxy must accept without a
// warning and whose istio.yaml must read back strictly.
func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			in := filepath.Join("testdata", sc.file+".yaml")

			var stdout, stderr bytes.Buffer
			if code := run([]string{"-routes", in}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			golden.CheckFile(t, filepath.Join("testdata", sc.file+".txtar"), stdout.Bytes())

			dir := t.TempDir()
			// The scenarios read their certificate path from $CERTS.
			t.Setenv("CERTS", tlstest.NewCert(t, dir, "edge.example.com").PEMFile)
			stderr.Reset()
			args := []string{"-routes", in, "-out", dir, "-map-dir", filepath.Join(dir, "maps")}
			if code := run(args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}

			cfg := filepath.Join(dir, "haproxy.cfg")
			if _, err := os.Stat(cfg); (err == nil) != sc.edge {
				t.Fatalf("haproxy.cfg written: %v, want %v", err == nil, sc.edge)
			}
			if sc.edge {
				out, err := exec.Command(haproxytest.Binary(t), "-dW", "-c", "-f", cfg).CombinedOutput()
				if err != nil {
					t.Fatalf("haproxy -dW -c: %v\n%s", err, out)
				}
			}

			y, err := os.ReadFile(filepath.Join(dir, "istio.yaml"))
			if (err == nil) != sc.istio {
				t.Fatalf("istio.yaml written: %v, want %v", err == nil, sc.istio)
			}
			if sc.istio {
				objs, err := istiocfg.ReadYAML(y)
				if err != nil {
					t.Fatalf("istio.yaml does not read back: %v", err)
				}
				if len(objs) == 0 {
					t.Fatal("istio.yaml has no objects")
				}
			}
		})
	}
}

// TestDefault checks the README's first command: the bundled scenario, both
// tiers, nothing on standard error.
func TestDefault(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	a := golden.Parse(stdout.Bytes())
	for _, name := range []string{"haproxy.cfg", "istio.yaml", "gateway-values.yaml"} {
		if _, ok := a.Get(name); !ok {
			t.Errorf("no %s in the output", name)
		}
	}
	// Same as -routes on the file, but for the name in the comment line.
	got := bytes.Replace(stdout.Bytes(), []byte(defaultName), []byte("testdata/sni-split.yaml"), 1)
	golden.CheckFile(t, filepath.Join("testdata", "sni-split.txtar"), got)
}

// TestErrors checks that bad input exits non-zero with every problem named,
// and that -h prints the usage and exits zero.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{
			name: "invalid model",
			args: []string{"-routes", write("invalid.yaml", `
name: bad
edge: {}
listeners:
- {name: web, port: 80, protocol: HTTP}
routes:
- {name: a, listener: web, hosts: ["*."], backend: app}
- {name: b, listener: nope, hosts: [b.example.com], backend: missing}
backends:
- {name: app, servers: [{address: "10.0.0.1:8080"}]}
`)},
			code: 1,
			want: []string{"routes[0].hosts[0]", "routes[1].listener", "routes[1].backend", "3 problem(s)"},
		},
		{
			name: "unknown field",
			args: []string{"-routes", write("unknown.yaml", "name: x\nlisteners:\n- {name: a, port: 80, protocl: TCP}\n")},
			code: 1,
			want: []string{"protocl", "line 3"},
		},
		{
			name: "missing file",
			args: []string{"-routes", filepath.Join(dir, "absent.yaml")},
			code: 1,
			want: []string{"absent.yaml"},
		},
		{
			name: "bad flag",
			args: []string{"-nope"},
			code: 2,
			want: []string{"-nope"},
		},
		{
			name: "help",
			args: []string{"-h"},
			code: 0,
			want: []string{"generates both tiers", "-routes", "-out"},
		},
		{
			name: "stray argument",
			args: []string{"routes.yaml"},
			code: 2,
			want: []string{`"routes.yaml"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout not empty on error:\n%s", stdout.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}
