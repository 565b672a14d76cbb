//go:build linux

package proxy

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// serveLoops serves a TCP listener with the event loops, and reports
// whether it did (false: ln is not a *net.TCPListener, or no loop could
// start), with the error Serve returns. Its goroutine accepts connections
// in batches, with accept4 on the listener's descriptor, and hands each
// socket, non-blocking and out of the runtime's poller, to a loop that
// reads the ClientHello, routes it, connects, and relays the session.
func (s *Server) serveLoops(ln net.Listener) (bool, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return false, nil
	}
	rc, err := tl.SyscallConn()
	if err != nil || s.pickLoop() == nil {
		return false, nil
	}
	// A listener cannot be read through its RawConn: its duplicate waits in
	// an epoll instance of its own, which waits in the runtime's poller.
	lfd, e := -1, syscall.Errno(0)
	if err := rc.Control(func(fd uintptr) {
		r, _, en := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		lfd, e = int(r), en
	}); err != nil || e != 0 {
		return false, nil
	}
	defer rawClose(lfd)
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return false, nil
	}
	syscall.SetNonblock(ep, true)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: int32(lfd)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, lfd, &ev); err != nil {
		syscall.Close(ep)
		return false, nil
	}
	ef := os.NewFile(uintptr(ep), "epoll")
	defer ef.Close()
	erc, err := ef.SyscallConn()
	if err != nil {
		return false, nil
	}
	// Every so often, see whether the listener was closed or the server
	// shut down.
	const check = 100 * time.Millisecond
	ef.SetReadDeadline(time.Now().Add(check))
	type accepted struct {
		fd int
		sa syscall.Sockaddr
	}
	var batch []accepted
	var acceptErr error
	full := false // MaxConns connections are open
	accept := func(uintptr) bool {
		for len(batch) < 64 {
			if s.slots != nil {
				select {
				case s.slots <- struct{}{}:
				default:
					full = true
					return true
				}
			}
			nfd, sa, err := syscall.Accept4(lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			if err != nil {
				if s.slots != nil {
					<-s.slots
				}
				if err == syscall.EAGAIN {
					return len(batch) > 0
				} else if err == syscall.EINTR || err == syscall.ECONNABORTED {
					continue
				}
				acceptErr = os.NewSyscallError("accept4", err)
				return true
			}
			batch = append(batch, accepted{nfd, sa})
		}
		return true
	}
	var delay time.Duration
	for {
		batch, acceptErr, full = batch[:0], nil, false
		err := erc.Read(accept)
		for _, a := range batch {
			s.startLoopSession(a.fd, a.sa)
		}
		clear(batch)
		select {
		case <-s.done:
			return true, ErrServerClosed
		default:
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if err := rc.Control(func(uintptr) {}); err != nil {
				return true, err // closed
			}
			ef.SetReadDeadline(time.Now().Add(check))
			continue
		} else if err != nil {
			return true, err
		}
		if full {
			select { // wait for a connection to end
			case s.slots <- struct{}{}:
				<-s.slots
			case <-s.done:
				return true, ErrServerClosed
			}
			continue
		}
		if acceptErr == nil {
			delay = 0
			continue
		}
		// Out of descriptors and the like: back off, as net/http does.
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		if s.Logger != nil {
			s.Logger.Warn("proxy: accept", "err", acceptErr, "retry_in", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return true, ErrServerClosed
		}
	}
}

// startLoopSession tracks an accepted socket as a session and hands it to
// a loop, or closes it when the server is shutting down.
func (s *Server) startLoopSession(fd int, sa syscall.Sockaddr) {
	ss := &session{srv: s, start: time.Now(), raddr: tcpAddr(sa)}
	if lsa, err := syscall.Getsockname(fd); err == nil {
		ss.laddr = tcpAddr(lsa)
	} else {
		ss.laddr = &net.TCPAddr{}
	}
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
	l := s.pickLoop()
	fl := &flow{ss: ss, fd: [2]int{fd, -1}, active: true, helloing: true}
	l.push(fl)
}

// tcpAddr converts a socket address.
func tcpAddr(sa syscall.Sockaddr) *net.TCPAddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)))
	case *syscall.SockaddrInet6:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)))
	}
	return &net.TCPAddr{}
}

var errHelloTimeout = errors.New("proxy: ClientHello timeout")
