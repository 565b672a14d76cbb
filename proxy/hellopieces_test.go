package proxy_test

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
)

// TestHelloInPieces: a ClientHello that comes in small pieces is read
// whole, and a target given by host name rather than address is dialed
// too; the echo comes back exact.
func TestHelloInPieces(t *testing.T) {
	e := startTestBackend(t, "E", nil, true)
	_, port, _ := net.SplitHostPort(e.addr())
	for _, target := range []string{e.addr(), "localhost:" + port} {
		srv := &proxy.Server{Route: routes(map[string]proxy.Target{"e.example.com": {Addrs: []string{target}, Proxy: 1}})}
		addr := serve(t, srv, nil)
		hello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		for b := hello; len(b) > 0; {
			n := min(len(b), 300)
			if _, err := c.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
			time.Sleep(5 * time.Millisecond)
		}
		got := make([]byte, len(hello))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != string(hello) {
			t.Errorf("%s: echo %v; want the hello", target, err)
		}
		c.(*net.TCPConn).CloseWrite()
		if n, err := c.Read(got); n != 0 || err != io.EOF {
			t.Errorf("%s: after the half-close: %d, %v; want EOF", target, n, err)
		}
		c.Close()
		h := <-e.headers
		if !strings.HasPrefix(h.Source.String(), "127.0.0.1:") || h.Version != 1 {
			t.Errorf("%s: header %v; want v1 from 127.0.0.1", target, h)
		}
	}
}
