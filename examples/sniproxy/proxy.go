package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
)

const (
	copyBufSize = 16 << 10 // the small-copy buffer; two full reads in a row make a flow bulky
	spliceChunk = 4 << 20  // bytes per io.Copy call once a flow splices
)

// backend is a route's destination: static servers, picked round robin.
type backend struct {
	name    string
	servers []netip.AddrPort
	proxy   route.ProxyProtocol // header sent to the servers
	next    atomic.Uint32
}

func (b *backend) pick() netip.AddrPort {
	return b.servers[int(b.next.Add(1)-1)%len(b.servers)]
}

// proxy routes TLS connections by SNI to static backends.
type proxy struct {
	table    *route.Table
	backends map[string]*backend // by route name
	dialer   net.Dialer
	hello    time.Duration // ClientHello deadline
	idle     time.Duration // a session with no byte moving either way for this long (up to twice) ends
	log      *slog.Logger
	m        metrics

	slots   chan struct{} // one per allowed concurrent connection
	readers sync.Pool     // *bufio.Reader for the hello
	bufs    sync.Pool     // *[]byte of copyBufSize
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]struct{} // open client connections, closed when the drain times out
}

// metrics are the counters served on the admin address.
type metrics struct {
	accepted, active, sessions                atomic.Int64
	badHello, noRoute, dialErrors, idleClosed atomic.Int64
	bytesUp, bytesDown                        atomic.Int64
}

// serve accepts connections on ln until it is closed, at most cap(p.slots) at a time.
func (p *proxy) serve(ln net.Listener) error {
	for {
		p.slots <- struct{}{}
		c, err := ln.Accept()
		if err != nil {
			<-p.slots
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			p.log.Warn("accept", "err", err) // EMFILE and the like: back off briefly
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

// track adds c to the open connections or removes it.
func (p *proxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	p.mu.Unlock()
}

// closeAll closes every open client connection; their sessions then end.
func (p *proxy) closeAll() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

// peekConn reads the hello through a pooled bufio.Reader: one read syscall
// for a hello that arrived in one segment, where sni.Peek alone asks twice.
type peekConn struct {
	net.Conn
	r *bufio.Reader
}

func (c peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// session is one proxied connection.
type session struct {
	p         *proxy
	moved     atomic.Uint64 // bumped whenever bytes move either way
	up, down  atomic.Int64  // bytes client->server, server->client
	closeOnce sync.Once
}

func (p *proxy) handle(c net.Conn) {
	start := time.Now()
	p.m.accepted.Add(1)
	p.m.active.Add(1)
	p.track(c, true)
	defer func() {
		p.track(c, false)
		c.Close()
		p.m.active.Add(-1)
		<-p.slots
		p.wg.Done()
	}()

	r := p.readers.Get().(*bufio.Reader)
	r.Reset(c)
	release := func() {
		if r != nil {
			r.Reset(nil)
			p.readers.Put(r)
			r = nil
		}
	}
	defer release()
	hello, sc, err := sni.Peek(peekConn{c, r}, sni.PeekOptions{Timeout: p.hello})
	var nameBuf [256]byte
	name := hello.AppendServerName(nameBuf[:0])
	if err != nil {
		p.m.badHello.Add(1)
		p.done(start, c, name, nil, netip.AddrPort{}, nil, "bad hello", err)
		return
	}
	rt := p.table.MatchBytes(name)
	if rt == nil {
		p.m.noRoute.Add(1)
		p.done(start, c, name, nil, netip.AddrPort{}, nil, "no route", nil)
		return
	}
	be := p.backends[rt.Name]
	srv := be.pick()
	bc, err := p.dialer.DialTCP(context.Background(), "tcp", netip.AddrPort{}, srv)
	if err != nil {
		p.m.dialErrors.Add(1)
		p.done(start, c, name, be, srv, nil, "dial", err)
		return
	}
	defer bc.Close()

	// The PROXY header, the hello and whatever followed it, in one write.
	bp, src := p.bufs.Get().(*[]byte), c
	out, err := appendProxyHeader((*bp)[:0], be.proxy, c, name)
	if err == nil {
		out = append(out, sc.Buffered()...)
		extra, _ := r.Peek(r.Buffered())
		out = append(out, extra...)
		if pc, ok := c.(*proxyproto.Conn); ok { // bytes that came with the PROXY header
			out = append(out, pc.Buffered()...)
			src = pc.NetConn()
		}
		_, err = bc.Write(out)
	}
	p.bufs.Put(bp)
	release() // an idle session holds no buffer
	if err != nil {
		p.done(start, c, name, be, srv, nil, "write", err)
		return
	}

	s := &session{p: p}
	s.up.Store(int64(len(sc.Buffered()))) // counted as forwarded
	errc := make(chan error, 1)
	go func() { errc <- s.pump(bc, src, &s.up) }()
	err = s.pump(src, bc, &s.down)
	err = errors.Join(err, <-errc)
	p.m.bytesUp.Add(s.up.Load())
	p.m.bytesDown.Add(s.down.Load())
	p.m.sessions.Add(1)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		p.m.idleClosed.Add(1)
	}
	p.done(start, c, name, be, srv, s, "", err)
}

// appendProxyHeader appends the PROXY header for client connection c to b:
// v2 with the AUTHORITY TLV carrying the server name, v1, or nothing.
func appendProxyHeader(b []byte, v route.ProxyProtocol, c net.Conn, name []byte) ([]byte, error) {
	if v == route.ProxyNone {
		return b, nil
	}
	h := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: addrPort(c.RemoteAddr()), Destination: addrPort(c.LocalAddr())}
	if !h.Source.Addr().Is4() || !h.Destination.Addr().Is4() {
		h.Transport = proxyproto.TCP6
	}
	if v == route.ProxyV1 {
		h.Version = 1
	} else if len(name) > 0 {
		var tlv [260]byte
		h.TLVs, _ = proxyproto.AppendTLV(tlv[:0], proxyproto.TypeAuthority, name)
	}
	return h.Append(b)
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// done logs the end of a connection.
func (p *proxy) done(start time.Time, c net.Conn, name []byte, be *backend, srv netip.AddrPort, s *session, refused string, err error) {
	lvl := slog.LevelInfo
	if refused != "" {
		lvl = slog.LevelWarn
	}
	if !p.log.Enabled(context.Background(), lvl) {
		return
	}
	attrs := []slog.Attr{slog.String("client", c.RemoteAddr().String()), slog.String("sni", string(name))}
	if be != nil {
		attrs = append(attrs, slog.String("backend", be.name), slog.String("server", srv.String()))
	}
	if s != nil {
		attrs = append(attrs, slog.Int64("bytes_up", s.up.Load()), slog.Int64("bytes_down", s.down.Load()))
	}
	attrs = append(attrs, slog.Duration("duration", time.Since(start)))
	if err != nil {
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	msg := "session"
	if refused != "" {
		msg = "refused: " + refused
	}
	p.log.LogAttrs(context.Background(), lvl, msg, attrs...)
}

// pump copies src to dst until src ends, then half-closes dst. Small
// exchanges go through a pooled buffer taken only once src is readable, so an
// idle session holds no buffer and no pipe: two descriptors in all. After two
// full buffers in a row the flow is bulky and pump hands it to io.Copy, which
// splices between TCP sockets on Linux. A failure closes both connections.
func (s *session) pump(dst, src net.Conn, n *atomic.Int64) error {
	err := s.copy(dst, src, n)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			err = cw.CloseWrite()
		}
	}
	if err != nil {
		s.closeOnce.Do(func() { dst.Close(); src.Close() })
	}
	return err
}

func (s *session) copy(dst, src net.Conn, n *atomic.Int64) error {
	seen := s.moved.Load()
	s.deadline(dst, src)
	if tc, ok := src.(*net.TCPConn); ok {
		rc, err := tc.SyscallConn()
		if err != nil {
			return err
		}
		var buf *[]byte
		var nr int
		var rerr error
		read := func(fd uintptr) bool {
			b := s.p.bufs.Get().(*[]byte)
			for nr, rerr = syscall.Read(int(fd), *b); rerr == syscall.EINTR; {
				nr, rerr = syscall.Read(int(fd), *b)
			}
			if rerr == syscall.EAGAIN {
				s.p.bufs.Put(b)
				return false // wait until readable
			}
			buf = b
			return true
		}
		for full := 0; full < 2; {
			err := rc.Read(read)
			if err == nil && rerr != nil {
				err = os.NewSyscallError("read", rerr)
			}
			if err != nil || nr <= 0 {
				if buf != nil {
					s.p.bufs.Put(buf)
					buf = nil
				}
				if err == nil { // EOF
					return nil
				}
				if s.renew(err, &seen, dst, src) {
					continue
				}
				return err
			}
			err = s.write(dst, src, (*buf)[:nr], &seen)
			if nr == len(*buf) {
				full++
			} else {
				full = 0
			}
			n.Add(int64(nr))
			s.p.bufs.Put(buf)
			buf = nil
			if err != nil {
				return err
			}
		}
	}
	lr := io.LimitedReader{R: src}
	for {
		lr.N = spliceChunk
		m, err := io.Copy(dst, &lr)
		n.Add(m)
		if m > 0 {
			s.moved.Add(1)
		}
		if err == nil && lr.N > 0 {
			return nil // EOF
		}
		if err != nil && !s.renew(err, &seen, dst, src) {
			return err
		}
	}
}

func (s *session) write(dst, src net.Conn, b []byte, seen *uint64) error {
	s.moved.Add(1)
	for len(b) > 0 {
		n, err := dst.Write(b)
		b = b[n:]
		if n > 0 {
			s.moved.Add(1)
		}
		if err != nil && !s.renew(err, seen, dst, src) {
			return err
		}
	}
	return nil
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
// since the last one (in either direction); it then sets a new deadline.
func (s *session) renew(err error, seen *uint64, dst, src net.Conn) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if m := s.moved.Load(); m != *seen {
		*seen = m
		s.deadline(dst, src)
		return true
	}
	return false
}
