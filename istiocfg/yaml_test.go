package istiocfg

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"
)

var trickyStrings = []string{
	"plain", "a.example.com", "*", "*.example.com", "", " lead", "trail ", "yes", "Yes", "on", "OFF", "y", "n", "null", "~",
	"true", "80", "1e3", "0x1F", "0o17", "1_000", "1:20", "10.0.0.1", ".inf", "-", "-a", "- a", "a: b", "a:", "a:b", "a #b", "#c",
	"@type", "!tag", "&anchor", "%x", "`x", "|", ">", "'q'", `"q"`, `back\slash`, "tab\there", "new\nline", "cr\r",
	"\x00\x01\x7f", "é", "日本", "\u2028\u2029\u0085\ufeff", "{a}", "[a]", "a,b", "?", "? a", "/path/to", "_x",
	"1.example.com", "http://example.com/a", "key=value",
}

// TestStringRoundTrip checks that every string reads back unchanged with
// sigs.k8s.io/yaml, the reader kubectl and the API server use.
func TestStringRoundTrip(t *testing.T) {
	for _, s := range trickyStrings {
		checkStringRoundTrip(t, s)
	}
}

func checkStringRoundTrip(t *testing.T, s string) {
	t.Helper()
	b, err := appendString([]byte("k: "), s)
	if err != nil {
		t.Fatalf("appendString(%q): %v", s, err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatalf("appendString(%q) = %s; yaml.Unmarshal: %v", s, b, err)
	}
	if v, ok := got["k"].(string); !ok || v != s {
		t.Fatalf("appendString(%q) = %s; reads back as %#v", s, b, got["k"])
	}
}

func FuzzStringRoundTrip(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := appendString(nil, s); err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("appendString(%q): %v", s, err)
			}
			return
		}
		checkStringRoundTrip(t, s)
	})
}

func write(t *testing.T, objs ...Object) string {
	t.Helper()
	b, err := AppendYAML(nil, objs...)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestZeroEnums(t *testing.T) {
	tests := []struct {
		name string
		obj  Object
		want []string
		not  []string
	}{
		{"passthrough", NewGateway("g", "ns", gatewaySpec(ingress, passthroughServer("tls", 443, "a.example.com"))),
			[]string{"    tls:\n      mode: PASSTHROUGH\n"}, nil},
		{"redirect only", NewGateway("g", "ns", gatewaySpec(ingress, httpsRedirectServer("http", 80, "*"))),
			[]string{"    tls:\n      httpsRedirect: true\n"}, []string{"mode:"}},
		{"disable", NewDestinationRule("d", "ns", destinationRuleSpec("h.local", disableTLS())),
			[]string{"    tls:\n      mode: DISABLE\n"}, nil},
		{"mesh external none", NewServiceEntry("s", "ns", &networking.ServiceEntry{Hosts: []string{"x.example.com"}}),
			[]string{"  location: MESH_EXTERNAL\n  resolution: NONE\n"}, nil},
		{"empty message", NewIstioOperator("t", "ns", meshConfigTopology(gatewayTopology(0, true))),
			[]string{"      gatewayTopology:\n        proxyProtocol: {}\n"}, []string{"numTrustedProxies"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := write(t, tt.obj)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("AppendYAML = \n%s\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("AppendYAML = \n%s\nwant no %q", got, w)
				}
			}
			checkReadBack(t, []byte(got), []Object{tt.obj})
		})
	}
}

func TestWellKnownTypes(t *testing.T) {
	dr := destinationRuleSpec("h.local", originateTLS("h.local", "", true))
	dr.TrafficPolicy.ConnectionPool = &networking.ConnectionPoolSettings{Tcp: &networking.ConnectionPoolSettings_TCPSettings{
		ConnectTimeout: durationpb.New(1500 * 1e6),
	}}
	dr.TrafficPolicy.LoadBalancer = &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_ConsistentHash{
		ConsistentHash: &networking.LoadBalancerSettings_ConsistentHashLB{
			HashKey:       &networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp{UseSourceIp: true},
			HashAlgorithm: &networking.LoadBalancerSettings_ConsistentHashLB_RingHash_{RingHash: &networking.LoadBalancerSettings_ConsistentHashLB_RingHash{MinimumRingSize: math.MaxUint64}},
		}}}
	ef := proxyProtocolEnvoyFilter(ingress)
	nested, _ := structpb.NewValue(map[string]any{"list": []any{[]any{"a", 1.5}, map[string]any{}, []any{}, nil, true, 3.0, "yes"}})
	ef.ConfigPatches[0].Patch.Value.Fields["extra"] = nested
	objs := []Object{NewDestinationRule("d", "ns", dr), NewEnvoyFilter("e", "ns", ef)}
	got := write(t, objs...)
	for _, w := range []string{
		"        connectTimeout: 1.500s\n",
		"      minimumRingSize: 18446744073709551615\n",
		"      insecureSkipVerify: true\n",
		"          list:\n          - - a\n            - 1.5\n          - {}\n          - []\n          - null\n          - true\n          - 3\n          - \"yes\"\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("AppendYAML = \n%s\nwant it to contain %q", got, w)
		}
	}
	checkReadBack(t, []byte(got), objs)
}

func TestStreamOrderAndMeta(t *testing.T) {
	vs := NewVirtualService("b", "ns", virtualServiceSpec([]string{"x"}, nil))
	vs.Metadata.Labels = map[string]string{"z": "1", "a": "true"}
	vs.Metadata.Annotations = map[string]string{ProxyConfigAnnotation: `{"a":1}`}
	objs := []Object{vs, NewVirtualService("a", "ns", virtualServiceSpec([]string{"x"}, nil)), NewGateway("z", "a", gatewaySpec(nil))}
	got := write(t, objs...)
	want := `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: z
  namespace: a
spec: {}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: a
  namespace: ns
spec:
  hosts:
  - x
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: b
  namespace: ns
  labels:
    a: "true"
    z: "1"
  annotations:
    proxy.istio.io/config: "{\"a\":1}"
spec:
  hosts:
  - x
`
	if got != want {
		t.Errorf("AppendYAML = \n%s\nwant\n%s", got, want)
	}
	if objs[0].Metadata.Name != "b" {
		t.Error("AppendYAML reordered its argument")
	}
	checkReadBack(t, []byte(got), objs)
}

func TestWriteErrors(t *testing.T) {
	nan := proxyProtocolEnvoyFilter(ingress)
	nan.ConfigPatches[0].Patch.Value.Fields["x"] = structpb.NewNumberValue(math.NaN())
	tests := []struct {
		name string
		obj  Object
		path string
		is   error
	}{
		{"NaN", NewEnvoyFilter("e", "ns", nan), "spec.configPatches[0].patch.value.x", ErrUnsupported},
		{"invalid UTF-8", NewVirtualService("v", "ns", virtualServiceSpec([]string{"a\xffb"}, nil)), "spec.hosts[0]", ErrUnsupported},
		{"no name", NewVirtualService("", "ns", nil), "", errMissingIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AppendYAML(nil, NewGateway("ok", "ns", nil), tt.obj)
			var ye *Error
			if !errors.As(err, &ye) || ye.Path != tt.path || !errors.Is(err, tt.is) {
				t.Fatalf("AppendYAML = %v; want *Error at %q wrapping %v", err, tt.path, tt.is)
			}
			if !strings.HasPrefix(err.Error(), "istiocfg: document ") {
				t.Errorf("error %q does not start with the package and document", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown spec field", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {serverz: []}\n", "serverz"},
		{"unknown envelope field", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nstatus: {}\n", "status"},
		{"unknown kind", "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: g}\n", "unknown apiVersion and kind"},
		{"duplicate key", "apiVersion: networking.istio.io/v1\nkind: Gateway\nkind: Gateway\nmetadata: {name: g}\n", "already set"},
		{"bad enum", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec: {host: h, trafficPolicy: {tls: {mode: OFF}}}\n", "mode"},
		{"second document", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n---\n: :\n", "document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadYAML([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "istiocfg: ") {
				t.Fatalf("ReadYAML = %v; want an istiocfg error mentioning %q", err, tt.want)
			}
		})
	}
	objs, err := ReadYAML([]byte("---\n# only a comment\n---\n"))
	if err != nil || len(objs) != 0 {
		t.Errorf("ReadYAML(empty documents) = %v, %v; want nothing", objs, err)
	}
}

func TestProxyConfigAnnotationValue(t *testing.T) {
	v, err := ProxyConfigAnnotationValue(gatewayTopology(2, true))
	if want := `{"gatewayTopology":{"numTrustedProxies":2,"proxyProtocol":{}}}`; err != nil || v != want {
		t.Fatalf("ProxyConfigAnnotationValue = %q, %v; want %q", v, err, want)
	}
	js, err := yaml.YAMLToJSON([]byte(v))
	if err != nil {
		t.Fatal(err)
	}
	var pc meshv1alpha1.ProxyConfig
	if err := protojson.Unmarshal(js, &pc); err != nil || pc.GetGatewayTopology().GetNumTrustedProxies() != 2 {
		t.Fatalf("annotation %s reads back as %v, %v", v, &pc, err)
	}
}

func FuzzReadYAML(f *testing.F) {
	for _, name := range append(scenarios, "seed-bookinfo", "seed-proxy-blog", "seed-network-topology", "seed-access-log") {
		a := loadArchive(f, name)
		if b, ok := a.Get("istio.yaml"); ok {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := ReadYAML(data)
		if err != nil {
			return
		}
		out, err := AppendYAML(nil, objs...)
		if err != nil {
			return // e.g. an object without a name, or NaN read from a Struct
		}
		back, err := ReadYAML(out)
		if err != nil {
			t.Fatalf("ReadYAML(AppendYAML(ReadYAML(x))): %v\n%s", err, out)
		}
		again, err := AppendYAML(nil, back...)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("writing is not stable (err %v):\n%s\n---- vs ----\n%s", err, out, again)
		}
	})
}
