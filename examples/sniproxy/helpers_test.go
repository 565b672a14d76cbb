package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// testBackend is a server behind the proxy: it decodes the PROXY header,
// reports it, then either runs a TLS server that answers with its name, or
// echoes every byte after the header.
type testBackend struct {
	name    string
	ln      net.Listener
	headers chan proxyproto.Header
	tls     *tls.Config // nil: echo
	wg      sync.WaitGroup
}

func startBackend(t testing.TB, name string, tlsCfg *tls.Config) *testBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &testBackend{name: name, ln: ln, headers: make(chan proxyproto.Header, 2000), tls: tlsCfg}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Add(1)
			go func() { defer b.wg.Done(); b.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

func (b *testBackend) addr() string { return b.ln.Addr().String() }

func (b *testBackend) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	h, err := proxyproto.Read(br)
	if err != nil {
		return
	}
	select {
	case b.headers <- h:
	default:
	}
	if b.tls == nil { // echo without splice, so that pipes are the proxy's
		io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{br})
		return
	}
	tc := tls.Server(bufConn{c, br}, b.tls)
	if tc.Handshake() != nil {
		return
	}
	io.WriteString(tc, "hello from "+b.name+"\n")
	io.Copy(io.Discard, tc)
}

// bufConn is a net.Conn reading through a bufio.Reader over it.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// testCert returns a server config with a self-signed certificate for names
// and a client pool trusting it.
func testCert(t *testing.T, names ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	c := tlstest.NewCert(t, t.TempDir(), names...)
	return &tls.Config{Certificates: []tls.Certificate{c.Cert}}, c.Pool
}

// runningProxy is run() in a goroutine; stop cancels it and waits.
type runningProxy struct {
	addr, admin string
	cancel      context.CancelFunc
	done        chan error
	log         *syncBuffer
}

func startProxy(t testing.TB, args ...string) *runningProxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rp := &runningProxy{cancel: cancel, done: make(chan error, 1), log: &syncBuffer{}}
	ready := make(chan struct{})
	args = append([]string{"-listen", "127.0.0.1:0"}, args...)
	go func() {
		rp.done <- run(ctx, args, rp.log, func(p, a net.Addr) {
			rp.addr = p.String()
			if a != nil {
				rp.admin = a.String()
			}
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-rp.done:
		t.Fatalf("run(%q) = %v before listening; log:\n%s", args, err, rp.log)
	case <-time.After(10 * time.Second):
		t.Fatal("proxy did not start")
	}
	t.Cleanup(func() { rp.stop(t) })
	return rp
}

func (rp *runningProxy) stop(t testing.TB) {
	rp.cancel()
	select {
	case err, ok := <-rp.done:
		if ok && err != nil {
			t.Errorf("run = %v", err)
		}
		if ok {
			close(rp.done)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("proxy did not stop; log:\n%s", rp.log)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// countFDs returns the number of open file descriptors of this process.
func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}
