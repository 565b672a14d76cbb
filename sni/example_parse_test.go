package sni_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/drawbridge-go/drawbridge/sni"
)

func ExampleParse() {
	b, err := os.ReadFile("testdata/clienthello/openssl_uppercase.bin")
	if err != nil {
		panic(err)
	}
	h, err := sni.Parse(b)
	if err != nil {
		panic(err)
	}
	var buf [256]byte
	fmt.Printf("raw %s, routing %s\n", h.RawServerName(), h.AppendServerName(buf[:0]))
	fmt.Printf("version %#04x, %d bytes\n", h.Version(), h.Len())

	// A prefix is not an error, just incomplete.
	_, err = sni.Parse(b[:100])
	var se *sni.Error
	if errors.As(err, &se) && errors.Is(err, sni.ErrShort) {
		fmt.Println("need at least", se.Need, "more bytes")
	}
	// Output:
	// raw UPPER.Example.COM, routing upper.example.com
	// version 0x0304, 323 bytes
	// need at least 223 more bytes
}

func ExampleHello_ALPN() {
	b, _ := os.ReadFile("testdata/clienthello/go_alpn.bin")
	h, err := sni.Parse(b)
	if err != nil {
		panic(err)
	}
	for proto := range h.ALPN().All() {
		fmt.Printf("%s\n", proto)
	}
	fmt.Println("h2 offered:", h.ALPN().Contains("h2"))
	// Output:
	// h2
	// http/1.1
	// h2 offered: true
}

func ExampleKindOf() {
	_, err := sni.Parse([]byte("GET / HTTP/1.1\r\n\r\n"))
	fmt.Println(sni.KindOf(err), errors.Is(err, sni.ErrNotTLS))
	// Output:
	// not-tls true
}

func ExampleParser() {
	b, _ := os.ReadFile("testdata/clienthello/go_default.bin")
	// Split the handshake message into records of at most 500 bytes, as
	// some clients and middleboxes do.
	msg := b[5:]
	var frag []byte
	for len(msg) > 0 {
		n := min(500, len(msg))
		frag = append(frag, 0x16, 3, 1, byte(n>>8), byte(n))
		frag = append(frag, msg[:n]...)
		msg = msg[n:]
	}
	// The Parser reassembles into its Scratch buffer, reused by later calls.
	var p sni.Parser
	h, err := p.Parse(frag)
	fmt.Println(h.ServerName(), h.Len(), err)
	// Output:
	// go.example.com 1521 <nil>
}
