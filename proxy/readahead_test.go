package proxy_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
)

// TestHeaderAndReadAhead: a PROXY header, the hello and the bytes read
// ahead with it can overflow one pooled buffer; they still go out once,
// in order, before the rest.
func TestHeaderAndReadAhead(t *testing.T) {
	e := startTestBackend(t, "E", nil, true)
	srv := &proxy.Server{Route: routes(map[string]proxy.Target{"e.example.com": {Addrs: []string{e.addr()}, Proxy: 2}})}
	addr := serve(t, srv, nil)
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
	msg := append(append([]byte{}, hello...), bytes.Repeat([]byte("0123456789abcdef"), 1<<16)...)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		c.Write(msg)
		c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, msg) {
		t.Errorf("echoed %d of %d bytes, %v", len(got), len(msg), err)
	}
}
