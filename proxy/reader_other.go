//go:build !unix

package proxy

import (
	"net"
	"sync"
)

// rawReader is empty where reads cannot wait for readability first.
type rawReader struct{}

func (r *reader) init(src net.Conn, pool *sync.Pool) { r.src, r.pool = src, pool }

// read returns a pooled buffer holding n > 0 bytes from the connection, or
// an error: io.EOF at its end.
func (r *reader) read() (*[]byte, int, error) { return r.readBlocking() }
