package istiocfg_test

import (
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestCompileInstall compiles a gateway whose routes live in another
// namespace than its pods, with IP policies: the selector-based objects
// and the Service are in the pods' namespace, the routing objects in the
// routes' one and exported to the pods' one, and the AuthorizationPolicy
// refuses, per route, the client addresses outside the allowlist on the
// port the pods serve the route on.
func TestCompileInstall(t *testing.T) {
	src := `
edge: {forwardFor: true}
gateway:
  namespace: gateways
  routesNamespace: web
  addresses: [10.0.0.10]
  proxyProtocol: envoyFilter
  accessLog: true
  service: {unprivilegedPorts: true}
listeners:
- {name: web, port: 80, protocol: HTTP}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}, ipPolicy: {deny: [198.51.100.0/24]}}
routes:
- {name: app, listener: web, hosts: [app.example.com], pathPrefix: /api/, backend: app, ipPolicy: {allow: [10.0.0.0/8, 192.0.2.7]}}
- {name: pass, listener: tls, hosts: ["*.pass.example.com"], terminateAt: backend, backend: ext}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
- {name: ext, external: {host: api.partner.example.net, port: 443}}
`
	c, err := route.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := istiocfg.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	ns := map[string]string{}
	for _, o := range res.Objects {
		ns[o.Kind] = o.Metadata.Namespace
	}
	for kind, want := range map[string]string{
		"Gateway": "web", "VirtualService": "web", "ServiceEntry": "web",
		"EnvoyFilter": "gateways", "Telemetry": "gateways", "AuthorizationPolicy": "gateways",
	} {
		if ns[kind] != want {
			t.Errorf("%s in namespace %q; want %q", kind, ns[kind], want)
		}
	}
	if res.Service == nil || res.Service.Namespace != "gateways" {
		t.Fatalf("Service = %+v; want one in gateways", res.Service)
	}
	y, err := istiocfg.AppendYAML(nil, res.Objects...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"kind: AuthorizationPolicy\nmetadata:\n  name: edge-ip-policy\n  namespace: gateways\nspec:\n  selector:\n    matchLabels:\n      istio: ingressgateway\n  rules:\n",
		"  action: DENY\n",
		// the route's allowlist, on the port the pods serve 80 on
		"  - from:\n    - source:\n        notRemoteIpBlocks:\n        - 10.0.0.0/8\n        - \"192.0.2.7\"\n    to:\n    - operation:\n        hosts:\n        - app.example.com\n        ports:\n        - \"8080\"\n        paths:\n        - \"/api/*\"\n",
		// the listener's denylist, on TLS passed through: by server name
		"        remoteIpBlocks:\n        - 198.51.100.0/24\n    to:\n    - operation:\n        ports:\n        - \"8443\"\n    when:\n    - key: connection.sni\n      values:\n      - \"*.pass.example.com\"\n",
		"  exportTo:\n  - \".\"\n  - gateways\n",
	} {
		if !strings.Contains(string(y), want) {
			t.Errorf("istio.yaml lacks\n%s\n--- istio.yaml:\n%s", want, y)
		}
	}
}
