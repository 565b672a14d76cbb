package proxy_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/sni"
)

// backend is a server behind the proxy: a proxyproto.Listener that requires
// a PROXY header from loopback peers, then either a TLS server answering
// "hello from <name>\n", or an echo of every byte until EOF, then close.
type backend struct {
	name    string
	ln      net.Listener
	headers chan proxyproto.Header
	tls     *tls.Config // nil: echo
	wg      sync.WaitGroup
}

// startTestBackend starts a backend; proxy says whether it requires a PROXY
// header.
func startTestBackend(t testing.TB, name string, tlsCfg *tls.Config, proxy bool) *backend {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener = inner
	if proxy {
		ln = &proxyproto.Listener{Listener: inner, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	}
	b := &backend{name: name, ln: ln, headers: make(chan proxyproto.Header, 100), tls: tlsCfg}
	b.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Go(func() { b.serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

func (b *backend) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if pc, ok := c.(*proxyproto.Conn); ok {
		if h, ok := pc.Header(); ok {
			select {
			case b.headers <- h:
			default:
			}
		}
	}
	if b.tls == nil {
		io.Copy(c, c)
		return
	}
	tc := tls.Server(c, b.tls)
	if tc.Handshake() != nil {
		return
	}
	io.WriteString(tc, "hello from "+b.name+"\n")
	io.Copy(io.Discard, tc)
}

// testCert returns a server config with a certificate for names and a pool
// trusting it.
func testCert(t testing.TB, names ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	c := tlstest.NewCert(t, t.TempDir(), names...)
	return &tls.Config{Certificates: []tls.Certificate{c.Cert}}, c.Pool
}

// portable runs the tests' servers on the goroutine-per-direction path,
// which on Linux is not the default: go test ./proxy -args -portable.
var portable = flag.Bool("portable", false, "relay sessions with goroutines (Server.Portable)")

// serve starts srv on a loopback listener (wrapped by wrap, when not nil)
// and shuts it down at the end of the test.
func serve(t testing.TB, srv *proxy.Server, wrap func(net.Listener) net.Listener) string {
	t.Helper()
	srv.Portable = srv.Portable || *portable
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if wrap != nil {
		ln = wrap(ln)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		if err := <-done; !errors.Is(err, proxy.ErrServerClosed) {
			t.Errorf("Serve = %v; want ErrServerClosed", err)
		}
	})
	return addr
}

// tlsGet connects to addr with a crypto/tls client for name and returns
// the first line the server sends.
func tlsGet(addr, name string, pool *x509.CertPool) (string, net.Addr, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(c, &tls.Config{ServerName: name, RootCAs: pool})
	line, err := bufio.NewReader(tc).ReadString('\n')
	return line, c.LocalAddr(), err
}

// routes returns a Route func from a map of names to targets.
func routes(m map[string]proxy.Target) func(*sni.Hello) (proxy.Target, bool) {
	return func(h *sni.Hello) (proxy.Target, bool) {
		t, ok := m[h.ServerName()]
		return t, ok
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitFor polls cond every 10ms for up to 5s.
func waitFor(cond func() bool) bool {
	for range 500 {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}
