package sni_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/sni"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   *net.TCPConn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.AcceptTCP()
		ch <- res{c, err}
	}()
	client, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { client.Close(); r.c.Close() })
	return client, r.c
}

func TestPeekTCPSegmentsAndSplice(t *testing.T) {
	hello := readFile(t, "go_default.bin")
	client, server := tcpPair(t)
	client.SetNoDelay(true)
	tail := []byte("0-RTT and then the rest of the stream")
	done := make(chan error, 1)
	go func() {
		// The hello in three segments, a pause inside the name, then more data.
		cut := bytes.Index(hello, []byte("go.example.com")) + 4
		for _, part := range [][]byte{hello[:3], hello[3:cut], hello[cut:]} {
			if _, err := client.Write(part); err != nil {
				done <- err
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		_, err := client.Write(tail)
		client.CloseWrite()
		done <- err
	}()
	h, c, err := sni.Peek(server, sni.PeekOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerName() != "go.example.com" {
		t.Fatalf("ServerName() = %q", h.ServerName())
	}
	if nc, ok := c.NetConn().(*net.TCPConn); !ok || nc != server {
		t.Fatalf("NetConn() = %T; want the *net.TCPConn", c.NetConn())
	}
	// io.Copy to another TCP connection takes the WriterTo path and splices
	// after the replayed bytes.
	dstC, dstS := tcpPair(t)
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(dstC, c)
		dstC.CloseWrite()
		copied <- err
	}()
	got, err := io.ReadAll(dstS)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-copied; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Clone(hello), tail...); !bytes.Equal(got, want) {
		t.Fatalf("copied %d bytes; want %d (hello replayed once, then the stream)", len(got), len(want))
	}
}

func TestPeekDeadline(t *testing.T) {
	hello := readFile(t, "openssl_default.bin")
	client, server := tcpPair(t)
	if _, err := client.Write(hello[:100]); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	start := time.Now()
	_, c, err := sni.Peek(server, sni.PeekOptions{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, sni.ErrShort) {
		t.Fatalf("Peek on a stalled peer = %v; want ErrShort wrapping a deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Peek took %v", d)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Peek, %d before", n, before)
	}
	// The deadline was cleared (RestoreDeadline zero): a later read waits
	// for the peer instead of failing at once.
	go func() {
		time.Sleep(200 * time.Millisecond)
		client.Write(hello[100:])
		client.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read after Peek: %v (deadline not restored?)", err)
	}
	if !bytes.Equal(got, hello) {
		t.Fatalf("replay + rest = %d bytes; want %d", len(got), len(hello))
	}
}

func TestPeekRestoreDeadline(t *testing.T) {
	client, server := tcpPair(t)
	go client.Write(readFile(t, "openssl_default.bin"))
	restore := time.Now().Add(50 * time.Millisecond)
	_, c, err := sni.Peek(server, sni.PeekOptions{RestoreDeadline: restore})
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(io.LimitReader(c, int64(len(c.Buffered()))))
	var b [1]byte
	if _, err := c.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after Peek = %v; want the restored deadline to fire", err)
	}
}

func TestPeekNotTLSReplays(t *testing.T) {
	client, server := tcpPair(t)
	req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	go func() { client.Write(req); client.CloseWrite() }()
	_, c, err := sni.Peek(server, sni.PeekOptions{})
	if !errors.Is(err, sni.ErrNotTLS) {
		t.Fatalf("Peek = %v; want ErrNotTLS", err)
	}
	got, _ := io.ReadAll(c)
	if !bytes.Equal(got, req) {
		t.Fatalf("replayed %q; want %q", got, req)
	}
}

func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -cover or -race")
	}
	for _, e := range loadCorpus(t) {
		if !e.realClient() {
			continue
		}
		if n := testing.AllocsPerRun(50, func() { sni.Parse(e.data) }); n != 0 {
			t.Errorf("Parse(%s): %v allocs; want 0", e.file, n)
		}
	}
	h, _ := sni.Parse(readFile(t, "go_alpn.bin"))
	buf := make([]byte, 0, 256)
	var u16 [64]uint16
	for name, f := range map[string]func(){
		"AppendServerName": func() { buf = h.AppendServerName(buf[:0]) },
		"lists": func() {
			for range h.ALPN().All() {
			}
			for range h.KeyShareGroups().All() {
			}
			h.CipherSuites().AppendTo(u16[:0])
			h.Extensions().Lookup(16)
			_ = h.Version()
		},
		"AppendJA4": func() { buf = h.AppendJA4(buf[:0]) },
		"AppendJA3": func() { buf = h.AppendJA3(buf[:0]) },
	} {
		if n := testing.AllocsPerRun(50, f); n != 0 {
			t.Errorf("%s: %v allocs; want 0", name, n)
		}
	}
	// A fragmented hello through a Parser allocates once, then never.
	frag := recordsOf(t, "go_default.bin", 500)
	var p sni.Parser
	if n := testing.AllocsPerRun(50, func() { p.Parse(frag) }); n != 0 {
		t.Errorf("Parser.Parse(fragmented): %v allocs; want 0", n)
	}
	// Peek on an in-memory connection.
	var c memConn
	for _, in := range [][]byte{readFile(t, "go_default.bin"), frag} {
		if n := testing.AllocsPerRun(50, func() {
			c.reset(in, nil)
			sni.Peek(&c, sni.PeekOptions{Timeout: -1})
		}); n > 3 {
			t.Errorf("Peek: %v allocs; want at most 3", n)
		}
	}
}

func TestPeekBuffer(t *testing.T) {
	for _, size := range []int{0, 100, 4096} {
		in := readFile(t, "go_default.bin")
		var c memConn
		c.reset(append(bytes.Clone(in), "tail"...), func(int) int { return 300 })
		buf := make([]byte, 0, size)
		h, pc, err := sni.Peek(&c, sni.PeekOptions{Buffer: buf})
		if err != nil || h.ServerName() != "go.example.com" {
			t.Fatalf("Buffer cap %d: %q, %v", size, h.ServerName(), err)
		}
		if got, _ := io.ReadAll(pc); !bytes.Equal(got, append(bytes.Clone(in), "tail"...)) {
			t.Fatalf("Buffer cap %d: replay differs", size)
		}
		inBuf := size > 5 && &buf[:size][5] == &h.Raw()[0]
		if inBuf != (size >= len(in)) {
			t.Errorf("Buffer cap %d: hello read into the buffer: %v", size, inBuf)
		}
	}
	var c memConn
	in := readFile(t, "go_default.bin")
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(50, func() {
		c.reset(in, nil)
		sni.Peek(&c, sni.PeekOptions{Timeout: -1, Buffer: buf})
	}); n > 1 && !raceEnabled {
		t.Errorf("Peek with a Buffer: %v allocs; want 1", n)
	}
}
