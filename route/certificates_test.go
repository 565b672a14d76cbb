package route_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

// certBase is an edge passing TLS through to a gateway that terminates
// app.example.com, with the challenges of that host routed to the
// gateway's port 80 and certificates issued over HTTP-01; the cases below
// add one fault each.
const certBase = `
edge: {}
gateway:
  addresses: [10.0.0.10]
  certificates: {issuerRef: {name: letsencrypt, kind: ClusterIssuer}, challenge: http01}
listeners:
- {name: web, port: 80, protocol: HTTP, redirectHTTPS: true, acme: {gateway: true}}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, backend: app}
- {name: pass, listener: tls, hosts: [pass.example.com], terminateAt: backend, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`

func withCertificates(s, certs string) string {
	return replaceOnce(s, "  certificates: {issuerRef: {name: letsencrypt, kind: ClusterIssuer}, challenge: http01}\n", "  certificates: "+certs+"\n")
}

// TestCertificateRefusals: each refusal of gateway.certificates, with the
// smallest file that shows it.
func TestCertificateRefusals(t *testing.T) {
	var many strings.Builder
	for i := range route.MaxCertificateNames + 1 {
		fmt.Fprintf(&many, "h%d.example.com, ", i)
	}
	manyHosts := withCertificates(replaceOnce(certBase, "hosts: [app.example.com]", "hosts: ["+many.String()+"app.example.com]"),
		"{issuerRef: {name: ca}, challenge: dns01}")
	reencrypt := `
edge: {}
gateway:
  addresses: [10.0.0.10]
  certificates: {issuerRef: {name: letsencrypt, kind: ClusterIssuer}, challenge: http01}
listeners:
- {name: web, port: 80, protocol: HTTP, redirectHTTPS: true, acme: {gateway: true, edge: solver}}
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert, certificates: [/etc/certs/edge.pem]}}
routes:
- {name: app, listener: tls, hosts: [app.example.com], terminateAt: gateway, backend: app}
- {name: old, listener: tls, hosts: [old.example.com], terminateAt: edge, reencrypt: true, credential: old-cert, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
- {name: solver, servers: [{address: "10.0.0.11:8080"}]}
`
	noEdge := `
gateway:
  certificates: {issuerRef: {name: letsencrypt, kind: ClusterIssuer}, challenge: http01}
listeners:
- {name: web, port: 8080, protocol: HTTP}
- {name: tls, port: 443, protocol: HTTPS, tls: {credentialName: web-cert}}
routes:
- {name: app, listener: tls, hosts: [app.example.com], backend: app}
- {name: plain, listener: web, hosts: [app.example.com], backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`
	for _, tc := range []classCase{
		{"no issuer name", withCertificates(certBase, "{issuerRef: {kind: ClusterIssuer}, challenge: http01}"), "gateway.certificates.issuerRef.name", []string{"required"}},
		{"issuer name", withCertificates(certBase, "{issuerRef: {name: Lets_Encrypt}, challenge: http01}"), "gateway.certificates.issuerRef.name", []string{"Lets_Encrypt"}},
		{"issuer kind", withCertificates(certBase, "{issuerRef: {name: le, kind: AWSPCAIssuer}, challenge: dns01}"), "gateway.certificates.issuerRef.kind", []string{"AWSPCAIssuer", "group"}},
		{"external issuer without kind", withCertificates(certBase, "{issuerRef: {name: pca, group: awspca.cert-manager.io}, challenge: none}"), "gateway.certificates.issuerRef.kind", []string{"awspca.cert-manager.io"}},
		{"issuer group", withCertificates(certBase, "{issuerRef: {name: pca, kind: X, group: AWS_PCA}, challenge: none}"), "gateway.certificates.issuerRef.group", []string{"AWS_PCA"}},
		{"no challenge", withCertificates(certBase, "{issuerRef: {name: le}}"), "gateway.certificates.challenge", []string{"required", "http01"}},
		{"unknown challenge", withCertificates(certBase, "{issuerRef: {name: le}, challenge: tls-alpn-01}"), "gateway.certificates.challenge", []string{"tls-alpn-01"}},
		{"nothing terminated", replaceOnce(certBase, "terminateAt: gateway, backend: app", "terminateAt: backend, backend: app"), "gateway.certificates", []string{"terminates no TLS"}},
		{"wildcard over HTTP-01", withListener(certBase, "", "- {name: wild, listener: tls, hosts: [\"*.apps.example.com\"], terminateAt: gateway, credential: wild-cert, backend: app}\n"),
			"routes[2].hosts[0]", []string{"*.apps.example.com", "dns01"}},
		{"every host", withCertificates(replaceOnce(certBase, "hosts: [app.example.com]", "hosts: [\"*\"]"), "{issuerRef: {name: ca}, challenge: dns01}"),
			"routes[0].hosts[0]", []string{`"*"`, "web-cert"}},
		{"more names than a certificate holds", manyHosts, "gateway.certificates", []string{"web-cert", "102 hosts", "100"}},
		{"challenges not routed", replaceOnce(certBase, ", acme: {gateway: true}", ""), "routes[0].hosts[0]", []string{"app.example.com", "routes them nowhere", "acme"}},
		{"challenges to the edge's solver", reencrypt, "routes[1].hosts[0]", []string{"old-cert", "old.example.com", "edge's solver"}},
		{"allow list on the challenges' listener", replaceOnce(certBase, "acme: {gateway: true}", "acme: {gateway: true}, ipPolicy: {allow: [10.0.0.0/8]}"),
			"routes[0].hosts[0]", []string{"listeners[0].ipPolicy.allow", "does not publish"}},
		{"allow list at the gateway on port 80", withGateway(withListener(certBase, "",
			"- {name: plain, listener: web, hosts: [\"*.example.com\"], backend: app, ipPolicy: {allow: [10.0.0.0/8]}}\n"), "  proxyProtocol: native\n"),
			"routes[0].hosts[0]", []string{"routes[2].ipPolicy", "port 80", "does not publish"}},
		{"a route of the host on the gateway's port 80", withListener(certBase, "",
			"- {name: plain, listener: web, hosts: [app.example.com], backend: app}\n"),
			"routes[0].hosts[0]", []string{"routes[2] (plain)", "virtual host", "path prefix"}},
		{"no listener on port 80", replaceOnce(certBase, "port: 80,", "port: 8080,"), "routes[0].hosts[0]", []string{"no HTTP listener on port 80"}},
		{"gateway HTTP port", withGateway(certBase, "  httpPort: 8080\n"), "gateway.httpPort", []string{"8080", "port 80"}},
		{"no edge, no port 80", noEdge, "routes[0].hosts[0]", []string{"no HTTP listener on port 80"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc) })
	}
}

// TestCertificatePlan: one Certificate per credential, in the workload's
// namespace, with every host its servers serve, the issuer's defaults
// written, and the client CA secret of a credential that verifies
// clients.
func TestCertificatePlan(t *testing.T) {
	src := withCertificates(certBase, "{issuerRef: {name: internal-ca}, challenge: dns01}")
	src = withGateway(src, "  namespace: gateways\n")
	src = withListener(src, "- {name: mtls, port: 8443, protocol: TLS, tls: {credentialName: partner-cert, clientCA: /etc/ca/partners.pem}}\n",
		"- {name: wild, listener: tls, hosts: [\"*.apps.example.com\", z.example.com], terminateAt: gateway, backend: app}\n"+
			"- {name: partner, listener: mtls, hosts: [partner.example.com], terminateAt: gateway, backend: app}\n")
	c, err := route.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	ref := route.IssuerRef{Name: "internal-ca", Kind: "Issuer", Group: "cert-manager.io"}
	want := []route.CertificatePlan{
		{Name: "partner-cert", Namespace: "gateways", SecretName: "partner-cert", DNSNames: []string{"partner.example.com"},
			IssuerRef: ref, Challenge: route.ChallengeDNS01, ClientCASecret: "partner-cert-cacert"},
		{Name: "web-cert", Namespace: "gateways", SecretName: "web-cert", DNSNames: []string{"*.apps.example.com", "app.example.com", "z.example.com"},
			IssuerRef: ref, Challenge: route.ChallengeDNS01},
	}
	got := p.Gateway.Certificates
	if len(got) != len(want) {
		t.Fatalf("Certificates = %+v; want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if len(g.Servers) == 0 {
			t.Errorf("Certificates[%d].Servers empty", i)
		}
		for _, s := range g.Servers {
			if sv := p.Gateway.Servers[s]; sv.Credential != g.SecretName {
				t.Errorf("Certificates[%d] lists server %d of credential %q", i, s, sv.Credential)
			}
		}
		g.Servers = nil
		if fmt.Sprint(g) != fmt.Sprint(want[i]) {
			t.Errorf("Certificates[%d] = %+v; want %+v", i, g, want[i])
		}
	}
	if !slices.ContainsFunc(p.Warnings, func(w route.Warning) bool {
		return w.Path == "gateway.certificates" && strings.Contains(w.Detail, "partner-cert-cacert")
	}) {
		t.Errorf("Warnings = %v; want one naming the client CA secret partner-cert-cacert", p.Warnings)
	}

	// HTTP-01 for the names routed to the gateway's port 80, beside a
	// route of another path there: valid, and a gateway not labeled
	// istio=ingressgateway is warned about.
	c, err = route.Parse([]byte(withListener(withGateway(certBase, "  selector: {istio: edge-gateway}\n"), "",
		"- {name: api, listener: web, hosts: [app.example.com], pathPrefix: /api/, backend: app}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if p, err = c.Plan(); err != nil {
		t.Fatal(err)
	}
	if got := p.Gateway.Certificates; len(got) != 1 || !slices.Equal(got[0].DNSNames, []string{"app.example.com"}) || got[0].IssuerRef.Kind != "ClusterIssuer" {
		t.Errorf("Certificates = %+v; want web-cert for app.example.com from the ClusterIssuer", got)
	}
	if !slices.ContainsFunc(p.Warnings, func(w route.Warning) bool {
		return w.Path == "gateway.selector" && strings.Contains(w.Detail, "ingressSelector")
	}) {
		t.Errorf("Warnings = %v; want one about meshConfig.ingressSelector", p.Warnings)
	}
}
