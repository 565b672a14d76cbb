package haproxycfg

import (
	"net"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
)

// newTestCert makes a self-signed certificate for names and writes it into
// dir.
func newTestCert(t testing.TB, dir string, names ...string) *tlstest.Cert {
	return tlstest.NewCert(t, dir, names...)
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
