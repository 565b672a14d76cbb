package conformance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// CertManagerDir is the directory, relative to this module's root, of the
// pinned cert-manager Certificate CRD (v1.21.2; its README names the
// source).
const CertManagerDir = "testdata/cert-manager-v1.21.2"

// LoadCertManager loads the cert-manager CRDs of the *.yaml files in dir.
func LoadCertManager(dir string) (*Validator, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("conformance: no cert-manager CRDs in %s", dir)
	}
	var data []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		data = append(append(data, "\n---\n"...), b...)
	}
	return LoadCRDs(data)
}

// certificate is the part of a cert-manager.io/v1 Certificate the webhook
// rules below read.
type certificate struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		SecretName     string   `json:"secretName"`
		CommonName     string   `json:"commonName"`
		DNSNames       []string `json:"dnsNames"`
		URIs           []string `json:"uris"`
		EmailAddresses []string `json:"emailAddresses"`
		IPAddresses    []string `json:"ipAddresses"`
		IssuerRef      struct {
			Name  string `json:"name"`
			Kind  string `json:"kind"`
			Group string `json:"group"`
		} `json:"issuerRef"`
	} `json:"spec"`
}

// ValidateCertificateWebhook checks each Certificate of a YAML stream
// with the rules of cert-manager's validating webhook that concern the
// fields drawbridge writes (cert-manager v1.21.2
// internal/apis/certmanager/validation ValidateCertificateSpec and
// validateIssuerRef, which this module cannot import: they are internal
// to cert-manager's module): secretName required and a DNS-1123
// subdomain; issuerRef.name required; with group empty or cert-manager.io,
// kind empty, Issuer or ClusterIssuer; at least one of commonName,
// dnsNames, uris, emailAddresses and ipAddresses; a commonName of at most
// 64 bytes. Documents of other kinds are skipped.
func ValidateCertificateWebhook(stream []byte) error {
	var errs []error
	for n, doc := range splitYAML(stream) {
		var c certificate
		if err := yaml.Unmarshal(doc, &c); err != nil {
			errs = append(errs, &ObjectError{Doc: n, Errors: []error{err}})
			continue
		}
		if c.APIVersion != "cert-manager.io/v1" || c.Kind != "Certificate" {
			continue
		}
		oe := &ObjectError{Doc: n, Kind: c.Kind, Name: c.Metadata.Name}
		add := func(field, format string, args ...any) {
			oe.Errors = append(oe.Errors, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
		}
		s := c.Spec
		if s.SecretName == "" {
			add("spec.secretName", "must be specified")
		}
		for _, m := range validation.IsDNS1123Subdomain(s.SecretName) {
			if s.SecretName != "" {
				add("spec.secretName", "%s", m)
			}
		}
		if s.IssuerRef.Name == "" {
			add("spec.issuerRef.name", "must be specified")
		}
		if g := s.IssuerRef.Group; g == "" || g == "cert-manager.io" {
			switch s.IssuerRef.Kind {
			case "", "Issuer", "ClusterIssuer":
			default:
				add("spec.issuerRef.kind", "must be one of Issuer or ClusterIssuer")
			}
		}
		if s.CommonName == "" && len(s.DNSNames) == 0 && len(s.URIs) == 0 && len(s.EmailAddresses) == 0 && len(s.IPAddresses) == 0 {
			add("spec", "at least one of commonName, dnsNames, emailSANs, ipAddresses, otherNames, or uriSANs must be set")
		}
		if len(s.CommonName) > 64 {
			add("spec.commonName", "must have at most 64 bytes")
		}
		if len(oe.Errors) > 0 {
			errs = append(errs, oe)
		}
	}
	return errors.Join(errs...)
}
