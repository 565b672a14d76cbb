//go:build linux

package proxy

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"time"
)

// serveLoops serves a TCP listener with the event loops, and reports
// whether it did (false: ln is not a *net.TCPListener, or no loop could
// start), with the error Serve returns. A duplicate of the listener's
// descriptor goes into a loop's epoll instance: the loop accepts, reads
// the ClientHello, routes, connects and relays, as HAProxy's does. Serve's
// goroutine only waits for the server to shut down or the listener to be
// closed, which it checks every 100ms.
func (s *Server) serveLoops(ln net.Listener) (bool, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return false, nil
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false, nil
	}
	l := s.pickLoop()
	if l == nil {
		return false, nil
	}
	lfd, e := -1, syscall.Errno(0)
	if err := rc.Control(func(fd uintptr) {
		r, _, en := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		lfd, e = int(r), en
	}); err != nil || e != 0 {
		return false, nil
	}
	lis := &loopListener{fd: lfd, done: make(chan struct{})}
	marker := &flow{lis: lis, fd: [2]int{lfd, -1}}
	l.push(marker) // listen
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	err = ErrServerClosed
	for wait := true; wait; {
		select {
		case <-s.done:
			wait = false
		case <-t.C:
			if e := rc.Control(func(uintptr) {}); e != nil {
				err, wait = e, false
			}
		}
	}
	l.push(marker) // stop listening
	select {
	case <-lis.done:
	case <-l.exited: // before it saw the marker
		select {
		case <-lis.done:
		default:
			rawClose(lfd)
		}
	}
	return true, err
}

// loopListener is a listener's duplicate descriptor in a loop.
type loopListener struct {
	fd     int
	added  bool
	paused bool          // MaxConns reached, or accept failed: retried later
	done   chan struct{} // closed once the loop closed fd
}

// listen registers or, the second time, closes a listener.
func (l *loop) listen(fl *flow) {
	lis := fl.lis
	if lis.added || l.stopping {
		l.unlisten(lis)
		return
	}
	lis.added = true
	l.lis = append(l.lis, lis)
	if lis.fd >= len(l.byFD) {
		l.byFD = append(l.byFD, make([]*flow, lis.fd+1-len(l.byFD)+len(l.byFD)/2)...)
	}
	l.byFD[lis.fd] = fl
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: int32(lis.fd)}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, lis.fd, &ev); err != nil {
		if s := l.srv; s.Logger != nil {
			s.Logger.Warn("proxy: event loop", "err", os.NewSyscallError("epoll_ctl", err))
		}
	}
}

// unlisten closes a listener's duplicate, once.
func (l *loop) unlisten(lis *loopListener) {
	select {
	case <-lis.done:
		return
	default:
	}
	if lis.added {
		l.byFD[lis.fd] = nil
		if i := slices.Index(l.lis, lis); i >= 0 {
			l.lis = slices.Delete(l.lis, i, i+1)
		}
	}
	rawClose(lis.fd)
	close(lis.done)
}

// accept takes the connections waiting on a listener, until none is left
// (the listener is edge-triggered) or MaxConns are open.
func (l *loop) accept(lis *loopListener) {
	s := l.srv
	for {
		if s.slots != nil {
			select {
			case s.slots <- struct{}{}:
			default:
				lis.paused = true
				l.setDeadline(time.Now().Add(10 * time.Millisecond))
				return
			}
		}
		// Raw, as the loop's other calls: entersyscall would also wake
		// sysmon, which then polls every 20 µs for a millisecond.
		nfd, peer, err := rawAccept(lis.fd)
		if err == 0 {
			s.startLoopSession(nfd, peer, l)
			continue
		}
		if s.slots != nil {
			<-s.slots
		}
		switch err {
		case syscall.EAGAIN:
			return
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		}
		// Out of descriptors and the like: try again in a while.
		if s.Logger != nil {
			s.Logger.Warn("proxy: accept", "err", os.NewSyscallError("accept4", err), "retry_in", 10*time.Millisecond)
		}
		lis.paused = true
		l.setDeadline(time.Now().Add(10 * time.Millisecond))
		return
	}
}

// resumeAccepts retries the listeners accept paused.
func (l *loop) resumeAccepts() {
	for _, lis := range l.lis {
		if lis.paused {
			lis.paused = false
			l.accept(lis)
		}
	}
}

// startLoopSession tracks an accepted socket as a session and hands it to
// a loop, or closes it when the server is shutting down.
func (s *Server) startLoopSession(fd int, peer netip.AddrPort, from *loop) {
	ss := &session{srv: s, start: time.Now(), raddr: net.TCPAddrFromAddrPort(peer),
		laddr: net.TCPAddrFromAddrPort(rawLocalAddr(fd))}
	rawSetSockOpt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		rawClose(fd)
		if s.slots != nil {
			<-s.slots
		}
		return
	}
	s.sessions[ss] = struct{}{}
	s.mu.Unlock()
	s.stats.accepted.Add(1)
	s.stats.active.Add(1)
	fl := &flow{ss: ss, fd: [2]int{fd, -1}, active: true, helloing: true}
	if l := s.pickLoop(); l != from {
		l.push(fl)
	} else {
		l.add(fl)
	}
}

var errHelloTimeout = errors.New("proxy: ClientHello timeout")
