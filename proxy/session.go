package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/drawbridge-go/drawbridge/proxyproto"
	"github.com/drawbridge-go/drawbridge/sni"
)

var (
	// errIdle is the error logged for a session closed for being idle.
	errIdle = errors.New("idle timeout")
	// errNoAddr refuses a target without addresses.
	errNoAddr = errors.New("proxy: the target has no address")
)

// session is a client connection and, once dialed, its target's.
type session struct {
	srv            *Server
	c              net.Conn // as accepted; nil while a loop reads the hello
	raddr, laddr   net.Addr // the client's addresses, when c is nil
	bc             net.Conn // the target's, once dialed (set under srv.mu)
	start          time.Time
	name           string       // the hello's server name, for the log
	target, addr   string       // the target's name and the address dialed
	fail           string       // why the connection was refused, or ""
	ended          atomic.Int32 // pumps that ended
	up, down       atomic.Int64 // bytes written to the target (PROXY header and hello included), and back
	errUp, errDown error
	idle           atomic.Bool // closed for being idle
}

// serve reads the hello, picks the target, connects to it, sends the PROXY
// header and the hello, and starts a pump each way; or refuses the
// connection.
func (ss *session) serve() {
	s := ss.srv
	buf := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(buf) // an idle session holds no buffer
	var idle time.Time    // the first idle deadline, on both connections
	if d := s.idleTimeout(); d > 0 {
		idle = ss.start.Add(d)
	}
	hello, pc, err := sni.Peek(ss.c, sni.PeekOptions{Timeout: s.HelloTimeout, MaxSize: s.MaxHelloSize,
		Buffer: *buf, ReadAhead: true, RestoreDeadline: idle})
	if err != nil {
		ss.refuse("bad hello", err, &s.stats.refusedHello)
		return
	}
	ss.name = hello.ServerName() // the session keeps it for the log
	var t Target
	ok := false
	if s.Route != nil {
		t, ok = s.Route(&hello)
	}
	if !ok {
		ss.refuse("no route", nil, &s.stats.refusedRoute)
		return
	}
	ss.target = t.Name
	src, pre := ss.c, pc.Buffered() // src unwrapped, so that io.Copy splices
	var pre2 []byte
	if c, ok := ss.c.(*proxyproto.Conn); ok { // bytes that came with the PROXY header
		pre2, src = c.Buffered(), c.NetConn()
	}
	ss.relay(t, src, pre, pre2)
}

// relay connects to t, sends the PROXY header, pre and pre2 (the hello and
// what followed it) in one write, and copies both ways; or refuses the
// connection.
func (ss *session) relay(t Target, src net.Conn, pre, pre2 []byte) {
	s := ss.srv
	var idle time.Time // the first idle deadline
	if d := s.idleTimeout(); d > 0 {
		idle = ss.start.Add(d)
	}
	out := s.bufs.Get().(*[]byte)
	b, err := ss.header((*out)[:0], t.Proxy)
	b = append(append(b, pre...), pre2...)
	// b is still in out unless the header and the bytes read ahead
	// overflowed it.
	if err == nil && !s.Portable && len(b) <= len(*out) && s.dialInLoop(ss, t.Addrs, src, out, len(b)) {
		return // the loop owns out
	}
	defer s.bufs.Put(out)
	if err != nil {
		ss.refuse("header", err, &s.stats.refusedRoute)
		return
	}
	bc, err := ss.dial(t.Addrs)
	if err != nil {
		ss.refuse("dial", err, &s.stats.refusedDial)
		return
	}
	s.mu.Lock()
	ss.bc = bc
	killed := s.killed
	s.mu.Unlock()
	if killed {
		bc.Close() // the write below fails
	}
	if !idle.IsZero() {
		err = bc.SetReadDeadline(idle)
	}
	if err == nil {
		var n int
		n, err = bc.Write(b)
		ss.up.Store(int64(n))
	}
	if err != nil {
		ss.errUp = err
		ss.finish()
		return
	}
	if !s.Portable && s.handoff(ss, src, bc) {
		return
	}
	go ss.pump(bc, src, &ss.up, &ss.errUp)
	go ss.pump(src, bc, &ss.down, &ss.errDown)
}

// dial connects to the first of addrs that accepts.
func (ss *session) dial(addrs []string) (net.Conn, error) {
	s := ss.srv
	err := errNoAddr
	for _, a := range addrs {
		ss.addr = a
		var c net.Conn
		// Not DialTCP: it binds even a zero local address, slow under
		// TIME_WAIT pressure.
		if c, err = s.dialer.DialContext(s.dialCtx, "tcp", a); err == nil {
			return c, nil
		}
		if s.Logger != nil {
			s.Logger.Debug("proxy: dial", "sni", ss.name, "backend", ss.target, "server", a, "err", err)
		}
	}
	return nil, err
}

// header appends the PROXY header of version v for the client connection
// to b: v2 carries the server name in an AUTHORITY TLV.
func (ss *session) header(b []byte, v uint8) ([]byte, error) {
	if v == 0 {
		return b, nil
	}
	h := proxyproto.FromAddrs(ss.remote(), ss.local())
	switch v {
	case 1:
		h.Version = 1
		return h.AppendBinary(b)
	case 2:
		if ss.name == "" {
			return h.AppendBinary(b)
		}
		// The TLVs go where the header will, the header after them; then
		// the header moves into place.
		tlvs, err := proxyproto.AppendTLV(b[len(b):], proxyproto.TypeAuthority, []byte(ss.name))
		if err != nil {
			return b, err
		}
		h.TLVs = tlvs
		w, err := h.AppendBinary(tlvs[len(tlvs):])
		if err != nil {
			return b, err
		}
		return append(b, w...), nil
	}
	return b, fmt.Errorf("proxy: PROXY protocol version %d", v)
}

// refuse ends a connection that is not relayed.
func (ss *session) refuse(why string, err error, n *atomic.Int64) {
	ss.fail, ss.errUp = why, err
	n.Add(1)
	ss.finish()
}

// pump copies src to dst, then half-closes dst unless the other pump ended
// too; the last one finishes the session, and a failure closes both
// connections.
func (ss *session) pump(dst, src net.Conn, n *atomic.Int64, errp *error) {
	if *errp = ss.copy(dst, src, n); *errp != nil {
		src.Close()
		dst.Close()
	}
	if ss.ended.Add(1) == 2 {
		ss.finish()
	} else if cw, ok := dst.(interface{ CloseWrite() error }); ok && *errp == nil {
		cw.CloseWrite()
	}
}

// copy copies src to dst until src ends, adding the bytes written to n.
// Small exchanges go through a pooled buffer taken only once src is
// readable where the system allows (see reader), so that an idle session
// holds no buffer and no pipe (two descriptors in all). After two full
// buffers in a row, io.Copy splices between TCP connections, 4 MiB at a time
// so that n shows progress to the idle check.
func (ss *session) copy(dst, src net.Conn, n *atomic.Int64) error {
	s := ss.srv
	var rd reader
	rd.init(src, &s.bufs)
	seen := int64(-1) // the first deadline only extends: it may pass during a slow hello
	for full := 0; full < 2; {
		buf, r, err := rd.read()
		if err != nil {
			if err == io.EOF {
				return nil
			} else if ss.busy(src, &seen, err) {
				continue
			}
			return err
		}
		w, err := dst.Write((*buf)[:r])
		s.bufs.Put(buf)
		n.Add(int64(w))
		if err != nil {
			return err
		}
		if full++; r < bufSize {
			full = 0
		}
	}
	for lr := (io.LimitedReader{R: src}); ; {
		lr.N = 4 << 20
		w, err := io.Copy(dst, &lr) // *net.TCPConn.ReadFrom splices
		if n.Add(w); err == nil && lr.N > 0 || err != nil && !ss.busy(src, &seen, err) {
			return err
		}
	}
}

// busy reports whether err is src's idle deadline passing while the
// session moved bytes either way since *seen, and then extends the
// deadline. So an idle session ends one to two idle periods after its last
// byte.
func (ss *session) busy(src net.Conn, seen *int64, err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	} else if m := ss.up.Load() + ss.down.Load(); m != *seen {
		*seen = m
		return src.SetReadDeadline(time.Now().Add(ss.srv.idleTimeout())) == nil
	}
	ss.idle.Store(true)
	return false
}

// finish closes the session's connections, counts and logs it.
func (ss *session) finish() {
	s := ss.srv
	if ss.c != nil {
		ss.c.Close()
	}
	if ss.bc != nil {
		ss.bc.Close()
	}
	err := errors.Join(ss.errUp, ss.errDown)
	if ss.idle.Load() {
		err = errIdle
		s.stats.idleClosed.Add(1)
	}
	lvl, msg := slog.LevelInfo, "session"
	if ss.fail != "" {
		lvl, msg = slog.LevelWarn, "refused: "+ss.fail
	} else {
		s.stats.sessions.Add(1)
		s.stats.up.Add(ss.up.Load())
		s.stats.down.Add(ss.down.Load())
	}
	if log := s.Logger; log != nil && log.Enabled(context.Background(), lvl) {
		log.LogAttrs(context.Background(), lvl, msg, slog.String("client", addrString(ss.remote())),
			slog.String("sni", ss.name), slog.String("backend", ss.target), slog.String("server", ss.addr),
			slog.Int64("bytes_up", ss.up.Load()), slog.Int64("bytes_down", ss.down.Load()),
			slog.Duration("duration", time.Since(ss.start)), slog.Any("err", err))
	}
	s.untrack(ss)
}

// remote returns the client's address.
func (ss *session) remote() net.Addr {
	if ss.raddr != nil {
		return ss.raddr
	}
	return ss.c.RemoteAddr()
}

// local returns the address the client connected to.
func (ss *session) local() net.Addr {
	if ss.laddr != nil {
		return ss.laddr
	}
	return ss.c.LocalAddr()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort().String()
	}
	return a.String()
}
