package conformance_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/conformance"
	"github.com/drawbridge-go/drawbridge/internal/golden"
)

var loadCertManager = sync.OnceValues(func() (*conformance.Validator, error) {
	return conformance.LoadCertManager(conformance.CertManagerDir)
})

func certValidator(t *testing.T) *conformance.Validator {
	t.Helper()
	v, err := loadCertManager()
	if err != nil {
		t.Fatalf("LoadCertManager: %v", err)
	}
	return v
}

// validateCertificates checks a stream of Certificates with the CRD and
// with the webhook's rules.
func validateCertificates(t *testing.T, stream []byte) error {
	t.Helper()
	return errors.Join(certValidator(t).ValidateYAML(stream), conformance.ValidateCertificateWebhook(stream))
}

const certificate = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web-cert
  namespace: istio-system
spec:
  dnsNames:
  - app.example.com
  - '*.apps.example.com'
  issuerRef:
    group: cert-manager.io
    kind: ClusterIssuer
    name: letsencrypt
  secretName: web-cert
`

// TestCertificateGoldenFiles validates the certificates.yaml of every
// archive of the edge generator, and a Certificate as istiocfg writes it;
// then one fault at a time, each refused by the CRD or by the webhook.
func TestCertificateGoldenFiles(t *testing.T) {
	archives, err := filepath.Glob("../../examples/edgegen/testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range archives {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range golden.Parse(data).Files {
			if f.Name != "certificates.yaml" {
				continue
			}
			n++
			if err := validateCertificates(t, f.Data); err != nil {
				t.Errorf("%s: %s: cert-manager would refuse:\n%v", path, f.Name, err)
			}
		}
	}
	if n == 0 {
		t.Error("no certificates.yaml in the edge generator's archives")
	}
	if err := validateCertificates(t, []byte(certificate)); err != nil {
		t.Errorf("cert-manager would refuse:\n%v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown field", "  secretName: web-cert\n", "  secretName: web-cert\n  dnsName: [a.example.com]\n", `unknown field "spec.dnsName"`},
		{"no issuer name", "    name: letsencrypt\n", "", "spec.issuerRef.name"},
		{"no secret", "  secretName: web-cert\n", "", "spec.secretName"},
		{"secret name", "  secretName: web-cert\n", "  secretName: Web_Cert\n", "spec.secretName"},
		{"issuer kind", "kind: ClusterIssuer", "kind: Issuers", "spec.issuerRef.kind"},
		{"no names", "  dnsNames:\n  - app.example.com\n  - '*.apps.example.com'\n", "", "at least one of"},
		{"object name", "  name: web-cert\n", "  name: Web_Cert\n", "metadata.name"},
	} {
		bad := strings.Replace(certificate, tc.from, tc.to, 1)
		if bad == certificate {
			t.Fatalf("%s: %q not in the Certificate", tc.name, tc.from)
		}
		if err := validateCertificates(t, []byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validation = %v; want an error naming %s", tc.name, err, tc.want)
		}
	}
}
