//go:build linux

package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drawbridge-go/drawbridge/sni"
)

// The event loops of the Linux data path: a few loops (one per P, at most
// maxLoops), each an epoll instance of its own in edge-triggered mode. A
// loop is a goroutine that parks in the runtime's poller, where its epoll
// descriptor is registered, so it costs nothing while no session moves.
//
// From a *net.TCPListener, a loop accepts (a duplicate of the listener's
// descriptor is in its epoll instance), reads the ClientHello into a pooled
// buffer under the hello timeout, calls Route, connects to the target's
// first address with a raw non-blocking socket (dial timeout, next address
// on failure) and writes the PROXY header and the hello at once, as HAProxy
// does. A target given by host name, or a listener of another kind, goes
// through goroutines up to the relay, whose sockets are then handed over.
//
// For each session a loop holds a flow: two descriptors and their state.
// Small exchanges go through a pooled buffer held only while a write waits;
// a direction that reads two full buffers in a row is then spliced through
// a pipe of its own. Half-close is kept (shutdown(SHUT_WR) once a side
// ended), and idle sessions are closed by a sweep once an idle period.
// Timeouts of the hello and of connection attempts are queues in the loop,
// in order since each kind has one duration; the loop's deadline is the
// earliest of them and the next sweep.

// maxLoops caps the number of loops.
const maxLoops = 8

// pipeSize is the capacity asked for a spliced direction's pipe, as Go's
// own splice does; a smaller one works too.
const pipeSize = 1 << 20

// epollET is EPOLLET, which package syscall defines as a negative int.
const epollET = 1 << 31

// loopSet is a Server's loops, started by the first session handed over.
type loopSet struct {
	once sync.Once
	ls   []*loop
	next uint32 // round robin, under mu
	mu   sync.Mutex
	wg   sync.WaitGroup
}

// loop is one epoll instance and the flows registered in it.
type loop struct {
	srv *Server
	ep  int      // the epoll descriptor, owned by f
	f   *os.File // ep, registered in the runtime's poller
	rc  syscall.RawConn

	mu     sync.Mutex
	inbox  []*flow // handed over, not yet registered
	woken  bool    // a wake is pending
	killed bool    // close every flow
	stop   bool    // end once no flow is left

	// Owned by the loop's goroutine.
	byFD     []*flow // by descriptor
	flows    []*flow // every registered flow; flow.at is its index
	events   []syscall.EpollEvent
	sweep    time.Time  // the next idle sweep, or zero
	dials    []dialWait // connections under way, oldest first
	hellos   []dialWait // ClientHellos being read, oldest first
	deadline time.Time  // the deadline set on f, or zero
	parser   sni.Parser
	lis      []*loopListener
	stopping bool          // stop was seen
	exited   chan struct{} // closed when run returns
}

// dialWait is a connection attempt under way, or a hello being read, and
// when it times out: every one has the same timeout, so a queue keeps them
// in order.
type dialWait struct {
	fl      *flow
	attempt int
	at      time.Time
}

// flow is a session relayed by a loop: fd[0] is the client's socket, fd[1]
// the target's; dir[0] copies the client's bytes to the target, dir[1] the
// target's back.
type flow struct {
	ss     *session
	lis    *loopListener // set for a listener's entry, which is no session
	fd     [2]int
	ready  [2]uint8 // per socket: canRead, canWrite, hup
	dir    [2]direction
	at     int  // index in loop.flows
	active bool // a byte moved since the last sweep
	ended  bool

	// Set when the loop connects to the target: the addresses to try, the
	// next one, whether an attempt is under way, and its number.
	addrs      []netip.AddrPort
	next       int
	connecting bool
	attempt    int

	// Set while the loop reads the ClientHello: the bytes so far.
	helloing bool
	hbuf     *[]byte
	hn       int
}

const (
	canRead  = 1 << iota // edge-triggered: readable until a read says otherwise
	canWrite             // writable until a write says otherwise
	hup                  // the peer closed or the socket failed: read to the end
)

// direction is one way of a flow.
type direction struct {
	buf      *[]byte // read, not yet all written; nil when none
	off, end int
	pipe     [2]int // once spliced: the pipe's read and write ends
	spliced  bool
	inPipe   int // bytes in the pipe
	full     int // full reads in a row
	eof      bool
	shut     bool // the destination was half-closed (or the flow ends)
	n        int64
	err      error
}

// handoff moves an established session's sockets to a loop, and reports
// whether it did; when it did not, the session keeps its connections, for
// goroutines to copy.
func (s *Server) handoff(ss *session, src, dst net.Conn) bool {
	a, ok := src.(*net.TCPConn)
	b, ok2 := dst.(*net.TCPConn)
	if !ok || !ok2 {
		return false
	}
	l := s.pickLoop()
	if l == nil {
		return false
	}
	fa, err := detach(a)
	if err != nil {
		return false
	}
	fb, err := detach(b)
	if err != nil {
		syscall.Close(fa)
		return false
	}
	// The duplicates keep the sockets open: the connections now leave the
	// runtime's poller.
	a.Close()
	b.Close()
	l.push(&flow{ss: ss, fd: [2]int{fa, fb}, active: true})
	return true
}

// push hands a flow to the loop.
func (l *loop) push(fl *flow) {
	l.mu.Lock()
	l.inbox = append(l.inbox, fl)
	wake := !l.woken
	l.woken = true
	l.mu.Unlock()
	if wake {
		l.wake()
	}
}

// dialInLoop hands a session to a loop before its target is dialed, when
// every address is an IP address and port, and reports whether it did: the
// loop then connects to each address in turn, writes the first n bytes of
// out (the PROXY header and the hello), which it owns, and relays the
// session, or refuses it when no address accepts.
func (s *Server) dialInLoop(ss *session, addrs []string, src net.Conn, out *[]byte, n int) bool {
	a, ok := src.(*net.TCPConn)
	if !ok || len(addrs) == 0 || len(addrs) > 16 {
		return false
	}
	var buf [16]netip.AddrPort
	aps := buf[:0]
	for _, s := range addrs {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Addr().Zone() != "" {
			return false // a name: the portable dial resolves it
		}
		aps = append(aps, ap)
	}
	l := s.pickLoop()
	if l == nil {
		return false
	}
	fa, err := detach(a)
	if err != nil {
		return false
	}
	a.Close()
	fl := &flow{ss: ss, fd: [2]int{fa, -1}, active: true, addrs: append([]netip.AddrPort(nil), aps...)}
	fl.dir[0].buf, fl.dir[0].end = out, n
	l.push(fl)
	return true
}

// detach returns a duplicate of c's descriptor, close-on-exec and, like
// c's, non-blocking.
func detach(c *net.TCPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, errno := -1, syscall.Errno(0)
	if err := rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		nfd, errno = int(r), e
	}); err != nil {
		return -1, err
	}
	if errno != 0 {
		return -1, os.NewSyscallError("fcntl", errno)
	}
	return nfd, nil
}

// pickLoop returns the next loop, starting them the first time; nil when
// they cannot start or the server is shutting down.
func (s *Server) pickLoop() *loop {
	ls := &s.loops
	ls.once.Do(func() {
		n := min(runtime.GOMAXPROCS(0), maxLoops)
		for range n {
			l, err := newLoop(s)
			if err != nil {
				if s.Logger != nil {
					s.Logger.Warn("proxy: event loop", "err", err)
				}
				break
			}
			ls.ls = append(ls.ls, l)
		}
		for _, l := range ls.ls {
			ls.wg.Go(l.run)
		}
	})
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.ls) == 0 {
		return nil
	}
	l := ls.ls[ls.next%uint32(len(ls.ls))]
	ls.next++
	return l
}

func newLoop(s *Server) (*loop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := syscall.SetNonblock(ep, true); err != nil {
		syscall.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(ep), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &loop{srv: s, ep: ep, f: f, rc: rc, events: make([]syscall.EpollEvent, 128),
		parser: sni.Parser{MaxSize: s.MaxHelloSize}, exited: make(chan struct{})}
	if d := s.idleTimeout(); d > 0 {
		l.sweep = time.Now().Add(d)
	}
	if err := f.SetReadDeadline(l.sweep); err != nil {
		f.Close()
		return nil, err
	}
	l.deadline = l.sweep
	return l, nil
}

// killLoops closes every flow of every loop.
func (s *Server) killLoops() {
	for _, l := range s.loopList() {
		l.mu.Lock()
		l.killed, l.woken = true, true
		l.mu.Unlock()
		l.wake()
	}
}

// stopLoops ends the loops, which have no flow left, and waits for them.
func (s *Server) stopLoops() {
	for _, l := range s.loopList() {
		l.mu.Lock()
		l.stop, l.woken = true, true
		l.mu.Unlock()
		l.wake()
	}
	s.loops.wg.Wait()
}

func (s *Server) loopList() []*loop {
	s.loops.mu.Lock()
	defer s.loops.mu.Unlock()
	return s.loops.ls
}

// wake makes the loop's wait end at once: its deadline passes.
func (l *loop) wake() { l.f.SetReadDeadline(time.Unix(1, 0)) }

// poll is the func given to RawConn.Read: it takes the ready events without
// waiting and handles them, until fewer than a batch are left, then returns
// false so that Read parks the loop until the epoll descriptor reports new
// events. The runtime's poller watches it edge-triggered, and an edge that
// comes while poll runs makes Read call poll again at once: no event is
// lost, and there is one epoll_wait a wake-up, as in a C loop.
func (l *loop) poll(fd uintptr) bool {
	for {
		n := rawEpollWait(int(fd), l.events)
		for _, ev := range l.events[:n] {
			l.event(ev)
		}
		if n < len(l.events) {
			return false
		}
	}
}

// run serves the loop's flows until it is stopped with none left. Read
// returns only when the deadline passes: the next sweep or dial timeout, or
// a wake.
func (l *loop) run() {
	defer l.exit()
	poll := l.poll
	for {
		err := l.rc.Read(poll)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			l.killAll() // cannot happen: the file is closed only here
			return
		}
		if l.timeout() {
			return
		}
	}
}

// exit closes the loop's listeners, those handed over too, and its epoll
// instance.
func (l *loop) exit() {
	l.mu.Lock()
	in := l.inbox
	l.inbox = nil
	l.mu.Unlock()
	for _, fl := range in {
		if fl.lis != nil {
			l.unlisten(fl.lis)
		}
	}
	for len(l.lis) > 0 {
		l.unlisten(l.lis[0])
	}
	l.f.Close()
	close(l.exited)
}

// timeout handles a wake or the sweep's deadline, and reports whether the
// loop ends.
func (l *loop) timeout() bool {
	now := time.Now()
	if !l.sweep.IsZero() && !now.Before(l.sweep) {
		l.sweepIdle()
		l.sweep = now.Add(l.srv.idleTimeout())
	}
	l.expireDials(now)
	l.expireHellos(now)
	// The deadline first: a wake after it is not lost.
	l.deadline = l.sweep
	for _, q := range [][]dialWait{l.dials, l.hellos} {
		if len(q) > 0 && (l.deadline.IsZero() || q[0].at.Before(l.deadline)) {
			l.deadline = q[0].at
		}
	}
	l.f.SetReadDeadline(l.deadline)
	l.mu.Lock()
	in, killed, stop := l.inbox, l.killed, l.stop
	l.inbox, l.woken = nil, false
	l.mu.Unlock()
	l.stopping = l.stopping || stop // listeners handed over now are closed
	for _, fl := range in {
		if fl.lis != nil {
			l.listen(fl)
		} else {
			l.add(fl)
		}
	}
	l.resumeAccepts()
	if killed {
		l.killAll()
	}
	return stop && len(l.flows) == 0
}

// add registers a flow's sockets; both are reported at once if ready.
func (l *loop) add(fl *flow) {
	fl.at = len(l.flows)
	l.flows = append(l.flows, fl)
	for i, fd := range fl.fd {
		if fd < 0 {
			continue
		}
		if err := l.register(fl, fd); err != nil {
			fl.dir[i].err = err
			l.end(fl)
			return
		}
	}
	if fl.helloing {
		if d := cmpOr(l.srv.HelloTimeout, sni.DefaultTimeout); d > 0 {
			at := fl.ss.start.Add(d)
			l.hellos = append(l.hellos, dialWait{fl: fl, at: at})
			l.setDeadline(at)
		}
		// The hello is often there already: read it now rather than on
		// the next wake-up.
		fl.ready[0] |= canRead
		l.readHello(fl)
	} else if fl.fd[1] < 0 {
		l.dial(fl)
	}
}

// setDeadline makes the loop wake by at.
func (l *loop) setDeadline(at time.Time) {
	if l.deadline.IsZero() || at.Before(l.deadline) {
		l.deadline = at
		l.f.SetReadDeadline(at)
	}
}

// expireHellos refuses the sessions whose hello did not come in time.
func (l *loop) expireHellos(now time.Time) {
	i := 0
	for ; i < len(l.hellos) && !now.Before(l.hellos[i].at); i++ {
		if fl := l.hellos[i].fl; !fl.ended && fl.helloing {
			l.refuse(fl, "bad hello", errHelloTimeout, &l.srv.stats.refusedHello)
		}
	}
	if i > 0 {
		n := copy(l.hellos, l.hellos[i:])
		clear(l.hellos[n:])
		l.hellos = l.hellos[:n]
	}
}

// refuse ends a flow that is not relayed.
func (l *loop) refuse(fl *flow, why string, err error, n *atomic.Int64) {
	fl.ss.fail = why
	fl.dir[0].err = err
	n.Add(1)
	l.end(fl)
}

// readHello reads the client's socket until the ClientHello is whole, then
// routes the session.
func (l *loop) readHello(fl *flow) {
	s := l.srv
	for fl.ready[0]&canRead != 0 {
		if fl.hbuf == nil {
			fl.hbuf = s.bufs.Get().(*[]byte)
		}
		if fl.hn == len(*fl.hbuf) { // a hello larger than a buffer
			b := make([]byte, 2*len(*fl.hbuf))
			copy(b, *fl.hbuf)
			l.putBuf(fl.hbuf)
			fl.hbuf = &b
		}
		want := len(*fl.hbuf) - fl.hn
		n, e := rawRead(fl.fd[0], (*fl.hbuf)[fl.hn:])
		if e == syscall.EAGAIN {
			fl.ready[0] &^= canRead
			return
		} else if e != 0 || n == 0 {
			err := error(io.ErrUnexpectedEOF)
			if e != 0 {
				err = os.NewSyscallError("read", e)
			}
			l.refuse(fl, "bad hello", err, &s.stats.refusedHello)
			return
		}
		fl.hn += n
		h, err := l.parser.Parse((*fl.hbuf)[:fl.hn])
		if err == nil {
			l.route(fl, &h)
			return
		} else if !errors.Is(err, sni.ErrShort) {
			l.refuse(fl, "bad hello", err, &s.stats.refusedHello)
			return
		}
		if n < want && fl.ready[0]&hup == 0 { // drained: the next byte is a new edge
			fl.ready[0] &^= canRead
		}
	}
}

// route picks the target of a flow whose hello was read, and connects to
// it; a target given by name is dialed by a goroutine, as on the portable
// path.
func (l *loop) route(fl *flow, h *sni.Hello) {
	s, ss := l.srv, fl.ss
	ss.name = h.ServerName()
	var t Target
	ok := false
	if s.Route != nil {
		t, ok = s.Route(h)
	}
	if !ok {
		l.refuse(fl, "no route", nil, &s.stats.refusedRoute)
		return
	}
	ss.target = t.Name
	fl.helloing = false
	if len(t.Addrs) == 0 {
		l.refuse(fl, "dial", errNoAddr, &s.stats.refusedDial)
		return
	}
	aps := make([]netip.AddrPort, 0, len(t.Addrs))
	for _, a := range t.Addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil || ap.Addr().Zone() != "" {
			l.eject(fl, t)
			return
		}
		aps = append(aps, ap)
	}
	out := s.bufs.Get().(*[]byte)
	b, err := ss.header((*out)[:0], t.Proxy)
	if err != nil {
		l.putBuf(out)
		l.refuse(fl, "header", err, &s.stats.refusedRoute)
		return
	}
	b = append(b, (*fl.hbuf)[:fl.hn]...)
	if len(b) > len(*out) { // not in out any more
		l.putBuf(out)
		out = &b
	}
	l.putBuf(fl.hbuf)
	fl.hbuf, fl.hn = nil, 0
	fl.addrs = aps
	fl.dir[0].buf, fl.dir[0].end = out, len(b)
	l.dial(fl)
}

// eject gives a flow's client socket to a goroutine that dials t (by name)
// and relays the session as the portable path does.
func (l *loop) eject(fl *flow, t Target) {
	s, ss, fd := l.srv, fl.ss, fl.fd[0]
	syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, fd, nil)
	l.byFD[fd] = nil
	l.unlist(fl)
	fl.ended = true
	f := os.NewFile(uintptr(fd), "")
	c, err := net.FileConn(f) // a duplicate, in the runtime's poller
	f.Close()
	hbuf, hn := fl.hbuf, fl.hn
	if err != nil {
		l.putBuf(hbuf)
		ss.refuse("dial", err, &s.stats.refusedDial)
		return
	}
	s.mu.Lock()
	ss.c = c
	if s.killed {
		c.Close()
	}
	s.mu.Unlock()
	go func() {
		defer l.putBuf(hbuf)
		ss.relay(t, c, (*hbuf)[:hn], nil)
	}()
}

// putBuf gives a buffer back to the pool, unless it was made larger.
func (l *loop) putBuf(b *[]byte) {
	if b != nil && len(*b) == bufSize {
		l.srv.bufs.Put(b)
	}
}

// register adds a flow's socket to the epoll instance.
func (l *loop) register(fl *flow, fd int) error {
	if fd >= len(l.byFD) {
		l.byFD = append(l.byFD, make([]*flow, fd+1-len(l.byFD)+len(l.byFD)/2)...)
	}
	l.byFD[fd] = fl
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET, Fd: int32(fd)}
	if e := rawEpollCtl(l.ep, syscall.EPOLL_CTL_ADD, fd, &ev); e != 0 {
		l.byFD[fd] = nil
		return os.NewSyscallError("epoll_ctl", e)
	}
	return nil
}

// dial starts connecting a flow to its next address; when none is left, it
// refuses the session with err, the last attempt's error.
func (l *loop) dial(fl *flow) {
	var err error
	for fl.next < len(fl.addrs) {
		ap := fl.addrs[fl.next]
		fl.next++
		fl.ss.addr = ap.String()
		var fd int
		if fd, err = connect(ap); err == nil {
			if err = l.register(fl, fd); err == nil {
				fl.fd[1], fl.ready[1] = fd, 0
				fl.connecting = true
				fl.attempt++
				at := time.Now().Add(cmpOr(l.srv.DialTimeout, DefaultDialTimeout))
				l.dials = append(l.dials, dialWait{fl, fl.attempt, at})
				l.setDeadline(at)
				if l.connected(fl) {
					l.progress(fl)
				}
				return
			}
			rawClose(fd)
		}
		l.dialFailed(fl, err)
	}
	fl.ss.fail = "dial"
	fl.dir[0].err = err
	l.srv.stats.refusedDial.Add(1)
	l.end(fl)
}

// dialFailed logs a failed attempt.
func (l *loop) dialFailed(fl *flow, err error) {
	if log := l.srv.Logger; log != nil {
		log.Debug("proxy: dial", "sni", fl.ss.name, "backend", fl.ss.target, "server", fl.ss.addr, "err", err)
	}
}

// connect opens a non-blocking socket and starts connecting it to ap.
func connect(ap netip.AddrPort) (int, error) {
	fd, e := rawConnect(ap)
	if e != 0 {
		return -1, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: os.NewSyscallError("connect", e)}
	}
	return fd, nil
}

// connected tries the first write to a target still connecting: the PROXY
// header and the hello, which are never empty. Bytes written mean the
// connection is up: it reports true and the flow moves on. EAGAIN means
// not yet (or the socket is full); another error is the attempt's, and the
// next address is tried. Trying at once after connect, as HAProxy does,
// saves a wake-up: on loopback or a near network the handshake is often
// over when connect returns.
func (l *loop) connected(fl *flow) bool {
	d := &fl.dir[0]
	n, e := rawWrite(fl.fd[1], (*d.buf)[d.off:d.end])
	switch {
	case e == syscall.EAGAIN:
		fl.ready[1] &^= canWrite
		return false
	case e != 0:
		fl.connecting = false
		l.closeTarget(fl)
		l.dialFailed(fl, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(fl.addrs[fl.next-1]), Err: os.NewSyscallError("connect", e)})
		l.dial(fl)
		return false
	}
	fl.connecting = false
	d.off += n
	d.n += int64(n)
	fl.active = true
	if d.off < d.end {
		fl.ready[1] &^= canWrite
	} else {
		l.putBuf(d.buf)
		d.buf = nil
	}
	return true
}

// closeTarget closes the target's socket of a flow still connecting.
func (l *loop) closeTarget(fl *flow) {
	l.byFD[fl.fd[1]] = nil
	rawClose(fl.fd[1])
	fl.fd[1], fl.ready[1] = -1, 0
}

// errDialTimeout is the error of an attempt that took DialTimeout.
var errDialTimeout = errors.New("i/o timeout")

// expireDials moves on the flows whose connection attempt timed out.
func (l *loop) expireDials(now time.Time) {
	i := 0
	for ; i < len(l.dials) && !now.Before(l.dials[i].at); i++ {
		w := l.dials[i]
		if w.fl.ended || !w.fl.connecting || w.fl.attempt != w.attempt {
			continue // ended, connected, or a later attempt under way
		}
		w.fl.connecting = false
		l.closeTarget(w.fl)
		l.dialFailed(w.fl, fmt.Errorf("dial tcp %s: %w", w.fl.ss.addr, errDialTimeout))
		l.dial(w.fl)
	}
	if i > 0 {
		n := copy(l.dials, l.dials[i:])
		clear(l.dials[n:])
		l.dials = l.dials[:n]
	}
}

// event records what a socket is ready for and moves its flow on.
func (l *loop) event(ev syscall.EpollEvent) {
	fd := int(ev.Fd)
	if fd >= len(l.byFD) || l.byFD[fd] == nil {
		return // ended earlier in this batch
	}
	fl := l.byFD[fd]
	if fl.lis != nil {
		l.accept(fl.lis)
		return
	}
	i := 0
	if fl.fd[1] == fd {
		i = 1
	}
	if ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		fl.ready[i] |= hup | canRead | canWrite
	}
	if ev.Events&syscall.EPOLLIN != 0 {
		fl.ready[i] |= canRead
	}
	if ev.Events&syscall.EPOLLOUT != 0 {
		fl.ready[i] |= canWrite
	}
	if fl.helloing {
		l.readHello(fl)
		return
	}
	if fl.connecting && (i == 0 || !l.connected(fl)) {
		return // the client waits for the target
	}
	l.progress(fl)
}

// progress moves both directions of a flow as far as the sockets allow,
// and ends it when both are done or one failed.
func (l *loop) progress(fl *flow) {
	for i := range fl.dir {
		if err := l.pump(fl, i); err != nil {
			fl.dir[i].err = err
			l.end(fl)
			return
		}
	}
	if fl.dir[0].shut && fl.dir[1].shut {
		l.end(fl)
	}
}

// pump copies direction i of a flow until a socket would block.
func (l *loop) pump(fl *flow, i int) error {
	d := &fl.dir[i]
	src, dst := fl.fd[i], fl.fd[1-i]
	rs, ws := &fl.ready[i], &fl.ready[1-i]
	for {
		switch {
		case d.buf != nil: // write what was read
			if *ws&canWrite == 0 {
				return nil
			}
			n, e := rawWrite(dst, (*d.buf)[d.off:d.end])
			if e == syscall.EAGAIN {
				*ws &^= canWrite
				return nil
			} else if e != 0 {
				return os.NewSyscallError("write", e)
			}
			d.off += n
			d.n += int64(n)
			fl.active = true
			if d.off < d.end { // the socket's buffer is full
				*ws &^= canWrite
				return nil
			}
			l.putBuf(d.buf)
			d.buf = nil
		case d.inPipe > 0: // splice what the pipe holds
			if *ws&canWrite == 0 {
				return nil
			}
			n, e := rawSplice(d.pipe[0], dst, d.inPipe)
			if e == syscall.EAGAIN {
				*ws &^= canWrite
				return nil
			} else if e != 0 {
				return os.NewSyscallError("splice", e)
			}
			d.inPipe -= n
			d.n += int64(n)
			fl.active = true
		case d.eof:
			if !d.shut {
				d.shut = true
				if fl.dir[1-i].shut {
					return nil // the flow ends: no half-close needed
				}
				if e := rawShutdownWrite(dst); e != 0 && e != syscall.ENOTCONN {
					return os.NewSyscallError("shutdown", e)
				}
			}
			return nil
		case *rs&canRead == 0:
			return nil
		case d.spliced:
			n, e := rawSplice(src, d.pipe[1], pipeSize)
			if e == syscall.EAGAIN {
				*rs &^= canRead
				return nil
			} else if e != 0 {
				return os.NewSyscallError("splice", e)
			} else if n == 0 {
				d.eof = true
			}
			d.inPipe = n
		default:
			buf := l.srv.bufs.Get().(*[]byte)
			n, e := rawRead(src, *buf)
			if e != 0 || n <= 0 {
				l.srv.bufs.Put(buf)
				if e == syscall.EAGAIN {
					*rs &^= canRead
					return nil
				} else if e != 0 {
					return os.NewSyscallError("read", e)
				}
				d.eof = true
				continue
			}
			d.buf, d.off, d.end = buf, 0, n
			if n < len(*buf) {
				d.full = 0
				if *rs&hup == 0 { // drained: the next byte is a new edge
					*rs &^= canRead
				}
			} else if d.full++; d.full >= 2 {
				d.spliced = l.newPipe(d) // else buffers
			}
		}
	}
}

// spliceFlags move pages where possible and never block on the pipe.
const spliceFlags = 1 | 2 // SPLICE_F_MOVE, SPLICE_F_NONBLOCK

// newPipe gives a bulk direction its pipe, and reports whether it could.
func (l *loop) newPipe(d *direction) bool {
	if err := syscall.Pipe2(d.pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return false
	}
	syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(d.pipe[0]), syscall.F_SETPIPE_SZ, pipeSize)
	return true
}

// sweepIdle ends the flows that moved no byte since the last sweep.
func (l *loop) sweepIdle() {
	for i := 0; i < len(l.flows); {
		fl := l.flows[i]
		if fl.active || fl.helloing || fl.connecting { // they have timeouts of their own
			fl.active = false
			i++
			continue
		}
		fl.ss.idle.Store(true)
		l.end(fl) // moves the last flow to i
	}
}

// unlist removes a flow from the loop's list.
func (l *loop) unlist(fl *flow) {
	last := l.flows[len(l.flows)-1]
	l.flows[fl.at], last.at = last, fl.at
	l.flows = l.flows[:len(l.flows)-1]
}

// killAll ends every flow.
func (l *loop) killAll() {
	for len(l.flows) > 0 {
		l.end(l.flows[len(l.flows)-1])
	}
}

// end closes a flow's sockets and pipes, gives its buffers back, and
// finishes its session.
func (l *loop) end(fl *flow) {
	l.unlist(fl)
	fl.ended = true
	l.putBuf(fl.hbuf)
	fl.hbuf = nil
	for _, fd := range fl.fd {
		if fd >= 0 {
			l.byFD[fd] = nil
			rawClose(fd)
		}
	}
	for i := range fl.dir {
		d := &fl.dir[i]
		l.putBuf(d.buf)
		d.buf = nil
		if d.spliced {
			rawClose(d.pipe[0])
			rawClose(d.pipe[1])
		}
	}
	ss := fl.ss
	ss.up.Add(fl.dir[0].n)
	ss.down.Add(fl.dir[1].n)
	ss.errUp, ss.errDown = fl.dir[0].err, fl.dir[1].err
	ss.finish()
}
