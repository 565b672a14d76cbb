//go:build unix

package proxy

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// rawReader reads a file descriptor once the poller says it is readable.
type rawReader struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // r.readFD, bound once
	buf *[]byte
	n   int
	err error
}

func (r *reader) init(src net.Conn, pool *sync.Pool) {
	r.src, r.pool = src, pool
	if sc, ok := src.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			r.raw.rc, r.raw.fn = rc, r.readFD
		}
	}
}

// readFD reads fd into a pooled buffer, and reports whether it is done: on
// EAGAIN it puts the buffer back and waits for fd to be readable. The socket
// does not block, so no EINTR.
func (r *reader) readFD(fd uintptr) bool {
	r.raw.buf = r.pool.Get().(*[]byte)
	if r.raw.n, r.raw.err = syscall.Read(int(fd), *r.raw.buf); r.raw.err == syscall.EAGAIN {
		r.pool.Put(r.raw.buf)
		r.raw.buf = nil
		return false
	}
	return true
}

// read returns a pooled buffer holding n > 0 bytes from the connection, or
// an error: io.EOF at its end.
func (r *reader) read() (*[]byte, int, error) {
	if r.raw.rc == nil {
		return r.readBlocking()
	}
	if err := r.raw.rc.Read(r.raw.fn); err != nil {
		return nil, 0, err // deadline or closed; the buffer went back to the pool
	}
	buf := r.raw.buf
	r.raw.buf = nil
	switch {
	case r.raw.err != nil:
		r.pool.Put(buf)
		return nil, 0, os.NewSyscallError("read", r.raw.err)
	case r.raw.n == 0:
		r.pool.Put(buf)
		return nil, 0, io.EOF
	}
	return buf, r.raw.n, nil
}
