package istiocfg_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// certRoutes terminates two credentials at the gateway, one of them for a
// wildcard, with certificates issued over DNS-01.
const certRoutes = `
edge: {}
gateway:
  namespace: gateways
  addresses: [10.0.0.10]
  certificates: {issuerRef: {name: letsencrypt, kind: ClusterIssuer}, challenge: dns01}
listeners:
- {name: tls, port: 443, protocol: TLS, tls: {credentialName: web-cert}}
routes:
- {name: app, listener: tls, hosts: [www.example.com, app.example.com], terminateAt: gateway, backend: app}
- {name: wild, listener: tls, hosts: ["*.apps.example.com"], terminateAt: gateway, credential: apps-cert, backend: app}
- {name: pass, listener: tls, hosts: [pass.example.com], terminateAt: backend, backend: app}
backends:
- {name: app, service: {host: app.apps.svc.cluster.local, port: 8080}}
`

const certYAML = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: apps-cert
  namespace: gateways
spec:
  dnsNames:
  - '*.apps.example.com'
  issuerRef:
    group: cert-manager.io
    kind: ClusterIssuer
    name: letsencrypt
  secretName: apps-cert
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web-cert
  namespace: gateways
spec:
  dnsNames:
  - app.example.com
  - www.example.com
  issuerRef:
    group: cert-manager.io
    kind: ClusterIssuer
    name: letsencrypt
  secretName: web-cert
`

// TestCertificates: the plan's Certificates compile to cert-manager
// manifests in the workload's namespace, named after the credentials the
// Gateway serves, and read back the same; ReadYAML skips them in a
// stream of Istio objects.
func TestCertificates(t *testing.T) {
	c, err := route.Parse([]byte(certRoutes))
	if err != nil {
		t.Fatal(err)
	}
	res, err := istiocfg.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := istiocfg.AppendCertificates(nil, res.Certificates...)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != certYAML {
		t.Errorf("AppendCertificates =\n%s\nwant\n%s", got, certYAML)
	}
	// Every credential the Gateway serves has its Certificate.
	stream, err := istiocfg.AppendYAML(nil, res.Objects...)
	if err != nil {
		t.Fatal(err)
	}
	for _, cert := range res.Certificates {
		if !strings.Contains(string(stream), "credentialName: "+cert.SecretName+"\n") {
			t.Errorf("no Gateway server serves credential %q of Certificate %s", cert.SecretName, cert.Name)
		}
	}
	back, err := istiocfg.ReadCertificates(append(append(stream, "---\n"...), got...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, res.Certificates) {
		t.Errorf("ReadCertificates = %+v; want %+v", back, res.Certificates)
	}
	objs, err := istiocfg.ReadYAML(append(append(stream, "---\n"...), got...))
	if err != nil {
		t.Fatalf("ReadYAML of the Istio objects and the Certificates: %v", err)
	}
	if len(objs) != len(res.Objects) {
		t.Errorf("ReadYAML read %d objects; want the %d Istio objects", len(objs), len(res.Objects))
	}

	// Without gateway.certificates, none.
	c.Gateway.Certificates = nil
	if res, err = istiocfg.Compile(c); err != nil || len(res.Certificates) != 0 {
		t.Errorf("Compile without certificates = %v, %v; want no Certificates", res.Certificates, err)
	}
}

// TestReadCertificatesErrors: what ReadCertificates refuses, with where.
func TestReadCertificatesErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown spec field", strings.Replace(certYAML, "  secretName: web-cert\n", "  secretName: web-cert\n  duration: 2160h\n", 1), `document 1 (Certificate ): json: unknown field "duration"`},
		{"no secret", strings.Replace(certYAML, "  secretName: web-cert\n", "", 1), "document 1 (Certificate web-cert): spec.secretName: required"},
		{"no issuer", strings.Replace(certYAML, "    name: letsencrypt\n  secretName: apps-cert", "  secretName: apps-cert", 1), "document 0 (Certificate apps-cert): spec.issuerRef.name: required"},
		{"no name", strings.Replace(certYAML, "  name: web-cert\n", "", 1), "document 1 (Certificate ): metadata.name: required"},
		{"duplicate key", strings.Replace(certYAML, "kind: Certificate\n", "kind: Certificate\nkind: Certificate\n", 1), "document 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := istiocfg.ReadCertificates([]byte(tc.yaml))
			var e *istiocfg.Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadCertificates = %v; want an *istiocfg.Error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzReadCertificates: ReadCertificates never panics, and what it reads
// is written back to a stream it reads the same.
func FuzzReadCertificates(f *testing.F) {
	f.Add([]byte(certYAML))
	f.Add([]byte("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec: {secretName: a, issuerRef: {name: i}, dnsNames: [\"*\"]}\n"))
	f.Add([]byte("---\n---\nkind: Certificate\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := istiocfg.ReadCertificates(data)
		if err != nil {
			return
		}
		out, err := istiocfg.AppendCertificates(nil, certs...)
		if err != nil {
			t.Fatalf("AppendCertificates(%+v): %v", certs, err)
		}
		again, err := istiocfg.ReadCertificates(out)
		if err != nil {
			t.Fatalf("ReadCertificates of what AppendCertificates wrote: %v\n%s", err, out)
		}
		if len(again) != len(certs) {
			t.Fatalf("read %d Certificates back; want %d\n%s", len(again), len(certs), out)
		}
	})
}
