package conformance_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/internal/conformance"
	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/route"
)

var loadGatewayAPI = sync.OnceValues(func() (*conformance.Validator, error) {
	return conformance.LoadWithGatewayAPI(conformance.GatewayAPIDir)
})

func gatewayAPIValidator(t *testing.T) *conformance.Validator {
	t.Helper()
	v, err := loadGatewayAPI()
	if err != nil {
		t.Fatalf("LoadWithGatewayAPI: %v", err)
	}
	return v
}

// TestGatewayAPIRules checks that the pinned CRDs are loaded with their CEL
// rules: objects the Gateway API refuses are refused.
func TestGatewayAPIRules(t *testing.T) {
	v := gatewayAPIValidator(t)
	tests := []struct{ name, doc, want string }{
		{"wildcard alone in a TLSRoute", `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["*"]
  rules: [{backendRefs: [{name: s, port: 443}]}]
`, "Wildcards"},
		{"TLS listener without a mode's certificates", `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: istio
  listeners:
  - {name: a, port: 443, protocol: HTTPS, tls: {mode: Terminate}}
`, "certificateRefs"},
		{"unknown field", `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: s, port: 80}], retry: {attempts: 2}}]
`, "retry"},
		{"overlay of an unknown object", `apiVersion: v1
kind: ConfigMap
metadata: {name: gw-options, namespace: ns}
data:
  pod: "spec: {}"
`, "overlay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateStream([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateStream = %v; want an error with %q", err, tt.want)
			}
		})
	}
}

// TestGatewayAPIGoldenFiles validates every object of the edge
// generator's Gateway API goldens (gateway-api.yaml in
// examples/edgegen/testdata/*.gateway-api.txtar): the Gateway API objects
// against the pinned CRDs, the Istio objects against Istio's.
func TestGatewayAPIGoldenFiles(t *testing.T) {
	v := gatewayAPIValidator(t)
	archives, err := filepath.Glob("../../examples/edgegen/testdata/*.gateway-api.txtar")
	if err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, path := range archives {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range golden.Parse(data).Files {
			if f.Name != "gateway-api.yaml" {
				continue
			}
			objects += strings.Count("---\n"+string(f.Data), "\n---\n")
			if err := v.ValidateStream(f.Data); err != nil {
				t.Errorf("%s: %s: the API server would refuse:\n%v", path, f.Name, err)
			}
		}
	}
	if len(archives) < 5 || objects < 20 {
		t.Fatalf("validated %d objects in %d archives; the golden files are missing", objects, len(archives))
	}
	t.Logf("%d objects in %d archives accepted", objects, len(archives))
}

// TestGatewayAPIGenerated validates the Gateway API form of every valid
// configuration routegen makes from seeds 0 to 300 (DRAWBRIDGE_GENERATED
// sets another count), as TestGeneratedObjects does for the Istio form.
// A configuration the form refuses must be refused with a field path.
func TestGatewayAPIGenerated(t *testing.T) {
	v := gatewayAPIValidator(t)
	n := uint64(300)
	if s := os.Getenv("DRAWBRIDGE_GENERATED"); s != "" {
		var err error
		if n, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DRAWBRIDGE_GENERATED=%q: %v", s, err)
		}
	}
	valid, refused := 0, 0
	kinds := map[string]int{}
	for seed := range n + 1 {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		p, err := c.Plan()
		if err != nil {
			continue
		}
		valid++
		res, err := gatewayapi.CompilePlan(p)
		if err != nil {
			var e *gatewayapi.Error
			if !errors.As(err, &e) || e.Path == "" {
				t.Errorf("seed %d: CompilePlan: %v is not a *gatewayapi.Error with a field path", seed, err)
			}
			refused++
			t.Logf("seed %d: refused: %v", seed, err)
			continue
		}
		for _, o := range res.Objects {
			kinds[o.Kind]++
		}
		for _, o := range res.Istio {
			kinds[o.Kind]++
		}
		stream, err := res.AppendYAML(nil)
		if err != nil {
			t.Errorf("seed %d: AppendYAML: %v", seed, err)
			continue
		}
		if err := v.ValidateStream(stream); err != nil {
			js, _ := json.Marshal(c)
			t.Errorf("seed %d: the API server would refuse:\n%v\n%s\nroute file: %s", seed, err, stream, js)
		}
	}
	t.Logf("%d of %d generated configurations valid, %d refused by the Gateway API form; objects validated by kind: %v", valid, n+1, refused, kinds)
	for _, k := range []string{gatewayapi.KindGateway, gatewayapi.KindHTTPRoute, gatewayapi.KindTLSRoute, gatewayapi.KindTCPRoute, gatewayapi.KindReferenceGrant} {
		if kinds[k] == 0 && n >= 300 {
			t.Errorf("no generated %s validated", k)
		}
	}
}

// TestGatewayAPIListenerSets validates a gateway with more hosts than a
// Gateway holds listeners, and routes with more hosts and rules than an
// HTTPRoute holds: the Gateway, its ListenerSets and the routes attached
// to them.
func TestGatewayAPIListenerSets(t *testing.T) {
	v := gatewayAPIValidator(t)
	c := &route.Config{
		Name:      "many",
		Gateway:   &route.Gateway{RoutesNamespace: "web"},
		Listeners: []route.Listener{{Name: "https", Port: 443, Protocol: route.HTTPS, TLS: &route.ListenerTLS{CredentialName: "cert"}}},
		Backends:  []route.Backend{{Name: "app", Service: &route.Service{Host: "app.apps.svc.cluster.local", Port: 8080}}},
	}
	for i := range 150 {
		c.Routes = append(c.Routes, route.Route{Name: fmt.Sprintf("r%d", i), Listener: "https", Hosts: []string{fmt.Sprintf("h%03d.example.com", i)}, Backend: "app"})
	}
	// More hostnames and rules than an HTTPRoute holds.
	multi := route.Route{Name: "multi", Listener: "https", Backend: "app"}
	for i := range 40 {
		multi.Hosts = append(multi.Hosts, fmt.Sprintf("m%02d.example.org", i))
	}
	c.Routes = append(c.Routes, multi)
	for i := range 20 {
		c.Routes = append(c.Routes, route.Route{Name: fmt.Sprintf("p%d", i), Listener: "https", Hosts: []string{"p.example.org"}, PathPrefix: fmt.Sprintf("/p%02d/", i), Backend: "app"})
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	sets := 0
	for _, o := range res.Objects {
		if o.Kind == gatewayapi.KindListenerSet {
			sets++
		}
	}
	if sets != 2 {
		t.Fatalf("%d ListenerSets; want 2", sets)
	}
	stream, err := res.AppendYAML(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ValidateStream(stream); err != nil {
		t.Errorf("the API server would refuse:\n%v", err)
	}
}
