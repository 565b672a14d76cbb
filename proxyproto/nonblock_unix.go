//go:build unix

package proxyproto

import (
	"net"
	"syscall"
)

// nonblockReader reads what a socket already holds without waiting. One
// goroutine uses it at a time (they come from nbPool): fn is bound once so
// that a read allocates nothing beyond the runtime's RawConn.
type nonblockReader struct {
	p  []byte
	n  int
	fn func(fd uintptr) bool
}

func (r *nonblockReader) init() { r.fn = r.readFD }

func (r *nonblockReader) readFD(fd uintptr) bool {
	n, err := syscall.Read(int(fd), r.p)
	if err != nil || n < 0 {
		n = 0
	}
	r.n = n
	return true // never wait for readiness
}

// read returns how many bytes it put in p: 0 when nothing was there, on
// error, or when c is not a socket.
func (r *nonblockReader) read(c net.Conn, p []byte) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	r.p, r.n = p, 0
	if rc.Read(r.fn) != nil {
		r.n = 0
	}
	r.p = nil
	return r.n
}
