//go:build unix

package proxyproto_test

import (
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	pires "github.com/pires/go-proxyproto"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// readyListener is an inner listener whose Accept hands out connections
// that were created, and written to, before the timer started.
type readyListener struct {
	conns chan net.Conn
	done  chan struct{}
}

func newReadyListener(n int) *readyListener {
	return &readyListener{conns: make(chan net.Conn, n), done: make(chan struct{})}
}

func (r *readyListener) Accept() (net.Conn, error) {
	select {
	case c := <-r.conns:
		return c, nil
	case <-r.done:
		return nil, net.ErrClosed
	}
}

func (r *readyListener) Close() error {
	select {
	case <-r.done:
	default:
		close(r.done)
	}
	return nil
}

func (r *readyListener) Addr() net.Addr { return &net.UnixAddr{Name: "ready", Net: "unix"} }

// SetDeadline lets the Listener take its direct path; every header here is
// complete, so no wake-up is ever needed.
func (r *readyListener) SetDeadline(time.Time) error { return nil }

// socketPair returns a connected pair of UNIX stream sockets: the client
// end as a file descriptor, the server end as a net.Conn.
func socketPair(b *testing.B) (int, net.Conn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[1]), "server")
	s, err := net.FileConn(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	return fds[0], s
}

// BenchmarkListenerAccept isolates the listener's own work from dialling:
// socket pairs are created and their client ends write a v2 header and 5
// bytes with the timer stopped, in batches; the timed part is handing the
// server ends to the inner listener (a buffered channel, so that a listener
// that accepts in the background cannot work while the timer is stopped),
// then Accept, Read of the 5 bytes and RemoteAddr (both ends are closed
// with the timer stopped). "raw" is the baseline (the header is read as
// data); the listener overhead is the difference. The peers are UNIX
// sockets, so the drawbridge Listener gets a Policy that requires a header
// from everyone.
func BenchmarkListenerAccept(b *testing.B) {
	hdr, err := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: netip.MustParseAddrPort("192.0.2.1:51234"), Destination: netip.MustParseAddrPort("198.51.100.2:443")}.AppendBinary(nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := append(hdr, "hello"...)
	const batch = 500
	for _, kind := range []string{"raw", "drawbridge", "pires"} {
		b.Run(kind, func(b *testing.B) {
			ready := newReadyListener(batch)
			var l net.Listener = ready
			want := len(msg)
			switch kind {
			case "drawbridge":
				l = &proxyproto.Listener{Listener: ready, Policy: func(netip.AddrPort) proxyproto.Verdict { return proxyproto.Require }}
				want = 5
			case "pires":
				l = &pires.Listener{Listener: ready}
				want = 5
			}
			defer l.Close()
			buf := make([]byte, 64)
			clients := make([]int, 0, batch)
			pending := make([]net.Conn, 0, batch)
			servers := make([]net.Conn, 0, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; {
				b.StopTimer()
				n := min(batch, b.N-i)
				for range n {
					c, s := socketPair(b)
					if _, err := syscall.Write(c, msg); err != nil {
						b.Fatal(err)
					}
					clients = append(clients, c)
					pending = append(pending, s)
				}
				b.StartTimer()
				for _, s := range pending {
					ready.conns <- s
				}
				for range n {
					s, err := l.Accept()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(s, buf[:want]); err != nil {
						b.Fatal(err)
					}
					_ = s.RemoteAddr()
					servers = append(servers, s)
				}
				b.StopTimer()
				for j, c := range clients {
					servers[j].Close()
					syscall.Close(c)
				}
				clients, servers, pending = clients[:0], servers[:0], pending[:0]
				i += n
				b.StartTimer()
			}
		})
	}
}
