package proxyproto

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Verdict says what a [Listener] expects from a peer.
type Verdict uint8

const (
	// Require means the peer must start with a valid PROXY header; a
	// connection without one is closed. Use it for trusted proxies only.
	Require Verdict = iota
	// Optional means a header is used when the first bytes carry a
	// signature, and the connection is passed on unchanged otherwise. The
	// spec forbids guessing (section 5); keep it for migrations, from
	// trusted peers only.
	Optional
	// Skip means no header is expected: nothing is read, every byte reaches
	// the application and RemoteAddr is the peer's. A header sent anyway is
	// application data, which the application protocol rejects.
	Skip
	// Reject means the connection is closed at once, without reading.
	Reject
)

// String returns "require", "optional", "skip" or "reject".
func (v Verdict) String() string {
	switch v {
	case Require:
		return "require"
	case Optional:
		return "optional"
	case Skip:
		return "skip"
	case Reject:
		return "reject"
	}
	return "verdict(" + string(rune('0'+v)) + ")"
}

// Policy decides, from the peer's transport address, what a [Listener]
// expects from it. The address is the zero AddrPort for non-IP peers (UNIX
// sockets); IPv4-mapped addresses are unmapped.
type Policy func(peer netip.AddrPort) Verdict

// Trust returns a Policy that requires a header from peers in prefixes and
// rejects everyone else (the spec's section 5: "accepting the header only
// from a number of known sources should be safe").
func Trust(prefixes ...netip.Prefix) Policy {
	ps := make([]netip.Prefix, len(prefixes))
	for i, p := range prefixes {
		ps[i] = p.Masked()
	}
	return func(peer netip.AddrPort) Verdict {
		a := peer.Addr()
		for _, p := range ps {
			if p.Contains(a) {
				return Require
			}
		}
		return Reject
	}
}

// Defaults for the [Listener] fields left zero.
const (
	DefaultHeaderTimeout = 5 * time.Second
	DefaultMaxHeaderSize = 16 << 10
)

// Listener wraps a net.Listener whose peers send a PROXY header first.
// Configure it with a struct literal and use it as a net.Listener:
//
//	ln := &proxyproto.Listener{
//		Listener: inner,
//		Trusted:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
//	}
//	http.Serve(ln, handler)
//
// # Never stalled by a slow peer
//
// Accept never waits on a peer. It accepts from the inner listener in the
// caller's goroutine and reads the header with one non-blocking read (the
// sender writes the header at once, so it is normally there already); a
// connection whose header is complete is returned directly, with no
// goroutine and no channel involved. A connection whose header is not
// complete yet is finished by a goroutine of its own under
// [Listener.HeaderTimeout] while Accept goes on with the next connection;
// once its header is complete, the next Accept call returns it. So a silent
// or 1-byte-a-second peer delays nobody else, and RemoteAddr and LocalAddr
// never block, even when http.Server calls them from its Serve goroutine
// (ConnState, ConnContext).
//
// A connection that is rejected by the policy, sends a bad header, fails
// Validate or times out is closed and logged; Accept never returns an error
// for it, so it can never end http.Server.Serve. Accept returns the inner
// listener's errors as they are, and an error wrapping [net.ErrClosed] after
// Close. Accept may be called from several goroutines at once.
//
// # The inner listener's deadline
//
// When the inner listener has a SetDeadline(time.Time) error method, as
// *net.TCPListener and *net.UnixListener do, the Listener owns that
// deadline: it clears it at the first Accept or Close, and a goroutine that
// finishes a slow header sets it in the past to wake an Accept blocked in
// the inner Accept, which clears it again and returns the connection. Do not
// set it yourself; a timeout it causes is absorbed by Accept and cleared. Such
// a SetDeadline must make a blocked Accept return an error whose Timeout
// method reports true, as the net package's listeners do.
//
// Inner listeners without SetDeadline (wrappers such as a connection
// limiter) are served by a background goroutine instead: it accepts and
// reads headers the same way and hands each ready connection to Accept over
// a channel, which costs a goroutine switch per connection.
//
// # Deadlines and buffered bytes
//
// The header deadline is cleared before the connection is handed out, so the
// deadlines the application sets are its own. Bytes that arrived with the
// header are replayed by Read first.
//
// Close closes the inner listener, every connection still being read and
// every finished connection not yet returned by Accept, wakes blocked Accept
// calls, and waits for the listener's goroutines to end.
type Listener struct {
	// Listener is the listener to wrap. Required. Its deadline, if it has
	// one, belongs to the Listener (see above).
	Listener net.Listener
	// Trusted lists the peers that must send a header; all others are
	// rejected. It is used when Policy is nil; setting both is an error.
	Trusted []netip.Prefix
	// Policy decides per peer; nil means Trust(Trusted...).
	Policy Policy
	// HeaderTimeout bounds the time from accept to a complete header,
	// however it is split. Zero means DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// MaxHeaderSize bounds the header length in bytes (v1 lines are at most
	// 107 anyway). Zero means DefaultMaxHeaderSize.
	MaxHeaderSize int
	// Validate, when set, vets each decoded header; an error closes the
	// connection.
	Validate func(peer netip.AddrPort, h Header) error
	// Logger receives one record per refused connection (Debug for policy
	// rejects, Warn for bad headers from trusted peers). Nil means no
	// logging.
	Logger *slog.Logger

	once    sync.Once
	cfgErr  error
	policy  Policy
	timeout time.Duration
	maxSize int
	wake    deadliner // the inner listener's deadline; nil in background mode
	done    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pending map[*Conn]struct{} // headers being read by slow goroutines

	// Direct mode (wake != nil), under mu. The invariant kept at every
	// unlock is kicked == (len(queue) > 0 && waiters > 0): whenever a
	// finished connection waits while some Accept is in the inner Accept,
	// the inner deadline is in the past, so that Accept returns (or will
	// return at once) and takes it.
	queue   []*Conn // finished by slow goroutines, not yet returned
	waiters int     // Accept calls between their queue check and the inner Accept's return
	kicked  bool    // the inner deadline is set in the past

	// Background mode (wake == nil).
	ready   chan accepted
	stopped chan struct{} // closed when the accept goroutine has returned
}

var _ net.Listener = (*Listener)(nil)

// deadliner is the part of *net.TCPListener and *net.UnixListener that
// lets a slow goroutine wake a blocked Accept.
type deadliner interface {
	SetDeadline(t time.Time) error
}

// longAgo is the deadline that wakes a blocked Accept.
var longAgo = time.Unix(1, 0)

type accepted struct {
	c   *Conn
	err error
}

// nbPool holds nonblockReaders with their read function already bound, so
// that a non-blocking read allocates nothing beyond the runtime's RawConn,
// whichever goroutine calls Accept.
var nbPool = sync.Pool{New: func() any {
	r := new(nonblockReader)
	r.init()
	return r
}}

// Check reports a configuration error: no inner listener, neither Trusted
// nor Policy, or both.
func (l *Listener) Check() error {
	switch {
	case l.Listener == nil:
		return errors.New("proxyproto: Listener.Listener is nil")
	case l.Policy == nil && len(l.Trusted) == 0:
		return errors.New("proxyproto: Listener needs Trusted or Policy")
	case l.Policy != nil && len(l.Trusted) > 0:
		return errors.New("proxyproto: Listener has both Trusted and Policy; put the prefixes in the Policy")
	case l.HeaderTimeout < 0 || l.MaxHeaderSize < 0:
		return errors.New("proxyproto: negative HeaderTimeout or MaxHeaderSize")
	}
	return nil
}

func (l *Listener) start() {
	if l.cfgErr = l.Check(); l.cfgErr != nil {
		return
	}
	l.policy = l.Policy
	if l.policy == nil {
		l.policy = Trust(l.Trusted...)
	}
	l.timeout = l.HeaderTimeout
	if l.timeout == 0 {
		l.timeout = DefaultHeaderTimeout
	}
	l.maxSize = l.MaxHeaderSize
	if l.maxSize == 0 {
		l.maxSize = DefaultMaxHeaderSize
	}
	l.done = make(chan struct{})
	l.pending = make(map[*Conn]struct{})
	if d, ok := l.Listener.(deadliner); ok {
		l.wake = d
		_ = d.SetDeadline(time.Time{}) // ours from now on
		return
	}
	l.ready = make(chan accepted)
	l.stopped = make(chan struct{})
	l.wg.Add(1)
	go l.acceptLoop()
}

// Accept returns the next connection whose header is complete and valid (or
// that its Verdict exempts from sending one). It returns the inner
// listener's errors, and an error wrapping net.ErrClosed after Close.
func (l *Listener) Accept() (net.Conn, error) {
	l.once.Do(l.start)
	if l.cfgErr != nil {
		return nil, l.cfgErr
	}
	if l.wake == nil {
		return l.acceptBackground()
	}
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, l.errClosed()
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			l.syncDeadline(false)
			l.mu.Unlock()
			return c, nil
		}
		l.waiters++
		l.mu.Unlock()

		raw, err := l.Listener.Accept()

		l.mu.Lock()
		l.waiters--
		timeout := err != nil && isTimeout(err)
		if timeout || l.kicked {
			l.syncDeadline(timeout)
		}
		closed := l.closed
		l.mu.Unlock()
		switch {
		case closed:
			if raw != nil {
				_ = raw.Close()
			}
			return nil, l.errClosed()
		case timeout:
			continue // woken: a slow connection is ready, or a stray deadline
		case err != nil:
			return nil, err
		}
		if c := l.handle(raw); c != nil {
			return c, nil
		}
	}
}

// syncDeadline restores the invariant on kicked; l.mu is held. With force,
// the deadline is written even when kicked says it is right already, which
// clears a deadline set by someone else.
func (l *Listener) syncDeadline(force bool) {
	want := len(l.queue) > 0 && l.waiters > 0
	if want == l.kicked && !force {
		return
	}
	var t time.Time
	if want {
		t = longAgo
	}
	if l.wake.SetDeadline(t) == nil {
		l.kicked = want
	}
}

func (l *Listener) errClosed() error {
	return &net.OpError{Op: "accept", Net: l.Listener.Addr().Network(), Addr: l.Listener.Addr(), Err: net.ErrClosed}
}

func (l *Listener) acceptBackground() (net.Conn, error) {
	select {
	case a := <-l.ready:
		if a.err != nil {
			return nil, a.err
		}
		return a.c, nil
	case <-l.stopped:
		return nil, l.errClosed()
	case <-l.done:
		return nil, l.errClosed()
	}
}

// Close closes the inner listener, the connections whose header is still
// being read and those ready but not yet returned by Accept, then waits for
// the listener's goroutines to end. Blocked Accept calls return an error
// wrapping net.ErrClosed.
func (l *Listener) Close() error {
	l.once.Do(l.start)
	if l.cfgErr != nil {
		if l.Listener != nil {
			return l.Listener.Close()
		}
		return l.cfgErr
	}
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.done)
		for c := range l.pending {
			_ = c.raw.Close()
		}
		for _, c := range l.queue {
			_ = c.raw.Close()
		}
		l.queue = nil
	}
	l.mu.Unlock()
	err := l.Listener.Close()
	l.wg.Wait()
	return err
}

// Addr returns the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.Listener.Addr() }

// acceptLoop is the background mode's accept goroutine.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	defer close(l.stopped)
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				select {
				case <-l.done:
					return
				default:
				}
			}
			select {
			case l.ready <- accepted{err: err}:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if c := l.handle(raw); c != nil {
			l.deliver(c)
		}
	}
}

func peerOf(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// handle runs the policy on a freshly accepted connection and reads what
// the socket already holds, never waiting on the peer. It returns the
// connection when it is ready to be handed out; nil means it was closed or
// is left to a slow goroutine.
func (l *Listener) handle(raw net.Conn) *Conn {
	c := &Conn{raw: raw}
	c.peer = peerOf(raw.RemoteAddr())
	c.verdict = l.policy(c.peer)
	switch c.verdict {
	case Reject:
		l.logf(slog.LevelDebug, "proxyproto: peer rejected by policy", c, nil)
		_ = raw.Close()
		return nil
	case Skip:
		c.setAddrs()
		return c
	}
	c.buf = c.small[:0]
	r := nbPool.Get().(*nonblockReader)
	n := r.read(raw, c.small[:])
	nbPool.Put(r)
	if n > 0 {
		c.buf = c.small[:n]
		if done, err := l.step(c); done {
			if l.check(c, err) {
				return c
			}
			return nil
		}
	}
	c.accepted = time.Now()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = raw.Close()
		return nil
	}
	l.pending[c] = struct{}{}
	l.wg.Add(1)
	l.mu.Unlock()
	go l.slow(c)
	return nil
}

// step decodes what c has read so far; done is false when more bytes are
// needed and may come.
func (l *Listener) step(c *Conn) (done bool, err error) {
	c.hdr = Header{}
	n, p := decode(&c.hdr, c.buf)
	switch {
	case p.code == pOK:
		c.hasHdr, c.rest = true, c.buf[n:]
		return true, nil
	case p.code == pNotProxy && c.verdict == Optional:
		c.rest = c.buf
		return true, nil
	case p.code != pShort:
		return true, p.err()
	case len(c.buf)+int(p.need) > l.maxSize:
		return true, &Error{Kind: ErrTooLong, Offset: len(c.buf), Detail: "header larger than MaxHeaderSize"}
	}
	if need := len(c.buf) + int(p.need); need > cap(c.buf) {
		nb := make([]byte, len(c.buf), min(max(need, 2*cap(c.buf)), l.maxSize))
		copy(nb, c.buf)
		c.buf = nb
	}
	return false, nil
}

// slow finishes reading c's header under the header deadline, then hands
// c to Accept.
func (l *Listener) slow(c *Conn) {
	defer l.wg.Done()
	err := c.raw.SetReadDeadline(c.accepted.Add(l.timeout))
	for err == nil {
		var n int
		n, err = c.raw.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if n > 0 || err == nil {
			var done bool
			if done, err = l.step(c); done {
				break
			}
			continue
		}
		if len(c.buf) == 0 && c.verdict == Optional && isTimeout(err) {
			err = nil // an optional header that never came
			c.rest = c.buf
			break
		}
		_, p := decode(&Header{}, c.buf)
		e := p.err()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		e.Err = err
		err = e
	}
	if err == nil {
		err = c.raw.SetReadDeadline(time.Time{})
	}
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
	if l.check(c, err) {
		l.deliver(c)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// check runs Validate on a connection whose header has been read and sets
// its addresses. It reports whether c may be handed out; if not, c is
// logged and closed.
func (l *Listener) check(c *Conn, err error) bool {
	if err == nil && c.hasHdr && l.Validate != nil {
		if verr := l.Validate(c.peer, c.hdr); verr != nil {
			err = &Error{Kind: ErrRejected, Detail: "Validate refused the header", Err: verr}
		}
	}
	if err != nil {
		l.logf(slog.LevelWarn, "proxyproto: connection refused", c, err)
		_ = c.raw.Close()
		return false
	}
	c.setAddrs()
	return true
}

// deliver hands a ready connection to Accept from another goroutine: in
// direct mode it queues c and wakes a blocked Accept, in background mode it
// waits for an Accept call.
func (l *Listener) deliver(c *Conn) {
	if l.wake == nil {
		select {
		case l.ready <- accepted{c: c}:
		case <-l.done:
			_ = c.raw.Close()
		}
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = c.raw.Close()
		return
	}
	l.queue = append(l.queue, c)
	l.syncDeadline(false)
	l.mu.Unlock()
}

func (l *Listener) logf(level slog.Level, msg string, c *Conn, err error) {
	if l.Logger == nil || !l.Logger.Enabled(context.Background(), level) {
		return
	}
	attrs := []slog.Attr{slog.String("peer", c.raw.RemoteAddr().String()), slog.String("verdict", c.verdict.String())}
	if err != nil {
		attrs = append(attrs, slog.String("kind", KindOf(err)), slog.String("error", err.Error()))
	}
	l.Logger.LogAttrs(context.Background(), level, msg, attrs...)
}

// Conn is a connection returned by [Listener.Accept]. Its RemoteAddr and
// LocalAddr are the header's source and destination for a PROXY header with
// IP or UNIX addresses, and the transport's otherwise (LOCAL, UNKNOWN,
// UNSPEC, no header). Read returns the bytes that followed the header, none
// lost.
type Conn struct {
	raw      net.Conn
	peer     netip.AddrPort
	verdict  Verdict
	accepted time.Time
	hdr      Header
	hasHdr   bool
	buf      []byte // what was read while looking for the header
	rest     []byte // the part of buf after the header, not yet returned by Read
	raddr    net.Addr
	laddr    net.Addr
	tcp      [2]net.TCPAddr
	ip       [2][16]byte
	small    [256]byte
}

var _ net.Conn = (*Conn)(nil)

// setAddrs computes RemoteAddr and LocalAddr once, before c is handed out.
func (c *Conn) setAddrs() {
	c.raddr, c.laddr = c.raw.RemoteAddr(), c.raw.LocalAddr()
	if !c.hasHdr || !c.hdr.IsProxy() {
		return
	}
	h := &c.hdr
	switch h.Transport {
	case TCP4, TCP6:
		c.raddr = c.tcpAddr(0, h.Source)
		c.laddr = c.tcpAddr(1, h.Destination)
	case UDP4, UDP6:
		c.raddr = net.UDPAddrFromAddrPort(h.Source)
		c.laddr = net.UDPAddrFromAddrPort(h.Destination)
	case UnixStream:
		c.raddr = &net.UnixAddr{Name: h.SourcePath, Net: "unix"}
		c.laddr = &net.UnixAddr{Name: h.DestinationPath, Net: "unix"}
	case UnixDatagram:
		c.raddr = &net.UnixAddr{Name: h.SourcePath, Net: "unixgram"}
		c.laddr = &net.UnixAddr{Name: h.DestinationPath, Net: "unixgram"}
	}
}

func (c *Conn) tcpAddr(i int, ap netip.AddrPort) *net.TCPAddr {
	a := ap.Addr()
	if a.Is4() {
		v := a.As4()
		copy(c.ip[i][:], v[:])
		c.tcp[i] = net.TCPAddr{IP: c.ip[i][:4:4], Port: int(ap.Port())}
	} else {
		c.ip[i] = a.As16()
		c.tcp[i] = net.TCPAddr{IP: c.ip[i][:], Port: int(ap.Port())}
	}
	return &c.tcp[i]
}

// Header returns the decoded header and whether there was one. Its TLVs
// stay valid for the life of the connection.
func (c *Conn) Header() (Header, bool) { return c.hdr, c.hasHdr }

// Peer returns the transport address of the peer that sent the header (the
// proxy), as the [Policy] saw it.
func (c *Conn) Peer() netip.AddrPort { return c.peer }

// NetConn returns the underlying connection. Bytes that arrived after the
// header and that Read has not returned yet are not in it; use
// [Conn.Buffered] or read through c.
func (c *Conn) NetConn() net.Conn { return c.raw }

// Buffered returns the bytes that arrived after the header and that Read
// has not returned yet.
func (c *Conn) Buffered() []byte { return c.rest }

// Read reads the bytes that followed the header.
func (c *Conn) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	return c.raw.Read(p)
}

// WriteTo writes the buffered bytes then copies the rest of the connection
// to w, letting the runtime splice when both ends are TCP.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(c.rest) > 0 {
		n, err := w.Write(c.rest)
		c.rest = c.rest[n:]
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	n, err := io.Copy(w, c.raw)
	return total + n, err
}

// ReadFrom copies r into the connection, through the underlying
// connection's ReadFrom (splice, sendfile) when it has one.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.raw.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.raw}, r)
}

// Write writes to the underlying connection.
func (c *Conn) Write(p []byte) (int, error) { return c.raw.Write(p) }

// Close closes the underlying connection.
func (c *Conn) Close() error { return c.raw.Close() }

// CloseWrite shuts down the writing side when the underlying connection
// supports it (TCP, UNIX).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.raw.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("proxyproto: underlying connection has no CloseWrite")
}

// RemoteAddr returns the header's source address, or the transport's when
// the header carries none. It never blocks.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// LocalAddr returns the header's destination address, or the transport's
// when the header carries none. It never blocks.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// SetDeadline sets the underlying connection's deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.raw.SetDeadline(t) }

// SetReadDeadline sets the underlying connection's read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// SetWriteDeadline sets the underlying connection's write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }
