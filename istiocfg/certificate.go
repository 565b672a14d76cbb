package istiocfg

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/drawbridge-go/drawbridge/route"
)

// The apiVersion and kind of cert-manager's Certificate.
const (
	CertManagerV1   = "cert-manager.io/v1"
	KindCertificate = "Certificate"
)

// Certificate is a cert-manager Certificate (cert-manager.io/v1) for a
// credential the gateway serves: cert-manager writes the signed
// certificate and its key into the secret SecretName, which the Gateway's
// credentialName names. It is written without cert-manager's Go types, as
// [Certificate.AppendYAML] or [AppendCertificates], and read back by
// [ReadCertificates]; [ReadYAML] skips it.
type Certificate struct {
	// Name and Namespace are the Certificate's: the credential's name, in
	// the gateway workload's namespace.
	Name, Namespace string
	// SecretName is the secret cert-manager writes: the credentialName.
	SecretName string
	// DNSNames are the names the certificate holds, sorted.
	DNSNames []string
	// IssuerRef is the issuer that signs it.
	IssuerRef route.IssuerRef
}

// newCertificates returns the Certificates of a plan.
func newCertificates(gp *route.GatewayPlan) []Certificate {
	var out []Certificate
	for _, cp := range gp.Certificates {
		out = append(out, Certificate{Name: cp.Name, Namespace: cp.Namespace, SecretName: cp.SecretName,
			DNSNames: slices.Clone(cp.DNSNames), IssuerRef: cp.IssuerRef})
	}
	return out
}

// The shape written, in cert-manager's field names.
type (
	certificateSpec struct {
		SecretName string          `json:"secretName"`
		DNSNames   []string        `json:"dnsNames"`
		IssuerRef  route.IssuerRef `json:"issuerRef"`
	}
	certificateMeta struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace,omitempty"`
	}
	certificateObject struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   certificateMeta `json:"metadata"`
		Spec       certificateSpec `json:"spec"`
	}
)

// AppendYAML appends c to b as a cert-manager.io/v1 Certificate manifest.
func (c *Certificate) AppendYAML(b []byte) ([]byte, error) {
	o := certificateObject{APIVersion: CertManagerV1, Kind: KindCertificate,
		Metadata: certificateMeta{Name: c.Name, Namespace: c.Namespace},
		Spec:     certificateSpec{SecretName: c.SecretName, DNSNames: c.DNSNames, IssuerRef: c.IssuerRef}}
	y, err := yaml.Marshal(o)
	if err != nil {
		return b, &Error{Doc: -1, Kind: KindCertificate, Name: c.Name, Err: err}
	}
	return append(b, y...), nil
}

// AppendCertificates appends certs to b as one YAML stream, separated by
// "---", sorted by namespace and name (certs itself is not reordered).
func AppendCertificates(b []byte, certs ...Certificate) ([]byte, error) {
	sorted := slices.Clone(certs)
	slices.SortStableFunc(sorted, func(x, y Certificate) int {
		return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Name, y.Name))
	})
	for i := range sorted {
		if i > 0 {
			b = append(b, "---\n"...)
		}
		var err error
		if b, err = sorted[i].AppendYAML(b); err != nil {
			if e, ok := err.(*Error); ok {
				e.Doc = i
			}
			return b, err
		}
	}
	return b, nil
}

var errRequired = errors.New("required")

// isCertificate reports whether apiVersion and kind are cert-manager's
// Certificate, which [ReadYAML] skips.
func isCertificate(apiVersion, kind string) bool {
	return apiVersion == CertManagerV1 && kind == KindCertificate
}

// ReadCertificates reads the cert-manager.io/v1 Certificates of a YAML
// stream, as [AppendCertificates] writes them, and skips every other
// document. It reads strictly: duplicate keys, metadata other than name
// and namespace, and spec fields other than secretName, dnsNames and
// issuerRef (the ones drawbridge writes) are errors. Errors are [*Error]
// values.
func ReadCertificates(data []byte) ([]Certificate, error) {
	var out []Certificate
	for n, doc := range splitDocuments(data) {
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return out, &Error{Doc: n, Err: err}
		}
		js = bytes.TrimSpace(js)
		if len(js) == 0 || bytes.Equal(js, []byte("null")) {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(js, &head); err != nil {
			return out, &Error{Doc: n, Err: err}
		}
		if !isCertificate(head.APIVersion, head.Kind) {
			continue
		}
		var o certificateObject
		if err := decodeStrict(js, &o); err != nil {
			return out, &Error{Doc: n, Kind: KindCertificate, Err: err}
		}
		c := Certificate{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, SecretName: o.Spec.SecretName,
			DNSNames: o.Spec.DNSNames, IssuerRef: o.Spec.IssuerRef}
		switch {
		case c.Name == "":
			return out, &Error{Doc: n, Kind: KindCertificate, Path: "metadata.name", Err: errRequired}
		case c.SecretName == "":
			return out, &Error{Doc: n, Kind: KindCertificate, Name: c.Name, Path: "spec.secretName", Err: errRequired}
		case c.IssuerRef.Name == "":
			return out, &Error{Doc: n, Kind: KindCertificate, Name: c.Name, Path: "spec.issuerRef.name", Err: errRequired}
		}
		out = append(out, c)
	}
	return out, nil
}
