package proxy_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/proxy"
)

// TestNothingLeftBehind runs 10,000 connections (1,000 with -short or the
// race detector) through each data path, a fifth of each kind: a normal
// session with a half-close, one reset by the client, one reset by the
// backend, a hello too slow, and a session closed for being idle. After
// Shutdown, the goroutines and the open descriptors (/proc/self/fd) are
// back to where they were, and every connection was counted once.
func TestNothingLeftBehind(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 10000
	if testing.Short() || raceEnabled {
		n = 1000
	}
	for _, portable := range []bool{false, true} {
		t.Run(fmt.Sprintf("portable=%v", portable), func(t *testing.T) { leakRun(t, n, portable) })
	}
}

// leakKinds are the kinds of connection, in turn.
const (
	kindNormal = iota
	kindClientReset
	kindServerReset
	kindSlowHello
	kindIdle
	leakKinds
)

func leakRun(t *testing.T, n int, portable bool) {
	echoHello := tlstest.ClientHello(t, &tls.Config{ServerName: "e.example.com"})
	resetHello := tlstest.ClientHello(t, &tls.Config{ServerName: "r.example.com"})
	g0, fd0 := runtime.NumGoroutine(), openFDs(t)

	// Two backends: an echo, and one that resets once it has the hello.
	var bwg sync.WaitGroup
	echo := leakBackend(t, &bwg, func(c *net.TCPConn) { io.Copy(c, c); c.CloseWrite(); io.Copy(io.Discard, c) })
	reset := leakBackend(t, &bwg, func(c *net.TCPConn) {
		io.ReadFull(c, make([]byte, len(resetHello)))
		c.SetLinger(0)
	})

	// Margins a loaded machine keeps: a hello must not be too slow, nor a
	// session waiting for its echo look idle.
	hello, idle := 500*time.Millisecond, 300*time.Millisecond
	srv := &proxy.Server{Portable: portable, HelloTimeout: hello, IdleTimeout: idle,
		Route: routes(map[string]proxy.Target{
			"e.example.com": {Addrs: []string{echo.Addr().String()}},
			"r.example.com": {Addrs: []string{reset.Addr().String()}},
		})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// A busy connection may fail only by a timeout on a loaded machine (a
	// hello read too late, a session waiting too long for its echo): the
	// failures are checked against the timeouts counted.
	var failed atomic.Int64
	var firstErr atomic.Value
	fail := func(kind int, err error) {
		failed.Add(1)
		firstErr.CompareAndSwap(nil, fmt.Sprintf("connection of kind %d: %v", kind, err))
	}
	// Two pools of clients: a few for the kinds that keep busy, many for
	// the slow hellos and idle sessions, which mostly wait.
	var busy, waiting atomic.Int64
	var wg sync.WaitGroup
	for w := range 450 {
		next, kinds := &busy, []int{kindNormal, kindClientReset, kindServerReset}
		if w >= 50 {
			next, kinds = &waiting, []int{kindSlowHello, kindIdle}
		}
		m := n / leakKinds * len(kinds)
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < m; i = int(next.Add(1)) - 1 {
				kind := kinds[i%len(kinds)]
				if err := leakConn(addr, kind, echoHello, resetHello); err != nil {
					fail(kind, err)
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; !errors.Is(err, proxy.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	echo.Close()
	reset.Close()
	bwg.Wait()

	s := srv.Stats()
	if s.Accepted != int64(n) || s.Active != 0 || s.Accepted != s.Sessions+s.RefusedHello+s.RefusedRoute+s.RefusedDial {
		t.Errorf("Stats = %+v; want %d connections, each counted once, none active", s, n)
	}
	want := int64(n / leakKinds)
	if s.RefusedHello+s.IdleClosed < 2*want {
		t.Errorf("Stats = %+v; want at least %d hellos refused or sessions closed idle", s, 2*want)
	}
	if f := failed.Load(); f > s.RefusedHello+s.IdleClosed-2*want {
		t.Errorf("%d connections failed, %d timed out beyond the slow and idle ones; first: %v",
			f, s.RefusedHello+s.IdleClosed-2*want, firstErr.Load())
	} else if f > 0 {
		t.Logf("%d busy connections timed out; first: %v", f, firstErr.Load())
	}
	var g, fds int
	if !waitFor(func() bool { g, fds = runtime.NumGoroutine(), openFDs(t); return g <= g0 && fds <= fd0 }) {
		buf := make([]byte, 1<<20)
		t.Errorf("after %d connections and Shutdown: %d goroutines (%d before), %d descriptors (%d before):\n%s",
			n, g, g0, fds, fd0, buf[:runtime.Stack(buf, true)])
	}
}

// leakConn runs one connection of a kind through the proxy at addr.
func leakConn(addr string, kind int, hello, resetHello []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	tc := c.(*net.TCPConn)
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(20 * time.Second))
	switch kind {
	case kindNormal, kindClientReset, kindIdle:
		if _, err := tc.Write(hello); err != nil {
			return err
		}
		if _, err := io.ReadFull(tc, make([]byte, len(hello))); err != nil {
			if kind == kindIdle && (err == io.EOF || errors.Is(err, syscall.ECONNRESET)) {
				return nil // closed by a timeout a little early: counted in the stats
			}
			return fmt.Errorf("echo: %w", err)
		}
		switch kind {
		case kindNormal:
			tc.CloseWrite()
			if n, err := tc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				return fmt.Errorf("after the half-close: read %d, %v; want EOF", n, err)
			}
		case kindClientReset:
			tc.SetLinger(0)
		case kindIdle: // the proxy closes it
			if n, err := tc.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("idle: read %d, %v; want closed", n, err)
			}
		}
	case kindServerReset:
		if _, err := tc.Write(resetHello); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, tc); errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("after the backend's reset: %w", err)
		}
	case kindSlowHello:
		if _, err := tc.Write(hello[:20]); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, tc); errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("slow hello: %w", err)
		}
	}
	return nil
}

// leakBackend serves each connection with serve, then closes it; wg counts
// its goroutines.
func leakBackend(t *testing.T, wg *sync.WaitGroup, serve func(*net.TCPConn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(c.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() { ln.Close() })
	return ln
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(e) - 1 // the directory read
}
