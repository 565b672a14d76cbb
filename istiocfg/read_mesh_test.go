package istiocfg_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	securityv1beta1 "istio.io/api/security/v1beta1"

	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// TestReadYAMLVersions reads every apiVersion users write for each kind:
// the ones served from the same Go type read into it.
func TestReadYAMLVersions(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind, spec string
	}{
		{"networking.istio.io/v1", "Gateway", "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}"},
		{"networking.istio.io/v1beta1", "Gateway", "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}"},
		{"networking.istio.io/v1alpha3", "Gateway", "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}"},
		{"networking.istio.io/v1", "VirtualService", "{hosts: [a.example.com]}"},
		{"networking.istio.io/v1beta1", "VirtualService", "{hosts: [a.example.com]}"},
		{"networking.istio.io/v1alpha3", "VirtualService", "{hosts: [a.example.com]}"},
		{"networking.istio.io/v1", "DestinationRule", "{host: a}"},
		{"networking.istio.io/v1beta1", "DestinationRule", "{host: a}"},
		{"networking.istio.io/v1alpha3", "DestinationRule", "{host: a}"},
		{"networking.istio.io/v1", "ServiceEntry", "{hosts: [a.example.com]}"},
		{"networking.istio.io/v1beta1", "ServiceEntry", "{hosts: [a.example.com]}"},
		{"networking.istio.io/v1alpha3", "ServiceEntry", "{hosts: [a.example.com]}"},
		{"networking.istio.io/v1alpha3", "EnvoyFilter", "{configPatches: []}"},
		{"telemetry.istio.io/v1", "Telemetry", "{accessLogging: [{providers: [{name: envoy}]}]}"},
		{"telemetry.istio.io/v1alpha1", "Telemetry", "{accessLogging: [{providers: [{name: envoy}]}]}"},
		{"security.istio.io/v1", "AuthorizationPolicy", "{action: DENY, rules: [{from: [{source: {remoteIpBlocks: [10.0.0.0/8]}}]}]}"},
		{"security.istio.io/v1beta1", "AuthorizationPolicy", "{selector: {matchLabels: {istio: ingressgateway}}, action: ALLOW}"},
		{"install.istio.io/v1alpha1", "IstioOperator", "{profile: default, meshConfig: {defaultConfig: {gatewayTopology: {numTrustedProxies: 1}}}}"},
	} {
		y := "apiVersion: " + tc.apiVersion + "\nkind: " + tc.kind + "\nmetadata: {name: x, namespace: ns}\nspec: " + tc.spec + "\n"
		objs, err := istiocfg.ReadYAML([]byte(y))
		if err != nil || len(objs) != 1 {
			t.Errorf("ReadYAML(%s %s) = %d objects, %v; want 1", tc.apiVersion, tc.kind, len(objs), err)
			continue
		}
		if objs[0].Spec == nil {
			t.Errorf("ReadYAML(%s %s): no spec", tc.apiVersion, tc.kind)
		}
	}
	objs, err := istiocfg.ReadYAML([]byte("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny}\nspec: {action: DENY}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ap, ok := objs[0].Spec.(*securityv1beta1.AuthorizationPolicy); !ok || ap.GetAction() != securityv1beta1.AuthorizationPolicy_DENY {
		t.Errorf("ReadYAML(AuthorizationPolicy).Spec = %T %v; want a DENY *securityv1beta1.AuthorizationPolicy", objs[0].Spec, objs[0].Spec)
	}
}

// TestReadYAMLRefuses keeps the reader strict: versions a kind is not
// served in, and spec fields its message does not have.
func TestReadYAMLRefuses(t *testing.T) {
	for _, tc := range []struct{ y, want string }{
		{"apiVersion: networking.istio.io/v1\nkind: EnvoyFilter\nmetadata: {name: x}\nspec: {}\n", "unknown apiVersion and kind"},
		{"apiVersion: security.istio.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec: {}\n", "unknown apiVersion and kind"},
		{"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: x}\nspec: {}\n", "unknown apiVersion and kind"},
		{"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec: {acton: DENY}\n", "acton"},
		{"apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: x}\nspec: {profle: demo}\n", "profle"},
		{"apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: x}\nspec: {meshConfig: {defaultConfg: {}}}\n", "defaultConfg"},
	} {
		_, err := istiocfg.ReadYAML([]byte(tc.y))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadYAML(%q) = %v; want an error naming %q", tc.y, err, tc.want)
		}
	}
}

// TestReadMeshSettings reads the gateway topology from each form users
// keep it in.
func TestReadMeshSettings(t *testing.T) {
	for _, tc := range []struct {
		name, in    string
		source      istiocfg.MeshSource
		trusted     int
		proxy       bool
		labels      string // k=v of Labels, sorted
		ignored     []string
		defaultHops int // numTrustedProxies of the mesh's defaultConfig
	}{
		{
			name: "IstioOperator",
			in: `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: mesh, namespace: istio-system}
spec:
  profile: default
  hub: docker.io/istio
  meshConfig:
    accessLogFile: /dev/stdout
    defaultConfig:
      gatewayTopology:
        numTrustedProxies: 2
  components:
    pilot: {enabled: true}
    ingressGateways:
    - name: istio-ingressgateway
      enabled: true
      label: {istio: ingressgateway, app: edge}
      k8s:
        podAnnotations:
          proxy.istio.io/config: |
            gatewayTopology:
              proxyProtocol: {}
        resources: {requests: {cpu: 100m}}
    - name: other-gateway
      enabled: true
`,
			source: istiocfg.MeshFromIstioOperator, trusted: 0, proxy: true, labels: "app=edge,istio=ingressgateway",
			ignored:     []string{"spec.components.ingressGateways[1]", "spec.components.pilot", "spec.hub", "spec.profile"},
			defaultHops: 2,
		},
		{
			name:   "IstioOperator without gateways",
			in:     "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    defaultConfig:\n      gatewayTopology: {numTrustedProxies: 2}\n",
			source: istiocfg.MeshFromIstioOperator, trusted: 2, defaultHops: 2,
		},
		{
			name:   "gateway chart values",
			in:     "# Helm values\nreplicaCount: 2\nlabels: {istio: ingressgateway}\npodAnnotations:\n  proxy.istio.io/config: '{\"gatewayTopology\":{\"proxyProtocol\":{},\"numTrustedProxies\":1}}'\n",
			source: istiocfg.MeshFromGatewayValues, trusted: 1, proxy: true, labels: "istio=ingressgateway", ignored: []string{"replicaCount"},
		},
		{
			name:   "istiod chart values",
			in:     "global: {hub: docker.io/istio}\nmeshConfig:\n  defaultConfig:\n    gatewayTopology:\n      numTrustedProxies: 1\n      proxyProtocol: {}\n",
			source: istiocfg.MeshFromIstiodValues, trusted: 1, proxy: true, ignored: []string{"global"}, defaultHops: 1,
		},
		{
			name:   "annotation YAML",
			in:     "gatewayTopology:\n  numTrustedProxies: 3\n",
			source: istiocfg.MeshFromAnnotation, trusted: 3,
		},
		{
			name:   "annotation JSON",
			in:     `{"gatewayTopology":{"proxyProtocol":{}}}`,
			source: istiocfg.MeshFromAnnotation, proxy: true,
		},
		{name: "empty", in: "# nothing\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := istiocfg.ReadMeshSettings([]byte(tc.in))
			if err != nil {
				t.Fatalf("ReadMeshSettings: %v", err)
			}
			var labels []string
			for k, v := range s.Labels {
				labels = append(labels, k+"="+v)
			}
			slices.Sort(labels)
			if s.Source != tc.source || s.NumTrustedProxies() != tc.trusted || s.ProxyProtocol() != tc.proxy ||
				strings.Join(labels, ",") != tc.labels || !slices.Equal(s.Ignored, tc.ignored) ||
				int(s.DefaultConfig().GetGatewayTopology().GetNumTrustedProxies()) != tc.defaultHops {
				t.Errorf("ReadMeshSettings = source %q, numTrustedProxies %d, proxyProtocol %v, labels %q, ignored %q, default hops %d; want %q, %d, %v, %q, %q, %d",
					s.Source, s.NumTrustedProxies(), s.ProxyProtocol(), labels, s.Ignored, s.DefaultConfig().GetGatewayTopology().GetNumTrustedProxies(),
					tc.source, tc.trusted, tc.proxy, tc.labels, tc.ignored, tc.defaultHops)
			}
		})
	}
}

// TestReadMeshSettingsErrors: what cannot be read names the field and,
// where it is written once, its line.
func TestReadMeshSettingsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"meshConfig:\n  defaultConfig:\n    gatewayTopolgy: {}\n", `istiocfg: meshConfig: line 3: unknown field "gatewayTopolgy"`},
		{"podAnnotations:\n  proxy.istio.io/config: |\n    gatewayTopology:\n      numTrustedProxy: 1\n", `istiocfg: podAnnotations["proxy.istio.io/config"]: line 4: unknown field "numTrustedProxy"`},
		{"podAnnotations:\n  a: [1]\n", "istiocfg: podAnnotations: line 1: want a mapping of strings to strings"},
		{"gatewayTopolgy: {}\n", `istiocfg: not an IstioOperator, Helm values (meshConfig, podAnnotations, labels) or a proxy.istio.io/config value: line 1: unknown field "gatewayTopolgy"`},
		{"apiVersion: networking.istio.io/v1\nkind: Gateway\n", "unknown apiVersion and kind"},
		{"apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig: {}\n  profil: demo\n", `unknown field "profil"`},
		{"a: 1\n---\nb: 2\n", "more than one YAML document"},
		{"a: [\n", "line"},
	} {
		_, err := istiocfg.ReadMeshSettings([]byte(tc.in))
		var ye *istiocfg.Error
		if err == nil || !errors.As(err, &ye) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadMeshSettings(%q) = %v; want an *istiocfg.Error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestReadMeshSettingsScenarios reads the gateway values the generator
// writes: what it reads is the topology the scenario asked for.
func TestReadMeshSettingsScenarios(t *testing.T) {
	for _, name := range []string{"passthrough-proxy", "sni-split"} {
		data, err := os.ReadFile("../examples/edgegen/testdata/" + name + ".txtar")
		if err != nil {
			t.Fatal(err)
		}
		_, values, ok := strings.Cut(string(data), "-- gateway-values.yaml --\n")
		if !ok {
			t.Fatalf("%s: no gateway-values.yaml", name)
		}
		s, err := istiocfg.ReadMeshSettings([]byte(values))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Source != istiocfg.MeshFromGatewayValues || !s.ProxyProtocol() || s.NumTrustedProxies() != 0 {
			t.Errorf("%s: ReadMeshSettings = %q, proxyProtocol %v, numTrustedProxies %d; want gateway values with the PROXY protocol and no trusted hops", name, s.Source, s.ProxyProtocol(), s.NumTrustedProxies())
		}
	}
}
