package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// tlsGet connects through the proxy with Go's default client hello
// (post-quantum key share, about 1.5 KB) and returns the backend's greeting.
func tlsGet(t *testing.T, proxyAddr, name string, pool *x509.CertPool) (string, net.Addr, error) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", proxyAddr)
	if err != nil {
		return "", nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(c, &tls.Config{ServerName: name, RootCAs: pool})
	line, err := bufio.NewReader(tc).ReadString('\n')
	return line, c.LocalAddr(), err
}

func TestRoutesBySNIWithProxyV2(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com", "x.b.example.com", "y.b.example.com")
	a := startBackend(t, "A", srvCfg)
	b := startBackend(t, "B", srvCfg)
	rp := startProxy(t, "-route", "a.example.com="+a.addr(), "-route", "*.b.example.com="+b.addr())
	for _, tc := range []struct {
		name string
		be   *testBackend
	}{{"a.example.com", a}, {"x.b.example.com", b}, {"Y.B.example.com", b}} {
		got, local, err := tlsGet(t, rp.addr, tc.name, pool)
		if err != nil {
			t.Fatalf("%s: %v; log:\n%s", tc.name, err, rp.log)
		}
		if want := "hello from " + tc.be.name + "\n"; got != want {
			t.Errorf("%s: got %q, want %q", tc.name, got, want)
		}
		h := <-tc.be.headers
		if h.Version != 2 || h.Source.String() != local.String() || h.Destination.String() != rp.addr {
			t.Errorf("%s: header %v, want v2 %s -> %s", tc.name, h, local, rp.addr)
		}
		if auth, _ := h.TLVs.Authority(); string(auth) != strings.ToLower(tc.name) {
			t.Errorf("%s: AUTHORITY = %q, want %q", tc.name, auth, strings.ToLower(tc.name))
		}
	}
}

func TestUnknownSNIRefused(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com")
	a := startBackend(t, "A", srvCfg)
	rp := startProxy(t, "-route", "a.example.com="+a.addr())
	for _, name := range []string{"unknown.example.org", "example.com", ""} {
		if got, _, err := tlsGet(t, rp.addr, name, pool); err == nil {
			t.Errorf("%q: got %q, want refused", name, got)
		}
	}
	select {
	case h := <-a.headers:
		t.Errorf("backend got a connection: %v", h)
	default:
	}
	if !strings.Contains(rp.log.String(), "refused: no route") {
		t.Errorf("log lacks a refusal:\n%s", rp.log)
	}
}

// TestFragmentedHello sends a hello in 1-byte TLS records, one TCP write
// each, then data; the backend gets the exact bytes after the PROXY header.
func TestFragmentedHello(t *testing.T) {
	e := startBackend(t, "E", nil)
	rp := startProxy(t, "-route", "frag.example.com="+e.addr())
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "frag.example.com"})
	for _, size := range []int{1, 7, 1 << 14} {
		msg := append(tlstest.Records(tlstest.Message(hello), size), "after the hello"...)
		c, err := net.Dial("tcp", rp.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		for i := 0; i < len(msg); i += 97 { // many TCP writes
			if _, err := c.Write(msg[i:min(i+97, len(msg))]); err != nil {
				t.Fatal(err)
			}
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
			t.Errorf("records of %d: echoed %d bytes, err %v; equal %v", size, len(got), err, bytes.Equal(got, msg))
		}
		c.Close()
		if h := <-e.headers; string(must(h.TLVs.Authority())) != "frag.example.com" {
			t.Errorf("records of %d: header %v", size, h)
		}
	}
}

func must[T any](v T, _ bool) T { return v }

func isNil(_ int, err error) bool { return err == nil }

// TestSlowLoris: a client sending its hello a byte at a time is cut at the
// hello deadline; meanwhile others are served.
func TestSlowLoris(t *testing.T) {
	srvCfg, pool := testCert(t, "a.example.com")
	a := startBackend(t, "A", srvCfg)
	rp := startProxy(t, "-hello-timeout", "400ms", "-route", "a.example.com="+a.addr())
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "a.example.com"})
	slow, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() {
		for i := 0; i < 100 && i < len(hello); i++ {
			if _, err := slow.Write(hello[i : i+1]); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cut <- time.Since(start)
	}()
	for i := 0; i < 5; i++ {
		if got, _, err := tlsGet(t, rp.addr, "a.example.com", pool); err != nil || got != "hello from A\n" {
			t.Errorf("client %d beside a slow one: %q, %v", i, got, err)
		}
	}
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := slow.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("slow client: read %d, %v; want closed", n, err)
	}
	if d := time.Since(start); d < 350*time.Millisecond || d > 3*time.Second {
		t.Errorf("slow client cut after %v, want about 400ms", d)
	}
	slow.Close()
	<-cut
}

func TestBulkAndIdle(t *testing.T) {
	e := startBackend(t, "E", nil)
	rp := startProxy(t, "-idle-timeout", "300ms", "-route", "bulk.example.com="+e.addr())
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "bulk.example.com"})

	// 24 MiB both ways, paced so the transfer outlives the idle timeout.
	c, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	go func() {
		c.Write(hello)
		for i := 0; i < len(data); i += len(data) / 8 {
			c.Write(data[i : i+len(data)/8])
			time.Sleep(100 * time.Millisecond)
		}
		c.(*net.TCPConn).CloseWrite()
	}()
	h := sha256.New()
	n, err := io.Copy(h, c)
	want := sha256.Sum256(append(append([]byte{}, hello...), data...))
	if err != nil || n != int64(len(hello)+len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("bulk echo: %d bytes (want %d), err %v, sha equal %v", n, len(hello)+len(data), err, bytes.Equal(h.Sum(nil), want[:]))
	}

	// An idle session is closed after the idle timeout.
	c2, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write(hello)
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := io.ReadFull(c2, make([]byte, len(hello))); err != nil {
		t.Fatal(err)
	}
	if n, err := c2.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("idle session: read %d, %v; want closed", n, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("idle session closed after %v", d)
	}
}

// TestIdleAfterSlowHello: a hello that took longer than the idle timeout
// does not count as idleness; a session that keeps moving bytes either way
// stays open, and one that stops is closed within two idle periods.
func TestIdleAfterSlowHello(t *testing.T) {
	e := startBackend(t, "E", nil)
	rp := startProxy(t, "-idle-timeout", "500ms", "-hello-timeout", "3s", "-route", "slow.example.com="+e.addr())
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "slow.example.com"})
	c, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	c.Write(hello[:10])
	time.Sleep(1200 * time.Millisecond) // past the first idle deadline
	c.Write(hello[10:])
	if _, err := io.ReadFull(c, make([]byte, len(hello))); err != nil {
		t.Fatalf("echo of the hello: %v", err)
	}
	// Then a byte each way every 100ms for a second, two idle periods:
	// the session stays open (the margin is for a loaded machine).
	for i := 0; i < 10; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatalf("echo %d after %d00ms of traffic: %v", i, i+1, err)
		}
	}
	start := time.Now()
	if n, err := c.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("idle session: read %d, %v; want closed", n, err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Errorf("idle session closed %v after its last byte; want 500ms-1s", d)
	}
	for i := 0; !strings.Contains(rp.log.String(), "idle timeout"); i++ { // logged after the close
		if i == 100 {
			t.Fatalf("log does not say idle timeout:\n%s", rp.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestShutdownDrains(t *testing.T) {
	e := startBackend(t, "E", nil)
	rp := startProxy(t, "-drain-timeout", "5s", "-route", "d.example.com="+e.addr())
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "d.example.com"})
	c, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write(hello)
	if _, err := io.ReadFull(c, make([]byte, len(hello))); err != nil {
		t.Fatal(err)
	}
	rp.cancel()
	time.Sleep(200 * time.Millisecond)
	if c2, err := net.DialTimeout("tcp", rp.addr, time.Second); err == nil {
		c2.Close()
		t.Error("new connection accepted while draining")
	}
	// The open session still works, and run returns once it ends.
	c.Write([]byte("still here"))
	if b := make([]byte, 10); !isNil(io.ReadFull(c, b)) || string(b) != "still here" {
		t.Errorf("session during drain: %q", b)
	}
	select {
	case err := <-rp.done:
		t.Fatalf("run returned (%v) with a session open", err)
	default:
	}
	c.Close()
	select {
	case err := <-rp.done:
		if err != nil {
			t.Fatal(err)
		}
		close(rp.done)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after the last session")
	}
}

func TestShutdownDrainTimeout(t *testing.T) {
	e := startBackend(t, "E", nil)
	rp := startProxy(t, "-drain-timeout", "200ms", "-route", "d.example.com="+e.addr())
	c, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(tlstest.ClientHello(t, &tls.Config{ServerName: "d.example.com"}))
	<-e.headers
	start := time.Now()
	rp.stop(t)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stop took %v with a 200ms drain timeout", d)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("session after drain timeout: %v, want closed", err)
	}
}

// TestBaseline: goroutines and descriptors return to where they were after
// 1,000 connections.
func TestBaseline(t *testing.T) {
	e := startBackend(t, "E", nil)
	rp := startProxy(t, "-admin", "127.0.0.1:0", "-route", "n.example.com="+e.addr())
	hello := tlstest.ClientHello(t, &tls.Config{ServerName: "n.example.com"})
	one := func() error {
		c, err := net.Dial("tcp", rp.addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(hello); err != nil {
			return err
		}
		c.(*net.TCPConn).CloseWrite()
		n, err := io.Copy(io.Discard, c)
		if err == nil && n != int64(len(hello)) {
			err = fmt.Errorf("echoed %d bytes", n)
		}
		return err
	}
	if err := one(); err != nil { // warm up pools
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	g0, fd0 := runtime.NumGoroutine(), countFDs(t)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := 0; w < 20; w++ {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				if err := one(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var g, fd int
	for i := 0; i < 100; i++ {
		if g, fd = runtime.NumGoroutine(), countFDs(t); g <= g0 && fd <= fd0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if g > g0 || fd > fd0 {
		ents, _ := os.ReadDir("/proc/self/fd")
		var links []string
		for _, e := range ents {
			l, _ := os.Readlink("/proc/self/fd/" + e.Name())
			links = append(links, l)
		}
		t.Errorf("after 1,000 connections: %d goroutines (was %d), %d fds (was %d): %v", g, g0, fd, fd0, links)
	}
	// The proxy counts a session once its relay has ended, which can be a
	// moment after the client saw the close: read the metrics until they
	// settle, for at most five seconds.
	wants := []string{"sniproxy_connections_accepted_total 1001\n", "sniproxy_sessions_total 1001\n", "sniproxy_connections_active 0\n", "sniproxy_go_memory_held_bytes "}
	var body []byte
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + rp.admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if containsAll(string(body), wants) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestRouteFileAcceptProxy runs from a route file behind a load balancer:
// the client address the backend sees is the one the balancer reported.
func TestRouteFileAcceptProxy(t *testing.T) {
	srvCfg, pool := testCert(t, "app.example.com")
	a := startBackend(t, "A", srvCfg)
	cfg, err := os.ReadFile("testdata/edge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "edge.yaml")
	_, port, _ := net.SplitHostPort(a.addr())
	os.WriteFile(file, bytes.ReplaceAll(cfg, []byte("httpsPort: 1"), []byte("httpsPort: "+port)), 0o644)
	rp := startProxy(t, "-routes", file, "-accept-proxy", "127.0.0.0/8")

	lb, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	lb.SetDeadline(time.Now().Add(10 * time.Second))
	client := netip.MustParseAddrPort("203.0.113.7:40000")
	hdr := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: client, Destination: netip.MustParseAddrPort("198.51.100.1:443")}
	if _, err := hdr.WriteTo(lb); err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(lb, &tls.Config{ServerName: "app.example.com", RootCAs: pool})
	if line, err := bufio.NewReader(tc).ReadString('\n'); err != nil || line != "hello from A\n" {
		t.Fatalf("through the balancer: %q, %v; log:\n%s", line, err, rp.log)
	}
	h := <-a.headers
	if h.Source != client || h.Destination.String() != "198.51.100.1:443" {
		t.Errorf("backend saw %v, want the balancer's client %v", h, client)
	}
	if _, _, err := tlsGet(t, rp.addr, "app.example.com", pool); err == nil {
		t.Error("connection without a PROXY header from a trusted peer was served")
	}

	// A weighted split goes to the gateway, which splits; the log names
	// both backends.
	lb2, err := net.Dial("tcp", rp.addr)
	if err != nil {
		t.Fatal(err)
	}
	lb2.SetDeadline(time.Now().Add(10 * time.Second))
	hdr.WriteTo(lb2)
	tc = tls.Client(lb2, &tls.Config{ServerName: "canary.example.com", InsecureSkipVerify: true})
	if line, err := bufio.NewReader(tc).ReadString('\n'); err != nil || line != "hello from A\n" {
		t.Fatalf("split route: %q, %v; log:\n%s", line, err, rp.log)
	}
	lb2.Close()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(rp.log.String(), "sni=canary.example.com backend=app+app-next"); {
		if time.Now().After(deadline) {
			t.Fatalf("no session line naming both backends; log:\n%s", rp.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRouteFlagErrors: routes given as flags are validated like a route
// file, every problem with its field path.
func TestRouteFlagErrors(t *testing.T) {
	var log syncBuffer
	err := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-route", "bad host=127.0.0.1:1", "-route", "ok.example.com=nope"},
		&log, func(net.Addr, net.Addr) { t.Error("listening with invalid routes") })
	for _, want := range []string{`routes[0].hosts[0]: "bad host"`, `backends[1].servers[0].address: "nope"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run = %v; want an error with %s", err, want)
		}
	}
}
