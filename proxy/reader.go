package proxy

import (
	"io"
	"net"
	"sync"
)

// reader reads a connection into buffers taken from a pool. Where the
// system allows (Unix, a connection with a file descriptor), it takes the
// buffer only once the connection is readable, so that a reader waiting on
// an idle connection holds none.
type reader struct {
	src  net.Conn
	pool *sync.Pool // of *[]byte
	raw  rawReader
}

// readBlocking reads src into a pooled buffer, holding it while it waits. It
// returns a buffer (the caller puts it back) with n > 0 bytes, or an error.
func (r *reader) readBlocking() (*[]byte, int, error) {
	buf := r.pool.Get().(*[]byte)
	for zero := 0; zero < 100; zero++ { // io.ReadFull's limit on empty reads
		n, err := r.src.Read(*buf)
		if n > 0 {
			return buf, n, nil // an error comes again on the next read
		}
		if err != nil {
			r.pool.Put(buf)
			return nil, 0, err
		}
	}
	r.pool.Put(buf)
	return nil, 0, io.ErrNoProgress
}
