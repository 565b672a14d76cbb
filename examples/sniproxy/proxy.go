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

// backend is where a route goes: servers picked round robin, and the PROXY
// header they expect.
type backend struct {
	name    string
	servers []string // resolved "ip:port"
	proxy   route.ProxyProtocol
	next    atomic.Uint32
}

// proxy routes TLS connections by SNI.
type proxy struct {
	table    *route.Table
	backends map[string]*backend // by route name
	dialer   net.Dialer
	hello    time.Duration // ClientHello deadline
	idle     time.Duration // sessions with no byte moving for this long (up to twice) end
	log      *slog.Logger
	slots    chan struct{}         // one per allowed concurrent connection
	work     chan net.Conn         // to idle workers
	readers  sync.Pool             // *bufio.Reader for hellos
	bufs     sync.Pool             // *[]byte, the small-copy buffers
	wg       sync.WaitGroup        // open connections
	mu       sync.Mutex            // guards conns
	conns    map[net.Conn]struct{} // open client connections, closed when the drain times out
	m        struct{ accepted, active, sessions, idleClosed, badHello, noRoute, dialErr, up, down atomic.Int64 }
}

const copyBuf = 16 << 10 // two full reads in a row make a flow bulky: it is then spliced

// serve accepts connections until ln is closed, at most cap(p.slots) at a
// time, and hands them to workers: goroutines that read the hello and
// connect, then wait for the next connection, keeping their grown stacks.
func (p *proxy) serve(ln net.Listener) error {
	defer close(p.work)
	for {
		p.slots <- struct{}{}
		c, err := ln.Accept()
		if err != nil {
			<-p.slots
			if errors.Is(err, net.ErrClosed) {
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

// peekConn reads the hello through a pooled bufio.Reader: one read
// syscall for a hello in one segment, where sni.Peek alone reads twice.
type peekConn struct {
	net.Conn
	r *bufio.Reader
}

func (c peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// session is one connection from a client, and its server's once dialed.
type session struct {
	p              *proxy
	c, bc          net.Conn
	start          time.Time
	name, srv, be  string        // for the log
	moved          atomic.Uint64 // bumped whenever bytes move either way
	ended          atomic.Int32
	up, down       atomic.Int64 // bytes client to server (PROXY header and hello included), and back
	errUp, errDown error
	refused        string
}

// start reads the hello, routes it, connects to a server, sends it the
// PROXY header and the hello in one write, then starts the two pumps.
func (p *proxy) start(c net.Conn) {
	p.m.accepted.Add(1)
	p.m.active.Add(1)
	s := &session{p: p, c: c, start: time.Now()}
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	r := p.readers.Get().(*bufio.Reader)
	r.Reset(c)
	hello, sc, err := sni.Peek(peekConn{c, r}, sni.PeekOptions{Timeout: p.hello})
	var nameBuf [256]byte
	name := hello.AppendServerName(nameBuf[:0])
	if p.log.Enabled(context.Background(), slog.LevelInfo) {
		s.name = string(name)
	}
	var be *backend
	if err != nil {
		s.refused, s.errUp = "bad hello", err
		p.m.badHello.Add(1)
	} else if rt := p.table.MatchBytes(name); rt == nil {
		s.refused = "no route"
		p.m.noRoute.Add(1)
	} else {
		be = p.backends[rt.Name]
		s.be, s.srv = be.name, be.servers[int(be.next.Add(1)-1)%len(be.servers)]
		// DialContext, not DialTCP: DialTCP binds even a zero local address,
		// and the kernel then searches a port under TIME_WAIT pressure.
		if s.bc, err = p.dialer.DialContext(context.Background(), "tcp", s.srv); err != nil {
			s.refused, s.errUp = "dial", err
			p.m.dialErr.Add(1)
		}
	}
	if s.refused != "" {
		r.Reset(nil)
		p.readers.Put(r)
		s.finish()
		return
	}
	src, bp := c, p.bufs.Get().(*[]byte)
	out, err := appendProxyHeader((*bp)[:0], be.proxy, c, name)
	out = append(out, sc.Buffered()...)
	extra, _ := r.Peek(r.Buffered())
	out = append(out, extra...)
	if pc, ok := c.(*proxyproto.Conn); ok { // bytes that came with the PROXY header
		out = append(out, pc.Buffered()...)
		src = pc.NetConn()
	}
	if err == nil {
		_, err = s.bc.Write(out)
	}
	s.up.Add(int64(len(out)))
	p.bufs.Put(bp)
	r.Reset(nil)
	p.readers.Put(r) // an idle session holds no buffer
	if err != nil {
		s.errUp = err
		s.ended.Store(1)
		s.finish()
		return
	}
	go s.pump(s.bc, src, &s.up, &s.errUp)
	go s.pump(src, s.bc, &s.down, &s.errDown)
}

// appendProxyHeader appends the PROXY header for client connection c to b:
// v2 with the AUTHORITY TLV carrying the server name, v1, or nothing.
func appendProxyHeader(b []byte, v route.ProxyProtocol, c net.Conn, name []byte) ([]byte, error) {
	if v == route.ProxyNone {
		return b, nil
	}
	src, _ := c.RemoteAddr().(*net.TCPAddr)
	dst, _ := c.LocalAddr().(*net.TCPAddr)
	if src == nil || dst == nil {
		return b, errors.New("PROXY header: not a TCP connection")
	}
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP6,
		Source: src.AddrPort(), Destination: dst.AddrPort()}
	if h.Source.Addr().Unmap().Is4() && h.Destination.Addr().Unmap().Is4() {
		h.Transport = proxyproto.TCP4
	}
	if v == route.ProxyV1 {
		h.Version = 1
	} else if len(name) > 0 {
		var tlv [260]byte
		h.TLVs, _ = proxyproto.AppendTLV(tlv[:0], proxyproto.TypeAuthority, name)
	}
	return h.Append(b)
}

// pump copies src to dst until src ends, then half-closes dst unless the
// other pump has ended too; the last one to end finishes the session. Small
// exchanges go through a pooled buffer taken only once src is readable, so an
// idle session holds no buffer and no pipe: two descriptors in all. After two
// full buffers in a row, io.Copy splices the flow between the sockets.
func (s *session) pump(dst, src net.Conn, total *atomic.Int64, errp *error) {
	err := s.copy(dst, src, total)
	if *errp = err; err != nil {
		s.c.Close()
		s.bc.Close()
	}
	last := s.ended.Add(1) == 2
	if cw, ok := dst.(interface{ CloseWrite() error }); ok && err == nil && !last && cw.CloseWrite() != nil {
		s.c.Close()
		s.bc.Close()
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
		if err != nil {
			return err
		}
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
				return false // wait until readable
			}
			buf = b
			return true
		}
		for full := 0; full < 2; {
			if err := rc.Read(read); err != nil || rerr != nil || n == 0 {
				if buf != nil {
					s.p.bufs.Put(buf)
					buf = nil
				}
				if err == nil && rerr != nil {
					err = os.NewSyscallError("read", rerr)
				} else if err == nil {
					return nil // EOF
				}
				if s.renew(err, &seen, dst, src) {
					continue
				}
				return err
			}
			if full++; n < len(*buf) {
				full = 0
			}
			total.Add(int64(n))
			for b := (*buf)[:n]; len(b) > 0 && err == nil; {
				var m int
				m, err = dst.Write(b)
				if b = b[m:]; m > 0 {
					s.moved.Add(1)
				}
				if err != nil && s.renew(err, &seen, dst, src) {
					err = nil
				}
			}
			s.p.bufs.Put(buf)
			if buf = nil; err != nil {
				return err
			}
		}
	}
	lr := io.LimitedReader{R: src}
	for {
		lr.N = 4 << 20
		n, err := io.Copy(dst, &lr) // *net.TCPConn.ReadFrom: splice
		total.Add(n)
		if n > 0 {
			s.moved.Add(1)
		}
		if err == nil && lr.N > 0 {
			return nil // EOF
		} else if err != nil && !s.renew(err, &seen, dst, src) {
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

// renew reports whether err is an expired idle deadline while bytes moved
// (either way) since the last one; it then sets a new deadline.
func (s *session) renew(err error, seen *uint64, dst, src net.Conn) bool {
	if m := s.moved.Load(); m != *seen && errors.Is(err, os.ErrDeadlineExceeded) {
		*seen = m
		s.deadline(dst, src)
		return true
	}
	return false
}

// finish closes the session's connections, counts and logs it.
func (s *session) finish() {
	p := s.p
	s.c.Close()
	if s.bc != nil {
		s.bc.Close()
		p.m.sessions.Add(1)
	}
	p.m.up.Add(s.up.Load())
	p.m.down.Add(s.down.Load())
	err := errors.Join(s.errUp, s.errDown)
	if errors.Is(err, os.ErrDeadlineExceeded) && s.refused == "" {
		p.m.idleClosed.Add(1)
	}
	lvl, msg := slog.LevelInfo, "session"
	if s.refused != "" {
		lvl, msg = slog.LevelWarn, "refused: "+s.refused
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
	p.m.active.Add(-1)
	<-p.slots
	p.wg.Done()
}
