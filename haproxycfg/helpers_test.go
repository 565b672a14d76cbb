package haproxycfg

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

// testCert is a throwaway self-signed certificate for tests.
type testCert struct {
	PEM  []byte // certificate then PKCS#8 key, as HAProxy's crt wants
	Cert tls.Certificate
	Pool *x509.CertPool
	// CAFile is the certificate alone, written to disk.
	CAFile string
	// PEMFile is PEM written to disk.
	PEMFile string
}

// newTestCert makes a self-signed ECDSA certificate for names (DNS names or
// IP addresses) and writes it into dir.
func newTestCert(t testing.TB, dir string, names ...string) *testCert {
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
	tc := &testCert{PEM: append(append([]byte{}, certPEM...), keyPEM...)}
	tc.Cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	tc.Pool = x509.NewCertPool()
	tc.Pool.AddCert(c)
	tc.PEMFile = filepath.Join(dir, "cert-"+names[0]+".pem")
	tc.CAFile = filepath.Join(dir, "ca-"+names[0]+".pem")
	if err := os.WriteFile(tc.PEMFile, tc.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tc.CAFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return tc
}

// setCerts exports CERTS (the variable the seed and scenario configs read
// their certificate path from) pointing at a fresh test certificate.
func setCerts(t *testing.T) {
	t.Helper()
	tc := newTestCert(t, t.TempDir(), "nsg.cc", "*.kube.example.com")
	t.Setenv("CERTS", tc.PEMFile)
}

func timeParse(s string) (time.Duration, error) { return time.ParseDuration(s) }

// freePorts returns n distinct TCP ports that were free on 127.0.0.1
// (haproxytest.FreePort may return the same port twice in a row).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
