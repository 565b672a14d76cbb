package sni_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"golang.org/x/crypto/cryptobyte"
)

// corpusEntry is one line of testdata/clienthello/index.tsv.
type corpusEntry struct {
	file, client, expected, notes string
	data                          []byte
}

// realClient reports whether the file was captured from a real client.
func (e corpusEntry) realClient() bool { return !strings.HasPrefix(e.client, "crafted") }

func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	f, err := os.Open("testdata/clienthello/index.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first || sc.Text() == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("index.tsv: bad line %q", sc.Text())
		}
		data, err := os.ReadFile(filepath.Join("testdata/clienthello", cols[0]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusEntry{cols[0], cols[1], cols[2], cols[3], data})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("index.tsv: only %d entries", len(out))
	}
	return out
}

// memConn is an in-memory net.Conn that serves data in chunks whose sizes
// come from next (the whole rest when next is nil), then io.EOF. Writes are
// discarded.
type memConn struct {
	data []byte
	pos  int
	next func(i int) int
	nr   int
}

func (c *memConn) Read(p []byte) (int, error) {
	if c.pos >= len(c.data) {
		return 0, io.EOF
	}
	n := len(c.data) - c.pos
	if c.next != nil {
		n = max(1, c.next(c.nr))
	}
	c.nr++
	n = min(n, len(p), len(c.data)-c.pos)
	copy(p, c.data[c.pos:c.pos+n])
	c.pos += n
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error)           { return len(p), nil }
func (c *memConn) Close() error                          { return nil }
func (c *memConn) LocalAddr() net.Addr                   { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr                  { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error           { return nil }
func (c *memConn) SetReadDeadline(time.Time) error       { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error      { return nil }
func (c *memConn) reset(data []byte, next func(int) int) { *c = memConn{data: data, next: next} }

// ext is one extension for buildHello.
type ext struct {
	typ  uint16
	data []byte
}

// helloSpec describes a ClientHello built by buildHello.
type helloSpec struct {
	vers        uint16
	sessionID   []byte
	ciphers     []uint16
	compression []byte
	exts        []ext
	noExts      bool
}

// buildHello returns the handshake message for s.
func buildHello(s helloSpec) []byte {
	var b cryptobyte.Builder
	b.AddUint8(1)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		v := s.vers
		if v == 0 {
			v = 0x0303
		}
		b.AddUint16(v)
		b.AddBytes(make([]byte, 32))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.sessionID) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range s.ciphers {
				b.AddUint16(c)
			}
		})
		comp := s.compression
		if comp == nil {
			comp = []byte{0}
		}
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
		if s.noExts {
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range s.exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	})
	return b.BytesOrPanic()
}

// sniExt returns server_name extension data with the given (type, name) entries.
func sniExt(entries ...any) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for i := 0; i < len(entries); i += 2 {
			b.AddUint8(uint8(entries[i].(int)))
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(entries[i+1].(string))) })
		}
	})
	return b.BytesOrPanic()
}

// alpnExt returns ALPN extension data for protos.
func alpnExt(protos ...string) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range protos {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
		}
	})
	return b.BytesOrPanic()
}

// u16List returns a uint16-length-prefixed list of uint16 values.
func u16List(vs ...uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return b.BytesOrPanic()
}

// record wraps a handshake message in one record.
func record(msg []byte) []byte {
	return append([]byte{0x16, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// recordsOf returns a corpus hello re-fragmented into records of size bytes.
func recordsOf(t testing.TB, file string, size int) []byte {
	t.Helper()
	return tlstest.Records(tlstest.Message(readFile(t, file)), size)
}
