package proxy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestEndToEnd: crypto/tls clients reach the backend of their name through
// the proxy; a proxyproto.Listener backend decodes the v2 header with the
// client's address, the proxy's and the name, or the v1 header.
func TestEndToEnd(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com", "b.example.com")
	a := startTestBackend(t, "A", srvCfg, true)
	b := startTestBackend(t, "B", srvCfg, true)
	addr := serve(t, &proxy.Server{Route: routes(map[string]proxy.Target{
		"a.example.com": {Addrs: []string{a.addr()}, Proxy: 2},
		"b.example.com": {Addrs: []string{b.addr()}, Proxy: 1},
	})}, nil)
	for _, tc := range []struct {
		name    string
		be      *backend
		version uint8
	}{{"a.example.com", a, 2}, {"A.Example.COM", a, 2}, {"b.example.com", b, 1}} {
		got, local, err := tlsGet(addr, tc.name, pool)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := "hello from " + tc.be.name + "\n"; got != want {
			t.Errorf("%s: got %q, want %q", tc.name, got, want)
		}
		h := <-tc.be.headers
		if h.Version != tc.version || h.Source.String() != local.String() || h.Destination.String() != addr {
			t.Errorf("%s: header %v; want v%d %s -> %s", tc.name, h, tc.version, local, addr)
		}
		if auth, _ := h.TLVs.Authority(); tc.version == 2 && string(auth) != strings.ToLower(tc.name) {
			t.Errorf("%s: AUTHORITY %q; want %q", tc.name, auth, strings.ToLower(tc.name))
		}
	}
}

// TestTableMiss: a name without a route, a hello without a name and a
// Server without Route close the connection; nothing reaches a backend.
func TestTableMiss(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com")
	a := startTestBackend(t, "A", srvCfg, true)
	var log bytes.Buffer
	var mu sync.Mutex
	srv := &proxy.Server{Route: routes(map[string]proxy.Target{"a.example.com": {Addrs: []string{a.addr()}, Proxy: 2}}),
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &log}, nil))}
	addr := serve(t, srv, nil)
	if got, _, err := tlsGet(addr, "unknown.example.org", pool); err == nil {
		t.Errorf("unknown.example.org: got %q; want the connection closed", got)
	}
	// crypto/tls sends no server_name without a ServerName.
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Error(err)
	} else {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(tlstest.ClientHello(t, nil))
		if n, err := c.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("hello without a name: read %d, %v; want closed", n, err)
		}
		c.Close()
	}
	zero := &proxy.Server{}
	zaddr := serve(t, zero, nil)
	if got, _, err := tlsGet(zaddr, "a.example.com", pool); err == nil {
		t.Errorf("Server without Route: got %q; want the connection closed", got)
	}
	select {
	case h := <-a.headers:
		t.Errorf("backend got a connection: %v", h)
	default:
	}
	if !waitFor(func() bool { return srv.Stats().RefusedRoute == 2 && zero.Stats().RefusedRoute == 1 }) {
		t.Errorf("Stats = %+v and %+v; want 2 and 1 refused for no route", srv.Stats(), zero.Stats())
	}
	logged := func() bool { // a refusal is counted before it is logged
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(log.String(), `msg="refused: no route"`) && strings.Contains(log.String(), "sni=unknown.example.org")
	}
	if !waitFor(logged) {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("log lacks the refusals:\n%s", log.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSlowHello: a client sending its hello a byte every 50ms is cut at the
// hello deadline, while others are served.
func TestSlowHello(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com")
	a := startTestBackend(t, "A", srvCfg, false)
	srv := &proxy.Server{HelloTimeout: 300 * time.Millisecond,
		Route: routes(map[string]proxy.Target{"a.example.com": {Addrs: []string{a.addr()}}})}
	addr := serve(t, srv, nil)
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "a.example.com"})
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; i < 100 && i < len(hello); i++ {
			if _, err := slow.Write(hello[i : i+1]); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	for i := range 3 {
		if got, _, err := tlsGet(addr, "a.example.com", pool); err != nil || got != "hello from A\n" {
			t.Errorf("client %d beside a slow one: %q, %v", i, got, err)
		}
	}
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := slow.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("slow client: read %d, %v; want closed", n, err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("slow client cut after %v; want about 300ms", d)
	}
	slow.Close()
	<-stopped
	if !waitFor(func() bool { return srv.Stats().RefusedHello == 1 }) {
		t.Errorf("Stats = %+v; want 1 refused hello", srv.Stats())
	}
}

// TestBackendDown: a target's addresses are tried in order; when none
// accepts, the client's connection is closed.
func TestBackendDown(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com", "b.example.com")
	a := startTestBackend(t, "A", srvCfg, false)
	down := closedAddr(t)
	srv := &proxy.Server{DialTimeout: time.Second, Route: routes(map[string]proxy.Target{
		"a.example.com": {Addrs: []string{down, a.addr()}},
		"b.example.com": {Addrs: []string{down, closedAddr(t)}},
	})}
	addr := serve(t, srv, nil)
	if got, _, err := tlsGet(addr, "a.example.com", pool); err != nil || got != "hello from A\n" {
		t.Errorf("first address down: %q, %v; want the second's greeting", got, err)
	}
	if got, _, err := tlsGet(addr, "b.example.com", pool); err == nil {
		t.Errorf("every address down: %q; want the connection closed", got)
	}
	if !waitFor(func() bool { s := srv.Stats(); return s.RefusedDial == 1 && s.Sessions == 1 }) {
		t.Errorf("Stats = %+v; want 1 session and 1 refused dial", srv.Stats())
	}
}

// TestHalfClose: the client's end of stream reaches the backend as one, and
// the backend's answer still comes back; the bytes are exact, the hello,
// whatever came with it, and a bulk transfer that gets spliced.
func TestHalfClose(t *testing.T) {
	e := startTestBackend(t, "E", nil, false)
	srv := &proxy.Server{Route: routes(map[string]proxy.Target{"e.example.com": {Addrs: []string{e.addr()}}})}
	addr := serve(t, srv, nil)
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
	for _, size := range []int{0, 10, 8 << 20} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		msg := append(append([]byte{}, hello...), bytes.Repeat([]byte("0123456789abcdef"), size/16)...)
		go func() {
			c.Write(msg)
			c.(*net.TCPConn).CloseWrite()
		}()
		got, err := io.ReadAll(c) // the echo ends only once the backend saw EOF
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("%d bytes after the hello: echoed %d of %d, %v", size, len(got), len(msg), err)
		}
		c.Close()
	}
	if !waitFor(func() bool { return srv.Stats().Sessions == 3 }) {
		t.Errorf("Stats = %+v; want 3 sessions", srv.Stats())
	}
}

// TestIdleTimeout: a session that moves nothing is closed after one to two
// idle periods; one that keeps moving stays open.
func TestIdleTimeout(t *testing.T) {
	e := startTestBackend(t, "E", nil, false)
	srv := &proxy.Server{IdleTimeout: 200 * time.Millisecond,
		Route: routes(map[string]proxy.Target{"e.example.com": {Addrs: []string{e.addr()}}})}
	addr := serve(t, srv, nil)
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write(hello)
	if _, err := io.ReadFull(c, make([]byte, len(hello))); err != nil {
		t.Fatal(err)
	}
	for i := range 8 { // a byte each way every 100ms: four idle periods
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
	}
	start := time.Now()
	if n, err := c.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("idle session: read %d, %v; want closed", n, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("idle session closed %v after its last byte; want 200-400ms", d)
	}
	if !waitFor(func() bool { return srv.Stats().IdleClosed == 1 }) {
		t.Errorf("Stats = %+v; want 1 closed for idleness", srv.Stats())
	}
}

// TestProxyListener: behind a load balancer, the client address sent on is
// the one the balancer's PROXY header reported.
func TestProxyListener(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com")
	a := startTestBackend(t, "A", srvCfg, true)
	addr := serve(t, &proxy.Server{Route: routes(map[string]proxy.Target{"a.example.com": {Addrs: []string{a.addr()}, Proxy: 2}})},
		func(ln net.Listener) net.Listener {
			return &proxyproto.Listener{Listener: ln, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
		})
	lb, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	lb.SetDeadline(time.Now().Add(10 * time.Second))
	hdr := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: netip.MustParseAddrPort("203.0.113.7:40000"), Destination: netip.MustParseAddrPort("198.51.100.1:443")}
	if _, err := hdr.WriteTo(lb); err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(lb, &tls.Config{ServerName: "a.example.com", RootCAs: pool})
	if line, err := readLine(tc); err != nil || line != "hello from A\n" {
		t.Fatalf("through the balancer: %q, %v", line, err)
	}
	if h := <-a.headers; h.Source != hdr.Source || h.Destination != hdr.Destination {
		t.Errorf("backend saw %v; want the balancer's %v", h, hdr)
	}
}

func readLine(r io.Reader) (string, error) {
	var b []byte
	for one := make([]byte, 1); ; {
		if _, err := io.ReadFull(r, one); err != nil {
			return string(b), err
		}
		if b = append(b, one[0]); one[0] == '\n' {
			return string(b), nil
		}
	}
}

// TestShutdown: Shutdown lets an open session finish; with a context that
// ends first, it closes the session and returns the context's error.
func TestShutdown(t *testing.T) {
	e := startTestBackend(t, "E", nil, false)
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
	for _, graceful := range []bool{true, false} {
		srv := &proxy.Server{Portable: *portable, Route: routes(map[string]proxy.Target{"e.example.com": {Addrs: []string{e.addr()}}})}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(hello)
		if _, err := io.ReadFull(c, make([]byte, len(hello))); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(ctx) }()
		if err := <-served; !errors.Is(err, proxy.ErrServerClosed) {
			t.Errorf("Serve = %v; want ErrServerClosed", err)
		}
		if c2, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			c2.Close()
			t.Error("a connection was accepted during Shutdown")
		}
		if graceful {
			c.Write([]byte("still here"))
			if b := make([]byte, 10); !isNil(io.ReadFull(c, b)) || string(b) != "still here" {
				t.Errorf("session during Shutdown: %q", b)
			}
			c.Close()
			if err := <-shut; err != nil {
				t.Errorf("Shutdown = %v after the last session ended; want nil", err)
			}
		} else {
			if err := <-shut; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v; want the context's error", err)
			}
			if n, err := c.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("session after Shutdown's context ended: read %d, %v; want closed", n, err)
			}
			c.Close()
		}
		cancel()
		if s := srv.Stats(); s.Active != 0 {
			t.Errorf("after Shutdown: Stats = %+v; want no active connection", s)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close after Shutdown = %v", err)
		}
	}
}

func isNil(_ int, err error) bool { return err == nil }

// TestZeroServer: a zero Server serves (refusing every connection), and
// Shutdown and Close work on a Server that never served.
func TestZeroServer(t *testing.T) {
	var srv proxy.Server
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown of an idle Server = %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, proxy.ErrServerClosed) {
		t.Errorf("Serve after Close = %v; want ErrServerClosed", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("Serve after Close left the listener open")
	}
}

// TestNoGoroutineLeft: after connections of every kind and Shutdown, the
// goroutines are back to where they were.
func TestNoGoroutineLeft(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com", "e.example.com")
	a := startTestBackend(t, "A", srvCfg, true)
	e := startTestBackend(t, "E", nil, false)
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
	g0 := runtime.NumGoroutine()

	srv := &proxy.Server{HelloTimeout: 200 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, MaxConns: 8,
		Route: routes(map[string]proxy.Target{
			"a.example.com": {Addrs: []string{a.addr()}, Proxy: 2},
			"e.example.com": {Addrs: []string{e.addr()}},
			"d.example.com": {Addrs: []string{closedAddr(t)}},
		})}
	srv.Portable = *portable
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				tlsGet(addr, "a.example.com", pool)              // a session
				tlsGet(addr, "nope.example.com", pool)           // no route
				tlsGet(addr, "d.example.com", pool)              // dial refused
				if c, err := net.Dial("tcp", addr); err == nil { // not TLS
					c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
					c.SetDeadline(time.Now().Add(5 * time.Second))
					io.Copy(io.Discard, c)
					c.Close()
				}
			}
		})
	}
	wg.Add(2)
	go func() { // slow hello
		defer wg.Done()
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Write(hello[:20])
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	go func() { // reset by the client mid-session
		defer wg.Done()
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Write(hello)
			io.ReadFull(c, make([]byte, len(hello)))
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	// An idle session, open when Shutdown starts.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.Write(hello)
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; !errors.Is(err, proxy.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	if s := srv.Stats(); s.Active != 0 || s.Accepted != s.Sessions+s.RefusedHello+s.RefusedRoute+s.RefusedDial {
		t.Errorf("Stats = %+v; want every connection counted once and none active", s)
	}
	var g int
	if !waitFor(func() bool { g = runtime.NumGoroutine(); return g <= g0 }) {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Shutdown, %d before:\n%s", g, g0, buf[:runtime.Stack(buf, true)])
	}
}

// TestTableRoute: routes come from a route file's table and plan, round
// robin over a backend's servers; a route the edge terminates is refused
// when the func is made.
func TestTableRoute(t *testing.T) {
	e1 := startTestBackend(t, "E1", nil, true)
	e2 := startTestBackend(t, "E2", nil, false)
	cfg := &route.Config{Name: "t", Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{
			{Name: "rr", Listener: "tls", Hosts: []string{"*.example.com"}, Backend: "two", TerminateAt: route.TierBackend},
			{Name: "v1", Listener: "tls", Hosts: []string{"v1.example.org"}, Backend: "one", TerminateAt: route.TierBackend},
		},
		Backends: []route.Backend{
			{Name: "two", ProxyProtocol: route.ProxyV2, Servers: []route.Server{{Address: e1.addr()}, {Address: closedAddr(t)}}},
			{Name: "one", ProxyProtocol: route.ProxyV1, Servers: []route.Server{{Address: e1.addr()}}},
		}}
	plan, err := cfg.Plan()
	if err != nil {
		t.Fatal(err)
	}
	table, err := cfg.Table("tls")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := proxy.TableRoute(table, plan)
	if err != nil {
		t.Fatal(err)
	}
	srv := &proxy.Server{Route: rt}
	addr := serve(t, srv, nil)
	for i, tc := range []struct {
		name    string
		version uint8
	}{{"x.example.com", 2}, {"y.example.com", 2}, {"v1.example.org", 1}} {
		hello := tlstest.ClientHello(t, &tls.Config{ServerName: tc.name})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(hello)
		c.(*net.TCPConn).CloseWrite()
		if got, err := io.ReadAll(c); err != nil || !bytes.Equal(got, hello) {
			t.Errorf("%d %s: echoed %d bytes, %v", i, tc.name, len(got), err)
		}
		c.Close()
		if h := <-e1.headers; h.Version != tc.version {
			t.Errorf("%d %s: header %v; want v%d", i, tc.name, h, tc.version)
		}
	}
	select {
	case <-e2.headers:
		t.Error("a route reached a server it does not have")
	default:
	}

	cfg.Routes[1].TerminateAt = route.TierEdge
	cfg.Listeners[0].TLS = &route.ListenerTLS{Certificates: []string{"/etc/ssl/v1.pem"}}
	if plan, err = cfg.Plan(); err != nil {
		t.Skipf("no plan for an edge-terminated route: %v", err)
	}
	if table, err = cfg.Table("tls"); err != nil {
		t.Fatal(err)
	}
	if _, err := proxy.TableRoute(table, plan); err == nil || !strings.Contains(err.Error(), `route "v1"`) {
		t.Errorf("TableRoute with a route terminated at the edge = %v; want an error naming it", err)
	}
}
