package sni

import (
	"io"
	"net"
	"slices"
	"time"
)

// DefaultTimeout is how long [Peek] waits for a complete ClientHello when
// [PeekOptions.Timeout] is zero.
const DefaultTimeout = 10 * time.Second

// PeekOptions configures [Peek]. The zero value is ready to use.
type PeekOptions struct {
	// MaxSize caps the handshake message length. Zero means [DefaultMaxSize].
	MaxSize int

	// Timeout bounds the whole peek: Peek sets the read deadline to now +
	// Timeout before its first read. Zero means [DefaultTimeout]; a negative
	// value leaves the read deadline alone (the caller's own deadline, if any,
	// applies) and Peek then does not restore it either.
	Timeout time.Duration

	// RestoreDeadline is the read deadline Peek sets on the connection before
	// it returns, when it set one itself. A net.Conn cannot report its current
	// deadline, so a caller that had one passes it here; the zero value clears
	// the read deadline.
	RestoreDeadline time.Time
}

// Peek reads a ClientHello from c and returns it with a connection that
// replays every byte Peek read, exactly once, before reading from c.
//
// Peek reads only as far as the end of the hello's last record, across any
// number of records and TCP segments: bytes the client sent after the hello
// (0-RTT data) stay unread in c. It starts no goroutine. Its reads share one
// deadline (see [PeekOptions]); when the peer is too slow, the error wraps
// [os.ErrDeadlineExceeded].
//
// The returned connection is not nil even when err is not: the bytes read
// so far are replayed to whoever reads it next (for example a fallback
// handler for plaintext HTTP after [ErrNotTLS]). It is a [*Conn], which
// unwraps to c with [Conn.NetConn] and forwards io.ReaderFrom and
// io.WriterTo to c, so io.Copy can splice a *net.TCPConn once the replayed
// bytes are drained.
//
// The Hello refers to Peek's own buffer, which the returned connection also
// replays from; it is not modified by reads from the connection.
func Peek(c net.Conn, opts PeekOptions) (Hello, *Conn, error) {
	maxSize := opts.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if opts.Timeout >= 0 {
		timeout := opts.Timeout
		if timeout == 0 {
			timeout = DefaultTimeout
		}
		if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return Hello{}, &Conn{Conn: c}, err
		}
	}
	h, buf, err := peek(c, maxSize)
	if opts.Timeout >= 0 {
		if derr := c.SetReadDeadline(opts.RestoreDeadline); derr != nil && err == nil {
			err = derr
		}
	}
	return h, &Conn{Conn: c, buf: buf}, err
}

// peek reads no more than scan says is missing, until the hello is complete.
// It returns every byte it read, also on failure.
func peek(c net.Conn, maxSize int) (Hello, []byte, error) {
	// Phase 1: the first record header, into a stack buffer. No valid hello
	// is shorter than 9 bytes, so asking for that many never over-reads.
	var hdr [recordHeaderLen + 4]byte
	n, zero := 0, 0
	st := scanner{maxSize: maxSize}
	for n < recordHeaderLen {
		m, err := c.Read(hdr[n:])
		n += m
		if e := st.scan(hdr[:n]); e != nil && e.Kind != ErrShort {
			return Hello{}, slices.Clone(hdr[:n]), e
		}
		if err != nil {
			return Hello{}, slices.Clone(hdr[:n]), readErr(&st, hdr[:n], err)
		}
		if zero = noProgress(m, zero); zero < 0 {
			return Hello{}, slices.Clone(hdr[:n]), io.ErrNoProgress
		}
	}
	// Phase 2: one buffer sized for the first record; most hellos fit in it.
	rlen := int(hdr[3])<<8 | int(hdr[4])
	buf := make([]byte, n, max(recordHeaderLen+rlen, n))
	copy(buf, hdr[:n])
	for {
		e := st.scan(buf)
		if e == nil {
			p := Parser{MaxSize: maxSize}
			h, err := p.Parse(buf[:st.consumed])
			return h, buf, err
		}
		if e.Kind != ErrShort {
			return Hello{}, buf, e
		}
		if len(buf)+e.Need > cap(buf) {
			buf = slices.Grow(buf, max(e.Need, len(buf)))
		}
		m, err := c.Read(buf[len(buf) : len(buf)+e.Need])
		buf = buf[:len(buf)+m]
		if err != nil {
			if e := st.scan(buf); e == nil || e.Kind != ErrShort {
				continue // complete or refused: report that instead
			}
			return Hello{}, buf, readErr(&st, buf, err)
		}
		if zero = noProgress(m, zero); zero < 0 {
			return Hello{}, buf, io.ErrNoProgress
		}
	}
}

// noProgress counts consecutive empty reads; it returns -1 after 100 of them,
// the limit io.ReadFull's callers use against broken readers.
func noProgress(m, zero int) int {
	if m > 0 {
		return 0
	}
	if zero++; zero >= 100 {
		return -1
	}
	return zero
}

// readErr reports a read error that ended the peek on the incomplete
// hello b as an [ErrShort] carrying it, with io.EOF turned into
// io.ErrUnexpectedEOF.
func readErr(st *scanner, b []byte, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	e := st.scan(b)
	if e == nil || e.Kind != ErrShort {
		return err
	}
	e.Err = err
	e.Detail = "connection ended or failed before the ClientHello was complete"
	return e
}

// Conn is a net.Conn that first replays the bytes [Peek] read, then reads
// from the connection it wraps. Writes, Close, addresses and deadlines go to
// the wrapped connection.
type Conn struct {
	net.Conn // the wrapped connection
	buf      []byte
}

var (
	_ net.Conn      = (*Conn)(nil)
	_ io.WriterTo   = (*Conn)(nil)
	_ io.ReaderFrom = (*Conn)(nil)
)

// Read reads the replayed bytes first, then from the wrapped connection.
func (c *Conn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		if len(c.buf) == 0 {
			c.buf = nil
		}
		return n, nil
	}
	return c.Conn.Read(p)
}

// Buffered returns the bytes not yet replayed. They stay owned by c.
func (c *Conn) Buffered() []byte { return c.buf }

// NetConn returns the wrapped connection, like [crypto/tls.Conn.NetConn].
// Reading from it directly skips the bytes not yet replayed.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// WriteTo writes the replayed bytes to w, then copies from the wrapped
// connection until EOF, using its WriteTo (splice for *net.TCPConn) when it
// has one.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(c.buf) > 0 {
		n, err := w.Write(c.buf)
		total += int64(n)
		c.buf = c.buf[n:]
		if err != nil {
			return total, err
		}
	}
	c.buf = nil
	var n int64
	var err error
	if wt, ok := c.Conn.(io.WriterTo); ok {
		n, err = wt.WriteTo(w)
	} else {
		n, err = io.Copy(w, readerOnly{c.Conn})
	}
	return total + n, err
}

// ReadFrom copies from r to the wrapped connection, using its ReadFrom
// (splice or sendfile for *net.TCPConn) when it has one.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

type readerOnly struct{ io.Reader }

type writerOnly struct{ io.Writer }
