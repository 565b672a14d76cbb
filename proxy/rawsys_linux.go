//go:build linux

package proxy

import (
	"net/netip"
	"syscall"
	"unsafe"
)

// The loops' system calls, on non-blocking descriptors only: none of them
// waits, so they are made raw, without telling the scheduler, which would
// otherwise hand the loop's P to another thread when one lasts past a
// sysmon tick (a loopback connect does the peer's work too). A signal
// cannot interrupt a call that does not wait, but EINTR is retried anyway.

func rawRead(fd int, b []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

func rawWrite(fd int, b []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

func rawSplice(in, out, n int) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall6(syscall.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), spliceFlags)
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

// rawEpollWait takes the ready events without waiting (epoll_pwait with no
// mask, which every architecture has).
func rawEpollWait(ep int, events []syscall.EpollEvent) int {
	for {
		r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
		if e == 0 {
			return int(r)
		} else if e != syscall.EINTR {
			return 0
		}
	}
}

func rawClose(fd int) { syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0) }

func rawShutdownWrite(fd int) syscall.Errno {
	_, _, e := syscall.RawSyscall(syscall.SYS_SHUTDOWN, uintptr(fd), syscall.SHUT_WR, 0)
	return e
}

func rawSetSockOpt(fd, level, opt, v int) syscall.Errno {
	x := int32(v)
	_, _, e := syscall.RawSyscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&x)), 4, 0)
	return e
}

// rawConnect opens a non-blocking TCP socket and starts connecting it to
// ap: it returns the socket, or an error and no socket.
func rawConnect(ap netip.AddrPort) (int, syscall.Errno) {
	var sa4 syscall.RawSockaddrInet4
	var sa6 syscall.RawSockaddrInet6
	var p unsafe.Pointer
	var size uintptr
	port := (*[2]byte)(unsafe.Pointer(&sa4.Port))
	family := syscall.AF_INET
	if a := ap.Addr(); a.Is4() || a.Is4In6() {
		sa4.Family, sa4.Addr = syscall.AF_INET, a.Unmap().As4()
		p, size = unsafe.Pointer(&sa4), unsafe.Sizeof(sa4)
	} else {
		family = syscall.AF_INET6
		sa6.Family, sa6.Addr = syscall.AF_INET6, a.As16()
		port = (*[2]byte)(unsafe.Pointer(&sa6.Port))
		p, size = unsafe.Pointer(&sa6), unsafe.Sizeof(sa6)
	}
	port[0], port[1] = byte(ap.Port()>>8), byte(ap.Port()) // network order
	r, _, e := syscall.RawSyscall(syscall.SYS_SOCKET, uintptr(family), syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if e != 0 {
		return -1, e
	}
	fd := int(r)
	// As Go's own connections: small writes (a TLS handshake) go at once.
	rawSetSockOpt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if _, _, e := syscall.RawSyscall(syscall.SYS_CONNECT, uintptr(fd), uintptr(p), size); e != 0 && e != syscall.EINPROGRESS {
		rawClose(fd)
		return -1, e
	}
	return fd, 0
}

func rawEpollCtl(ep, op, fd int, ev *syscall.EpollEvent) syscall.Errno {
	_, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(ep), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return e
}

// rawAccept accepts a connection from a non-blocking listener, the socket
// non-blocking and close-on-exec, and returns it with the peer's address.
func rawAccept(lfd int) (int, netip.AddrPort, syscall.Errno) {
	var rsa syscall.RawSockaddrAny
	l := uint32(syscall.SizeofSockaddrAny)
	r, _, e := syscall.RawSyscall6(syscall.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)),
		syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, netip.AddrPort{}, e
	}
	return int(r), sockaddr(&rsa), 0
}

// rawLocalAddr returns a socket's own address (getsockname).
func rawLocalAddr(fd int) netip.AddrPort {
	var rsa syscall.RawSockaddrAny
	l := uint32(syscall.SizeofSockaddrAny)
	if _, _, e := syscall.RawSyscall(syscall.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l))); e != 0 {
		return netip.AddrPort{}
	}
	return sockaddr(&rsa)
}

// sockaddr converts an IPv4 or IPv6 socket address.
func sockaddr(rsa *syscall.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		a := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(p[0])<<8|uint16(p[1]))
	case syscall.AF_INET6:
		a := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}
