package proxyproto_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func v2Header(t testing.TB, src string) []byte {
	t.Helper()
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: netip.MustParseAddrPort(src), Destination: netip.MustParseAddrPort("198.51.100.2:443")}
	b, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newListener starts a Listener on a loopback port; it is closed at cleanup.
func newListener(t *testing.T, l *proxyproto.Listener) *proxyproto.Listener {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Listener = inner
	if l.Policy == nil && l.Trusted == nil {
		l.Trusted = loopback
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", l.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type acceptResult struct {
	c   net.Conn
	err error
}

func acceptAsync(l net.Listener) <-chan acceptResult {
	ch := make(chan acceptResult, 1)
	go func() {
		c, err := l.Accept()
		ch <- acceptResult{c, err}
	}()
	return ch
}

// noAccept fails t if Accept has returned; why says when that was wrong.
func noAccept(t *testing.T, ch <-chan acceptResult, why string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("Accept returned %v, %v %s", r.c, r.err, why)
	default:
	}
}

func waitAccept(t *testing.T, ch <-chan acceptResult, within time.Duration) net.Conn {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Accept: %v", r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c
	case <-time.After(within):
		t.Fatalf("Accept did not return within %v", within)
	}
	return nil
}

// checkGoroutines fails t if the goroutine count does not come back to base.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, want <= %d\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestListenerBasic(t *testing.T) {
	l := newListener(t, &proxyproto.Listener{})
	c := dial(t, l)
	payload := bytes.Repeat([]byte("ClientHello!"), 2000) // arrives with the header
	if _, err := c.Write(append(v2Header(t, "192.0.2.1:51234"), payload...)); err != nil {
		t.Fatal(err)
	}
	s := waitAccept(t, acceptAsync(l), 2*time.Second)
	if got := s.RemoteAddr().String(); got != "192.0.2.1:51234" {
		t.Errorf("RemoteAddr() = %s; want 192.0.2.1:51234", got)
	}
	if got := s.LocalAddr().String(); got != "198.51.100.2:443" {
		t.Errorf("LocalAddr() = %s; want 198.51.100.2:443", got)
	}
	if _, ok := s.RemoteAddr().(*net.TCPAddr); !ok {
		t.Errorf("RemoteAddr() is %T; want *net.TCPAddr", s.RemoteAddr())
	}
	got := make([]byte, len(payload))
	s.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("payload after header: err %v, equal %v", err, bytes.Equal(got, payload))
	}
	h, ok := s.(*proxyproto.Conn).Header()
	if !ok || h.Command != proxyproto.Proxy {
		t.Errorf("Header() = %v, %v", h, ok)
	}
}

// TestListenerSlowPeersDoNotStall: a silent peer and a 1-byte-a-tick peer
// connect first; a good peer connected after them is accepted at once. The
// slow ones are closed at the header deadline and no goroutine is left.
func TestListenerSlowPeersDoNotStall(t *testing.T) {
	base := runtime.NumGoroutine()
	l := newListener(t, &proxyproto.Listener{HeaderTimeout: 600 * time.Millisecond})
	silent := dial(t, l)
	loris := dial(t, l)
	hdr := v2Header(t, "192.0.2.9:1000")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < len(hdr)-1; i++ {
			if _, err := loris.Write(hdr[i : i+1]); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	good := dial(t, l)
	start := time.Now()
	ch := acceptAsync(l)
	good.Write(append(v2Header(t, "192.0.2.1:1"), "hi"...))
	s := waitAccept(t, ch, 2*time.Second)
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("good peer accepted after %v", d)
	}
	if s.RemoteAddr().String() != "192.0.2.1:1" {
		t.Errorf("accepted %v; want the good peer", s.RemoteAddr())
	}
	for _, c := range []net.Conn{silent, loris} {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || isTimeoutErr(err) {
			t.Errorf("slow peer read: %v; want the connection closed by the listener", err)
		}
	}
	close(stop)
	wg.Wait()
	s.Close()
	l.Close()
	checkGoroutines(t, base)
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestListenerSplitHeader: a header in many pieces within the deadline is
// accepted; the deadline used for it does not stay on the connection.
func TestListenerSplitHeader(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.reads == nil {
			continue
		}
		t.Run(v.file, func(t *testing.T) {
			l := newListener(t, &proxyproto.Listener{HeaderTimeout: 400 * time.Millisecond})
			c := dial(t, l)
			ch := acceptAsync(l)
			data := v.data
			for _, n := range v.reads {
				if n < 0 || n > len(data) {
					n = len(data)
				}
				c.Write(data[:n])
				data = data[n:]
				time.Sleep(10 * time.Millisecond)
			}
			s := waitAccept(t, ch, 2*time.Second)
			time.Sleep(500 * time.Millisecond) // past the header deadline
			want := v.data[v.headerLen:]
			c.Write([]byte("late"))
			want = append(append([]byte(nil), want...), "late"...)
			got := make([]byte, len(want))
			s.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, want) {
				t.Errorf("read %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestListenerDeadlinesSurvive: the application's deadline is its own.
func TestListenerDeadlinesSurvive(t *testing.T) {
	l := newListener(t, &proxyproto.Listener{HeaderTimeout: 5 * time.Second})
	c := dial(t, l)
	c.Write(v2Header(t, "192.0.2.1:1"))
	s := waitAccept(t, acceptAsync(l), 2*time.Second)
	s.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	start := time.Now()
	_, err := s.Read(make([]byte, 1))
	if !isTimeoutErr(err) || time.Since(start) > 2*time.Second {
		t.Errorf("Read with a 100ms deadline: %v after %v; want a timeout", err, time.Since(start))
	}
}

// TestListenerRejects: untrusted peers, bad headers, missing headers and
// Validate refusals are closed and never surface from Accept.
func TestListenerRejects(t *testing.T) {
	cases := []struct {
		name string
		l    *proxyproto.Listener
		send []byte
	}{
		{"untrusted", &proxyproto.Listener{Policy: func(netip.AddrPort) proxyproto.Verdict { return proxyproto.Reject }}, nil},
		{"no-header", &proxyproto.Listener{}, []byte("GET / HTTP/1.1\r\n\r\n")},
		{"bad-header", &proxyproto.Listener{}, []byte("PROXY TCP4 1.2.3.04 1.2.3.4 1 2\r\n")},
		{"bad-crc", &proxyproto.Listener{}, mustRead(t, "testdata/v2-crc32c-bad.bin")},
		{"too-big", &proxyproto.Listener{MaxHeaderSize: 100}, mustRead(t, "testdata/v2-len-4000-noop.bin")},
		{"validate", &proxyproto.Listener{Validate: func(netip.AddrPort, proxyproto.Header) error { return errors.New("no") }}, v2Header(t, "192.0.2.1:1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newListener(t, tc.l)
			ch := acceptAsync(l)
			bad := dial(t, l)
			bad.Write(tc.send)
			bad.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := bad.Read(make([]byte, 1)); err == nil || isTimeoutErr(err) {
				t.Errorf("rejected peer read: %v; want closed", err)
			}
			noAccept(t, ch, "for a rejected peer")
			if tc.name == "untrusted" || tc.name == "validate" {
				return
			}
			good := dial(t, l)
			good.Write(v2Header(t, "192.0.2.1:1"))
			waitAccept(t, ch, 2*time.Second)
		})
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	v, err := readFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestListenerPolicies: Skip passes bytes through with the transport
// address; Optional uses a header when there is one.
func TestListenerPolicies(t *testing.T) {
	for _, tc := range []struct {
		verdict proxyproto.Verdict
		send    string
		remote  string // "" means the transport's
		read    string
	}{
		{proxyproto.Skip, "PROXY UNKNOWN\r\nhello", "", "PROXY UNKNOWN\r\nhello"},
		{proxyproto.Optional, "hello", "", "hello"},
		{proxyproto.Optional, "PROXY TCP4 192.0.2.1 192.0.2.2 10 20\r\nhello", "192.0.2.1:10", "hello"},
		{proxyproto.Require, "PROXY UNKNOWN\r\nhello", "", "hello"},
	} {
		t.Run(tc.verdict.String()+"/"+tc.remote, func(t *testing.T) {
			l := newListener(t, &proxyproto.Listener{Policy: func(netip.AddrPort) proxyproto.Verdict { return tc.verdict }})
			c := dial(t, l)
			c.Write([]byte(tc.send))
			s := waitAccept(t, acceptAsync(l), 2*time.Second)
			want := tc.remote
			if want == "" {
				want = c.LocalAddr().String()
			}
			if got := s.RemoteAddr().String(); got != want {
				t.Errorf("RemoteAddr() = %s; want %s", got, want)
			}
			got := make([]byte, len(tc.read))
			s.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.ReadFull(s, got); err != nil || string(got) != tc.read {
				t.Errorf("read %q, %v; want %q", got, err, tc.read)
			}
		})
	}
}

func TestListenerConfig(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &proxyproto.Listener{Listener: inner}
	if _, err := l.Accept(); err == nil || !strings.Contains(err.Error(), "Trusted or Policy") {
		t.Errorf("Accept without Trusted or Policy: %v", err)
	}
	l.Close()
	l2 := &proxyproto.Listener{Listener: inner, Trusted: loopback, Policy: proxyproto.Trust(loopback...)}
	if err := l2.Check(); err == nil {
		t.Errorf("Check with Trusted and Policy: nil error")
	}
}

// TestListenerHTTPServer: http.Server calls RemoteAddr from ConnContext and
// ConnState in its Serve goroutine. A silent peer and a peer sending garbage
// must neither stall another client nor make Serve return.
func TestListenerHTTPServer(t *testing.T) {
	base := runtime.NumGoroutine()
	l := newListener(t, &proxyproto.Listener{HeaderTimeout: 2 * time.Second})
	var mu sync.Mutex
	var seen []string
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.RemoteAddr)
		}),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			_ = c.RemoteAddr().String()
			return ctx
		},
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				seen = append(seen, c.RemoteAddr().String())
				mu.Unlock()
			}
		},
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	silent := dial(t, l)
	garbage := dial(t, l)
	garbage.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	time.Sleep(50 * time.Millisecond)

	start := time.Now()
	c := dial(t, l)
	c.Write(v2Header(t, "203.0.113.7:40000"))
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("served after %v; a silent peer stalled the server", d)
	}
	if !bytes.HasSuffix(resp, []byte("203.0.113.7:40000")) {
		t.Errorf("response %q; want the PROXY source as RemoteAddr", resp)
	}
	mu.Lock()
	if len(seen) != 1 || seen[0] != "203.0.113.7:40000" {
		t.Errorf("ConnState saw %v; want [203.0.113.7:40000]", seen)
	}
	mu.Unlock()
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v", err)
	default:
	}
	silent.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	garbage.Close()
	c.Close()
	checkGoroutines(t, base)
}

// TestListenerInnerClosed: closing the inner listener directly ends Accept
// for good instead of blocking it.
func TestListenerInnerClosed(t *testing.T) {
	l := newListener(t, &proxyproto.Listener{})
	ch := acceptAsync(l)
	time.Sleep(20 * time.Millisecond)
	l.Listener.Close()
	for range 2 {
		select {
		case r := <-ch:
			if !errors.Is(r.err, net.ErrClosed) {
				t.Fatalf("Accept after inner Close: %v", r.err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Accept blocked after the inner listener was closed")
		}
		ch = acceptAsync(l)
	}
}

// noDeadline hides the inner listener's SetDeadline, which makes the
// Listener use its background accept goroutine.
type noDeadline struct{ net.Listener }

// innerKinds runs f with a *net.TCPListener and with a listener that lacks
// SetDeadline.
func innerKinds(t *testing.T, f func(t *testing.T, hide bool)) {
	for _, hide := range []bool{false, true} {
		name := "tcp"
		if hide {
			name = "no-setdeadline"
		}
		t.Run(name, func(t *testing.T) { f(t, hide) })
	}
}

// newListenerKind is newListener with the inner listener optionally
// stripped of SetDeadline.
func newListenerKind(t *testing.T, l *proxyproto.Listener, hide bool) *proxyproto.Listener {
	t.Helper()
	newListener(t, l)
	if hide {
		l.Listener = noDeadline{l.Listener}
	}
	return l
}

// TestListenerWakeUp: Accept is blocked and no other connection arrives;
// a peer whose header comes in two parts is still returned as soon as the
// header is complete.
func TestListenerWakeUp(t *testing.T) {
	innerKinds(t, func(t *testing.T, hide bool) {
		base := runtime.NumGoroutine()
		l := newListenerKind(t, &proxyproto.Listener{HeaderTimeout: 10 * time.Second}, hide)
		ch := acceptAsync(l)
		hdr := v2Header(t, "192.0.2.1:7")
		c := dial(t, l)
		c.Write(hdr[:5])
		time.Sleep(100 * time.Millisecond) // Accept is back in the inner Accept
		noAccept(t, ch, "before the header was complete")
		start := time.Now()
		c.Write(append(hdr[5:], "hi"...))
		s := waitAccept(t, ch, 2*time.Second)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("slow peer delivered %v after its header completed", d)
		}
		if got := s.RemoteAddr().String(); got != "192.0.2.1:7" {
			t.Errorf("RemoteAddr() = %s", got)
		}
		got := make([]byte, 2)
		s.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadFull(s, got); err != nil || string(got) != "hi" {
			t.Errorf("read %q, %v; want hi", got, err)
		}
		// The wake-up leaves no deadline behind: Accept keeps blocking
		// until the next connection, then returns it.
		ch = acceptAsync(l)
		time.Sleep(100 * time.Millisecond)
		noAccept(t, ch, "with no connection")
		c2 := dial(t, l)
		c2.Write(v2Header(t, "192.0.2.1:8"))
		if s := waitAccept(t, ch, 2*time.Second); s.RemoteAddr().String() != "192.0.2.1:8" {
			t.Errorf("RemoteAddr() = %s", s.RemoteAddr())
		}
		s.Close()
		c.Close()
		c2.Close()
		l.Close()
		checkGoroutines(t, base)
	})
}

// TestListenerConcurrentAccept: several goroutines call Accept while peers
// send headers whole or in pieces; every good peer is returned exactly once
// with its own address and bytes, and the rejected ones never surface.
func TestListenerConcurrentAccept(t *testing.T) {
	innerKinds(t, func(t *testing.T, hide bool) {
		base := runtime.NumGoroutine()
		l := newListenerKind(t, &proxyproto.Listener{HeaderTimeout: 5 * time.Second,
			Validate: func(_ netip.AddrPort, h proxyproto.Header) error {
				if h.Source.Port() >= 1000 {
					return errors.New("refused")
				}
				return nil
			}}, hide)
		const accepters, peers, refused = 4, 40, 5
		got := make(chan string, peers)
		var wg sync.WaitGroup
		for range accepters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					s, err := l.Accept()
					if err != nil {
						if !errors.Is(err, net.ErrClosed) {
							t.Errorf("Accept: %v", err)
						}
						return
					}
					buf := make([]byte, 8)
					s.SetReadDeadline(time.Now().Add(5 * time.Second))
					if _, err := io.ReadFull(s, buf); err != nil {
						t.Errorf("read: %v", err)
					}
					got <- s.RemoteAddr().String() + " " + string(buf)
					s.Close()
				}
			}()
		}
		msgs := make([][]byte, peers+refused)
		for i := range msgs {
			port := i
			if i >= peers {
				port = 1000 + i
			}
			msgs[i] = append(v2Header(t, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(port)).String()),
				fmt.Sprintf("peer%04d", port)...)
		}
		var peersWG sync.WaitGroup
		for i, msg := range msgs {
			peersWG.Add(1)
			go func() {
				defer peersWG.Done()
				c, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				if i%2 == 1 { // in pieces: the header completes in a slow goroutine
					for _, part := range [][]byte{msg[:3], msg[3:17], msg[17:]} {
						c.Write(part)
						time.Sleep(time.Duration(10+i) * time.Millisecond)
					}
				} else {
					c.Write(msg)
				}
				io.Copy(io.Discard, c) // until the listener's side closes
			}()
		}
		seen := map[string]bool{}
		timeout := time.After(10 * time.Second)
		for len(seen) < peers {
			select {
			case s := <-got:
				if seen[s] {
					t.Errorf("returned twice: %s", s)
				}
				seen[s] = true
			case <-timeout:
				t.Fatalf("accepted %d of %d peers", len(seen), peers)
			}
		}
		for i := range peers {
			if want := fmt.Sprintf("192.0.2.1:%d peer%04d", i, i); !seen[want] {
				t.Errorf("missing %q", want)
			}
		}
		peersWG.Wait()
		l.Close()
		wg.Wait()
		select {
		case s := <-got:
			t.Errorf("refused peer returned: %s", s)
		default:
		}
		checkGoroutines(t, base)
	})
}

// TestListenerCloseWakesAccept: Close makes a blocked Accept, and every
// later one, return an error wrapping net.ErrClosed; the connections still
// being read and those ready but never accepted are closed, and no
// goroutine is left.
func TestListenerCloseWakesAccept(t *testing.T) {
	innerKinds(t, func(t *testing.T, hide bool) {
		base := runtime.NumGoroutine()
		l := newListenerKind(t, &proxyproto.Listener{HeaderTimeout: 10 * time.Second}, hide)
		ch := acceptAsync(l)
		hdr := v2Header(t, "192.0.2.1:9")
		partial := dial(t, l)
		partial.Write(hdr[:10]) // still being read at Close
		time.Sleep(100 * time.Millisecond)
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case r := <-ch:
			if r.err == nil || !errors.Is(r.err, net.ErrClosed) {
				t.Errorf("blocked Accept after Close: %v, %v", r.c, r.err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not wake a blocked Accept")
		}
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v", err)
		}
		partial.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := partial.Read(make([]byte, 1)); err == nil || isTimeoutErr(err) {
			t.Errorf("pending peer read after Close: %v; want closed", err)
		}
		checkGoroutines(t, base)
	})
}

// TestListenerCloseQueued: a slow connection that finished while nobody
// called Accept is closed by Close.
func TestListenerCloseQueued(t *testing.T) {
	base := runtime.NumGoroutine()
	l := newListener(t, &proxyproto.Listener{HeaderTimeout: 10 * time.Second})
	hdr := v2Header(t, "192.0.2.1:9")
	first := dial(t, l)
	first.Write(hdr[:10])
	ch := acceptAsync(l)
	second := dial(t, l)
	second.Write(hdr)
	waitAccept(t, ch, 2*time.Second).Close() // first is left to a slow goroutine
	first.Write(hdr[10:])
	time.Sleep(100 * time.Millisecond) // first is ready, nobody accepts it
	l.Close()
	first.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := first.Read(make([]byte, 1)); err == nil || isTimeoutErr(err) {
		t.Errorf("queued peer read after Close: %v; want closed", err)
	}
	checkGoroutines(t, base)
}

// TestListenerStrayDeadline: a deadline left on the inner listener does not
// turn into Accept errors or a busy loop; the Listener clears it.
func TestListenerStrayDeadline(t *testing.T) {
	l := newListener(t, &proxyproto.Listener{})
	tl := l.Listener.(*net.TCPListener)
	tl.SetDeadline(time.Now().Add(-time.Second))
	ch := acceptAsync(l)
	time.Sleep(50 * time.Millisecond)
	tl.SetDeadline(time.Now().Add(-time.Second)) // set again while Accept waits
	time.Sleep(50 * time.Millisecond)
	noAccept(t, ch, "")
	c := dial(t, l)
	c.Write(v2Header(t, "192.0.2.1:1"))
	waitAccept(t, ch, 2*time.Second)
}
