package main

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
)

// BenchmarkSession is a connection through the proxy on loopback: a fresh
// TCP connection, Go's default ClientHello (about 1.5 KB), the echo of it
// from a backend behind a PROXY v2 header, and close. Allocations count the
// whole process: client, proxy and backend.
func BenchmarkSession(b *testing.B) {
	e := startBackend(b, "E", nil)
	rp := startProxy(b, "-log-level", "warn", "-route", "n.example.com="+e.addr())
	hello := tlstest.ClientHello(b, &tls.Config{ServerName: "n.example.com"})
	got := make([]byte, len(hello)+1)
	b.SetBytes(int64(len(hello)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", rp.addr)
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
}
