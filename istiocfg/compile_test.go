package istiocfg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/route"
)

// scenarios are the five seed scenarios' route files, copied from
// examples/edgegen/testdata into the archives' route.yaml.
var scenarios = []string{"http-reencrypt", "passthrough-proxy", "sni-split", "gateway-egress-proxy", "gateway-basics"}

// extraCompileGolden are route files of this package's own, covering what
// the scenarios leave out.
var extraCompileGolden = []string{"features", "edge-features"}

func TestCompileGolden(t *testing.T) {
	for _, name := range append(scenarios, extraCompileGolden...) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".txtar")
			a := golden.Load(t, path)
			in, ok := a.Get("route.yaml")
			if !ok {
				t.Fatalf("%s has no route.yaml", path)
			}
			if src, err := os.ReadFile(filepath.Join("..", "examples", "edgegen", "testdata", name+".yaml")); err == nil && !bytes.Equal(bytes.TrimSpace(src), bytes.TrimSpace(in)) {
				t.Errorf("%s: route.yaml differs from examples/edgegen/testdata/%s.yaml; copy it again", path, name)
			}
			cfg, err := route.Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Compile(cfg)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var out bytes.Buffer
			if err := WriteYAML(&out, res.Objects...); err != nil {
				t.Fatalf("WriteYAML: %v", err)
			}
			golden.Check(t, path, "istio.yaml", out.Bytes())
			var w strings.Builder
			for _, x := range res.Warnings {
				w.WriteString(x.String() + "\n")
			}
			for k, v := range res.GatewayPodAnnotations {
				w.WriteString("pod annotation " + k + ": " + v + "\n")
			}
			golden.Check(t, path, "warnings", []byte(w.String()))
			checkReadBack(t, out.Bytes(), res.Objects)

			// Deterministic: the same input gives the same bytes.
			res2, err := Compile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			again, err := AppendYAML(nil, res2.Objects...)
			if err != nil || !bytes.Equal(again, out.Bytes()) {
				t.Errorf("second Compile+AppendYAML differs (err %v)", err)
			}
		})
	}
}

// checkReadBack reads data back strictly and compares it with objs.
func checkReadBack(t *testing.T, data []byte, objs []Object) {
	t.Helper()
	got, err := ReadYAML(data)
	if err != nil {
		t.Fatalf("ReadYAML(WriteYAML(objs)): %v", err)
	}
	want := append([]Object(nil), objs...)
	SortObjects(want)
	if len(got) != len(want) {
		t.Fatalf("ReadYAML returned %d objects, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.APIVersion != w.APIVersion || g.Kind != w.Kind || !sameMeta(g.Metadata, w.Metadata) {
			t.Errorf("object %d: read back %s %s %+v, want %s %s %+v", i, g.APIVersion, g.Kind, g.Metadata, w.APIVersion, w.Kind, w.Metadata)
		}
		if !proto.Equal(g.Spec, w.Spec) {
			t.Errorf("object %d (%s %s): spec read back differs:\n got %v\nwant %v", i, w.Kind, w.Metadata.Name, g.Spec, w.Spec)
		}
	}
}

func sameMeta(a, b ObjectMeta) bool {
	eq := func(x, y map[string]string) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if y[k] != v {
				return false
			}
		}
		return true
	}
	return a.Name == b.Name && a.Namespace == b.Namespace && eq(a.Labels, b.Labels) && eq(a.Annotations, b.Annotations)
}

func TestCompileInvalid(t *testing.T) {
	cfg := &route.Config{Listeners: []route.Listener{{Name: "x", Port: 0, Protocol: "HTTP"}}}
	want := cfg.Validate()
	_, err := Compile(cfg)
	var ve *route.ValidationError
	if !errors.As(err, &ve) || err.Error() != want.Error() {
		t.Fatalf("Compile(invalid) = %v; want Validate's error %v", err, want)
	}
}

func TestCompileNoGateway(t *testing.T) {
	cfg := &route.Config{
		Edge:      &route.Edge{},
		Listeners: []route.Listener{{Name: "tcp", Port: 443, Protocol: route.TCP}},
		Routes:    []route.Route{{Name: "r", Listener: "tcp", Backend: "b"}},
		Backends:  []route.Backend{{Name: "b", Servers: []route.Server{{Address: "10.0.0.1:443"}}}},
	}
	res, err := Compile(cfg)
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("Compile(no gateway) = %v, %v; want no objects", res, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCompileWarnings(t *testing.T) {
	base := func() *route.Config {
		return &route.Config{
			Edge:      &route.Edge{},
			Gateway:   &route.Gateway{Addresses: []string{"10.0.0.5"}, ProxyProtocol: route.GatewayProxyNative},
			Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
			Routes:    []route.Route{{Name: "web", Listener: "tls", Hosts: []string{"a.example.com"}, TerminateAt: route.TierBackend, Backend: "web"}},
			Backends:  []route.Backend{{Name: "web", Service: &route.Service{Host: "web.default.svc.cluster.local", Port: 443}}},
		}
	}
	tests := []struct {
		name  string
		edit  func(c *route.Config)
		paths []string
	}{
		{"proxy only", func(c *route.Config) {}, nil},
		{"proxy + numTrustedProxies", func(c *route.Config) { c.Gateway.NumTrustedProxies = ptr(1) }, []string{"gateway.numTrustedProxies"}},
		{"proxy + forwardFor", func(c *route.Config) { c.Edge.ForwardFor = true }, nil},
		{"proxy + explicit zero", func(c *route.Config) { c.Edge.ForwardFor = true; c.Gateway.NumTrustedProxies = ptr(0) }, nil},
		{"proxy + L7 check", func(c *route.Config) { c.Gateway.HealthCheck = &route.HealthCheck{Path: "/healthz"} }, nil},
		{"insecure gateway TLS", func(c *route.Config) {
			c.Listeners[0].Protocol = route.HTTP
			c.Routes[0].TerminateAt = route.TierGateway
			c.Routes[0].Credential = "a"
			c.Gateway.TLS = &route.OriginateTLS{InsecureSkipVerify: true}
		}, []string{"gateway.tls.insecureSkipVerify"}},
		{"envoyFilter + L7 check", func(c *route.Config) {
			c.Gateway.ProxyProtocol = route.GatewayProxyEnvoyFilter
			c.Gateway.HealthCheck = &route.HealthCheck{Path: "/"}
		}, nil},
		{"no proxy + numTrustedProxies + L7 check", func(c *route.Config) {
			c.Gateway.ProxyProtocol = ""
			c.Gateway.NumTrustedProxies = ptr(2)
			c.Gateway.HealthCheck = &route.HealthCheck{Path: "/"}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(c)
			res, err := Compile(c)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range res.Warnings {
				got = append(got, w.Path)
			}
			if strings.Join(got, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("Compile warnings at %q; want %q (%v)", got, tt.paths, res.Warnings)
			}
		})
	}
}

func loadArchive(t testing.TB, name string) *golden.Archive {
	return golden.Load(t, filepath.Join("testdata", name+".txtar"))
}
