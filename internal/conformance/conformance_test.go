package conformance_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/internal/conformance"
	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

var load = sync.OnceValues(conformance.Load)

func validator(t *testing.T) *conformance.Validator {
	t.Helper()
	v, err := load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return v
}

// TestGoldenFiles validates every object of every generated Istio YAML
// file: the files named *istio.yaml in the archives of istiocfg and of the
// edge generator.
func TestGoldenFiles(t *testing.T) {
	v := validator(t)
	var archives []string
	for _, pat := range []string{"../../istiocfg/testdata/*.txtar", "../../examples/edgegen/testdata/*.txtar"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, m...)
	}
	objects := 0
	for _, path := range archives {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range golden.Parse(data).Files {
			if f.Name == "gateway-service.yaml" {
				if err := conformance.ValidateService(f.Data); err != nil {
					t.Errorf("%s: %s: the API server would refuse:\n%v", path, f.Name, err)
				}
				objects++
				continue
			}
			if !strings.HasSuffix(f.Name, "istio.yaml") {
				continue
			}
			objs, err := istiocfg.ReadYAML(f.Data)
			if err != nil {
				t.Errorf("%s: %s: %v", path, f.Name, err)
			}
			objects += len(objs)
			if err := v.ValidateYAML(f.Data); err != nil {
				t.Errorf("%s: %s: the API server would refuse:\n%v", path, f.Name, err)
			}
		}
	}
	if objects < 20 {
		t.Fatalf("validated %d objects in %d archives; the golden files are missing", objects, len(archives))
	}
	t.Logf("%d objects in %d archives accepted", objects, len(archives))
}

const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [a.example.com]
    tls: {mode: PASSTHROUGH}
`

func TestNegative(t *testing.T) {
	v := validator(t)
	if err := v.ValidateYAML([]byte(gateway)); err != nil {
		t.Fatalf("ValidateYAML(valid gateway) = %v", err)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"unknown field", strings.Replace(gateway, "hosts:", "hostz: [b.example.com]\n    hosts:", 1), `unknown field "spec.servers[0].hostz"`},
		{"bad enum", strings.Replace(gateway, "PASSTHROUGH", "PASSTHRU", 1), `Unsupported value: "PASSTHRU"`},
		{"uint32 as string", strings.Replace(gateway, "number: 443", `number: "443"`, 1), "must be of type integer"},
		{"CEL rule", strings.Replace(gateway, "tls: {mode: PASSTHROUGH}", "tls: {mode: SIMPLE, credentialName: a, credentialNames: [b, c]}", 1), "only one of credentialName or credentialNames can be set"},
		{"required field", strings.Replace(gateway, "    hosts: [a.example.com]\n", "", 1), "spec.servers[0].hosts: Required value"},
		{"bad name", strings.Replace(gateway, "name: gw", "name: GW_1", 1), "metadata.name"},
		{"no CRD", strings.Replace(gateway, "kind: Gateway", "kind: Gateways", 1), "no CRD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateYAML([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateYAML = %v; want an error containing %q", err, tt.want)
			}
			var oe *conformance.ObjectError
			if !errors.As(err, &oe) || oe.Kind == "" {
				t.Errorf("error %T is not an *ObjectError with the kind", err)
			}
		})
	}
}

// TestUint64 shows why istiocfg has its own writer: jsonpb writes uint64
// fields as strings, which the CRD schema refuses; istiocfg writes numbers.
func TestUint64(t *testing.T) {
	v := validator(t)
	dr := &networking.DestinationRule{
		Host: "web.default.svc.cluster.local",
		TrafficPolicy: &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
			LbPolicy: &networking.LoadBalancerSettings_ConsistentHash{ConsistentHash: &networking.LoadBalancerSettings_ConsistentHashLB{
				HashKey:       &networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp{UseSourceIp: true},
				HashAlgorithm: &networking.LoadBalancerSettings_ConsistentHashLB_RingHash_{RingHash: &networking.LoadBalancerSettings_ConsistentHashLB_RingHash{MinimumRingSize: 1024}},
			}},
		}},
	}
	obj := istiocfg.NewDestinationRule("web", "default", dr)
	ours, err := obj.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ours), "minimumRingSize: 1024\n") {
		t.Fatalf("istiocfg wrote:\n%s", ours)
	}
	if err := v.ValidateYAML(ours); err != nil {
		t.Errorf("istiocfg output refused: %v", err)
	}
	js, err := protojson.Marshal(dr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"1024"`) {
		t.Fatalf("protojson no longer writes uint64 as a string: %s", js)
	}
	doc := "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web, namespace: default}\nspec: " + string(js) + "\n"
	if err := v.ValidateYAML([]byte(doc)); err == nil || !strings.Contains(err.Error(), "minimumRingSize") {
		t.Errorf("ValidateYAML(jsonpb output) = %v; want the uint64 string refused", err)
	}
}

// TestIstioOperator checks the meshConfig of an IstioOperator strictly.
func TestIstioOperator(t *testing.T) {
	v := validator(t)
	ok := "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: t, namespace: istio-system}\nspec:\n  meshConfig:\n    defaultConfig:\n      gatewayTopology:\n        numTrustedProxies: 1\n        proxyProtocol: {}\n"
	if err := v.ValidateYAML([]byte(ok)); err != nil {
		t.Fatalf("ValidateYAML(IstioOperator) = %v", err)
	}
	bad := strings.Replace(ok, "proxyProtocol", "proxyProtocoll", 1)
	if err := v.ValidateYAML([]byte(bad)); err == nil {
		t.Fatal("ValidateYAML(IstioOperator with an unknown field) = nil")
	}
}

// TestValidateService refuses the Services the API server refuses.
func TestValidateService(t *testing.T) {
	const ok = "apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\n" +
		"spec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n  selector: {istio: ingressgateway}\n" +
		"  ports:\n  - {name: status-port, port: 15021, protocol: TCP, targetPort: 15021}\n  - {name: http-80, port: 80, protocol: TCP, targetPort: 8080}\n"
	if err := conformance.ValidateService([]byte(ok)); err != nil {
		t.Fatalf("ValidateService(valid) = %v", err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"name: istio-ingressgateway", "name: 1gw", "metadata.name"},
		{"type: LoadBalancer", "type: ClusterIP", "externalTrafficPolicy"},
		{"externalTrafficPolicy: Local", "externalTrafficPolicy: Remote", "externalTrafficPolicy"},
		{"name: http-80", "name: http-port-number-80", "spec.ports[1].name"},
		{"port: 80,", "port: 15021,", "duplicate port"},
		{"targetPort: 8080", "targetPort: 80800", "targetPort"},
		{"protocol: TCP, targetPort: 8080", "protocol: HTTP, targetPort: 8080", "protocol"},
		{"selector: {istio: ingressgateway}", "selector: {istio: ingress gateway}", "selector"},
		{"selector:", "selektor:", "unknown field"},
	} {
		in := strings.Replace(ok, tc.from, tc.to, 1)
		if err := conformance.ValidateService([]byte(in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateService(%s → %s) = %v; want an error about %s", tc.from, tc.to, err, tc.want)
		}
	}
}
