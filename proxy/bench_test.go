package proxy_test

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/sni"
)

// BenchmarkConn is a connection through a Server on loopback: a fresh TCP
// connection, Go's default ClientHello (about 1.5 KB), its echo from a
// backend that decodes the PROXY v2 header first, and close. The routes
// are a func over a map, or TableRoute over a route table. Allocations
// count the whole process: client, proxy and backend.
func BenchmarkConn(b *testing.B) {
	e := startTestBackend(b, "E", nil, true)
	target := proxy.Target{Addrs: []string{e.addr()}, Proxy: 2}
	for _, bc := range []struct {
		name  string
		route func(*sni.Hello) (proxy.Target, bool)
	}{
		{"func", routes(map[string]proxy.Target{"n.example.com": target})},
		{"table", tableRouteTo(b, e.addr())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			addr := serve(b, &proxy.Server{Route: bc.route}, nil)
			hello := tlstest.ClientHello(b, &tls.Config{ServerName: "n.example.com"})
			got := make([]byte, len(hello)+1)
			b.SetBytes(int64(len(hello)))
			b.ReportAllocs()
			for b.Loop() {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.Write(hello)
				c.(*net.TCPConn).CloseWrite()
				if n, err := io.ReadFull(c, got); n != len(hello) || err != io.ErrUnexpectedEOF {
					b.Fatalf("echoed %d bytes, %v; want %d then EOF", n, err, len(hello))
				}
				c.Close()
			}
		})
	}
}
