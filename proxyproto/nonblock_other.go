//go:build !unix

package proxyproto

import "net"

// nonblockReader has no non-blocking read on this platform: every header is
// read by the per-connection goroutine.
type nonblockReader struct{}

func (r *nonblockReader) init() {}

func (r *nonblockReader) read(net.Conn, []byte) int { return 0 }
