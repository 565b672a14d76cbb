package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a throwaway self-signed certificate for tests, in the forms the
// tests of a TLS server, a TLS client and HAProxy need.
type Cert struct {
	// PEM is the certificate then its PKCS#8 key, as HAProxy's crt wants.
	PEM []byte
	// Cert is the certificate and key for a crypto/tls server.
	Cert tls.Certificate
	// Pool trusts the certificate, for a crypto/tls client.
	Pool *x509.CertPool
	// PEMFile is PEM written to disk.
	PEMFile string
	// CAFile is the certificate alone written to disk, for ca-file.
	CAFile string
}

// NewCert makes a self-signed ECDSA P-256 certificate for names (DNS names
// or IP addresses; the first is also the common name) valid for a day, and
// writes it into dir as cert-<name>.pem and ca-<name>.pem. It fails t on
// error.
func NewCert(t testing.TB, dir string, names ...string) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	c := &Cert{PEM: append(append([]byte{}, certPEM...), keyPEM...)}
	c.Cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c.Pool = x509.NewCertPool()
	c.Pool.AddCert(parsed)
	c.PEMFile = filepath.Join(dir, "cert-"+names[0]+".pem")
	c.CAFile = filepath.Join(dir, "ca-"+names[0]+".pem")
	if err := os.WriteFile(c.PEMFile, c.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.CAFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}
