package proxy_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
)

// FuzzServeBytes sends arbitrary bytes, in two writes split at cut, to a
// Server on loopback (on Linux, the event loops read the hello), then
// half-closes. The connection must end, echoed exactly when a hello for
// the routed name came first, and every connection must be counted once.
func FuzzServeBytes(f *testing.F) {
	hello := tlstest.ClientHello(f, &tls.Config{ServerName: "e.example.com"})
	f.Add(hello, uint16(0))
	f.Add(hello, uint16(7))
	f.Add(append(append([]byte{}, hello...), "after"...), uint16(len(hello)/2))
	f.Add(hello[:len(hello)-1], uint16(100))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), uint16(3))
	f.Add([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, uint16(1))
	e := startTestBackend(f, "E", nil, false)
	srv := &proxy.Server{HelloTimeout: 2 * time.Second,
		Route: routes(map[string]proxy.Target{"e.example.com": {Addrs: []string{e.addr()}}})}
	addr := serve(f, srv, nil)
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		k := min(int(cut), len(in))
		go func() {
			c.Write(in[:k])
			c.Write(in[k:])
			c.(*net.TCPConn).CloseWrite()
		}()
		got, err := io.ReadAll(c)
		if err != nil && !isReset(err) {
			t.Fatalf("read: %v (after %d bytes)", err, len(got))
		}
		if len(got) > 0 && !bytes.Equal(got, in) {
			t.Fatalf("got %d bytes back, not the %d sent", len(got), len(in))
		}
		if s := srv.Stats(); s.Accepted < s.Sessions+s.RefusedHello+s.RefusedRoute+s.RefusedDial {
			t.Fatalf("Stats = %+v: more ended than accepted", s)
		}
	})
}

// isReset reports whether err is a read error such as a connection reset,
// which a refusal with unread bytes causes.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "read"
}
