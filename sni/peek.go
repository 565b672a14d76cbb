package sni

import (
	"io"
	"net"
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

	// Buffer, when its capacity is enough for the hello's first record, is
	// where Peek keeps the bytes it reads instead of allocating a buffer.
	// The returned Hello and Conn then refer to it: a caller that pools
	// buffers may reuse it only after it is done with both. Nil means Peek
	// allocates.
	Buffer []byte

	// ReadAhead lets each read fill Buffer's capacity instead of asking
	// only for the bytes the hello still needs, so a hello that arrived in
	// one segment takes one read instead of two (its first 9 bytes, then
	// the rest). Bytes read past the hello (early data, or a client that
	// does not wait for the server) are replayed by the returned Conn after
	// the hello, as every byte Peek read is; [Hello.Len] tells where the
	// hello ends. A read returns what the peer has sent so far, so reading
	// ahead never waits for bytes the hello does not need. It applies only
	// when Buffer's capacity is at least 9 bytes (a record header and the
	// handshake header).
	ReadAhead bool
}

// Peek reads a ClientHello from c and returns it with a connection that
// replays every byte Peek read, exactly once, before reading from c.
//
// Peek reads only as far as the end of the hello's last record, across any
// number of records and TCP segments: bytes the client sent after the hello
// (0-RTT data) stay unread in c, unless [PeekOptions.ReadAhead] is set. It
// starts no goroutine. Its reads share one deadline (see [PeekOptions]);
// when the peer is too slow, the error wraps [os.ErrDeadlineExceeded].
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
	pc := &Conn{Conn: c}
	h, buf, err := peek(c, pc, maxSize, opts.Buffer, opts.ReadAhead)
	pc.buf = buf
	if opts.Timeout >= 0 {
		if derr := c.SetReadDeadline(opts.RestoreDeadline); derr != nil && err == nil {
			err = derr
		}
	}
	return h, pc, err
}

// peek reads no more than scan says is missing, until the hello is complete.
// No valid hello is shorter than the 9 bytes scan first asks for, so
// without ahead Peek never reads past the hello. The first bytes go to pc.first, part of the
// Conn allocation; once the first record header is known, one buffer of the
// record's size (or spare, the caller's buffer, when it is large enough)
// takes over. With ahead, spare is used from the start and each read may
// fill it. It returns every byte it read, also on failure.
func peek(c net.Conn, pc *Conn, maxSize int, spare []byte, ahead bool) (Hello, []byte, error) {
	st := scanner{maxSize: maxSize}
	buf := pc.first[:0]
	if ahead = ahead && cap(spare) >= len(pc.first); ahead {
		buf, spare = spare[:0], nil
	}
	zero := 0
	for {
		need, e := st.scan(buf)
		if e != nil {
			return Hello{}, buf, e
		}
		if need == 0 {
			p := Parser{MaxSize: maxSize}
			h, err := p.Parse(buf[:st.consumed])
			return h, buf, err
		}
		if len(buf)+need > cap(buf) {
			n := len(buf) + need
			if cap(buf) == len(pc.first) {
				n = max(n, estimate(buf))
			} else {
				n = max(n, 2*cap(buf)) // more, smaller records than the first: amortize
			}
			var nb []byte
			if cap(spare) >= len(buf)+need {
				nb, spare = spare[:len(buf)], nil
			} else {
				nb = make([]byte, len(buf), n)
			}
			copy(nb, buf)
			buf = nb
		}
		end := len(buf) + need
		if ahead {
			end = cap(buf)
		}
		m, err := c.Read(buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err != nil {
			if need, e := st.scan(buf); e != nil || need == 0 {
				continue // complete or refused: report that instead
			}
			return Hello{}, buf, readErr(&st, buf, err)
		}
		if zero = noProgress(m, zero); zero < 0 {
			return Hello{}, buf, io.ErrNoProgress
		}
	}
}

// estimate returns the size of the whole hello, record headers included,
// guessed from its first 9 bytes (record header and handshake header)
// assuming all its records are as long as the first one. It returns 0 when
// the first record is too short to tell or to trust (under 256 bytes: a
// peer splitting that finely pays for growth as it goes).
func estimate(first []byte) int {
	if len(first) < recordHeaderLen+4 {
		return 0
	}
	rlen := int(first[3])<<8 | int(first[4])
	total := 4 + (int(first[6])<<16 | int(first[7])<<8 | int(first[8]))
	if rlen >= total {
		return recordHeaderLen + total
	}
	if rlen < 256 {
		return 0
	}
	return total + recordHeaderLen*((total+rlen-1)/rlen)
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
	need, e := st.scan(b)
	if e != nil || need == 0 {
		return err
	}
	return &Error{Kind: ErrShort, Offset: len(b), Need: need, Err: err,
		Detail: "connection ended or failed before the ClientHello was complete"}
}

// Conn is a net.Conn that first replays the bytes [Peek] read, then reads
// from the connection it wraps. Writes, Close, addresses and deadlines go to
// the wrapped connection.
type Conn struct {
	net.Conn // the wrapped connection
	buf      []byte
	first    [recordHeaderLen + 4]byte
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
