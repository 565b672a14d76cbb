package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
)

// backend is where a route goes: servers ("ip:port") picked round robin,
// and the PROXY header they expect.
type backend struct {
	name    string
	servers []string
	proxy   route.ProxyProtocol
	next    atomic.Uint32
}

// proxy routes TLS connections by SNI.
type proxy struct {
	table       *route.Table
	backends    map[string]*backend // by route name
	dialer      net.Dialer
	hello, idle time.Duration // the ClientHello deadline; idle sessions end after idle (up to twice)
	log         *slog.Logger
	slots       chan struct{} // one per allowed concurrent connection
	work        chan net.Conn // to idle workers
	readers     sync.Pool     // *bufio.Reader for hellos
	bufs        sync.Pool     // *[]byte of copyBuf bytes
	wg          sync.WaitGroup
	mu          sync.Mutex
	conns       map[net.Conn]struct{} // open client connections, closed when the drain times out
	m           struct{ accepted, active, sessions, idleClosed, badHello, noRoute, dialErr, up, down atomic.Int64 }
}

const copyBuf = 16 << 10 // two full reads in a row make a flow bulky: it is then spliced

// serve accepts connections until ln is closed, at most cap(p.slots) at a
// time, and hands them to workers: goroutines that read the hello and
// connect, then wait a second for the next connection, keeping their stacks.
func (p *proxy) serve(ln net.Listener) error {
	defer close(p.work)
	for {
		p.slots <- struct{}{}
		c, err := ln.Accept()
		if err != nil {
			if <-p.slots; errors.Is(err, net.ErrClosed) {
				return nil
			}
			p.log.Warn("accept", "err", err) // EMFILE and the like: back off
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.wg.Add(1)
		select {
		case p.work <- c:
		default:
			go p.worker(c)
		}
	}
}

func (p *proxy) worker(c net.Conn) {
	t := time.NewTimer(time.Second)
	for ok := true; ok; {
		p.start(c)
		t.Reset(time.Second)
		select {
		case c, ok = <-p.work:
		case <-t.C:
			return
		}
	}
}

// peekConn reads through a pooled bufio.Reader: one read syscall for a
// hello that came in one segment, where sni.Peek alone reads twice.
type peekConn struct {
	net.Conn
	r *bufio.Reader
}

func (c peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// session is a client connection and, once dialed, its server's.
type session struct {
	p                   *proxy
	c, bc               net.Conn
	start               time.Time
	name, be, srv, fail string        // for the log; fail says why a connection was refused
	moved               atomic.Uint64 // bumped whenever bytes move either way
	ended               atomic.Int32  // pumps that ended
	up, down            atomic.Int64  // bytes to the server (PROXY header and hello included), and back
	errUp, errDown      error
}

// start reads the hello, finds the route, connects to a server, sends the
// PROXY header and the hello in one write and starts a pump each way.
func (p *proxy) start(c net.Conn) {
	p.m.accepted.Add(1)
	p.m.active.Add(1)
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	s := &session{p: p, c: c, start: time.Now()}
	r := p.readers.Get().(*bufio.Reader)
	r.Reset(c)
	defer func() { r.Reset(nil); p.readers.Put(r) }() // an idle session holds no buffer
	hello, sc, err := sni.Peek(peekConn{c, r}, sni.PeekOptions{Timeout: p.hello})
	name := hello.AppendServerName(make([]byte, 0, 256))
	if p.log.Enabled(context.Background(), slog.LevelInfo) {
		s.name = string(name)
	}
	rt := p.table.MatchBytes(name)
	switch {
	case err != nil:
		s.fail, s.errUp = "bad hello", err
		p.m.badHello.Add(1)
	case rt == nil:
		s.fail = "no route"
		p.m.noRoute.Add(1)
	default:
		be := p.backends[rt.Name]
		s.be, s.srv = be.name, be.servers[int(be.next.Add(1)-1)%len(be.servers)]
		// DialContext, not DialTCP: DialTCP binds even a zero local address,
		// and the kernel then searches a port under TIME_WAIT pressure.
		if s.bc, err = p.dialer.DialContext(context.Background(), "tcp", s.srv); err != nil {
			s.fail, s.errUp = "dial", err
			p.m.dialErr.Add(1)
			break
		}
		src, bp := c, p.bufs.Get().(*[]byte)
		defer p.bufs.Put(bp)
		out, err := appendProxyHeader((*bp)[:0], be.proxy, c, name)
		extra, _ := r.Peek(r.Buffered())
		out = append(append(out, sc.Buffered()...), extra...)
		if pc, ok := c.(*proxyproto.Conn); ok { // bytes that came with the PROXY header
			out, src = append(out, pc.Buffered()...), pc.NetConn()
		}
		if err == nil {
			_, err = s.bc.Write(out)
		}
		if s.up.Store(int64(len(out))); err == nil {
			go s.pump(s.bc, src, &s.up, &s.errUp)
			go s.pump(src, s.bc, &s.down, &s.errDown)
			return
		}
		s.errUp = err
	}
	s.finish()
}

// appendProxyHeader appends the PROXY header for client connection c to b:
// v2 with the AUTHORITY TLV carrying the server name, v1, or nothing.
func appendProxyHeader(b []byte, v route.ProxyProtocol, c net.Conn, name []byte) ([]byte, error) {
	src, ok1 := c.RemoteAddr().(*net.TCPAddr)
	dst, ok2 := c.LocalAddr().(*net.TCPAddr)
	if v == route.ProxyNone || !ok1 || !ok2 {
		return b, nil
	}
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP6,
		Source: src.AddrPort(), Destination: dst.AddrPort()}
	if h.Source.Addr().Unmap().Is4() && h.Destination.Addr().Unmap().Is4() {
		h.Transport = proxyproto.TCP4
	}
	if v == route.ProxyV1 {
		h.Version = 1
	} else if len(name) > 0 {
		h.TLVs, _ = proxyproto.AppendTLV(make([]byte, 0, 260), proxyproto.TypeAuthority, name)
	}
	return h.Append(b)
}

// pump copies src to dst until src ends, then half-closes dst unless the
// other pump ended too; the last one finishes the session, and a failure
// closes both connections. Small exchanges go through a pooled buffer taken
// only once src is readable, so an idle session holds no buffer and no pipe:
// two descriptors in all. After two full buffers in a row, io.Copy splices.
func (s *session) pump(dst, src net.Conn, n *atomic.Int64, errp *error) {
	if *errp = s.copy(dst, src, n); *errp != nil {
		s.c.Close()
		s.bc.Close()
	}
	last := s.ended.Add(1) == 2
	if cw, ok := dst.(*net.TCPConn); ok && *errp == nil && !last {
		cw.CloseWrite()
	}
	if last {
		s.finish()
	}
}

func (s *session) copy(dst, src net.Conn, total *atomic.Int64) error {
	seen := s.moved.Load()
	s.deadline(dst, src)
	if tc, ok := src.(*net.TCPConn); ok {
		rc, err := tc.SyscallConn()
		var buf *[]byte
		var n int
		var rerr error
		read := func(fd uintptr) bool {
			b := s.p.bufs.Get().(*[]byte)
			for n, rerr = syscall.Read(int(fd), *b); rerr == syscall.EINTR; {
				n, rerr = syscall.Read(int(fd), *b)
			}
			if rerr == syscall.EAGAIN {
				s.p.bufs.Put(b)
				return false // wait until readable, holding nothing
			}
			buf = b
			return true
		}
		for full := 0; full < 2 && err == nil; {
			if err = rc.Read(read); err == nil && rerr != nil {
				err = os.NewSyscallError("read", rerr)
			}
			if err == nil && n > 0 {
				total.Add(int64(n))
				if full++; n < len(*buf) {
					full = 0
				}
				for b := (*buf)[:n]; len(b) > 0 && err == nil; {
					var m int
					m, err = dst.Write(b)
					if b = b[m:]; m > 0 {
						s.moved.Add(1)
					}
					if s.renew(&err, &seen, dst, src) {
						err = nil
					}
				}
			} else if err == nil {
				return nil // EOF
			}
			if buf != nil {
				s.p.bufs.Put(buf)
				buf = nil
			}
			if s.renew(&err, &seen, dst, src) {
				err = nil
			}
		}
		if err != nil {
			return err
		}
	}
	for lr := (io.LimitedReader{R: src}); ; {
		lr.N = 4 << 20
		n, err := io.Copy(dst, &lr) // *net.TCPConn.ReadFrom splices
		if total.Add(n); n > 0 {
			s.moved.Add(1)
		}
		if err == nil && lr.N > 0 {
			return nil // EOF
		} else if err != nil && !s.renew(&err, &seen, dst, src) {
			return err
		}
	}
}

// deadline sets the idle deadline for reading src and writing dst.
func (s *session) deadline(dst, src net.Conn) {
	if s.p.idle > 0 {
		t := time.Now().Add(s.p.idle)
		src.SetReadDeadline(t)
		dst.SetWriteDeadline(t)
	}
}

// renew reports whether *err is an expired idle deadline while bytes moved
// (either way) since the last one; it then sets a new deadline.
func (s *session) renew(err *error, seen *uint64, dst, src net.Conn) bool {
	if m := s.moved.Load(); *err != nil && m != *seen && errors.Is(*err, os.ErrDeadlineExceeded) {
		*seen = m
		s.deadline(dst, src)
		return true
	}
	return false
}

// finish closes the session's connections, counts and logs it.
func (s *session) finish() {
	p, lvl, msg, err := s.p, slog.LevelInfo, "session", errors.Join(s.errUp, s.errDown)
	if s.c.Close(); s.fail != "" {
		lvl, msg = slog.LevelWarn, "refused: "+s.fail
	} else if s.bc.Close(); p.m.sessions.Add(1) > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		p.m.idleClosed.Add(1)
	}
	if p.log.Enabled(context.Background(), lvl) {
		p.log.LogAttrs(context.Background(), lvl, msg, slog.String("client", s.c.RemoteAddr().String()),
			slog.String("sni", s.name), slog.String("backend", s.be), slog.String("server", s.srv),
			slog.Int64("bytes_up", s.up.Load()), slog.Int64("bytes_down", s.down.Load()),
			slog.Duration("duration", time.Since(s.start)), slog.Any("err", err))
	}
	p.mu.Lock()
	delete(p.conns, s.c)
	p.mu.Unlock()
	p.m.up.Add(s.up.Load())
	p.m.down.Add(s.down.Load())
	p.m.active.Add(-1)
	<-p.slots
	p.wg.Done()
}
